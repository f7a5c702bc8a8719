import Foundation

/// NB-mini's noise schedule and DDIM update (the recipe's `schedule.py`).
///
/// Time runs from 1 (pure noise) to 0 (the image): alpha(t) = cos(pi t / 2), sigma(t) = sin(pi t / 2),
/// x_t = alpha x_0 + sigma eps, and the denoiser predicts v = alpha eps - sigma x_0.
public enum NoiseSchedule {
    /// t_i = (N - i) / N for i = 0...N.
    public static func timeGrid(steps: Int) -> [Double] {
        (0...steps).map { Double(steps - $0) / Double(steps) }
    }

    /// The time grid of `steps` steps with the given spacing: `.uniform` is `timeGrid(steps:)` itself,
    /// `.karras` is `karrasTimeGrid(steps:)`.
    public static func timeGrid(steps: Int, spacing: TimeSpacing) -> [Double] {
        switch spacing {
        case .uniform: timeGrid(steps: steps)
        case .karras: karrasTimeGrid(steps: steps)
        }
    }

    /// Karras et al. (2022)'s spacing (their eq. 5) in sigma~ = sigma / alpha = tan(pi t / 2), mapped back with
    /// t = 2 / pi atan(sigma~): t_0 = 1, then `steps - 1` points whose sigma~^(1/rho) is evenly spaced from
    /// sigma~((N-1)/N) down to sigma~(1/N), then t_N = 0.
    ///
    /// The ends are the uniform grid's second and second-to-last points because sigma~ is infinite at t = 1
    /// and 0 at t = 0, where eq. 5 has no finite endpoint to interpolate; tying them to N keeps the first
    /// (1 -> (N-1)/N) and last (1/N -> 0) steps the uniform grid's, so that the grid refines as N grows (both
    /// ends approach the interval's) rather than leaving a fixed gap at either end. Those two points are set
    /// exactly, not through the tan/atan round trip. With `steps` = 2 or 3 every inner point is one of those
    /// two, so the grid is the uniform one; `steps` = 1 is [1, 0].
    public static func karrasTimeGrid(steps: Int, rho: Double = 7) -> [Double] {
        precondition(steps >= 1, "a time grid needs at least one step")
        let n = steps - 1   // inner points
        guard n >= 1 else { return [1, 0] }
        let first = Double(steps - 1) / Double(steps), last = 1 / Double(steps)
        let hi = pow(tan(0.5 * .pi * first), 1 / rho), lo = pow(tan(0.5 * .pi * last), 1 / rho)
        var grid = [1.0]
        for k in 0..<n {
            if k == 0 { grid.append(first); continue }
            if k == n - 1 { grid.append(last); continue }
            let sigma = pow(hi + Double(k) / Double(n - 1) * (lo - hi), rho)
            grid.append(2 / .pi * atan(sigma))
        }
        grid.append(0)
        return grid
    }

    /// One deterministic DDIM step from t to s, in float32 as PyTorch computes it:
    /// x_0 = a_t x - s_t v, eps = s_t x + a_t v, x_s = a_s x_0 + s_s eps.
    public static func ddimStep(_ x: [Float], _ v: [Float], from t: Double, to s: Double) -> [Float] {
        let at = Float(cos(0.5 * .pi * t)), st = Float(sin(0.5 * .pi * t))
        let aS = Float(cos(0.5 * .pi * s)), sS = Float(sin(0.5 * .pi * s))
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let x0 = at * x[i] - st * v[i]
            let eps = st * x[i] + at * v[i]
            out[i] = aS * x0 + sS * eps
        }
        return out
    }
}
