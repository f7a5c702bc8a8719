import CavendishCore
import CavendishGraph

/// What one graph node asks of the chip, before tiling: matrix-unit GEMMs, vector work, and the bytes its
/// operands and results occupy.
struct OpWorkload {
    /// How the node maps onto the engines.
    enum Kind: String { case matrix, vector, layout, attention }

    /// One batched GEMM: `count` independent (M x K) @ (K x N) products. `aReuse` is how many times each
    /// element of A's backing tensor appears in A: an implicit-GEMM convolution reads its input once per
    /// block and forms the kh x kw taps in VMEM, so its HBM reads of A are the input's size, not im2col's.
    struct Gemm { var count, m, n, k: Int; var aReuse = 1.0 }

    var kind: Kind
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

    var flops: Double { gemms.reduce(0) { $0 + 2 * Double($1.count) * Double($1.m) * Double($1.n) * Double($1.k) } }

    /// Describes a node of `graph`.
    init(node: Node, graph: Graph) throws {
        let inputs = node.inputs.map { $0.map { graph[$0] } }
        let outs = node.outputs.map { graph[$0] }
        inputBytes = inputs.map { v in v.map { $0.role == .constant ? 0 : $0.byteCount } ?? 0 }
        outputBytes = outs.map(\.byteCount).reduce(0, +)
        let n = Double(Shape.count(outs.first?.shape ?? []))
        switch node.op {
        case "MatMul":
            kind = .matrix
            let a = inputs[0]!.shape, b = inputs[1]!.shape, o = outs[0].shape
            let k = a.last!, nn = b.count == 1 ? 1 : b.last!
            let m = a.count == 1 ? 1 : a[a.count - 2]
            let batch = Shape.count(Array(o.dropLast(min(o.count, 2))))
            // A shared right operand folds the batch into M, as XLA does.
            if b.count <= 2 { gemms = [Gemm(count: 1, m: batch * m, n: nn, k: k)] }
            else { gemms = [Gemm(count: batch, m: m, n: nn, k: k)] }
        case "Gemm":
            kind = .matrix
            let o = outs[0].shape
            let a = inputs[0]!.shape
            let k = try node.attributes.int("transA", 0) != 0 ? a[0] : a[1]
            gemms = [Gemm(count: 1, m: o[0], n: o[1], k: k)]
            vectorOps = n
        case "Conv":
            kind = .matrix
            let g = try ConvGeometry(attributes: node.attributes, input: inputs[0]!.shape, weights: inputs[1]!.shape)
            // Implicit GEMM per group: output pixels x output channels, reduced over channels x taps.
            let reuse = max(1, Double(g.kh * g.kw) / Double(g.strideH * g.strideW))
            gemms = [Gemm(count: g.group, m: g.n * g.oh * g.ow, n: g.mg, k: g.columns, aReuse: reuse)]
            if inputs.count > 2, inputs[2] != nil { vectorOps = n }
        case "Attention":
            kind = .attention
            let q = inputs[0]!.shape, k = inputs[1]!.shape, v = inputs[2]!.shape
            let (b, h, sq, d, skv, dv): (Int, Int, Int, Int, Int, Int)
            if q.count == 4 { (b, h, sq, d, skv, dv) = (q[0], q[1], q[2], q[3], k[2], v[3]) }
            else {
                let hq = try node.attributes.int("q_num_heads", 1), hkv = try node.attributes.int("kv_num_heads", 1)
                (b, h, sq, d, skv, dv) = (q[0], hq, q[1], q[2] / hq, k[1], v[2] / hkv)
            }
            attention = (b * h, sq, skv, d, dv)
            gemms = [Gemm(count: b * h, m: sq, n: skv, k: d), Gemm(count: b * h, m: sq, n: dv, k: skv)]
            // Online softmax per score: running max, subtract, sum, cast to the matmul type (4 vector ops; the
            // scale folds into Q) and one exp.
            let scores = Double(b * h * sq * skv)
            vectorOps = 4 * scores
            transcendentals = scores
        case "Softmax":
            kind = .vector; vectorOps = 4 * n; transcendentals = n
        case "LayerNormalization", "GroupNormalization", "RMSNormalization":
            kind = .vector; vectorOps = 6 * n; transcendentals = n / Double(max(1, inputs[0]!.shape.last ?? 1))
        case "Sigmoid", "Tanh", "Erf", "Exp", "Sqrt", "Sin", "Cos":
            kind = .vector; vectorOps = n; transcendentals = n
        case "Gelu":
            kind = .vector; vectorOps = 6 * n; transcendentals = n
        case "Add", "Sub", "Mul", "Div", "Pow", "Where", "Cast", "Clip", "ReduceMean", "ReduceSum":
            kind = .vector; vectorOps = Double(max(Shape.count(inputs[0]!.shape), Int(n)))
        case "Transpose", "Reshape", "Expand", "Concat", "Split", "Slice", "Gather", "Resize":
            kind = .layout
        default:
            throw SimulatorError("the simulator has no cost model for \(node.op)")
        }
    }
}
