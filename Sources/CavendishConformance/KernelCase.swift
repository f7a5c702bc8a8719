import CavendishCore

/// One operator test case: the call to make and the outputs to expect (docs/KERNEL_CASES.md).
public struct KernelCase: Sendable {
    /// Where the case came from (a file path).
    public var source: String
    /// The call: op, inputs by position, attributes, opset.
    public var call: KernelInvocation
    /// Expected outputs by position; nil where the case does not check that output.
    public var expected: [Tensor?]
    /// Tolerances from the case file, overriding the defaults.
    public var rtol: Double?
    /// Absolute tolerance from the case file.
    public var atol: Double?
    /// Free text from the case file.
    public var description: String

    /// A case built in memory.
    public init(source: String, call: KernelInvocation, expected: [Tensor?], rtol: Double? = nil, atol: Double? = nil,
                description: String = "") {
        self.source = source
        self.call = call
        self.expected = expected
        self.rtol = rtol
        self.atol = atol
        self.description = description
    }
}
