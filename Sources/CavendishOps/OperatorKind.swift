import CavendishCore

/// The operators the runtime knows, by their ONNX names: the typed identity every module uses instead
/// of a string. Each case has exactly one schema (`OperatorSchemas.schema(for:)`); the compiler checks that
/// a new case gets one.
public enum OperatorKind: String, CaseIterable, Sendable, Hashable, Comparable {
    // Unary.swift
    case sigmoid = "Sigmoid", tanh = "Tanh", erf = "Erf", exp = "Exp", sqrt = "Sqrt", sin = "Sin", cos = "Cos"
    case gelu = "Gelu", clip = "Clip", cast = "Cast"
    // Binary.swift
    case add = "Add", sub = "Sub", mul = "Mul", div = "Div", pow = "Pow", `where` = "Where"
    // MatMul.swift, Conv.swift, Attention.swift
    case matMul = "MatMul", gemm = "Gemm", conv = "Conv", attention = "Attention"
    // Softmax.swift, Normalization.swift, Reduce.swift
    case softmax = "Softmax"
    case layerNormalization = "LayerNormalization", groupNormalization = "GroupNormalization", rmsNormalization = "RMSNormalization"
    case reduceMean = "ReduceMean", reduceSum = "ReduceSum"
    // Layout.swift, Resize.swift
    case transpose = "Transpose", reshape = "Reshape", expand = "Expand", concat = "Concat", split = "Split"
    case slice = "Slice", gather = "Gather", resize = "Resize"

    /// The ONNX operator type.
    public var name: String { rawValue }

    /// The operator named `name` (an ONNX op type), or `KernelError.unsupported` naming it.
    public init(named name: String) throws {
        guard let kind = OperatorKind(rawValue: name) else {
            throw KernelError.unsupported("operator \(name) has no schema (the runtime does not know it)")
        }
        self = kind
    }

    /// This operator's schema.
    public var schema: any OperatorSchema { OperatorSchemas.schema(for: self) }

    public static func < (a: OperatorKind, b: OperatorKind) -> Bool { a.rawValue < b.rawValue }
}

extension KernelInvocation {
    /// The call's operator, or nil when its name is not one the runtime knows.
    public var kind: OperatorKind? { OperatorKind(rawValue: op) }

    /// The call as the schema sees it: every input's shape and type, with its data as a known constant.
    public var inputInfos: [TensorInfo?] { inputs.map { $0.map { TensorInfo(shape: $0.shape, dtype: $0.dtype, constant: $0) } } }

    /// Output shapes and types inferred by the operator's schema, without running anything.
    /// Every output's shape is checked (`Shape.validated`), so what comes back can be allocated.
    public func inferredOutputs() throws -> [TensorInfo] {
        let outputs = try OperatorKind(named: op).schema.inferOutputs(inputInfos, attributes, opset: opset, outputCount: outputCount)
        for (i, o) in outputs.enumerated() { _ = try Shape.validated(o.shape, "\(op) output \(i)") }
        return outputs
    }
}
