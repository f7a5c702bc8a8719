import CavendishCore

/// Transpose, Reshape and Expand: views materialized as dense outputs.
enum LayoutKernels {
    static func transpose(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        let perm = try call.attributes.ints("perm") ?? Array((0..<x.rank).reversed())
        do { return try x.permuted(perm).contiguous() } catch let e as TensorError {
            throw KernelError.invalid("Transpose: \(e.description)")
        }
    }

    static func reshape(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard var shape = call.intsInput(1) else { throw KernelError.invalid("Reshape needs a shape input") }
        let allowZero = try call.attributes.int("allowzero", 0) != 0
        if !allowZero {
            for i in shape.indices where shape[i] == 0 {
                guard i < x.rank else { throw KernelError.invalid("Reshape copies dimension \(i) of a rank-\(x.rank) input") }
                shape[i] = x.shape[i]
            }
        }
        guard shape.filter({ $0 == -1 }).count <= 1, shape.allSatisfy({ $0 >= -1 }) else {
            throw KernelError.invalid("Reshape shape \(shape) is not valid")
        }
        do { return try x.contiguous().reshaped(shape) } catch let e as TensorError {
            throw KernelError.invalid("Reshape: \(e.description)")
        }
    }

    static func expand(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard let shape = call.intsInput(1) else { throw KernelError.invalid("Expand needs a shape input") }
        let target = try BinaryKernels.broadcastShape([x.shape, shape], "Expand")
        return try x.expanded(to: target).contiguous()
    }
}

/// Concat and Split along one axis.
enum ConcatSplitKernels {
    static func concat(_ call: KernelInvocation) throws -> Tensor {
        let parts = call.inputs.compactMap { $0 }
        guard let first = parts.first else { throw KernelError.invalid("Concat needs at least one input") }
        let axis = try Shape.normalizeAxis(try call.attributes.int("axis", 0), rank: first.rank)
        do { return try Tensor.concatenate(parts, axis: axis) } catch let e as TensorError {
            throw KernelError.invalid("Concat: \(e.description)")
        }
    }

    static func split(_ call: KernelInvocation) throws -> [Tensor] {
        let x = try call.input(0)
        let axis = try Shape.normalizeAxis(try call.attributes.int("axis", 0), rank: x.rank)
        let length = x.shape[axis]
        var sizes: [Int]
        if let s = try call.intsInput(1) ?? call.attributes.ints("split") {
            sizes = s
        } else {
            let parts = try call.attributes.int("num_outputs", call.outputCount)
            guard parts > 0 else { throw KernelError.invalid("Split into \(parts) parts") }
            let chunk = (length + parts - 1) / parts
            sizes = (0..<parts).map { min(chunk, max(0, length - $0 * chunk)) }
        }
        guard sizes.reduce(0, +) == length, sizes.allSatisfy({ $0 >= 0 }) else {
            throw KernelError.invalid("Split sizes \(sizes) do not add up to \(length)")
        }
        var start = 0
        return try sizes.map { size in
            defer { start += size }
            return try x.sliced(axis: axis, start: start, end: start + size).contiguous()
        }
    }
}

/// Slice and Gather.
enum IndexingKernels {
    static func slice(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        let starts: [Int], ends: [Int], axes: [Int]?, steps: [Int]?
        if call.opset < 10 {
            starts = try call.attributes.ints("starts") ?? []
            ends = try call.attributes.ints("ends") ?? []
            axes = try call.attributes.ints("axes")
            steps = nil
        } else {
            guard let s = call.intsInput(1), let e = call.intsInput(2) else { throw KernelError.invalid("Slice needs starts and ends") }
            starts = s; ends = e; axes = call.intsInput(3); steps = call.intsInput(4)
        }
        let axisList = try (axes ?? Array(0..<starts.count)).map { try Shape.normalizeAxis($0, rank: x.rank) }
        guard starts.count == ends.count, axisList.count == starts.count, (steps?.count ?? starts.count) == starts.count,
              Set(axisList).count == axisList.count else {
            throw KernelError.invalid("Slice starts/ends/axes/steps lengths or axes are inconsistent")
        }
        var view = x
        for (i, axis) in axisList.enumerated() {
            let r = try Shape.sliceRange(start: starts[i], end: ends[i], step: steps?[i] ?? 1, size: x.shape[axis])
            view = try view.sliced(axis: axis, start: r.start, end: r.end, step: r.step)
        }
        return view.contiguous()
    }

    static func gather(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0), indicesTensor = try call.input(1)
        guard indicesTensor.dtype.isInteger else { throw KernelError.invalid("Gather indices must be integers") }
        let axis = try Shape.normalizeAxis(try call.attributes.int("axis", 0), rank: x.rank)
        let indices = indicesTensor.int64s()
        let n = x.shape[axis]
        let outer = Shape.count(Array(x.shape.prefix(axis)))
        let innerBytes = Shape.count(Array(x.shape.dropFirst(axis + 1))) * x.dtype.byteSize
        let shape = Array(x.shape.prefix(axis)) + indicesTensor.shape + Array(x.shape.dropFirst(axis + 1))
        let out = Tensor(uninitialized: shape, dtype: x.dtype)
        let src = x.contiguous()
        var dst = out.rawPointer
        for o in 0..<outer {
            for raw in indices {
                let i = raw < 0 ? Int(raw) + n : Int(raw)
                guard i >= 0 && i < n else { throw KernelError.invalid("Gather index \(raw) is out of range for axis size \(n)") }
                dst.copyMemory(from: src.rawPointer + (o * n + i) * innerBytes, byteCount: innerBytes)
                dst += innerBytes
            }
        }
        return out
    }
}
