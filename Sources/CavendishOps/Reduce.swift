import CavendishCore

/// ReduceSum and ReduceMean: axes from the input (ReduceSum from opset 13, ReduceMean from 18) or the
/// attribute before, `keepdims`, `noop_with_empty_axes` (kernels: CavendishCPU/ReduceKernels.swift).
public struct ReduceSchema: OperatorSchema {
    public let kind: OperatorKind
    /// The schema of `kind`, one of this family.
    public init(kind: OperatorKind) { self.kind = kind }
    public var category: OperatorCategory { .reduction }

    /// Whether this opset takes the axes as input 1 rather than an attribute.
    public func axesFromInput(opset: Int) -> Bool { kind == .reduceSum ? opset >= 13 : opset >= 18 }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        var axes = try (axesFromInput(opset: opset) ? inputs.constantInts(1) : a.ints("axes")) ?? []
        if axes.isEmpty {
            if try a.int("noop_with_empty_axes", 0) != 0 { return [TensorInfo(shape: x.shape, dtype: x.dtype)] }
            axes = Array(x.shape.indices)
        }
        let set = Set(try axes.map { try Shape.normalizeAxis($0, rank: x.shape.count) })
        let keep = try a.int("keepdims", 1) != 0
        let s = x.shape.enumerated().compactMap { set.contains($0.offset) ? (keep ? 1 : nil) : $0.element }
        return [TensorInfo(shape: s, dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        elementwiseCost(inputs, outputs)   // one add per input element
    }
}
