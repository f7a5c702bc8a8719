import CavendishCore

/// ONNX Softmax: along one axis from opset 13, over the flattened trailing dimensions from `axis` before
/// (kernel: CavendishCPU/SoftmaxKernel.swift).
public struct SoftmaxSchema: ShapePreservingSchema {
    public var kind: OperatorKind { .softmax }
    public var category: OperatorCategory { .reduction }

    /// The `axis` attribute with its opset-dependent default (1 before opset 13, -1 since), unnormalized.
    public static func axis(_ a: Attributes, opset: Int) throws -> Int { try a.int("axis", opset >= 13 ? -1 : 1) }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        var c = OperatorCost(inputs, outputs)
        let n = Double(outputs.first?.count ?? 0)
        c.vectorOps = 4 * n   // max, subtract, sum, scale
        c.transcendentals = n
        return c
    }

    /// Rows are independent along the batch when the softmax axis is not the first.
    public func batchInputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int) throws -> [Bool]? {
        try leadingAxisIsKept(inputs, try Self.axis(a, opset: opset), kind) ? sameRankBatchInputs(inputs) : nil
    }
}

/// Whether `axis` (possibly negative) of input 0 is at least 1.
func leadingAxisIsKept(_ inputs: [TensorInfo?], _ axis: Int, _ kind: OperatorKind) throws -> Bool {
    let rank = try inputs.input(0, kind).shape.count
    return (axis < 0 ? axis + rank : axis) >= 1
}
