/// Something that executes operators: the CPU backend, or the TPU simulator's tiled program.
///
/// Each backend fills in `run` for every operator it supports and throws `KernelError.unsupported`
/// for the rest, so the same conformance cases run on every backend.
public protocol KernelBackend: Sendable {
    /// Short name used in reports (`cpu`, `tpusim`).
    var name: String { get }
    /// Runs one operator call and returns its outputs in ONNX order.
    func run(_ call: KernelInvocation) throws -> [Tensor]
    /// Whether `run` applies a call's `epilogue` (the executor fuses elementwise chains only for such a backend).
    var fusesEpilogues: Bool { get }
}

extension KernelBackend {
    /// Backends run one operator per call unless they say otherwise.
    public var fusesEpilogues: Bool { false }
}
