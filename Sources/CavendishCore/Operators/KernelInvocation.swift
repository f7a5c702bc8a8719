

/// Everything one kernel call sees: inputs by ONNX position (nil where omitted), attributes, the opset
/// whose semantics apply, and how many outputs the caller wants.
public struct KernelInvocation: Sendable {
    /// Newest ONNX opset whose semantics the kernels follow.
    public static let latestOpset = 24

    /// Operator type, e.g. `Conv`.
    public var op: String
    /// Inputs by position; nil for an omitted optional input.
    public var inputs: [Tensor?]
    /// Node attributes.
    public var attributes: Attributes
    /// Opset version whose semantics apply.
    public var opset: Int
    /// Number of outputs requested (for operators with optional outputs, such as Split or Attention).
    public var outputCount: Int
    /// Where to write outputs, by position: views into a memory plan's arena. Kernels that can write in
    /// place use them (see `output(_:shape:dtype:)`); nil or a mismatched buffer means "allocate".
    public var outputBuffers: [Tensor?] = []
    /// Elementwise steps a backend that fuses (`KernelBackend.fusesEpilogues`) applies to output 0 in place,
    /// in order, after the operator itself; empty for an ordinary call.
    public var epilogue: [EpilogueStep] = []
    /// Positions of inputs that are the same tensor, with the same values, on every run (weights, and what
    /// the executor folded from them at load), so a backend may keep forms derived from them.
    public var constantInputs: Set<Int> = []

    /// Describes a call.
    public init(op: String, inputs: [Tensor?], attributes: Attributes = Attributes(), opset: Int = KernelInvocation.latestOpset,
                outputCount: Int = 1) {
        self.op = op
        self.inputs = inputs
        self.attributes = attributes
        self.opset = opset
        self.outputCount = outputCount
    }

    /// The destination for output `i`: the planned buffer when one of this shape and type is given,
    /// else a new uninitialized tensor.
    public func output(_ i: Int, shape: [Int], dtype: DType = .float32) -> Tensor {
        if i < outputBuffers.count, let planned = outputBuffers[i], planned.shape == shape, planned.dtype == dtype,
           planned.isContiguous {
            return planned
        }
        return Tensor(uninitialized: shape, dtype: dtype)
    }

    /// Input `i`, or an error naming it when absent.
    public func input(_ i: Int) throws -> Tensor {
        guard i < inputs.count, let t = inputs[i] else { throw KernelError.invalid("\(op) needs input \(i)") }
        return t
    }

    /// Input `i` when present.
    public func optionalInput(_ i: Int) -> Tensor? {
        i < inputs.count ? inputs[i] : nil
    }

    /// Input `i`'s elements as integers (shape inputs, axes, indices), or nil when absent.
    public func intsInput(_ i: Int) -> [Int]? {
        optionalInput(i).map { $0.int64s().map { Int($0) } }
    }
}
