import Foundation

/// Seeded random numbers that reproduce PyTorch's CPU generator for float32 tensors.
///
/// `TorchRandomSource(seed: s).normal(count: n)` equals `torch.randn(n, generator=torch.Generator().manual_seed(s))`
/// and `uniform(count:)` equals `torch.rand`, including how consecutive calls on one generator continue
/// its stream. That lets a Swift sampling path be compared seed for seed with a PyTorch one.
///
/// PyTorch draws float32 normals two ways: tensors of 16 or more elements fill uniforms first and then
/// Box-Muller 16 at a time (recomputing the last 16 when the size is not a multiple of 16); smaller ones
/// draw double-precision normals one by one, caching the second of each Box-Muller pair.
public struct TorchRandomSource: Sendable {
    private var engine: MersenneTwister
    private var cachedNormal: Double?

    /// Seeds the generator as `torch.Generator().manual_seed(seed)` does.
    public init(seed: UInt64) {
        engine = MersenneTwister(seed: UInt32(truncatingIfNeeded: seed))
        cachedNormal = nil
    }

    /// `torch.rand(count)` for float32.
    public mutating func uniform(count: Int) -> [Float] {
        (0..<count).map { _ in nextUniformFloat() }
    }

    /// `torch.randn(count)` for float32, scaled by `std` and shifted by `mean`.
    public mutating func normal(count: Int, mean: Float = 0, std: Float = 1) -> [Float] {
        if count >= 16 {
            var data = (0..<count).map { _ in nextUniformFloat() }
            var i = 0
            while i + 16 <= count { Self.boxMuller16(&data, at: i, mean: mean, std: std); i += 16 }
            if count % 16 != 0 {
                for j in (count - 16)..<count { data[j] = nextUniformFloat() }
                Self.boxMuller16(&data, at: count - 16, mean: mean, std: std)
            }
            return data
        }
        return (0..<count).map { _ in Float(nextNormalDouble() * Double(std) + Double(mean)) }
    }

    /// A tensor of `torch.randn(shape)` values.
    public mutating func normalTensor(shape: [Int], mean: Float = 0, std: Float = 1) -> Tensor {
        Tensor(shape: shape, floats: normal(count: Shape.count(shape), mean: mean, std: std))
    }

    private mutating func nextUniformFloat() -> Float {
        Float(engine.next() & ((1 << 24) - 1)) * 0x1p-24
    }

    private mutating func nextUniformDouble() -> Double {
        let hi = UInt64(engine.next()), lo = UInt64(engine.next())
        return Double(((hi << 32) | lo) & ((1 << 53) - 1)) * 0x1p-53
    }

    private mutating func nextNormalDouble() -> Double {
        if let cached = cachedNormal { cachedNormal = nil; return cached }
        let u1 = nextUniformDouble(), u2 = nextUniformDouble()
        let r = (-2.0 * log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = r * sin(theta)
        return r * cos(theta)
    }

    private static func boxMuller16(_ data: inout [Float], at base: Int, mean: Float, std: Float) {
        for j in 0..<8 {
            let u1 = 1 - data[base + j]
            let u2 = data[base + j + 8]
            let radius = Float((-2 * log(Double(u1))).squareRoot())
            let theta = 2.0 * Double.pi * Double(u2)
            data[base + j] = Float(Double(radius) * cos(theta) * Double(std) + Double(mean))
            data[base + j + 8] = Float(Double(radius) * sin(theta) * Double(std) + Double(mean))
        }
    }
}

/// The 32-bit Mersenne Twister (MT19937) with the reference seeding, as PyTorch's CPU generator uses it.
public struct MersenneTwister: Sendable {
    private var state: [UInt32]
    private var index: Int

    /// Seeds with the reference initialization.
    public init(seed: UInt32) {
        state = [UInt32](repeating: 0, count: 624)
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    /// The next 32-bit output.
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_B0DF }
            state[i] = v
        }
        index = 0
    }
}
