/// Element-type conversion (ONNX `Cast` semantics) and reading elements out.
extension Tensor {
    /// A contiguous tensor of `target` type: itself when already contiguous of that type, else a copy.
    ///
    /// Floats to integers truncate toward zero (NaN becomes 0, out-of-range values saturate to the 64-bit
    /// range and then wrap as C does); anything to bool is `value != 0`; float32 to bfloat16 and float16
    /// rounds to nearest even.
    public func converted(to target: DType) -> Tensor {
        let dense = contiguous()
        if dtype == target { return dense }
        let out = Tensor(uninitialized: shape, dtype: target)
        ElementConversion.convert(dense.rawPointer, from: dtype, to: out.rawPointer, as: target, count: count)
        return out
    }

    /// The elements in row-major order as `Float`.
    public func floats() -> [Float] {
        let f = converted(to: .float32)
        return Array(UnsafeBufferPointer(start: f.pointer(as: Float.self), count: count))
    }

    /// The elements in row-major order as `Double`.
    public func doubles() -> [Double] {
        let f = converted(to: .float64)
        return Array(UnsafeBufferPointer(start: f.pointer(as: Double.self), count: count))
    }

    /// The elements in row-major order as `Int64` (floats truncate).
    public func int64s() -> [Int64] {
        let f = converted(to: .int64)
        return Array(UnsafeBufferPointer(start: f.pointer(as: Int64.self), count: count))
    }
}

/// Dense element-type conversion between raw buffers.
public enum ElementConversion {
    /// Converts `count` dense elements from `source` (of `from`) into `destination` (of `to`).
    public static func convert(_ source: UnsafeRawPointer, from: DType, to destination: UnsafeMutableRawPointer,
                               as target: DType, count: Int) {
        // Fast paths between float32 and the 16-bit storage types.
        switch (from, target) {
        case (.float32, .float16):
            let s = source.assumingMemoryBound(to: Float.self), d = destination.assumingMemoryBound(to: Float16.self)
            for i in 0..<count { d[i] = Float16(s[i]) }
            return
        case (.float16, .float32):
            let s = source.assumingMemoryBound(to: Float16.self), d = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = Float(s[i]) }
            return
        case (.float32, .bfloat16):
            let s = source.assumingMemoryBound(to: Float.self), d = destination.assumingMemoryBound(to: UInt16.self)
            for i in 0..<count { d[i] = ReducedPrecision.bfloat16Bits(s[i]) }
            return
        case (.bfloat16, .float32):
            let s = source.assumingMemoryBound(to: UInt16.self), d = destination.assumingMemoryBound(to: Float.self)
            for i in 0..<count { d[i] = ReducedPrecision.float(fromBFloat16: s[i]) }
            return
        default:
            break
        }
        if from.isFloatingPoint || target.isFloatingPoint || target == .bool {
            for i in 0..<count { store(double: load(double: source, i, from), destination, i, target) }
        } else {
            for i in 0..<count { store(int: load(int: source, i, from), destination, i, target) }
        }
    }

    /// Reads element `i` of a dense buffer as `Double`.
    @inlinable
    public static func load(double p: UnsafeRawPointer, _ i: Int, _ t: DType) -> Double {
        switch t {
        case .float32: return Double(p.load(fromByteOffset: i * 4, as: Float.self))
        case .float64: return p.load(fromByteOffset: i * 8, as: Double.self)
        case .float16: return Double(Float(p.load(fromByteOffset: i * 2, as: Float16.self)))
        case .bfloat16: return Double(ReducedPrecision.float(fromBFloat16: p.load(fromByteOffset: i * 2, as: UInt16.self)))
        case .int8: return Double(p.load(fromByteOffset: i, as: Int8.self))
        case .uint8: return Double(p.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        case .int32: return Double(p.load(fromByteOffset: i * 4, as: Int32.self))
        case .int64: return Double(p.load(fromByteOffset: i * 8, as: Int64.self))
        }
    }

    /// Reads element `i` of a dense integer or bool buffer as `Int64`.
    @inlinable
    public static func load(int p: UnsafeRawPointer, _ i: Int, _ t: DType) -> Int64 {
        switch t {
        case .int8: return Int64(p.load(fromByteOffset: i, as: Int8.self))
        case .uint8: return Int64(p.load(fromByteOffset: i, as: UInt8.self))
        case .bool: return p.load(fromByteOffset: i, as: UInt8.self) != 0 ? 1 : 0
        case .int32: return Int64(p.load(fromByteOffset: i * 4, as: Int32.self))
        case .int64: return p.load(fromByteOffset: i * 8, as: Int64.self)
        default: return truncating(load(double: p, i, t))
        }
    }

    /// Writes `v` as element `i` of a dense buffer of type `t`.
    @inlinable
    public static func store(double v: Double, _ p: UnsafeMutableRawPointer, _ i: Int, _ t: DType) {
        switch t {
        case .float32: p.storeBytes(of: Float(v), toByteOffset: i * 4, as: Float.self)
        case .float64: p.storeBytes(of: v, toByteOffset: i * 8, as: Double.self)
        case .float16: p.storeBytes(of: Float16(Float(v)), toByteOffset: i * 2, as: Float16.self)
        case .bfloat16: p.storeBytes(of: ReducedPrecision.bfloat16Bits(Float(v)), toByteOffset: i * 2, as: UInt16.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        default: store(int: truncating(v), p, i, t)
        }
    }

    /// Writes `v` as element `i` of a dense integer buffer (wrapping, as C casts do).
    @inlinable
    public static func store(int v: Int64, _ p: UnsafeMutableRawPointer, _ i: Int, _ t: DType) {
        switch t {
        case .int8: p.storeBytes(of: Int8(truncatingIfNeeded: v), toByteOffset: i, as: Int8.self)
        case .uint8: p.storeBytes(of: UInt8(truncatingIfNeeded: v), toByteOffset: i, as: UInt8.self)
        case .bool: p.storeBytes(of: v != 0 ? 1 : 0, toByteOffset: i, as: UInt8.self)
        case .int32: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
        case .int64: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        default: store(double: Double(v), p, i, t)
        }
    }

    /// Truncates toward zero without trapping: NaN is 0 and the 64-bit range saturates.
    @inlinable
    public static func truncating(_ v: Double) -> Int64 {
        if v.isNaN { return 0 }
        if v >= 9.2233720368547758e18 { return Int64.max }
        if v <= -9.2233720368547758e18 { return Int64.min }
        return Int64(v.rounded(.towardZero))
    }
}
