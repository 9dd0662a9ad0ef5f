import Foundation

/// Passwords never reach a log line: in a URI's user info (`postgresql://u:secret@h`, `mqtt://u:secret@h`),
/// in a conninfo keyword (`password=secret`, `password = 'a b'`) or a URI parameter (`?password=secret`),
/// including inside error messages that echo them.
public enum Redaction {
    public static let hidden = "<hidden>"

    /// `text` with every password it holds replaced by `<hidden>`.
    public static func text(_ text: String) -> String {
        var out = text
        // scheme://user:password@ — up to the last '@' before the next '/', space or quote.
        out = out.replacingOccurrences(of: #"(://[^:/@\s'"]*):[^@\s'"/]*@"#, with: "$1:\(hidden)@", options: .regularExpression)
        // password='a b' / password = "x" / password=x (conninfo; also ?password=x&… in a URI).
        out = out.replacingOccurrences(of: #"(password\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s&'"]+)"#, with: "$1\(hidden)",
                                       options: [.regularExpression, .caseInsensitive])
        return out
    }

    /// Whether a URI or conninfo carries a password (which on a command line every local user can read).
    public static func hasPassword(_ s: String) -> Bool { text(s) != s }
}
