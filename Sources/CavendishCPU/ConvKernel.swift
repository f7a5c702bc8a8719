import CavendishCore

/// ONNX Conv for 1-D and 2-D inputs (NCW, NCHW) with groups, pads, auto_pad, strides and dilations.
///
/// The algorithm is chosen from the shape in `plan`: a pointwise (1x1, stride 1, unpadded) convolution
/// is one GEMM over the input as it lies; every other convolution builds im2col columns for a band of
/// output rows at a time in a bounded per-worker workspace (never the whole image) and multiplies each
/// band with the filters.
enum ConvKernel {
    /// Workspace per worker, in float32 elements (1 MiB).
    static let workspaceElements = 1 << 18

    static func run(_ call: KernelInvocation) throws -> Tensor {
        let x0 = try call.input(0), w0 = try call.input(1)
        guard x0.dtype.isFloatingPoint else { throw KernelError.unsupported("Conv on \(x0.dtype)") }
        guard x0.rank == 3 || x0.rank == 4, w0.rank == x0.rank else {
            throw KernelError.unsupported("Conv on rank \(x0.rank) input with rank \(w0.rank) weights (1-D and 2-D only)")
        }
        let oneD = x0.rank == 3
        let x = try (oneD ? x0.reshaped([x0.shape[0], x0.shape[1], 1, x0.shape[2]]) : x0).converted(to: .float32)
        let w = try (oneD ? w0.reshaped([w0.shape[0], w0.shape[1], 1, w0.shape[2]]) : w0).converted(to: .float32)
        let g = try ConvGeometry(attributes: call.attributes, input: x0.shape, weights: w0.shape)
        let bias = try call.optionalInput(2).map { b -> Tensor in
            guard b.count == g.m else { throw KernelError.invalid("Conv bias has \(b.count) elements for \(g.m) output channels") }
            return b.converted(to: .float32)
        }
        let out = call.output(0, shape: [g.n, g.m, g.oh, g.ow])
        convolve(x.pointer(as: Float.self), w.pointer(as: Float.self), bias?.pointer(as: Float.self), out.pointer(as: Float.self), g)
        let result = oneD ? try out.reshaped([g.n, g.m, g.ow]) : out
        return result.converted(to: x0.dtype)
    }

    /// `out = conv(x, w) + bias` for dense float32 NCHW buffers.
    static func convolve(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ bias: UnsafePointer<Float>?,
                         _ out: UnsafeMutablePointer<Float>, _ g: ConvGeometry) {
        ThreadPool.configure()
        let spatialOut = g.oh * g.ow
        // With a bias, the output starts as the bias and every GEMM accumulates onto it (beta = 1): one
        // write pass instead of a separate read-modify-write pass afterwards.
        let beta: Float = bias == nil ? 0 : 1
        if let bias {
            ThreadPool.parallelFor(g.n * g.m, minimumChunk: max(1, 4096 / max(spatialOut, 1))) { i in
                (out + i * spatialOut).update(repeating: bias[i % g.m], count: spatialOut)
            }
        }
        let weights = { (group: Int) in
            BLASMatrix(pointer: UnsafeMutablePointer(mutating: w + group * g.mg * g.columns), transposed: false, leadingDimension: g.columns)
        }
        if g.isPointwise {
            for n in 0..<g.n { for grp in 0..<g.group {
                let xs = UnsafeMutablePointer(mutating: x + (n * g.c + grp * g.cg) * g.h * g.w)
                sgemm(weights(grp), BLASMatrix(pointer: xs, transposed: false, leadingDimension: spatialOut),
                      out + (n * g.m + grp * g.mg) * spatialOut, ldc: spatialOut, m: g.mg, n: spatialOut, k: g.cg, beta: beta)
            } }
        } else if let shifted = ShiftedTaps(g) {
            for n in 0..<g.n { for grp in 0..<g.group {
                shifted.convolve(x + (n * g.c + grp * g.cg) * g.h * g.w, w + grp * g.mg * g.columns,
                                 out + (n * g.m + grp * g.mg) * spatialOut, accumulate: bias != nil)
            } }
        } else {
            // Bands fit the workspace, and their count is a multiple of the workers so that none idles.
            let maxRows = max(1, min(g.oh, workspaceElements / max(g.columns * g.ow, 1)))
            let workers = ThreadPool.threadCount
            var bandCount = (g.oh + maxRows - 1) / maxRows
            if g.n * g.group < workers { bandCount = min(g.oh, (bandCount + workers - 1) / workers * workers) }
            let rowsPerBand = (g.oh + bandCount - 1) / bandCount
            let bands = (g.oh + rowsPerBand - 1) / rowsPerBand
            let tasks = g.n * g.group * bands
            let body = { (workspace: UnsafeMutablePointer<Float>, task: Int) in
                let band = task % bands, grp = (task / bands) % g.group, n = task / (bands * g.group)
                let oh0 = band * rowsPerBand, oh1 = min(g.oh, oh0 + rowsPerBand)
                let cols = (oh1 - oh0) * g.ow
                im2col(x + (n * g.c + grp * g.cg) * g.h * g.w, workspace, g, rows: oh0..<oh1)
                sgemm(weights(grp), BLASMatrix(pointer: workspace, transposed: false, leadingDimension: cols),
                      out + (n * g.m + grp * g.mg) * spatialOut + oh0 * g.ow, ldc: spatialOut, m: g.mg, n: cols, k: g.columns, beta: beta)
            }
            let bandElements = g.columns * rowsPerBand * g.ow
            if tasks >= ThreadPool.threadCount && tasks > 1 {
                ThreadPool.parallelRanges(tasks) { range in
                    let ws = UnsafeMutablePointer<Float>.allocate(capacity: bandElements)
                    defer { ws.deallocate() }
                    for t in range { body(ws, t) }
                }
            } else {
                let ws = UnsafeMutablePointer<Float>.allocate(capacity: bandElements)
                defer { ws.deallocate() }
                for t in 0..<tasks { body(ws, t) }
            }
        }
    }

