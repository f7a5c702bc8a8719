import CavendishCore

/// A backend that says which operators it runs before it is asked to run one.
///
/// `unsupportedReason` answers from the operator and its attributes alone (no data); a call that passes
/// may still be refused by `run` for its element types or ranks, with `KernelError.unsupported`.
public protocol OperatorBackend: KernelBackend {
    /// Nil when `run` implements `kind` with these attributes; otherwise why not.
    func unsupportedReason(_ kind: OperatorKind, attributes: Attributes, opset: Int) -> String?
}

extension OperatorBackend {
    /// Whether `run` implements `kind` with these attributes.
    public func supports(_ kind: OperatorKind, attributes: Attributes = Attributes(), opset: Int = KernelInvocation.latestOpset) -> Bool {
        unsupportedReason(kind, attributes: attributes, opset: opset) == nil
    }
}

extension KernelBackend {
    /// Why this backend will not run `call`, asked before running it: an operator without a schema, or
    /// one the backend says it does not support. Nil when it will try (a backend that is not an
    /// `OperatorBackend` is asked nothing in advance).
    public func unsupportedReason(for call: KernelInvocation) -> String? {
        guard let kind = call.kind else { return "operator \(call.op) has no schema (the runtime does not know it)" }
        return (self as? any OperatorBackend)?.unsupportedReason(kind, attributes: call.attributes, opset: call.opset)
    }
}
