import CVectorMath

/// Float32 math for the hot loops (softmax, attention, normalization, activations).
///
/// Swift's generic `SIMD` mask and min/max operations (`.<`, `replace(with:where:)`, `pointwiseMax`)
/// compile to per-lane code here, so the exponential is in C (CVectorMath), which clang vectorizes;
/// the scalar `exp` below is the same C function for single values. NaN stays NaN, large inputs give
/// +inf and very small ones 0, as libm's `expf` does, with gradual underflow through the subnormals.
enum FastMath {
    /// exp of one value: the vectorized loops' polynomial (`cav_expf`, inlined from CVectorMath's header).
    @inline(__always)
    static func exp(_ input: Float) -> Float { cav_expf(input) }

    /// `destination[i] = exp(source[i])` for `count` elements (in place is fine), vectorized (CVectorMath).
    static func exp(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        cav_exp_shifted(source, destination, count, 0)
    }

    /// `destination[i] = GELU(source[i])` (the exact, erf form) for `count` elements, vectorized (CVectorMath).
    static func gelu(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        cav_gelu(source, destination, count)
    }

    /// `destination[i] = 1 / (1 + exp(-source[i]))` for `count` elements, vectorized (CVectorMath; computed as
    /// `e / (1 + e)` with `e = exp(x)` for negative x, so that the far negative tail stays exact).
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
