import CavendishCore

/// Resize's output shape and per-axis scales: from the `sizes` input (with `keep_aspect_ratio_policy`)
/// or the `scales` input, over `axes`. Opset 10 takes (X, scales); later opsets (X, roi, scales, sizes).
/// Shape inference and the CPU kernel both use it.
public struct ResizeGeometry: Sendable, Equatable {
    /// The output shape.
    public var outputShape: [Int]
    /// Output size over input size, per axis (1 where not resized).
    public var scales: [Double]
    /// The normalized axes resized.
    public var axes: [Int]

    /// Input positions of scales and sizes at `opset`.
    public static func inputPositions(opset: Int) -> (roi: Int?, scales: Int, sizes: Int?) {
        opset < 11 ? (nil, 1, nil) : (1, 2, 3)
    }

    /// The geometry for input shape `x`, given the scales and sizes inputs' values (nil or empty when absent).
    public init(input x: [Int], attributes a: Attributes, scales scalesInput: [Float]?, sizes sizesInput: [Int]?) throws {
        let rank = x.count
        axes = try (try a.ints("axes") ?? Array(0..<rank)).map { try Shape.normalizeAxis($0, rank: rank) }
        let policy = try a.string("keep_aspect_ratio_policy", "stretch")
        scales = [Double](repeating: 1, count: rank)
        outputShape = x
        // Every output extent is computed in Double and checked before it becomes an Int: an infinite or
        // 3e38 scale trapped in the conversion.
        func extent(_ value: Double) throws -> Int {
            guard value.isFinite, value >= 0, value <= Double(Shape.maximumElementCount) else {
                throw KernelError.invalid("Resize would make an axis of \(value) elements")
            }
            return Int(value)
        }
        if let sizes = sizesInput, !sizes.isEmpty {
            guard sizes.count == axes.count else { throw KernelError.invalid("Resize sizes has \(sizes.count) values for \(axes.count) axes") }
            guard sizes.allSatisfy({ $0 >= 0 && $0 <= Shape.maximumElementCount }), axes.allSatisfy({ x[$0] > 0 }) else {
                throw KernelError.invalid("Resize sizes \(sizes) for input \(x): sizes must be >= 0 and the input's axes non-empty")
            }
            if policy == "stretch" {
                for (i, axis) in axes.enumerated() { outputShape[axis] = sizes[i]; scales[axis] = Double(sizes[i]) / Double(x[axis]) }
            } else {
                let ratios = axes.enumerated().map { Double(sizes[$0.offset]) / Double(x[$0.element]) }
                let s = policy == "not_larger" ? ratios.min()! : ratios.max()!
                for axis in axes {
                    scales[axis] = s
                    outputShape[axis] = try extent((s * Double(x[axis])).rounded(.toNearestOrAwayFromZero))
                }
            }
        } else if let s = scalesInput, !s.isEmpty {
            guard s.count == axes.count else { throw KernelError.invalid("Resize scales has \(s.count) values for \(axes.count) axes") }
            for (i, axis) in axes.enumerated() {
                guard s[i] > 0, s[i].isFinite else { throw KernelError.invalid("Resize scale \(s[i]) must be positive and finite") }
                scales[axis] = Double(s[i])
                outputShape[axis] = try extent((Double(x[axis]) * Double(s[i])).rounded(.down))
            }
        } else {
            throw KernelError.invalid("Resize needs scales or sizes")
        }
    }
}

/// ONNX Resize (kernel: CavendishCPU/ResizeKernel.swift).
public struct ResizeSchema: OperatorSchema {
    public var kind: OperatorKind { .resize }
    public var category: OperatorCategory { .layout }

    public func inferOutputs(_ inputs: [TensorInfo?], _ a: Attributes, opset: Int, outputCount: Int) throws -> [TensorInfo] {
        let x = try inputs.input(0, kind)
        let at = ResizeGeometry.inputPositions(opset: opset)
        let sizes = at.sizes.flatMap { inputs.optional($0) }, scales = inputs.optional(at.scales)
        // An input that is present but computed leaves the shape unknown.
        if let sizes, sizes.count > 0, sizes.constant == nil { throw KernelError.unsupported("Resize with computed sizes") }
        if (sizes?.count ?? 0) == 0, let scales, scales.count > 0, scales.constant == nil { throw KernelError.unsupported("Resize with computed scales") }
        let g = try ResizeGeometry(input: x.shape, attributes: a, scales: scales?.constant?.floats(),
                                   sizes: sizes?.constant.map { $0.int64s().map(Int.init) })
        return [TensorInfo(shape: g.outputShape, dtype: x.dtype)]
    }

    public func cost(_ inputs: [TensorInfo?], _ outputs: [TensorInfo], _ a: Attributes, opset: Int) throws -> OperatorCost {
        OperatorCost(inputs, outputs)
    }
}
