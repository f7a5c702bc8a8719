import CavendishCore
import CavendishOps
import Foundation

/// ONNX Resize (opset 11 and later): modes `nearest`, `linear` and `cubic`, every coordinate transform,
/// `axes`, `keep_aspect_ratio_policy`, `exclude_outside` and `extrapolation_value`. Antialiasing is not
/// implemented.
///
/// Interpolation is separable: each resized axis is processed in turn with a per-output-index list of
/// input taps and weights.
enum ResizeKernel {
    struct Taps {
        var indices: [[Int]]
        var weights: [[Float]]
        var outside: [Bool]
    }

    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x = try call.input(0)
        guard x.dtype.isFloatingPoint else { throw KernelError.unsupported("Resize on \(x.dtype)") }
        let a = call.attributes
        let mode = try a.string("mode", "nearest")
        guard ["nearest", "linear", "cubic"].contains(mode) else { throw KernelError.invalid("Resize mode \(mode)") }
        if try a.int("antialias", 0) != 0 && mode != "nearest" { throw KernelError.unsupported("Resize antialias=1") }
        let transform = try a.string("coordinate_transformation_mode", call.opset >= 11 ? "half_pixel" : "asymmetric")
        let nearestMode = try a.string("nearest_mode", "round_prefer_floor")
        let cubicA = Float(try a.float("cubic_coeff_a", -0.75))
        let excludeOutside = try a.int("exclude_outside", 0) != 0
        let extrapolation = Float(try a.float("extrapolation_value", 0))
        let rank = x.rank
        // Inputs: opset 10 has (X, scales); later (X, roi, scales, sizes).
        let at = ResizeGeometry.inputPositions(opset: call.opset)
        let roiInput = at.roi.flatMap { call.optionalInput($0) }
        let geometry = try ResizeGeometry(input: x.shape, attributes: a, scales: call.optionalInput(at.scales)?.floats(),
                                          sizes: at.sizes.flatMap { call.intsInput($0) })
        let axes = geometry.axes, scales = geometry.scales, outShape = geometry.outputShape
        var roi = [Float](repeating: 0, count: rank) + [Float](repeating: 1, count: rank)
        if transform == "tf_crop_and_resize", let r = roiInput?.floats() {
            guard r.count == 2 * axes.count else { throw KernelError.invalid("Resize roi has \(r.count) values") }
            for (i, axis) in axes.enumerated() { roi[axis] = r[i]; roi[rank + axis] = r[axes.count + i] }
        }

