import CavendishPipeline
import Foundation
import Testing

/// The samplers and time spacings against scripts/sampler_reference.py's float64 numpy trajectories
/// (Tests/Fixtures/samplers/sampler_cases.json) for the exact denoiser of a Gaussian, and against that
/// Gaussian's closed-form probability-flow ODE solution.
struct SamplerTests {
    struct Case: Decodable {
        let sampler: String, spacing: String, steps: Int
        let grid: [Double]
        let trajectory: [[Double]]
    }

    struct Fixture: Decodable {
        let noise: [Double], mu: [Double], s: [Double]
        let exact_x0: [Double]
        let cases: [Case]
    }

    static let fixture: Fixture = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/samplers/sampler_cases.json")
        return try! JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }()

    /// Float32 trajectory vs float64 reference, relative to max(1, |x|) (x is O(1): noise, then the data's
    /// scale of up to ~5). Measured worst case 5.8e-7 (DDIM; Euler 3.2e-7, DPM++ 4.1e-7), against 6e-8 for one
    /// float32 rounding: up to 25 steps each round a few times, and the float32 coefficients and model output
    /// add their own. 1e-5 leaves ~17x headroom for other compilers' FMA contraction and the like, while a wrong
    /// coefficient (e.g. DPM++'s r taken from the wrong step) moves x by 1e-3 or more.
    static let tolerance = 1e-5

    /// v of the exact denoiser for x0 ~ N(mu, s^2) per element, in float64 and rounded to float32 as a
    /// model's output would be; the same formula as the reference's.
    static func v(_ x: [Float], _ t: Double) -> [Float] {
        let f = fixture
        let a = t >= 1 ? 0 : cos(0.5 * .pi * t), g = t <= 0 ? 0 : sin(0.5 * .pi * t)
        return x.indices.map { j in
            let q = a * a * f.s[j] * f.s[j] + g * g
            let r = Double(x[j]) - a * f.mu[j]
            let x0 = f.mu[j] + a * f.s[j] * f.s[j] * r / q
            let eps = g * r / q
            return Float(a * eps - g * x0)
        }
    }

    /// x after every step from the fixture's noise.
    static func trajectory(_ kind: SamplerKind, _ spacing: TimeSpacing, steps: Int) -> [[Float]] {
        var sampler = Sampler(kind: kind, spacing: spacing, steps: steps)
        var x = fixture.noise.map { Float($0) }
        var out: [[Float]] = []
        for i in 0..<steps {
            x = sampler.step(x: x, v: v(x, sampler.grid[i]), index: i)
            out.append(x)
        }
        return out
    }

    static func maxAbs(_ a: [Float], _ b: [Double]) -> Double {
        zip(a, b).map { abs(Double($0) - $1) }.max()!
    }

    @Test(arguments: SamplerKind.allCases, TimeSpacing.allCases)
    func trajectoryMatchesNumpyReference(kind: SamplerKind, spacing: TimeSpacing) {
        let cases = Self.fixture.cases.filter { $0.sampler == kind.rawValue && $0.spacing == spacing.rawValue }
        #expect(Set(cases.map(\.steps)).isSuperset(of: [1, 4, 8, 25]))
        var worst = 0.0
        for c in cases {
            let sampler = Sampler(kind: kind, spacing: spacing, steps: c.steps)
            #expect(zip(sampler.grid, c.grid).allSatisfy { abs($0 - $1) <= 1e-12 } && sampler.grid.count == c.grid.count,
                    "\(kind) \(spacing) \(c.steps): grid \(sampler.grid) vs \(c.grid)")
            let got = Self.trajectory(kind, spacing, steps: c.steps)
            #expect(got.count == c.trajectory.count)
            for (step, (x, expected)) in zip(got, c.trajectory).enumerated() {
                let err = zip(x, expected).map { abs(Double($0) - $1) / max(1, abs($1)) }.max()!
                worst = max(worst, err)
                #expect(err <= Self.tolerance, "\(kind) \(spacing) N=\(c.steps) after step \(step + 1): relative error \(err)")
            }
        }
        print("sampler fixture \(kind.rawValue)/\(spacing.rawValue): max relative error \(worst)")
    }

    @Test(arguments: [1, 2, 3, 4, 8, 25, 50, 1000])
    func uniformGridIsTodaysTimeGrid(steps: Int) {
        for kind in SamplerKind.allCases {
            #expect(Sampler(kind: kind, steps: steps).grid == NoiseSchedule.timeGrid(steps: steps))
            #expect(Sampler(kind: kind, spacing: .uniform, steps: steps).grid == NoiseSchedule.timeGrid(steps: steps))
        }
    }

    /// DDIM on the uniform grid is the pipeline's loop exactly: same grid, same float32 ops, bit for bit.
    @Test(arguments: [1, 8, 50])
    func ddimUniformIsBitIdenticalToDDIMStep(steps: Int) {
        var sampler = Sampler(kind: .ddim, spacing: .uniform, steps: steps)
        let grid = NoiseSchedule.timeGrid(steps: steps)
        var x = Self.fixture.noise.map { Float($0) }, y = x
        for i in 0..<steps {
            // An arbitrary v (not the Gaussian's), so that the comparison doesn't depend on the model.
            let v = x.enumerated().map { j, e in Float(sin(Double(j) + Double(i) * 0.37)) * 0.8 + e * 0.1 }
            x = sampler.step(x: x, v: v, index: i)
            y = NoiseSchedule.ddimStep(y, v, from: grid[i], to: grid[i + 1])
            #expect(x == y, "step \(i)")
        }
    }

    @Test(arguments: Array(1...30) + [50, 100, 1000])
    func karrasGridIsMonotoneWithTheStatedEnds(steps: Int) {
        let grid = NoiseSchedule.karrasTimeGrid(steps: steps)
        #expect(Sampler(kind: .dpmpp2m, spacing: .karras, steps: steps).grid == grid)
        #expect(grid.count == steps + 1)
        #expect(grid.first == 1 && grid.last == 0)
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 > $1 }, "\(grid)")
        guard steps >= 2 else { return }
        #expect(grid[1] == Double(steps - 1) / Double(steps))
        #expect(grid[steps - 1] == 1 / Double(steps))
        // Inner points: sigma~^(1/7) evenly spaced.
        let roots = grid[1..<steps].map { pow(tan(0.5 * .pi * $0), 1.0 / 7) }
        if roots.count >= 3 {
            let gap = roots[1] - roots[0]
            #expect(gap < 0)
            #expect(zip(roots, roots.dropFirst()).allSatisfy { abs(($1 - $0) - gap) <= 1e-9 * max(1, abs(gap)) }, "\(roots)")
            // And it is not the uniform grid: denser near t = 0 in sigma~ (more steps at low noise).
            #expect(grid != NoiseSchedule.timeGrid(steps: steps))
        }
    }

    /// Euler and DPM-Solver++(2M) approach the exact ODE solution as N grows, Euler at first order's rate
    /// and DPM++ faster, and DPM++ is closer than Euler where its second-order steps have room to work.
    @Test(arguments: TimeSpacing.allCases)
    func convergesToTheExactODESolution(spacing: TimeSpacing) {
        let exact = Self.fixture.exact_x0
        var errors: [SamplerKind: [Double]] = [:]
        for kind in [SamplerKind.euler, .dpmpp2m] {
            errors[kind] = [1, 4, 8, 25].map { Self.maxAbs(Self.trajectory(kind, spacing, steps: $0).last!, exact) }
            let e = errors[kind]!
            #expect(zip(e, e.dropFirst()).allSatisfy { $1 < $0 }, "\(kind) \(spacing): \(e)")
        }
        let euler = errors[.euler]!, dpm = errors[.dpmpp2m]!
        print("ODE error (N = 1, 4, 8, 25) \(spacing): euler \(euler), dpmpp-2m \(dpm)")
        // First order: from 8 to 25 steps the error falls by about 25/8 = 3.1 (measured 3.24 uniform; 2.29 on the
        // Karras grid, whose largest t step only shrinks 0.172 -> 0.079 = 2.2x). A second-order method would
        // give ~10, one that doesn't converge ~1.
        #expect(euler[2] / euler[3] > 2 && euler[2] / euler[3] < 5, "euler \(spacing): \(euler)")
        // Second order: from 8 to 25 steps the error falls by well over first order's 3.1x (measured 6.0, 17.5).
        #expect(dpm[2] / dpm[3] > 5, "\(spacing): \(dpm)")
        // DPM++ beats Euler at 25 steps on both grids (measured 0.030 vs 0.053 uniform, 0.0062 vs 0.073 Karras),
        // and at 8 steps on the Karras grid (0.109 vs 0.168). At 8 uniform steps it does not (0.182 vs 0.171):
        // its first and last steps are first order (DDIM, whose error on this problem is twice Euler's), and on
        // the uniform grid each of those is an eighth of the way.
        #expect(dpm[3] < 0.75 * euler[3], "N=25 \(spacing): dpm++ \(dpm[3]) vs euler \(euler[3])")
        if spacing == .karras {
            #expect(dpm[2] < 0.75 * euler[2], "N=8 \(spacing): dpm++ \(dpm[2]) vs euler \(euler[2])")
        }
    }

    /// Euler in t is a different solver from DDIM (unlike Euler in Karras et al.'s variables, which is DDIM):
    /// at 8 steps the trajectories part by 0.29 (uniform) and 0.31 (Karras), against ~1e-6 of float32 rounding.
    @Test(arguments: TimeSpacing.allCases)
    func eulerIsNotDDIM(spacing: TimeSpacing) {
        let euler = Self.trajectory(.euler, spacing, steps: 8), ddim = Self.trajectory(.ddim, spacing, steps: 8)
        let gap = zip(euler, ddim).map { e, d in zip(e, d).map { abs(Double($0) - Double($1)) }.max()! }.max()!
        print("euler vs ddim, N=8 \(spacing): max gap \(gap)")
        #expect(gap > 1e-2, "\(spacing): \(gap)")
    }

    /// One step goes from t = 1 straight to t = 0. DDIM and DPM++ take their first-order form, x = the x0
    /// prediction (the Gaussian's mu at t = 1); Euler takes its one step as at any other t,
    /// x = z - (pi / 2) v = z + (pi / 2) mu (v = -x0 at t = 1).
    @Test(arguments: SamplerKind.allCases, TimeSpacing.allCases)
    func singleStepWorks(kind: SamplerKind, spacing: TimeSpacing) {
        var sampler = Sampler(kind: kind, spacing: spacing, steps: 1)
        #expect(sampler.grid == [1, 0])
        let x = Self.fixture.noise.map { Float($0) }
        let v = Self.v(x, 1)
        let out = sampler.step(x: x, v: v, index: 0)
        #expect(out.allSatisfy { $0.isFinite })
        if kind == .euler {
            let expected = zip(Self.fixture.noise, Self.fixture.mu).map { $0 + 0.5 * .pi * $1 }
            #expect(Self.maxAbs(out, expected) <= 1e-6)
        } else {
            #expect(out == NoiseSchedule.ddimStep(x, v, from: 1, to: 0))
            #expect(Self.maxAbs(out, Self.fixture.mu) <= 1e-6)   // at t = 1 the Gaussian's denoiser returns mu
        }
    }

    /// DPM++'s memory starts over at index 0: a reused sampler gives the same trajectory twice.
    @Test func reusedSamplerStartsOver() {
        var sampler = Sampler(kind: .dpmpp2m, spacing: .karras, steps: 8)
        var runs: [[Float]] = []
        for _ in 0..<2 {
            var x = Self.fixture.noise.map { Float($0) }
            for i in 0..<8 { x = sampler.step(x: x, v: Self.v(x, sampler.grid[i]), index: i) }
            runs.append(x)
        }
        #expect(runs[0] == runs[1])
    }

    @Test func rawValuesAreTheCLIsSpelling() {
        #expect(SamplerKind.allCases.map(\.rawValue) == ["ddim", "euler", "dpmpp-2m"])
        #expect(TimeSpacing.allCases.map(\.rawValue) == ["uniform", "karras"])
        #expect(SamplerKind(rawValue: "dpmpp-2m") == .dpmpp2m)
    }
}
