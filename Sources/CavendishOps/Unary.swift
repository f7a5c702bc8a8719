import CavendishCore

/// Elementwise float functions of one operand: Sigmoid, Tanh, Erf, Exp, Sqrt, Sin, Cos, Gelu
/// (kernels: CavendishCPU/UnaryKernels.swift).
public struct UnarySchema: ShapePreservingSchema {
    public let kind: OperatorKind
    /// The schema of `kind`, one of this family.
    public init(kind: OperatorKind) { self.kind = kind }
    public var category: OperatorCategory { .elementwise }
    public var elementwiseOperands: Int? { 1 }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        var c = OperatorCost(inputs, outputs)
        let n = Double(outputs.first?.count ?? 0)
        // Gelu: erf(x / sqrt 2) and five multiplies and adds around it.
        c.vectorOps = kind == .gelu ? 6 * n : n
        c.transcendentals = n
        return c
    }
}

/// Gelu's `approximate` attribute.
public enum GeluApproximation: String, Sendable {
    case none, tanh
    /// Reads the attribute; an unknown value is `KernelError.unsupported`.
    public init(_ a: Attributes) throws {
        let raw = try a.string("approximate", "none")
        guard let v = GeluApproximation(rawValue: raw) else { throw KernelError.unsupported("Gelu approximate=\(raw)") }
        self = v
    }
}

/// Clip: bounds are attributes before opset 11 and optional scalar inputs (1 and 2) since.
public struct ClipSchema: ShapePreservingSchema {
    public var kind: OperatorKind { .clip }
    public var category: OperatorCategory { .elementwise }
    public var elementwiseOperands: Int? { 1 }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        var c = OperatorCost(inputs, outputs)
        c.vectorOps = Double(max(inputs.optional(0)?.count ?? 0, outputs.first?.count ?? 0))
        return c
    }
}

/// Cast: element-type conversion to the ONNX type code `to`.
public struct CastSchema: OperatorSchema {
    public var kind: OperatorKind { .cast }
    public var category: OperatorCategory { .elementwise }
    public var elementwiseOperands: Int? { 1 }

    /// The target type of a Cast, or `KernelError.unsupported` for a code the runtime does not have.
    public static func target(_ a: Attributes) throws -> DType {
        let to = try a.int("to", 1)
        guard let t = OnnxElementType.dtype(onnxCode: to) else { throw KernelError.unsupported("Cast to ONNX element type \(to)") }
        return t
    }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        return [TensorInfo(shape: x.shape, dtype: try Self.target(a))]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        var c = OperatorCost(inputs, outputs)
        c.vectorOps = Double(max(inputs.optional(0)?.count ?? 0, outputs.first?.count ?? 0))
        return c
    }
}
