/// An error from building or viewing a tensor: the message says what was asked and why it cannot be done.
public struct TensorError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, in words a user can act on.
    public let description: String
    /// Creates an error with a message.
    public init(_ description: String) { self.description = description }
}
