/// Conversions between float32 and the 16-bit storage types.
///
/// bfloat16 is the upper half of a float32; rounding is to nearest, ties to even, and NaN stays NaN
/// (as PyTorch and ONNX round).
public enum ReducedPrecision {
    /// Rounds a float32 to bfloat16 bits.
    @inlinable
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let lsb = (bits >> 16) & 1
        let rounded = bits &+ 0x7FFF &+ lsb
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }

    /// Widens bfloat16 bits to float32.
    @inlinable
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Rounds a float32 to IEEE half bits (round to nearest even).
    @inlinable
    public static func float16Bits(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// Widens IEEE half bits to float32.
    @inlinable
    public static func float(fromFloat16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }
}
