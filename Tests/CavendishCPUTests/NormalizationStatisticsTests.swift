import CavendishCPU
import CavendishCore
import Foundation
import Testing

/// The normalizations' one-pass statistics (`cav_moments`, shifted by the first element) against a
/// two-pass float64 reference computed here, where a naive E[x^2] - E[x]^2 in float32 loses the variance.
struct NormalizationStatisticsTests {
    let cpu = CPUBackend()

    /// GroupNormalization of values around 10,000 with a spread of about 0.01 (float32 resolves 0.001 at
    /// that size), including a group whose first element is far from its mean and one of odd length.
    @Test func largeMeanKeepsItsVariance() throws {
        let channels = 4, spatial = 1_003
        var values = [Float](repeating: 0, count: channels * spatial)
        var state: UInt64 = 42
        for i in values.indices {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let u = Float(state >> 40) / Float(1 << 24) - 0.5
            values[i] = 10_000 + 0.02 * u
        }
        values[2 * spatial] = 10_000.5   // group 1 starts at an outlier: the shift is not near the mean
        let x = Tensor(shape: [1, channels, spatial], floats: values)
        let ones = Tensor(shape: [channels], floats: [Float](repeating: 1, count: channels))
        let zeros = Tensor(shape: [channels], floats: [Float](repeating: 0, count: channels))
        let y = try cpu.run("GroupNormalization", [x, ones, zeros], ["num_groups": .int(2), "epsilon": .float(0)]).floats()
        for g in 0..<2 {
            let group = values[(g * 2 * spatial)..<((g + 1) * 2 * spatial)].map(Double.init)
            let mean = group.reduce(0, +) / Double(group.count)
            let variance = group.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(group.count)
            for (k, v) in group.enumerated() {
                let expected = (v - mean) / variance.squareRoot()
                // The reference uses the same float32 inputs; what is left is float32 rounding of the
                // centred value (x - mean is exact here) and of the statistics.
                #expect(abs(Double(y[g * 2 * spatial + k]) - expected) < 1e-3, "group \(g) element \(k)")
            }
        }
    }
}
