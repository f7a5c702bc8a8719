/// Views that share storage: reshape, permute, slice with steps, broadcast, and the copy that ends them.
extension Tensor {
    /// A view with a new shape. A view when the strides allow it (any contiguous tensor), else a copy.
    /// One dimension may be -1 (inferred).
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var target = newShape
        if let inferred = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != inferred }.map(\.element).reduce(1, *)
            guard known > 0, count % known == 0 else {
                throw TensorError("cannot reshape \(shape) (\(count) elements) to \(newShape)")
            }
            target[inferred] = count / known
        }
        guard Shape.count(target) == count, target.allSatisfy({ $0 >= 0 }) else {
            throw TensorError("cannot reshape \(shape) (\(count) elements) to \(newShape)")
        }
        let base = isContiguous ? self : contiguous()
        return Tensor(storage: base.storage, dtype: dtype, shape: target,
                      strides: Shape.contiguousStrides(target), offset: base.offset)
    }

    /// A view with dimensions reordered: result dimension i is this tensor's dimension `order[i]`.
    public func permuted(_ order: [Int]) throws -> Tensor {
        guard order.count == rank, Set(order) == Set(0..<rank) else {
            throw TensorError("permutation \(order) is not a permutation of 0..<\(rank)")
        }
        return Tensor(storage: storage, dtype: dtype, shape: order.map { shape[$0] },
                      strides: order.map { strides[$0] }, offset: offset)
    }

    /// A view of `start, start+step, ...` along `axis`, stopping before `end` (Python slice semantics after
    /// clamping; `step` may be negative).
    public func sliced(axis: Int, start: Int, end: Int, step: Int = 1) throws -> Tensor {
        let a = try Shape.normalizeAxis(axis, rank: rank)
        guard step != 0 else { throw TensorError("slice step must not be 0") }
        let n = shape[a]
        let length: Int
        if step > 0 {
            length = start < end ? (end - start + step - 1) / step : 0
        } else {
            length = start > end ? (start - end - step - 1) / (-step) : 0
        }
        if length > 0 {
            let last = start + (length - 1) * step
            guard start >= 0, start < n, last >= 0, last < n else {
                throw TensorError("slice \(start)..<\(end) step \(step) leaves axis \(a) of size \(n)")
            }
        }
        var newShape = shape, newStrides = strides
        newShape[a] = length
        newStrides[a] = strides[a] * step
        return Tensor(storage: storage, dtype: dtype, shape: newShape, strides: newStrides,
                      offset: length > 0 ? offset + start * strides[a] : offset)
    }

    /// A broadcast view to `target` (NumPy rules): expanded dimensions get stride 0.
    public func expanded(to target: [Int]) throws -> Tensor {
        guard target.count >= rank else {
            throw TensorError("cannot expand \(shape) to the lower-rank shape \(target)")
        }
        let pad = target.count - rank
        var newStrides = [Int](repeating: 0, count: target.count)
        for i in 0..<target.count {
            if i < pad { continue }
            let d = shape[i - pad]
            if d == target[i] { newStrides[i] = strides[i - pad] }
            else if d == 1 { newStrides[i] = 0 }
            else { throw TensorError("cannot expand \(shape) to \(target): dimension \(i - pad) is \(d)") }
        }
        return Tensor(storage: storage, dtype: dtype, shape: target, strides: newStrides, offset: offset)
    }

    /// This tensor, dense in row-major order: itself when already contiguous, else a copy.
    public func contiguous() -> Tensor {
        if isContiguous { return self }
        let out = Tensor(uninitialized: shape, dtype: dtype)
        copyElements(to: out.rawPointer)
        return out
    }

    /// Writes the elements in row-major order to `destination` (dense), following strides.
    public func copyElements(to destination: UnsafeMutableRawPointer) {
        let size = dtype.byteSize
        if isContiguous {
            destination.copyMemory(from: rawPointer, byteCount: count * size)
            return
        }
        var loop = StridedLoop(shape: shape, strides: [strides])
        let inner = loop.innerCount
        let innerStride = loop.innerStrides[0]
        let src = storage.pointer + offset * size
        var dst = destination
        loop.forEachRow { offsets in
            let rowSrc = src + offsets[0] * size
            if innerStride == 1 {
                dst.copyMemory(from: rowSrc, byteCount: inner * size)
            } else {
                switch size {
                case 1: for i in 0..<inner { dst.storeBytes(of: rowSrc.load(fromByteOffset: i * innerStride, as: UInt8.self), toByteOffset: i, as: UInt8.self) }
                case 2: for i in 0..<inner { dst.storeBytes(of: rowSrc.load(fromByteOffset: i * innerStride * 2, as: UInt16.self), toByteOffset: i * 2, as: UInt16.self) }
                case 4: for i in 0..<inner { dst.storeBytes(of: rowSrc.load(fromByteOffset: i * innerStride * 4, as: UInt32.self), toByteOffset: i * 4, as: UInt32.self) }
                default: for i in 0..<inner { dst.storeBytes(of: rowSrc.load(fromByteOffset: i * innerStride * 8, as: UInt64.self), toByteOffset: i * 8, as: UInt64.self) }
                }
            }
            dst += inner * size
        }
    }
}

/// Joining tensors.
extension Tensor {
    /// Tensors of one shape and type stacked along a new leading dimension.
    public static func stack(_ parts: [Tensor]) throws -> Tensor {
        guard let first = parts.first, parts.allSatisfy({ $0.shape == first.shape && $0.dtype == first.dtype }) else {
            throw TensorError("stack needs tensors of one shape and type")
        }
        let out = Tensor(uninitialized: [parts.count] + first.shape, dtype: first.dtype)
        for (i, p) in parts.enumerated() { p.copyElements(to: out.rawPointer + i * first.byteCount) }
        return out
    }

    /// Tensors joined along `axis` (all other dimensions equal).
    public static func concatenate(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first else { throw TensorError("concatenate needs at least one tensor") }
        let a = try Shape.normalizeAxis(axis, rank: first.rank)
        for p in parts where p.rank != first.rank || p.dtype != first.dtype || (0..<p.rank).contains(where: { $0 != a && p.shape[$0] != first.shape[$0] }) {
            throw TensorError("cannot concatenate \(parts.map(\.shape)) along axis \(a)")
        }
        var shape = first.shape
        shape[a] = parts.map { $0.shape[a] }.reduce(0, +)
        let out = Tensor(uninitialized: shape, dtype: first.dtype)
        let outer = Shape.count(Array(shape.prefix(a))), inner = Shape.count(Array(shape.dropFirst(a + 1))) * first.dtype.byteSize
        var start = 0
        for p in parts {
            let dense = p.contiguous(), bytes = p.shape[a] * inner
            for o in 0..<outer {
                (out.rawPointer + o * shape[a] * inner + start).copyMemory(from: dense.rawPointer + o * bytes, byteCount: bytes)
            }
            start += bytes
        }
        return out
    }
}
