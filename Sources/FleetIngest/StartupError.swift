/// A condition that keeps fleetd from starting; the text says what to do about it.
public struct StartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
