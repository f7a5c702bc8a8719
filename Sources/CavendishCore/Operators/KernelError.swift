/// Why a kernel could not produce its outputs.
public enum KernelError: Error, CustomStringConvertible, Sendable {
    /// The operator, or this combination of attributes and element types, is not implemented.
    case unsupported(String)
    /// The inputs or attributes break the operator's contract (wrong rank, bad axis, shape mismatch...).
    case invalid(String)

    /// The message for the user.
    public var description: String {
        switch self {
        case .unsupported(let m): return "unsupported: \(m)"
        case .invalid(let m): return "invalid: \(m)"
        }
    }
}
