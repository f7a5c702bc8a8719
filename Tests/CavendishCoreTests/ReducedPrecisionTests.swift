import Testing
@testable import CavendishCore

/// bfloat16 bit patterns follow from the format's definition (the top 16 bits of a float32, rounded to
/// nearest even); the float16 values are exactly representable halves.
struct ReducedPrecisionTests {
    @Test func bfloat16RoundsToNearestEven() {
        #expect(ReducedPrecision.bfloat16Bits(1.0) == 0x3F80)
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1.0).
        #expect(ReducedPrecision.bfloat16Bits(1.0 + 0x1p-8) == 0x3F80)
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to even (1 + 2^-6).
        #expect(ReducedPrecision.bfloat16Bits(1.0 + 3 * 0x1p-8) == 0x3F82)
        #expect(ReducedPrecision.float(fromBFloat16: ReducedPrecision.bfloat16Bits(.nan)).isNaN)
        #expect(ReducedPrecision.float(fromBFloat16: ReducedPrecision.bfloat16Bits(-.infinity)) == -.infinity)
    }

    @Test func castTruncatesAndSaturatesWithoutTrapping() {
        let x = Tensor(shape: [5], floats: [1.9, -1.9, .nan, 1e30, -0.5])
        #expect(x.converted(to: .int32).int64s() == [1, -1, 0, -1, 0])
        #expect(x.converted(to: .bool).int64s() == [1, 1, 1, 1, 1])
        #expect(Tensor(shape: [3], floats: [0.5, 65504, 1e6]).converted(to: .float16).floats() == [0.5, 65504, .infinity])
    }
}
