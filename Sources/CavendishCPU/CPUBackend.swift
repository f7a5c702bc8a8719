import CavendishCore

/// Executes ONNX operators on the CPU.
///
/// One kernel function per operator family, found by op type in `kernels`. Float kernels compute in
/// float32: float16, bfloat16 and float64 inputs are widened and the result is rounded back to the input
/// type, so the 16-bit types are storage types with float32 accumulation.
public struct CPUBackend: KernelBackend {
    /// `cpu`.
    public let name = "cpu"

    /// Choices that change how, not what, the kernels compute (for ablations).
    public struct Options: Sendable {
        /// Flash-style attention (O(sequence x head_dim) memory); off materializes the score matrix.
        public var fusedAttention = true
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
    public static var supportedOps: [String] { kernels.keys.sorted() }

    /// Runs one operator.
    public func run(_ call: KernelInvocation) throws -> [Tensor] {
        guard let kernel = Self.kernels[call.op] else {
            throw KernelError.unsupported("operator \(call.op) is not implemented by the CPU backend")
        }
        do {
            if call.op == "Attention" && !options.fusedAttention { return try AttentionKernel.run(call, fused: false) }
            return try kernel(call)
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

    static let kernels: [String: Kernel] = {
        var k: [String: Kernel] = [:]
        for op in UnaryKernels.ops { k[op] = { try [UnaryKernels.run($0)] } }
        for op in BinaryKernels.ops { k[op] = { try [BinaryKernels.run($0)] } }
        k["Where"] = { try [BinaryKernels.where($0)] }
        k["Cast"] = { try [CastKernel.run($0)] }
        k["MatMul"] = { try [MatMulKernel.run($0)] }
        k["Gemm"] = { try [GemmKernel.run($0)] }
        k["Conv"] = { try [ConvKernel.run($0)] }
        k["Softmax"] = { try [SoftmaxKernel.run($0)] }
        k["LayerNormalization"] = { try NormalizationKernels.layerNorm($0) }
        k["GroupNormalization"] = { try [NormalizationKernels.groupNorm($0)] }
        k["RMSNormalization"] = { try [NormalizationKernels.rmsNorm($0)] }
        k["Transpose"] = { try [LayoutKernels.transpose($0)] }
        k["Reshape"] = { try [LayoutKernels.reshape($0)] }
        k["Expand"] = { try [LayoutKernels.expand($0)] }
        k["Concat"] = { try [ConcatSplitKernels.concat($0)] }
        k["Split"] = { try ConcatSplitKernels.split($0) }
        k["Slice"] = { try [IndexingKernels.slice($0)] }
        k["Gather"] = { try [IndexingKernels.gather($0)] }
        k["Resize"] = { try [ResizeKernel.run($0)] }
        k["ReduceMean"] = { try [ReduceKernels.run($0)] }
        k["ReduceSum"] = { try [ReduceKernels.run($0)] }
        k["Attention"] = { try AttentionKernel.run($0) }
        return k
    }()
}
