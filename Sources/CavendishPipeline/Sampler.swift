import Foundation

/// The ODE solver that turns the denoiser's v-predictions into steps (the CLI's `--sampler`).
public enum SamplerKind: String, CaseIterable, Sendable {
    /// DDIM (eta = 0), the recipe's sampler and what NB-mini v1 and v2 were trained and distilled against.
    case ddim
    /// The explicit Euler method on the probability-flow ODE in t, dx/dt = (pi / 2) v: the first-order solver
    /// of rectified-flow / flow-matching samplers (see `Sampler`). Not DDIM, which is Euler in Karras et al.'s
    /// variables instead.
    case euler
    /// DPM-Solver++(2M) (Lu et al. 2022): second order from one model evaluation per step, by reusing the
    /// previous step's x0.
    case dpmpp2m = "dpmpp-2m"
}

/// How the time grid's points are spread over (1, 0) (the CLI's `--schedule`).
public enum TimeSpacing: String, CaseIterable, Sendable {
    /// t_i = (N - i) / N: `NoiseSchedule.timeGrid(steps:)`, the grid v2 was distilled on.
    case uniform
    /// Karras et al. (2022)'s rho = 7 spacing in sigma / alpha: `NoiseSchedule.karrasTimeGrid(steps:)`.
    case karras
}

/// A sampler for NB-mini's v-prediction model on its cosine schedule, stepping x from t = 1 (noise) to
/// t = 0 over `grid`: for i in 0..<steps, `x = sampler.step(x: x, v: model(x, grid[i]), index: i)`.
///
/// It is a value with state because DPM-Solver++(2M) remembers the previous step's x0 prediction; call
/// `step` with i = 0, 1, ... in order (i = 0 starts a new trajectory, so one sampler can be reused).
/// All arithmetic on the latent is float32, as in the recipe; the per-step coefficients are float64.
///
/// Notation: a = alpha(t) = cos(pi t / 2), s = sigma(t) = sin(pi t / 2) at the current point, a', s' at
/// the next; x0 = a x - s v, eps = s x + a v (from v = a eps - s x0 and a^2 + s^2 = 1).
///
/// **DDIM**: x' = a' x0 + s' eps; `NoiseSchedule.ddimStep` unchanged, so DDIM on the uniform grid is bit
/// for bit the pipeline's sampler.
///
/// **Euler** is the explicit Euler method on the probability-flow ODE in t itself. For a fixed pair (x0, eps),
/// x = a x0 + s eps with da/dt = -(pi / 2) s and ds/dt = (pi / 2) a moves at
///     dx/dt = (pi / 2)(a eps - s x0) = (pi / 2) v,
/// and the probability-flow ODE's velocity at x is that velocity's mean given x, (pi / 2) E[v | x], which
/// is what the v-prediction model outputs: for this schedule v is the ODE's velocity up to the constant
/// pi / 2. One step is
///     x' = x + (t' - t) (pi / 2) v,
/// the explicit first-order solver of rectified-flow / flow-matching samplers. It needs no a, s or x0, so it
/// is well defined at t = 1 (no special first step); its global error is O(largest step in t).
/// Why `ddim` stands for k-diffusion's Euler: Euler in x~ = x / a and sigma~ = s / a, where the ODE is
/// dx~/dsigma~ = (x~ - x0) / sigma~ (Karras et al. 2022, eq. 3 with their s(t) = 1/a), steps
/// x~' = x~ + (sigma~' - sigma~)(x~ - x0) / sigma~; since (x~ - x0) / sigma~ = (x - a x0) / s = eps, that is
/// x~' = x0 + sigma~' eps, i.e. x' = a' x0 + s' eps: DDIM, in exact arithmetic (Karras et al. note this too).
/// A separate sampler for it would only differ from `ddim` in float32 rounding.
///
/// **DPM-Solver++(2M)** (Lu et al. 2022, Algorithm 2), in lambda = log(a / s), the half log-SNR, which
/// increases from -inf at t = 1 to +inf at t = 0. With the data prediction x0(lambda), the exact
/// solution of the ODE from lambda to lambda' = lambda + h is
///     x' = (s' / s) x + s' * integral_lambda^lambda' e^l x0(l) dl.
/// Holding x0 constant over the step gives the first-order update
///     x' = (s' / s) x + a' (1 - e^-h) x0                                         (DPM-Solver++(1))
/// which is DDIM again (e^-h = a s' / (s a'), so a' (1 - e^-h) = a' - s' a / s and (s'/s) x + (a' - s' a / s) x0
/// = a' x0 + s' (x - a x0) / s = a' x0 + s' eps). Taking x0 linear in lambda through the previous
/// step's prediction x0_prev (at lambda_prev = lambda - h_prev), with r = h_prev / h, and keeping the
/// second-order part of the integral gives
///     D = (1 + 1/(2r)) x0 - 1/(2r) x0_prev,    x' = (s' / s) x + a' (1 - e^-h) D.
/// Ends: the first step (from t = 1) has no previous x0, so it is first order: `ddimStep`. The step after it
/// has h_prev = lambda(t_1) - lambda(1) = +inf, so 1/(2r) = 0 and D = x0: first order too, by the formula
/// rather than a special case (lambda(1) is taken as exactly -inf, not log(cos(pi/2)) = log(6e-17), whose
/// value would be an artefact of rounding). The last step goes to t = 0 where lambda = +inf: h = inf, r = 0
/// and 1/(2r) is infinite, so it is first order as well (as in k-diffusion's `sample_dpmpp_2m`): x' = x0.
/// Hence with 1, 2 or 3 steps DPM-Solver++(2M) is DDIM (up to float32 rounding in the second step); its
/// second-order steps start at N = 4.
public struct Sampler: Sendable {
    /// The solver.
    public let kind: SamplerKind
    /// How `grid` is spaced.
    public let spacing: TimeSpacing
    /// The `steps + 1` times, from 1 down to 0; step i goes from grid[i] to grid[i + 1] and wants v at grid[i].
    public let grid: [Double]
    /// Number of steps (model evaluations).
    public var steps: Int { grid.count - 1 }

