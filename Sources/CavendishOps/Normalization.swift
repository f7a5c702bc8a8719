import CavendishCore

/// LayerNormalization and RMSNormalization: normalize over the axes from `axis` on
/// (kernels: CavendishCPU/NormalizationKernels.swift). LayerNormalization's optional outputs are the
/// float32 mean and inverse standard deviation, with the normalized axes kept as 1.
public struct RowNormalizationSchema: OperatorSchema {
    public let kind: OperatorKind
    /// The schema of `kind`, one of this family.
    public init(kind: OperatorKind) { self.kind = kind }
    public var category: OperatorCategory { .normalization }

    /// `axis` (default -1), unnormalized.
    public static func axis(_ a: Attributes) throws -> Int { try a.int("axis", -1) }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        let y = TensorInfo(shape: x.shape, dtype: x.dtype)
        guard kind == .layerNormalization else { return [y] }
        let axis = try Shape.normalizeAxis(try Self.axis(a), rank: x.shape.count)
        let stat = Array(x.shape.prefix(axis)) + [Int](repeating: 1, count: x.shape.count - axis)
        let s = TensorInfo(shape: stat, dtype: .float32)
        return Array([y, s, s].prefix(max(outputCount, 1)))
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        normalizationCost(inputs, outputs)
    }

    public func batchInputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int) throws -> [Bool]? {
        try leadingAxisIsKept(inputs, try Self.axis(a), kind) ? sameRankBatchInputs(inputs) : nil
    }
}

/// GroupNormalization: statistics per (batch, group).
public struct GroupNormalizationSchema: ShapePreservingSchema {
    public var kind: OperatorKind { .groupNormalization }
    public var category: OperatorCategory { .normalization }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        normalizationCost(inputs, outputs)
    }

    public func batchInputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int) throws -> [Bool]? {
        sameRankBatchInputs(inputs)
    }
}

/// Mean, deviation, square, sum, scale and shift per element; one rsqrt per row of the last axis.
func normalizationCost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo]) -> OperatorCost {
    var c = OperatorCost(inputs, outputs)
    let n = Double(outputs.first?.count ?? 0)
    c.vectorOps = 6 * n
    c.transcendentals = n / Double(max(1, inputs.optional(0)?.shape.last ?? 1))
    return c
}
