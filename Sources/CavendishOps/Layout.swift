import CavendishCore

/// Data movement without arithmetic: Transpose, Reshape, Expand, Concat, Split, Slice, Gather
/// (kernels: CavendishCPU/LayoutKernels.swift). None costs vector work; the simulator moves their bytes.
protocol LayoutSchema: OperatorSchema {}

extension LayoutSchema {
    public var category: OperatorCategory { .layout }
    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        OperatorCost(inputs, outputs)
    }
}

/// Transpose by `perm` (default: reversed axes). Returns a view.
public struct TransposeSchema: LayoutSchema {
    public var kind: OperatorKind { .transpose }
    public var returnsView: Bool { true }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        let perm = try a.ints("perm") ?? Array((0..<x.shape.count).reversed())
        guard perm.count == x.shape.count, Set(perm) == Set(0..<x.shape.count) else {
            throw KernelError.invalid("Transpose perm \(perm) is not a permutation of \(x.shape.count) axes")
        }
        return [TensorInfo(shape: perm.map { x.shape[$0] }, dtype: x.dtype)]
    }
}

/// Reshape to the constant shape input (0 copies a dimension unless `allowzero`, -1 is inferred). Returns a view.
public struct ReshapeSchema: LayoutSchema {
    public var kind: OperatorKind { .reshape }
    public var returnsView: Bool { true }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        guard var s = inputs.constantInts(1) else { throw KernelError.unsupported("Reshape with a computed shape in a shape-only graph") }
        let allowZero = try a.int("allowzero", 0) != 0
        for i in s.indices where s[i] == 0 && !allowZero && i < x.shape.count { s[i] = x.shape[i] }
        if let j = s.firstIndex(of: -1) {
            let known = s.enumerated().filter { $0.offset != j }.map(\.element).reduce(1, *)
            s[j] = Shape.count(x.shape) / max(known, 1)
        }
        guard Shape.count(s) == Shape.count(x.shape) else { throw KernelError.invalid("Reshape \(x.shape) to \(s)") }
        return [TensorInfo(shape: s, dtype: x.dtype)]
    }
}

/// Expand: broadcast to the constant shape input.
public struct ExpandSchema: LayoutSchema {
    public var kind: OperatorKind { .expand }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        guard let s = inputs.constantInts(1) else { throw KernelError.unsupported("Expand with a computed shape") }
        return [TensorInfo(shape: try broadcast([x.shape, s], kind), dtype: x.dtype)]
    }
}

/// Concat along `axis`.
public struct ConcatSchema: LayoutSchema {
    public var kind: OperatorKind { .concat }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        let parts = inputs.compactMap { $0 }
        guard !x.shape.isEmpty else { throw KernelError.invalid("Concat of scalars: its inputs must have rank 1 or more") }
        let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
        for p in parts where p.shape.count != x.shape.count
            || zip(p.shape, x.shape).enumerated().contains(where: { $0.offset != axis && $0.element.0 != $0.element.1 }) {
            throw KernelError.invalid("Concat inputs \(parts.map(\.shape)) differ outside axis \(axis)")
        }
        var s = x.shape
        s[axis] = parts.map { $0.shape[axis] }.reduce(0, +)
        return [TensorInfo(shape: s, dtype: x.dtype)]
    }
}

/// Split along `axis` by the sizes input (or attribute before opset 13), else into `num_outputs` (or as
/// many as requested) near-equal parts.
public struct SplitSchema: LayoutSchema {
    public var kind: OperatorKind { .split }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
        let sizes: [Int]
        if let s = try inputs.constantInts(1) ?? a.ints("split") { sizes = s } else {
            let parts = try a.int("num_outputs", outputCount)
            guard parts > 0 else { throw KernelError.invalid("Split into \(parts) outputs") }
            let chunk = (x.shape[axis] + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(0, x.shape[axis] - $0 * chunk)) }
        }
        guard sizes.allSatisfy({ $0 >= 0 }), sizes.reduce(0, { $0 &+ $1 }) == x.shape[axis] else {
            throw KernelError.invalid("Split sizes \(sizes) do not add up to axis \(axis)'s \(x.shape[axis])")
        }
        return sizes.map { var s = x.shape; s[axis] = $0; return TensorInfo(shape: s, dtype: x.dtype) }
    }
}

/// Slice by constant starts, ends, axes and steps (inputs 1-4).
public struct SliceSchema: LayoutSchema {
    public var kind: OperatorKind { .slice }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        guard let starts = inputs.constantInts(1), let ends = inputs.constantInts(2) else {
            throw KernelError.unsupported("Slice with computed bounds")
        }
        let axes = inputs.constantInts(3) ?? Array(0..<starts.count), steps = inputs.constantInts(4) ?? starts.map { _ in 1 }
        guard ends.count == starts.count, axes.count == starts.count, steps.count == starts.count else {
            throw KernelError.invalid("Slice starts/ends/axes/steps lengths are inconsistent")
        }
        var s = x.shape
        for (i, axis0) in axes.enumerated() {
            let axis = try Shape.normalizeAxis(axis0, rank: s.count)
            s[axis] = try Shape.sliceRange(start: starts[i], end: ends[i], step: steps[i], size: x.shape[axis]).length
        }
        return [TensorInfo(shape: s, dtype: x.dtype)]
    }
}

/// Gather along `axis`: the indices' shape replaces that axis.
public struct GatherSchema: LayoutSchema {
    public var kind: OperatorKind { .gather }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind), indices = try inputs.input(1, kind)
        guard !x.shape.isEmpty else { throw KernelError.invalid("Gather on a scalar: its data must have rank 1 or more") }
        let axis = try Shape.normalizeAxis(try a.int("axis", 0), rank: x.shape.count)
        return [TensorInfo(shape: Array(x.shape.prefix(axis)) + indices.shape + Array(x.shape.dropFirst(axis + 1)), dtype: x.dtype)]
    }
}
