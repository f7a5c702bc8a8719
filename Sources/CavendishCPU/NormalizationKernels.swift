import CVectorMath
import CavendishCore
import Foundation

/// LayerNormalization, GroupNormalization and RMSNormalization.
///
/// Statistics take one pass over the data, shifted by its first element (`cav_moments`), so a large mean
/// does not cancel the variance away; lane sums are float32, block sums float64.
enum NormalizationKernels {
    /// Mean and variance of `n` dense elements (`cav_moments`: one shifted pass, vectorized in C), the mean
    /// as `shift + offset` so that centring can subtract the two in turn (`cav_normalize`).
    static func shiftedMoments(_ p: UnsafePointer<Float>, _ n: Int) -> (shift: Float, offset: Float, variance: Float) {
        var shift: Float = 0, offset: Float = 0, variance: Float = 0
        cav_moments(p, n, &shift, &offset, &variance)
        return (shift, offset, variance)
    }

    /// Mean and variance of `n` dense elements.
    static func moments(_ p: UnsafePointer<Float>, _ n: Int) -> (mean: Float, variance: Float) {
        let m = shiftedMoments(p, n)
        return (m.shift + m.offset, m.variance)
    }

    /// The shared reading of LayerNormalization and RMSNormalization: normalize over the axes from
    /// `axis` on, as `rows` rows of `width` elements, with `scale` broadcast to one row.
    struct RowNormalization {
        let x: Tensor, axis: Int, epsilon: Float, normalized: [Int], rows: Int, width: Int, scale: Tensor

        init(_ call: KernelInvocation, scaleName: String) throws {
            x = try call.input(0)
            guard x.dtype.isFloatingPoint else { throw KernelError.unsupported("\(call.op) on \(x.dtype)") }
            axis = try Shape.normalizeAxis(try call.attributes.int("axis", -1), rank: x.rank)
            epsilon = Float(try call.attributes.float("epsilon", 1e-5))
            normalized = Array(x.shape.dropFirst(axis))
            rows = Shape.count(Array(x.shape.prefix(axis)))
            width = Shape.count(normalized)
            scale = try broadcastParameter(try call.input(1), to: normalized, scaleName)
        }
    }

    /// ONNX LayerNormalization: outputs Y, and Mean and InvStdDev when requested.
    static func layerNorm(_ call: KernelInvocation) throws -> [Tensor] {
        let n = try RowNormalization(call, scaleName: "Scale")
        let (x, axis, eps, normalized, rows, d, scale) = (n.x, n.axis, n.epsilon, n.normalized, n.rows, n.width, n.scale)
        let bias = try call.optionalInput(2).map { try broadcastParameter($0, to: normalized, "B") }
        let input = x.converted(to: .float32)
        let out = call.output(0, shape: x.shape)
        let statShape = Array(x.shape.prefix(axis)) + [Int](repeating: 1, count: x.rank - axis)
        let means = Tensor(zeros: statShape, dtype: .float32), invStd = Tensor(zeros: statShape, dtype: .float32)
        let src = input.pointer(as: Float.self), dst = out.pointer(as: Float.self)
        let ps = scale.pointer(as: Float.self), pb = bias?.pointer(as: Float.self)
        let pm = means.pointer(as: Float.self), pi = invStd.pointer(as: Float.self)
        ThreadPool.parallelFor(rows, minimumChunk: max(1, 4096 / max(d, 1))) { r in
            let (mean, variance) = moments(src + r * d, d)
            let inv = 1 / (variance + eps).squareRoot()
            pm[r] = mean; pi[r] = inv
            let s = src + r * d, o = dst + r * d
            if let pb { for j in 0..<d { o[j] = (s[j] - mean) * inv * ps[j] + pb[j] } }
            else { for j in 0..<d { o[j] = (s[j] - mean) * inv * ps[j] } }
        }
        let stashType = x.dtype == .float64 ? DType.float64 : .float32
        return Array([out.converted(to: x.dtype), means.converted(to: stashType), invStd.converted(to: stashType)].prefix(max(call.outputCount, 1)))
    }

    /// Scale or bias broadcast to the normalized shape, dense float32.
    static func broadcastParameter(_ t: Tensor, to shape: [Int], _ name: String) throws -> Tensor {
        do { return try t.converted(to: .float32).expanded(to: shape).contiguous() }
        catch { throw KernelError.invalid("\(name) of shape \(t.shape) does not broadcast to the normalized shape \(shape)") }
    }

    /// ONNX GroupNormalization; opset 21 takes per-channel scale and bias, opset 18 per-group ones.
    static func groupNorm(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0), scale0 = try call.input(1), bias0 = try call.input(2)
        guard x.dtype.isFloatingPoint, x.rank >= 2 else { throw KernelError.unsupported("GroupNormalization on \(x.dtype) rank \(x.rank)") }
        let groups = try call.attributes.int("num_groups", 0)
        let eps = Float(try call.attributes.float("epsilon", 1e-5))
        let n = x.shape[0], c = x.shape[1], spatial = Shape.count(Array(x.shape.dropFirst(2)))
        guard groups > 0, c % groups == 0 else {
            throw KernelError.invalid("GroupNormalization num_groups \(groups) does not divide \(c) channels")
        }
        let perChannel = scale0.count == c && (call.opset >= 21 || groups == c)
        guard perChannel || scale0.count == groups, bias0.count == scale0.count else {
            throw KernelError.invalid("GroupNormalization scale/bias have \(scale0.count)/\(bias0.count) elements for \(c) channels, \(groups) groups")
        }
        let scale = scale0.floats(), bias = bias0.floats()
        let input = x.converted(to: .float32)
        let out = call.output(0, shape: x.shape)
        let cpg = c / groups, groupSize = cpg * spatial
        let src = input.pointer(as: Float.self), dst = out.pointer(as: Float.self)
        ThreadPool.parallelFor(n * groups) { t in
            let g = t % groups
            let s = src + t * groupSize, o = dst + t * groupSize
            let (shift, offset, variance) = shiftedMoments(s, groupSize)
            let inv = 1 / (variance + eps).squareRoot()
            for ch in 0..<cpg {
                let k = perChannel ? g * cpg + ch : g
                cav_normalize(s + ch * spatial, o + ch * spatial, spatial, shift, offset, inv * scale[k], bias[k])
            }
        }
        return out.converted(to: x.dtype)
    }

    /// ONNX RMSNormalization (opset 23): `x / sqrt(mean(x^2) + epsilon) * scale` over the axes from `axis`.
    static func rmsNorm(_ call: KernelInvocation) throws -> Tensor {
        let n = try RowNormalization(call, scaleName: "scale")
        let (x, eps, rows, d, scale) = (n.x, n.epsilon, n.rows, n.width, n.scale)
        let input = x.converted(to: .float32)
        let out = call.output(0, shape: x.shape)
        let src = input.pointer(as: Float.self), dst = out.pointer(as: Float.self), ps = scale.pointer(as: Float.self)
        ThreadPool.parallelFor(rows, minimumChunk: max(1, 4096 / max(d, 1))) { r in
            let s = src + r * d, o = dst + r * d
            var acc = 0.0
            for j in 0..<d { acc += Double(s[j]) * Double(s[j]) }
            let inv = Float(1 / (acc / Double(d) + Double(eps)).squareRoot())
            for j in 0..<d { o[j] = s[j] * inv * ps[j] }
        }
        return out.converted(to: x.dtype)
    }
}
