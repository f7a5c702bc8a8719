/// One elementwise operator applied to a kernel's output in place, after the kernel and before anything
/// reads the output: the executor's fusion of a chain such as MatMul -> Add (bias) -> Gelu into one call.
///
/// The step computes what the unfused node would: `out = op(out, operand)` (or `op(operand, out)` when
/// `operandFirst`), element by element with the same float operations, so a fused run gives the same bytes
/// as an unfused one. The operand broadcasts to the output's shape and never changes it.
public struct EpilogueStep: Sendable {
    /// ONNX operator type of the fused node (`Add`, `Mul`, `Gelu`, ...).
    public var op: String
    /// The node's other input, for binary operators; nil for unary ones.
    public var operand: Tensor?
    /// Whether the operand is the node's first input (matters for `Sub` and `Div`).
    public var operandFirst: Bool
    /// The node's attributes (`Gelu`'s `approximate`).
    public var attributes: Attributes

    /// Describes a step.
    public init(op: String, operand: Tensor? = nil, operandFirst: Bool = false, attributes: Attributes = Attributes()) {
        self.op = op
        self.operand = operand
        self.operandFirst = operandFirst
        self.attributes = attributes
    }
}
