/// ONNX's numeric element-type codes (TensorProto.DataType).
public enum OnnxElementType {
    /// The DType of an ONNX element-type code, or nil for types the runtime does not have.
    public static func dtype(onnxCode: Int) -> DType? {
        switch onnxCode {
        case 1: return .float32
        case 2: return .uint8
        case 3: return .int8
        case 6: return .int32
        case 7: return .int64
        case 9: return .bool
        case 10: return .float16
        case 11: return .float64
        case 16: return .bfloat16
        default: return nil
        }
    }
}
