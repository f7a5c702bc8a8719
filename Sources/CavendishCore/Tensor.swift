/// An n-dimensional array: a typed, strided view of a `TensorStorage`.
///
/// Views (reshape, permute, slice, expand) share storage; `contiguous()` copies only when the view is not
/// already dense row-major. Strides and offset are in elements, and a stride of 0 is a broadcast.
public struct Tensor: @unchecked Sendable {
    /// The memory this tensor views.
    public let storage: TensorStorage
    /// Element type.
    public let dtype: DType
    /// Extent of each dimension.
    public let shape: [Int]
    /// Element step of each dimension.
    public let strides: [Int]
    /// Element offset of the first element in `storage`.
    public let offset: Int

    /// Creates a view; the caller guarantees it stays inside `storage`.
    public init(storage: TensorStorage, dtype: DType, shape: [Int], strides: [Int], offset: Int = 0) {
        precondition(shape.count == strides.count, "shape and strides differ in rank")
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.strides = strides
        self.offset = offset
    }

    /// A new zero-filled contiguous tensor.
    public init(zeros shape: [Int], dtype: DType = .float32) {
        let storage = TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize)
        self.init(storage: storage, dtype: dtype, shape: shape, strides: Shape.contiguousStrides(shape))
    }

    /// A new contiguous tensor whose elements the caller must write before reading (kernel outputs).
    public init(uninitialized shape: [Int], dtype: DType = .float32) {
        let storage = TensorStorage(byteCount: Shape.count(shape) * dtype.byteSize, zeroed: false)
        self.init(storage: storage, dtype: dtype, shape: shape, strides: Shape.contiguousStrides(shape))
    }

    /// A new float32 tensor holding `values` in row-major order.
    public init(shape: [Int], floats values: [Float]) {
        precondition(values.count == Shape.count(shape), "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, dtype: .float32)
        values.withUnsafeBufferPointer { src in
            storage.pointer.copyMemory(from: src.baseAddress!, byteCount: values.count * 4)
        }
    }

    /// A new tensor of `dtype` holding `values` (any fixed-width element type matching `dtype`'s size).
    public init<T>(shape: [Int], dtype: DType, values: [T]) {
        precondition(MemoryLayout<T>.stride == dtype.byteSize, "\(T.self) does not match \(dtype)")
        precondition(values.count == Shape.count(shape), "\(values.count) values for shape \(shape)")
        self.init(zeros: shape, dtype: dtype)
        values.withUnsafeBytes { src in
            if let base = src.baseAddress { storage.pointer.copyMemory(from: base, byteCount: src.count) }
        }
    }

    /// A float32 scalar.
    public init(scalar: Float) { self.init(shape: [], floats: [scalar]) }

    /// Number of dimensions.
    public var rank: Int { shape.count }
    /// Number of elements.
    public var count: Int { Shape.count(shape) }
    /// Bytes of the elements this tensor covers when dense.
    public var byteCount: Int { count * dtype.byteSize }

    /// True when elements are dense in row-major order (size-1 dimensions may have any stride).
    public var isContiguous: Bool {
        var expected = 1
        for axis in stride(from: rank - 1, through: 0, by: -1) where shape[axis] != 1 {
            if strides[axis] != expected { return false }
            expected *= shape[axis]
        }
        return true
    }

    /// Address of the first element.
    public var rawPointer: UnsafeMutableRawPointer { storage.pointer + offset * dtype.byteSize }

    /// Typed pointer to the first element; the caller checks `dtype` and, for dense access, contiguity.
    public func pointer<T>(as type: T.Type) -> UnsafeMutablePointer<T> {
        rawPointer.assumingMemoryBound(to: T.self)
    }
}