    /// A stride-1, undilated convolution as one GEMM per filter tap over a zero-padded copy of the input, with
    /// no im2col. In the padded image (width `wp = ow + kw - 1`), output pixel (oh, ow) of tap (i, j) reads flat
    /// position `(oh + i) * wp + ow + j`: so for all output rows at once, tap (i, j)'s operand is the padded
    /// image's flat array from `i * wp + j`, a dense [cg, oh * wp] matrix whose rows are channels (row stride
    /// the padded channel size). The GEMMs accumulate a "wide" output of `wp` columns per row, whose last
    /// `kw - 1` columns wrap into the next row and are dropped when it is copied out. Each GEMM has K = cg
    /// instead of cg * kh * kw, but nothing is written kh * kw times over: for the VAE's 3x3 layers that is
    /// faster than im2col in bands (`kernels bench`'s Conv 3x3 row).
    struct ShiftedTaps {
        let g: ConvGeometry
        /// Padded height (with one row of slack for the last tap's wrap) and width.
        let hp: Int, wp: Int

        /// Workspace bound (padded input plus wide output), in float32 elements: larger convolutions use im2col.
        static let maximumElements = 1 << 24

        init?(_ g: ConvGeometry) {
            guard g.strideH == 1, g.strideW == 1, g.dilationH == 1, g.dilationW == 1, g.kh * g.kw > 1,
                  g.padTop >= 0, g.padLeft >= 0, g.padTop < g.kh, g.padLeft < g.kw else { return nil }
            self.g = g
            hp = g.oh + g.kh
            wp = g.ow + g.kw - 1
            guard g.h + g.padTop <= hp, g.w + g.padLeft <= wp, g.cg * hp * wp + g.mg * g.oh * wp <= Self.maximumElements else { return nil }
        }

        /// `out (+)= conv(x, w)` for one image and group: x [cg, h, w], w [mg, cg, kh, kw], out [mg, oh, ow]
        /// (added to when `accumulate`).
        func convolve(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, accumulate: Bool) {
            let taps = g.kh * g.kw, plane = hp * wp, wideCount = g.oh * wp
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: g.cg * plane)
            let packed = UnsafeMutablePointer<Float>.allocate(capacity: taps * g.mg * g.cg)
            let wide = UnsafeMutablePointer<Float>.allocate(capacity: g.mg * wideCount)
            defer { padded.deallocate(); packed.deallocate(); wide.deallocate() }
            ThreadPool.parallelFor(g.cg) { c in
                let p = padded + c * plane
                p.update(repeating: 0, count: plane)
                for r in 0..<g.h { (p + (r + g.padTop) * wp + g.padLeft).update(from: x + (c * g.h + r) * g.w, count: g.w) }
            }
            // Filters as one [mg, cg] matrix per tap.
            for m in 0..<g.mg { for c in 0..<g.cg { for t in 0..<taps {
                packed[(t * g.mg + m) * g.cg + c] = w[(m * g.cg + c) * taps + t]
            } } }
            for i in 0..<g.kh { for j in 0..<g.kw {
                let t = i * g.kw + j
                sgemm(BLASMatrix(pointer: packed + t * g.mg * g.cg, transposed: false, leadingDimension: g.cg),
                      BLASMatrix(pointer: padded + i * wp + j, transposed: false, leadingDimension: plane),
                      wide, ldc: wideCount, m: g.mg, n: wideCount, k: g.cg, beta: t == 0 ? 0 : 1)
            } }
            ThreadPool.parallelFor(g.mg) { m in
                for r in 0..<g.oh {
                    let src = wide + m * wideCount + r * wp, dst = out + (m * g.oh + r) * g.ow
                    if accumulate { for k in 0..<g.ow { dst[k] += src[k] } } else { dst.update(from: src, count: g.ow) }
                }
            }
        }
    }

    /// Columns for output rows `rows` of one group: row `(c, kh, kw)` holds the input pixel each output
    /// position of the band reads through that filter tap (0 in the padding).
    static func im2col(_ x: UnsafePointer<Float>, _ col: UnsafeMutablePointer<Float>, _ g: ConvGeometry, rows: Range<Int>) {
        let cols = rows.count * g.ow
        for c in 0..<g.cg { for i in 0..<g.kh { for j in 0..<g.kw {
            var dst = col + ((c * g.kh + i) * g.kw + j) * cols
            // Output columns whose input column is inside the image: ow in [lo, hi).
            let shift = j * g.dilationW - g.padLeft
            let lo = min(g.ow, max(0, (-shift + g.strideW - 1) / g.strideW))
            let hi = max(lo, min(g.ow, (g.w - shift + g.strideW - 1) / g.strideW))
            for oh in rows {
                let ih = oh * g.strideH - g.padTop + i * g.dilationH
                if ih < 0 || ih >= g.h {
                    dst.update(repeating: 0, count: g.ow)
                } else {
                    let src = x + (c * g.h + ih) * g.w + shift
                    if lo > 0 { dst.update(repeating: 0, count: lo) }
                    if g.strideW == 1 {
                        (dst + lo).update(from: src + lo, count: hi - lo)
                    } else {
                        for ow in lo..<hi { dst[ow] = src[ow * g.strideW] }
                    }
                    if hi < g.ow { (dst + hi).update(repeating: 0, count: g.ow - hi) }
                }
                dst += g.ow
            }
        } } }
    }
}
