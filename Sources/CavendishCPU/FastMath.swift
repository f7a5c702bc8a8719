import CVectorMath

/// Float32 math for the hot loops (softmax, attention, normalization, activations).
///
/// Swift's generic `SIMD` mask and min/max operations (`.<`, `replace(with:where:)`, `pointwiseMax`)
/// compile to per-lane code here, so the exponential is in C (CVectorMath), which clang vectorizes;
/// the scalar `exp` below is the same polynomial for single values. NaN stays NaN, large inputs give
/// +inf and very small ones 0, as libm's `expf` does (results in the subnormal range flush to about
/// 1e-38 instead of underflowing gradually).
enum FastMath {
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        let x0 = input < -87.5 ? -87.5 : (input > 88.5 ? 88.5 : input)
        // n = round(x / ln 2) by the 1.5 * 2^23 trick: adding it leaves the rounded integer in the low
        // mantissa bits.
        let magic: Float = 12_582_912
        let shifted = x0 * 1.44269504088896341 + magic
        let fx = shifted - magic
        let n = Int32(bitPattern: shifted.bitPattern) &- Int32(bitPattern: magic.bitPattern)
        var x = x0 - fx * 0.693359375
        x = x + fx * 2.12194440e-4
        let z = x * x
        var y: Float = 1.9875691500e-4
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // Split the power of two so that 2^n stays a normal float for n in [-127, 128].
        let n1 = n &>> 1, n2 = n &- n1
        let p1 = Float(bitPattern: UInt32(bitPattern: (n1 &+ 127) &<< 23))
        let p2 = Float(bitPattern: UInt32(bitPattern: (n2 &+ 127) &<< 23))
        var r = y * p1 * p2
        r = input < -103.9 ? 0 : r
        r = input > 88.73 ? .infinity : r
        return input != input ? input : r
    }

    /// `destination[i] = exp(source[i])` for `count` elements (in place is fine), vectorized (CVectorMath).
    static func exp(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        cav_exp_shifted(source, destination, count, 0)
    }

    /// `destination[i] = GELU(source[i])` (the exact, erf form) for `count` elements, vectorized (CVectorMath).
    static func gelu(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        cav_gelu(source, destination, count)
    }

    /// `destination[i] = 1 / (1 + exp(-source[i]))` for `count` elements, vectorized (CVectorMath).
    static func sigmoid(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        cav_sigmoid(source, destination, count)
    }

    /// `row[i] = exp(row[i] - shift)` in place, returning the sum of the results.
    ///
    /// The sum is a separate pass on purpose: accumulating it inside the exp loop made the loop about 6x
    /// slower here (a serial float dependency through every element).
    static func expShiftedSum(_ row: UnsafeMutablePointer<Float>, _ count: Int, shift: Float) -> Float {
        expShiftedSum(row, row, count, shift: shift)
    }

    /// `destination[i] = exp(source[i] - shift)`, returning the sum of the results.
    static func expShiftedSum(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int,
                              shift: Float) -> Float {
        cav_exp_shifted(source, destination, count, shift)
        return sum(destination, count)
    }

    /// Largest element (NaN if any element is NaN).
    static func max(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var m = SIMD16<Float>(repeating: -.infinity)
        var poison = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self)
            for l in 0..<16 { m[l] = v[l] > m[l] ? v[l] : m[l] }
            poison += v - v   // stays 0 unless some element is NaN or infinite
            i += 16
        }
        var r = -Float.infinity
        for l in 0..<16 { r = m[l] > r ? m[l] : r }
        var bad = poison.sum()
        while i < count { r = p[i] > r ? p[i] : r; bad += p[i] - p[i]; i += 1 }
        if bad.isNaN {
            // Infinities also poison the check; only a real NaN makes the maximum NaN.
            for j in 0..<count where p[j].isNaN { return .nan }
        }
        return r
    }

    /// Sum of `count` elements.
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = SIMD16<Float>(repeating: 0)
        var i = 0
        while i + 16 <= count { acc += UnsafeRawPointer(p + i).loadUnaligned(as: SIMD16<Float>.self); i += 16 }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }

    /// `p[i] *= scale` for `count` elements.
    static func scale(_ p: UnsafeMutablePointer<Float>, _ count: Int, by scale: Float) {
        for i in 0..<count { p[i] *= scale }
    }
}
