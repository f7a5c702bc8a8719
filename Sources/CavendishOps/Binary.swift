import CavendishCore

/// Broadcasting arithmetic: Add, Sub, Mul, Div, Pow (kernels: CavendishCPU/BinaryKernels.swift).
public struct BinarySchema: OperatorSchema {
    public let kind: OperatorKind
    /// The schema of `kind`, one of this family.
    public init(kind: OperatorKind) { self.kind = kind }
    public var category: OperatorCategory { .elementwise }
    public var elementwiseOperands: Int? { 2 }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), y = try inputs.input(1, kind)
        return [TensorInfo(shape: try broadcast([x.shape, y.shape], kind), dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        elementwiseCost(inputs, outputs)
    }
}

/// Where(condition, X, Y): the three operands broadcast, the type of X.
public struct WhereSchema: OperatorSchema {
    public var kind: OperatorKind { .where }
    public var category: OperatorCategory { .elementwise }
    public var elementwiseOperands: Int? { 3 }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let c = try inputs.input(0, kind), x = try inputs.input(1, kind), y = try inputs.input(2, kind)
        return [TensorInfo(shape: try broadcast([c.shape, x.shape, y.shape], kind), dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        elementwiseCost(inputs, outputs)
    }
}

/// NumPy broadcasting, with the operator named in the error.
func broadcast(_ shapes: [[Int]], _ kind: OperatorKind) throws -> [Int] {
    do { return try Shape.broadcast(shapes) } catch let e as TensorError {
        throw KernelError.invalid("\(kind.name): \(e.description)")
    }
}

/// One vector operation per element of the larger of the first input and the output.
func elementwiseCost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo]) -> OperatorCost {
    var c = OperatorCost(inputs, outputs)
    c.vectorOps = Double(max(inputs.optional(0)?.count ?? 0, outputs.first?.count ?? 0))
    return c
}
