import CavendishCore

/// What is known about one operand: its shape and element type, and its data when it is a constant
/// (shape, axes and bounds inputs, which shape inference reads).
public struct TensorInfo: Sendable {
    /// Shape.
    public var shape: [Int]
    /// Element type.
    public var dtype: DType
    /// The data, when known.
    public var constant: Tensor?
    /// Describes an operand.
    public init(shape: [Int], dtype: DType, constant: Tensor? = nil) {
        self.shape = shape
        self.dtype = dtype
        self.constant = constant
    }
    /// Elements.
    public var count: Int { Shape.count(shape) }
    /// Bytes when dense.
    public var byteCount: Int { count * dtype.byteSize }
}

/// How an operator uses the hardware, for fusion, the simulator's engines and the executor.
public enum OperatorCategory: String, Sendable, CaseIterable {
    /// GEMM-shaped work for the matrix units (MatMul, Gemm, Conv).
    case matrix
    /// Attention: two GEMMs around an online softmax, costed flash-style.
    case attention
    /// One result per output element from the matching (broadcast) elements of the operands.
    case elementwise
    /// Statistics over a normalized block, then an elementwise pass; starts a fused kernel of its own.
    case normalization
    /// Reductions along axes (ReduceSum, ReduceMean, Softmax's row sums).
    case reduction
    /// Data movement with no arithmetic: views, copies, gathers, resampling.
    case layout
}

/// One batched GEMM: `count` independent (M x K) @ (K x N) products. `aReuse` is how many times each
/// element of A's backing tensor appears in A (an implicit-GEMM convolution forms its taps on chip).
public struct GemmShape: Sendable, Equatable {
    public var count, m, n, k: Int
    public var aReuse: Double
    public init(count: Int, m: Int, n: Int, k: Int, aReuse: Double = 1) {
        (self.count, self.m, self.n, self.k, self.aReuse) = (count, m, n, k, aReuse)
    }
    /// 2 x count x M x N x K.
    public var flops: Double { 2 * Double(count) * Double(m) * Double(n) * Double(k) }
}

/// Attention's problem size, for the flash-style traffic model.
public struct AttentionShape: Sendable, Equatable {
    public var batchHeads, sq, skv, d, dv: Int
    public init(batchHeads: Int, sq: Int, skv: Int, d: Int, dv: Int) {
        (self.batchHeads, self.sq, self.skv, self.d, self.dv) = (batchHeads, sq, skv, d, dv)
    }
}

/// The work one operator call does: matrix-unit GEMMs, vector-unit element operations, transcendental
/// results, and the dense bytes of its operands and results.
public struct OperatorCost: Sendable, Equatable {
    /// GEMMs for the matrix units.
    public var gemms: [GemmShape] = []
    /// Vector-unit element operations (adds, multiplies, compares...).
    public var vectorOps: Double = 0
    /// Transcendental results (exp, tanh, erf, rsqrt, sigmoid).
    public var transcendentals: Double = 0
    /// Attention geometry, for attention.
    public var attention: AttentionShape?
    /// Dense bytes of each input (0 for an omitted one).
    public var inputBytes: [Int]
    /// Dense bytes of all outputs.
    public var bytesWritten: Int

    /// Only the bytes of `inputs` and `outputs`; schemas add the work.
    public init(_ inputs: [TensorInfo?], _ outputs: [TensorInfo]) {
        inputBytes = inputs.map { $0?.byteCount ?? 0 }
        bytesWritten = outputs.map(\.byteCount).reduce(0, +)
    }

    /// Matrix-unit floating-point operations: 2 x M x N x K summed over the GEMMs (0 for vector ops).
    public var flops: Double { gemms.reduce(0) { $0 + $1.flops } }
    /// Dense bytes read.
    public var bytesRead: Int { inputBytes.reduce(0, +) }
}

/// One operator family's rules, in one place: its category, how output shapes and types follow from the
/// inputs, the work a call does, and the facts backends plan with. Shape inference, the simulator's
/// workload model, the executor and the tiled backend all read these; none switches on a name.
public protocol OperatorSchema: Sendable {
    /// The operator this schema describes.
    var kind: OperatorKind { get }
    /// How the operator uses the hardware.
    var category: OperatorCategory { get }
    /// Output shapes and types, `outputCount` of them where the operator has optional outputs (Split,
    /// LayerNormalization, Attention). Constant inputs (shapes, axes, bounds) are read from `constant`.
    func inferOutputs(_ inputs: [TensorInfo?], _ attributes: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo]
    /// The work of one call with these inputs and (inferred) outputs.
    func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ attributes: Attributes, opset: Int) throws -> OperatorCost
    /// True when kernels return a view of input 0 (no arithmetic): graph folding may apply the operator
    /// to a stored 16-bit weight without widening it.
    var returnsView: Bool { get }
    /// For elementwise operators, how many leading inputs are elementwise operands (broadcast to the
    /// output); the rest (Clip's bounds) are passed whole. Nil for other categories.
    var elementwiseOperands: Int? { get }
    /// When rows along axis 0 are independent (each batch element's outputs depend only on its own slice),
    /// which inputs carry that axis; nil when they are not, or cannot be split this way.
    func batchInputs(_ inputs: [TensorInfo?], _ attributes: Attributes, opset: Int) throws -> [Bool]?
}

extension OperatorSchema {
    public var returnsView: Bool { false }
    public var elementwiseOperands: Int? { nil }
    public func batchInputs(_ inputs: [TensorInfo?], _ attributes: Attributes, opset: Int) throws -> [Bool]? { nil }

    /// Infers the outputs and costs the call in one step.
    public func cost(_ inputs: [TensorInfo?], _ attributes: Attributes, opset: Int, outputCount: Int = 1) throws -> OperatorCost {
        try cost(inputs, try inferOutputs(inputs, attributes, opset: opset, outputCount: outputCount), attributes, opset: opset)
    }
}

/// A schema whose single output has its first input's shape and element type (unary functions, Clip,
/// Softmax, the normalizations): the one home of that rule.
public protocol ShapePreservingSchema: OperatorSchema {}

extension ShapePreservingSchema {
    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        return [TensorInfo(shape: x.shape, dtype: x.dtype)]
    }
}

/// Helpers for reading operands in schemas.
extension Array where Element == TensorInfo? {
    /// Input `i`, or an error naming it when absent.
    public func input(_ i: Int, _ kind: OperatorKind) throws -> TensorInfo {
        guard i < count, let x = self[i] else { throw KernelError.invalid("\(kind.name) needs input \(i)") }
        return x
    }
    /// Input `i` when present.
    public func optional(_ i: Int) -> TensorInfo? { i < count ? self[i] : nil }
    /// Input `i`'s data as integers, when it is a known constant.
    public func constantInts(_ i: Int) -> [Int]? { optional(i)?.constant.map { $0.int64s().map(Int.init) } }
    /// Input `i`'s data as doubles, when it is a known constant.
    public func constantDoubles(_ i: Int) -> [Double]? { optional(i)?.constant?.doubles() }
}

/// The batch rule shared by row-wise operators: an input carries the batch when it has the first input's
/// rank and its leading dimension. Nil when the first input has no batch to split (rank < 2 or batch 1).
func sameRankBatchInputs(_ inputs: [TensorInfo?]) -> [Bool]? {
    guard let x = inputs.first ?? nil, x.shape.count >= 2, x.shape[0] > 1 else { return nil }
    return inputs.map { t in t.map { $0.shape.count == x.shape.count && $0.shape[0] == x.shape[0] } ?? false }
}
