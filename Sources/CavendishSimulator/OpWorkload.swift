import CavendishCore
import CavendishGraph
import CavendishOps

/// What one graph node asks of the chip, before tiling: matrix-unit GEMMs, vector work, and the bytes its
/// operands and results occupy. The work is the operator schema's cost (CavendishOps); this adds what the
/// graph knows: which inputs are constants held in the program rather than read from memory.
struct OpWorkload {
    /// How the node maps onto the engines.
    enum Kind: String { case matrix, vector, layout, attention }

    typealias Gemm = GemmShape

    var kind: Kind
    /// The schema's category (normalizations start a fused kernel of their own).
    var category: OperatorCategory
    var gemms: [Gemm] = []
    /// Vector-unit element operations (adds, multiplies, compares...).
    var vectorOps: Double = 0
    /// Transcendental results (exp, tanh, erf, rsqrt, sigmoid).
    var transcendentals: Double = 0
    /// Bytes of each input that comes from memory (weights, activations).
    var inputBytes: [Int] = []
    /// Bytes written.
    var outputBytes: Int = 0
    /// Attention geometry, for the flash-style traffic model.
    var attention: (batchHeads: Int, sq: Int, skv: Int, d: Int, dv: Int)?

    var flops: Double { gemms.reduce(0) { $0 + $1.flops } }

    /// Describes a node of `graph`.
    init(node: Node, graph: Graph) throws {
        let inputs = node.inputs.map { $0.map { graph[$0] } }
        let outs = node.outputs.map { graph[$0] }
        inputBytes = inputs.map { v in v.map { $0.role == .constant ? 0 : $0.byteCount } ?? 0 }
        outputBytes = outs.map(\.byteCount).reduce(0, +)
        let schema: any OperatorSchema
        do { schema = try node.schema() } catch { throw SimulatorError("the simulator has no cost model for \(node.op)") }
        let cost = try schema.cost(inputs.map { $0.map { TensorInfo(shape: $0.shape, dtype: $0.dtype, constant: $0.constant) } },
                                   outs.map { TensorInfo(shape: $0.shape, dtype: $0.dtype) }, node.attributes, opset: node.opset)
        category = schema.category
        switch category {
        case .matrix: kind = .matrix
        case .attention: kind = .attention
        case .layout: kind = .layout
        case .elementwise, .normalization, .reduction: kind = .vector
        }
        gemms = cost.gemms
        vectorOps = cost.vectorOps
        transcendentals = cost.transcendentals
        attention = cost.attention.map { ($0.batchHeads, $0.sq, $0.skv, $0.d, $0.dv) }
    }
}
