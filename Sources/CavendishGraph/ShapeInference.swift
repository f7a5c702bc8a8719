import CavendishCore
import CavendishOps

/// Output shapes and element types of an operator from its input shapes, types, attributes and any
/// constant inputs. This is what makes shape-only graphs possible: nothing is computed. The rules are
/// the operators' schemas (CavendishOps); this is the graph's entry point to them.
public enum ShapeInference {
    /// What is known about one input: shape, element type, and the data when it is a graph constant.
    public typealias Input = TensorInfo

    /// Output (shape, dtype) pairs; `outputCount` is how many the caller wants (Split, Attention, LayerNorm).
    public static func infer(_ op: String, _ inputs: [Input?], _ a: Attributes, opset: Int,
                             outputCount: Int = 1) throws -> [([Int], DType)] {
        try OperatorSchemas.schema(named: op).inferOutputs(inputs, a, opset: opset, outputCount: outputCount).map { ($0.shape, $0.dtype) }
    }
}
