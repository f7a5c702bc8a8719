/// The element type of a tensor.
///
/// `float16` and `bfloat16` are storage types: kernels widen them to `Float` and accumulate in float32.
public enum DType: String, Sendable, CaseIterable, Codable {
    case float32, float64, float16, bfloat16, int8, uint8, int32, int64, bool

    /// Bytes one element occupies in memory.
    public var byteSize: Int {
        switch self {
        case .float64, .int64: return 8
        case .float32, .int32: return 4
        case .float16, .bfloat16: return 2
        case .int8, .uint8, .bool: return 1
        }
    }

    /// True for the floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .float32, .float64, .float16, .bfloat16: return true
        default: return false
        }
    }

    /// True for the signed and unsigned integer types (not `bool`).
    public var isInteger: Bool {
        switch self {
        case .int8, .uint8, .int32, .int64: return true
        default: return false
        }
    }
}
