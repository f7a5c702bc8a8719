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

/// How one pass of a graph is spread over several chips.
public struct Parallelism: Sendable, Equatable {
    /// The split.
    public enum Kind: String, Sendable, CaseIterable {
        /// Each chip runs whole images of its own (the graph is built at the per-chip batch); no traffic.
        case data
        /// Every GEMM's output columns (attention's heads) are split over the chips, and each GEMM's output
        /// is all-gathered so that the next kernel sees it whole: more traffic than Megatron's pairing of
        /// column- and row-split layers, so an upper bound on what tensor parallelism costs.
        case tensor
        /// Tokens (pixels, for convolutions) are split over the chips; weights are replicated; each
        /// self-attention all-gathers its keys and values and each GroupNorm all-reduces its statistics.
        /// Convolutions' halo rows are not exchanged in the model.
        case sequence
    }
    /// The split.
    public var kind: Kind
    /// Chips in the group.
    public var chips: Int
    /// Overlap each collective with its own kernel's compute (collective matmul), rather than after it.
    public var overlap: Bool
    /// One chip.
    public static let single = Parallelism(kind: .data, chips: 1, overlap: true)
    /// A split over `chips` chips.
    public init(kind: Kind, chips: Int, overlap: Bool = true) { (self.kind, self.chips, self.overlap) = (kind, chips, overlap) }
}

extension OpWorkload {
    /// One chip's share of this node's work under `p`.
    func sharded(_ p: Parallelism) -> OpWorkload {
        guard p.chips > 1, p.kind != .data else { return self }
        let n = p.chips
        func part(_ x: Int) -> Int { (x + n - 1) / n }
        var w = self
        w.vectorOps /= Double(n)
        w.transcendentals /= Double(n)
        w.inputBytes = inputBytes.map(part)
        w.outputBytes = part(outputBytes)
        if let a = attention {
            if p.kind == .tensor {
                w.attention = (part(a.batchHeads), a.sq, a.skv, a.d, a.dv)
                w.gemms = gemms.map { GemmShape(count: part($0.count), m: $0.m, n: $0.n, k: $0.k, aReuse: $0.aReuse) }
            } else {
                w.attention = (a.batchHeads, part(a.sq), a.skv, a.d, a.dv)
                w.gemms = gemms.map { GemmShape(count: $0.count, m: part($0.m), n: $0.n, k: $0.k, aReuse: $0.aReuse) }
            }
        } else {
            w.gemms = gemms.map {
                p.kind == .tensor ? GemmShape(count: $0.count, m: $0.m, n: part($0.n), k: $0.k, aReuse: $0.aReuse)
                                  : GemmShape(count: $0.count, m: part($0.m), n: $0.n, k: $0.k, aReuse: $0.aReuse)
            }
        }
        return w
    }
}
