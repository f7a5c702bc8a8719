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
