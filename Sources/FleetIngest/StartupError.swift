/// A condition that keeps fleetd from starting; the text says what to do about it.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    /// 2 when restarting cannot help (a damaged spool file, a bad setting): the systemd unit does not
    /// restart on it. 1 otherwise (a lock held, a full disk: it may pass).
    public var exitCode: Int32

    public init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}
