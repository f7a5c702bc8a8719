import CavendishCore
import CavendishOps

/// Executes ONNX operators on the CPU.
///
/// One kernel function per operator, found by `OperatorKind` in `kernels`; shapes, types and costs are
/// the operators' schemas (CavendishOps), which this backend's files mirror. Float kernels compute in
/// float32: float16, bfloat16 and float64 inputs are widened and the result is rounded back to the input
/// type, so the 16-bit types are storage types with float32 accumulation.
public struct CPUBackend: OperatorBackend {
    /// `cpu`.
    public let name = "cpu"

    /// Choices that change how, not what, the kernels compute (for ablations).
    public struct Options: Sendable {
        /// Flash-style attention (O(sequence x head_dim) memory); off materializes the score matrix.
        public var fusedAttention = true
        /// Elementwise chains applied in the call of the node they follow (`KernelInvocation.epilogue`, planned by
        /// the executor's `FusionPlan`); off runs every node as its own call.
        public var fusedEpilogues = true
        /// MatMul in bfloat16 with float32 accumulation (`BFloat16MatMul`, oneDNN); off computes in float32.
        public var bfloat16MatMul = false
        /// The defaults.
        public init() {}
    }

    /// The options in force.
    public let options: Options

    /// Creates the backend and applies the thread settings.
    public init(options: Options = Options()) {
        self.options = options
        ThreadPool.configure()
    }

    /// Operator types this backend implements.
    public static var supportedOps: [String] { kernels.keys.sorted().map(\.name) }

    /// The operators this backend implements, and the attribute values it does not.
    public func unsupportedReason(_ kind: OperatorKind, attributes a: Attributes, opset: Int) -> String? {
        guard Self.kernels[kind] != nil else { return "operator \(kind.name) is not implemented by the CPU backend" }
        do {
            switch kind {
            case .gelu: _ = try GeluApproximation(a)
            case .cast: _ = try CastSchema.target(a)
            case .resize: if try a.int("antialias", 0) != 0 && a.string("mode", "nearest") != "nearest" { return "Resize antialias=1" }
            default: break
            }
        } catch KernelError.unsupported(let m) { return m } catch { return nil }   // bad values are `run`'s to report
        return nil
    }

    /// Applies fused epilogues (`KernelInvocation.epilogue`) unless the options turn them off.
    public var fusesEpilogues: Bool { options.fusedEpilogues }

    /// Runs one operator, then its epilogue steps on output 0.
    public func run(_ call: KernelInvocation) throws -> [Tensor] {
        guard let kind = call.kind, let kernel = Self.kernels[kind] else {
            throw KernelError.unsupported("operator \(call.op) is not implemented by the CPU backend")
        }
        do {
            if kind == .attention && !options.fusedAttention { return try AttentionKernel.run(call, fused: false) }
            var body = kernel
            if kind == .matMul && options.bfloat16MatMul { body = { try [MatMulKernel.run($0, bfloat16: true)] } }
            guard !call.epilogue.isEmpty else { return try body(call) }
            var head = call
            head.epilogue = []
            let outs = try body(head)
            try EpilogueKernel.apply(call.epilogue, to: outs[0])
            return outs
        } catch let error as TensorError {
            // View and shape helpers report in tensor terms; name the operator for the user.
            throw KernelError.invalid("\(call.op): \(error.description)")
        }
    }

    /// Runs one operator with one output.
    public func run(_ op: String, _ inputs: [Tensor?], _ attributes: [String: Attributes.Value] = [:]) throws -> Tensor {
        try run(KernelInvocation(op: op, inputs: inputs, attributes: Attributes(attributes)))[0]
    }

    typealias Kernel = @Sendable (KernelInvocation) throws -> [Tensor]

    static let kernels: [OperatorKind: Kernel] = {
        var k: [OperatorKind: Kernel] = [:]
        for op in UnaryKernels.ops { k[op] = { try [UnaryKernels.run($0)] } }
        for op in BinaryKernels.ops { k[op] = { try [BinaryKernels.run($0)] } }
        k[.where] = { try [BinaryKernels.where($0)] }
        k[.cast] = { try [CastKernel.run($0)] }
        k[.matMul] = { try [MatMulKernel.run($0)] }
        k[.gemm] = { try [GemmKernel.run($0)] }
        k[.conv] = { try [ConvKernel.run($0)] }
        k[.softmax] = { try [SoftmaxKernel.run($0)] }
        k[.layerNormalization] = { try NormalizationKernels.layerNorm($0) }
        k[.groupNormalization] = { try [NormalizationKernels.groupNorm($0)] }
        k[.rmsNormalization] = { try [NormalizationKernels.rmsNorm($0)] }
        k[.transpose] = { try [LayoutKernels.transpose($0)] }
        k[.reshape] = { try [LayoutKernels.reshape($0)] }
        k[.expand] = { try [LayoutKernels.expand($0)] }
        k[.concat] = { try [ConcatSplitKernels.concat($0)] }
        k[.split] = { try ConcatSplitKernels.split($0) }
        k[.slice] = { try [IndexingKernels.slice($0)] }
        k[.gather] = { try [IndexingKernels.gather($0)] }
        k[.resize] = { try [ResizeKernel.run($0)] }
        k[.reduceMean] = { try [ReduceKernels.run($0)] }
        k[.reduceSum] = { try [ReduceKernels.run($0)] }
        k[.attention] = { try AttentionKernel.run($0) }
        return k
    }()
}
