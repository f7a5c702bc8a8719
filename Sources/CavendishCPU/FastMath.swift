/// Vectorized float32 math for the hot loops (softmax, attention, normalization, activations).
///
/// `exp` is the Cephes single-precision polynomial (about 1 ulp on its range) evaluated 16 lanes at a
/// time; NaN stays NaN, large inputs give +inf and small ones 0, as libm's `expf` does.
enum FastMath {
    typealias V = SIMD16<Float>

    @inline(__always)
    static func exp(_ input: V) -> V {
        let x0 = input.clamped(lowerBound: V(repeating: -87.5), upperBound: V(repeating: 88.5))
        let fx = (x0 * 1.44269504088896341 + 0.5).rounded(.down)
        var x = x0 - fx * 0.693359375
        x = x + fx * 2.12194440e-4
        let z = x * x
        var y = V(repeating: 1.9875691500e-4)
        y = y * x + 1.3981999507e-3
        y = y * x + 8.3334519073e-3
        y = y * x + 4.1665795894e-2
        y = y * x + 1.6666665459e-1
        y = y * x + 5.0000001201e-1
        y = y * z + x + 1
        // Split the power of two so that 2^n stays a normal float for n in [-127, 128].
        let n = SIMD16<Int32>(fx, rounding: .towardZero)
        let n1 = n &>> 1, n2 = n &- n1
        let p1 = unsafeBitCast((n1 &+ 127) &<< 23, to: V.self)
        let p2 = unsafeBitCast((n2 &+ 127) &<< 23, to: V.self)
        var r = y * p1 * p2
        r.replace(with: 0, where: input .< -103.9)
        r.replace(with: Float.infinity, where: input .> 88.73)
        r.replace(with: input, where: input .!= input)
        return r
    }

    /// `destination[i] = exp(source[i])` for `count` elements.
    static func exp(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, _ count: Int) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(source + i).loadUnaligned(as: V.self)
            UnsafeMutableRawPointer(destination + i).storeBytes(of: exp(v), as: V.self)
            i += 16
        }
        if i < count {
            var v = V(repeating: 0)
            for j in 0..<(count - i) { v[j] = source[i + j] }
            let r = exp(v)
            for j in 0..<(count - i) { destination[i + j] = r[j] }
        }
    }

    /// Largest element (NaN if any element is NaN).
    static func max(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var m = -Float.infinity
        var sawNaN = false
        var vm = V(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
            if any(v .!= v) { sawNaN = true }
            vm = pointwiseMax(vm, v)
            i += 16
        }
        m = vm.max()
        while i < count { if p[i].isNaN { sawNaN = true }; m = Swift.max(m, p[i]); i += 1 }
        return sawNaN ? .nan : m
    }

    /// Sum of `count` elements.
    static func sum(_ p: UnsafePointer<Float>, _ count: Int) -> Float {
        var acc = V(repeating: 0)
        var i = 0
        while i + 16 <= count { acc += UnsafeRawPointer(p + i).loadUnaligned(as: V.self); i += 16 }
        var s = acc.sum()
        while i < count { s += p[i]; i += 1 }
        return s
    }

    /// `p[i] *= scale` for `count` elements.
    static func scale(_ p: UnsafeMutablePointer<Float>, _ count: Int, by scale: Float) {
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: V.self) * scale
            UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
            i += 16
        }
        while i < count { p[i] *= scale; i += 1 }
    }
}