    /// DPM-Solver++(2M)'s x0 prediction from the previous step, and that step's lambda step h.
    private var previousX0: [Float]?
    private var previousH: Double = .infinity
    private var nextIndex = 0

    /// A sampler of `steps` steps (at least 1) on the `spacing` grid.
    public init(kind: SamplerKind, spacing: TimeSpacing = .uniform, steps: Int) {
        precondition(steps >= 1, "a sampler needs at least one step")
        self.kind = kind
        self.spacing = spacing
        grid = NoiseSchedule.timeGrid(steps: steps, spacing: spacing)
    }

    /// One step from grid[i] to grid[i + 1]: `x` is the latent at grid[i] and `v` the model's (guided)
    /// v-prediction at (x, grid[i]). Steps must come in order; i = 0 resets the sampler's memory. A fresh
    /// sampler's first step may be any i (img2img starts part-way down the grid), and is first order.
    public mutating func step(x: [Float], v: [Float], index i: Int) -> [Float] {
        precondition(i >= 0 && i < steps, "step \(i) is outside 0..<\(steps)")
        precondition(i == 0 || nextIndex == 0 || i == nextIndex, "steps must come in order: expected \(nextIndex), got \(i)")
        precondition(x.count == v.count, "x has \(x.count) values, v \(v.count)")
        if i == 0 || nextIndex == 0 { previousX0 = nil; previousH = .infinity }
        nextIndex = i + 1
        let t = grid[i], next = grid[i + 1]
        switch kind {
        case .ddim:
            return NoiseSchedule.ddimStep(x, v, from: t, to: next)
        case .euler:
            return euler(x, v, from: t, to: next)
        case .dpmpp2m:
            return dpmpp2m(x, v, from: t, to: next)
        }
    }

    /// lambda = log(alpha / sigma), exactly -inf at t = 1 and +inf at t = 0 (see the type's comment).
    static func lambda(_ t: Double) -> Double {
        if t >= 1 { return -.infinity }
        if t <= 0 { return .infinity }
        return log(cos(0.5 * .pi * t) / sin(0.5 * .pi * t))
    }

    private func euler(_ x: [Float], _ v: [Float], from t: Double, to next: Double) -> [Float] {
        let c = Float((next - t) * 0.5 * .pi)   // negative: t decreases
        var out = [Float](repeating: 0, count: x.count)
        for j in 0..<x.count { out[j] = x[j] + c * v[j] }
        return out
    }

    private mutating func dpmpp2m(_ x: [Float], _ v: [Float], from t: Double, to next: Double) -> [Float] {
        let a = Float(cos(0.5 * .pi * t)), s = Float(sin(0.5 * .pi * t))
        let x0 = zip(x, v).map { a * $0 - s * $1 }
        let h = Self.lambda(next) - Self.lambda(t)
        defer { previousX0 = x0; previousH = h }
        guard let x0Prev = previousX0, next > 0 else {
            return NoiseSchedule.ddimStep(x, v, from: t, to: next)
        }
        let r = previousH / h   // +inf after the step from t = 1, so k = 0 below
        let k = Float(1 / (2 * r))
        let a2 = cos(0.5 * .pi * next), s2 = sin(0.5 * .pi * next)
        let cx = Float(s2 / sin(0.5 * .pi * t)), cd = Float(-a2 * expm1(-h))
        var out = [Float](repeating: 0, count: x.count)
        for j in 0..<x.count {
            let d = x0[j] + k * (x0[j] - x0Prev[j])
            out[j] = cx * x[j] + cd * d
        }
        return out
    }
}