        var current = x.converted(to: .float32)
        var outsideMask: [(axis: Int, outside: [Bool])] = []
        // Taps for each axis that changes, computed once.
        let resized = try (0..<rank).filter { outShape[$0] != x.shape[$0] || scales[$0] != 1 || transform == "tf_crop_and_resize" }.map { axis in
            (axis: axis, taps: try makeTaps(inLength: x.shape[axis], outLength: outShape[axis], scale: scales[axis], transform: transform,
                                            mode: mode, nearestMode: nearestMode, cubicA: cubicA, excludeOutside: excludeOutside,
                                            roiStart: roi[axis], roiEnd: roi[rank + axis]))
        }
        // Nearest without extrapolation is a gather: one pass, each output element copied from its source
        // (the separable path multiplies by a weight of exactly 1, so the bytes are the same).
        if mode == "nearest" && resized.allSatisfy({ !$0.taps.outside.contains(true) }) {
            var nearestMaps: [[Int]] = x.shape.map { Array(0..<$0) }
            for (axis, taps) in resized { nearestMaps[axis] = taps.indices.map { $0[0] } }
            let out = call.output(0, shape: outShape)
            let inStrides = Shape.contiguousStrides(x.shape), last = rank - 1
            let width = rank == 0 ? 1 : outShape[last], rows = Shape.count(outShape) / max(width, 1)
            let columns = rank == 0 ? [0] : nearestMaps[last].map { $0 * inStrides[last] }
            let src = current.pointer(as: Float.self), dst = out.pointer(as: Float.self)
            ThreadPool.parallelRanges(rows, minimumChunk: max(1, 4096 / max(width, 1))) { range in
                for row in range {
                    var rest = row, offset = 0
                    for d in stride(from: last - 1, through: 0, by: -1) {
                        offset += nearestMaps[d][rest % outShape[d]] * inStrides[d]
                        rest /= outShape[d]
                    }
                    let s = src + offset, o = dst + row * width
                    for j in 0..<width { o[j] = s[columns[j]] }
                }
            }
            return out.converted(to: x.dtype)
        }
        for (axis, taps) in resized {
            current = apply(taps, to: current, axis: axis, outLength: outShape[axis])
            if taps.outside.contains(true) { outsideMask.append((axis, taps.outside)) }
        }
        if !outsideMask.isEmpty {
            let strides = Shape.contiguousStrides(outShape)
            let p = current.pointer(as: Float.self)
            for flat in 0..<current.count {
                for (axis, outside) in outsideMask where outside[(flat / strides[axis]) % outShape[axis]] {
                    p[flat] = extrapolation
                }
            }
        }
        return current.converted(to: x.dtype)
    }

    /// The input coordinate of output index `o`, in float64 as the ONNX reference computes it. The
    /// "resized length" of the formulas is `scale * inLength`, which need not be a whole number.
    static func sourceCoordinate(_ o: Int, inLength: Int, outLength: Int, scale: Double, transform: String,
                                 roiStart: Float, roiEnd: Float) throws -> Double {
        let x = Double(o), s = scale, n = Double(inLength), width = s * n
        switch transform {
        case "half_pixel": return ((x + 0.5) / s - 0.5)
        case "half_pixel_symmetric":
            let offset = n / 2 * (1 - Double(outLength) / width)
            return (offset + (x + 0.5) / s - 0.5)
        case "pytorch_half_pixel": return (width == 1 ? -0.5 : (x + 0.5) / s - 0.5)
        case "align_corners": return (width == 1 ? 0 : x * (n - 1) / (width - 1))
        case "asymmetric": return (x / s)
        case "tf_crop_and_resize":
            let r0 = Double(roiStart), r1 = Double(roiEnd)
            let xo = width == 1 ? (r1 - r0) * (n - 1) / 2 : x * (r1 - r0) * (n - 1) / (width - 1)
            return (xo + r0 * (n - 1))
        default: throw KernelError.invalid("Resize coordinate_transformation_mode \(transform)")
        }
    }

    static func makeTaps(inLength: Int, outLength: Int, scale: Double, transform: String, mode: String, nearestMode: String,
                         cubicA: Float, excludeOutside: Bool, roiStart: Float, roiEnd: Float) throws -> Taps {
        var taps = Taps(indices: [], weights: [], outside: [])
        for o in 0..<outLength {
            let xs = try sourceCoordinate(o, inLength: inLength, outLength: outLength, scale: scale, transform: transform,
                                          roiStart: roiStart, roiEnd: roiEnd)
            taps.outside.append(transform == "tf_crop_and_resize" && (xs < 0 || xs > Double(inLength - 1)))
            func clamp(_ i: Int) -> Int { min(max(i, 0), inLength - 1) }
            switch mode {
            case "nearest":
                let f = xs.rounded(.down), frac = xs - f
                let i: Double
                switch nearestMode {
                case "round_prefer_floor": i = frac == 0.5 ? f : xs.rounded(.toNearestOrAwayFromZero)
                case "round_prefer_ceil": i = frac == 0.5 ? f + 1 : xs.rounded(.toNearestOrAwayFromZero)
                case "floor": i = f
                case "ceil": i = xs.rounded(.up)
                default: throw KernelError.invalid("Resize nearest_mode \(nearestMode)")
                }
                taps.indices.append([clamp(Int(i))]); taps.weights.append([1])
            case "linear":
                let f = xs.rounded(.down), r = Float(xs - f), i0 = Int(f)
                taps.indices.append([clamp(i0), clamp(i0 + 1)]); taps.weights.append([1 - r, r])
            default:
                let f = xs.rounded(.down), r = Float(xs - f), i0 = Int(f)
                let A = cubicA
                func far(_ t: Float) -> Float { ((A * t - 5 * A) * t + 8 * A) * t - 4 * A }
                func near(_ t: Float) -> Float { ((A + 2) * t - (A + 3)) * t * t + 1 }
                var w: [Float] = [far(r + 1), near(r), near(1 - r), far(2 - r)]
                let raw = [i0 - 1, i0, i0 + 1, i0 + 2]
                if excludeOutside {
                    for k in 0..<4 where raw[k] < 0 || raw[k] >= inLength { w[k] = 0 }
                    let s = w.reduce(0, +)
                    if s != 0 { w = w.map { $0 / s } }
                }
                taps.indices.append(raw.map(clamp)); taps.weights.append(w)
            }
        }
        return taps
    }

    static func apply(_ taps: Taps, to x: Tensor, axis: Int, outLength: Int) -> Tensor {
        var shape = x.shape
        let inLength = shape[axis]
        shape[axis] = outLength
        let out = Tensor(uninitialized: shape, dtype: .float32)
        let outer = Shape.count(Array(x.shape.prefix(axis))), inner = Shape.count(Array(x.shape.dropFirst(axis + 1)))
        let src = x.pointer(as: Float.self), dst = out.pointer(as: Float.self)
        ThreadPool.parallelFor(outer) { o in
            for j in 0..<outLength {
                let d = dst + (o * outLength + j) * inner
                for (k, i) in taps.indices[j].enumerated() {
                    let w = taps.weights[j][k], s = src + (o * inLength + i) * inner
                    if k == 0 { for t in 0..<inner { d[t] = w * s[t] } } else { for t in 0..<inner { d[t] += w * s[t] } }
                }
            }
        }
        return out
    }
}
