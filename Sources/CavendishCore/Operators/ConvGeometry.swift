/// The shape arithmetic of an ONNX Conv: output size, padding (explicit or `auto_pad`), strides,
/// dilations and groups. One definition serves the CPU kernel, graph shape inference and the simulator.
///
/// 1-D convolutions (NCW) are described as 2-D ones with height 1.
public struct ConvGeometry: Sendable, Equatable {
    /// Batch, input channels, input height and width.
    public var n, c, h, w: Int
    /// Output channels, groups, kernel height and width, output height and width.
    public var m, group, kh, kw, oh, ow: Int
    /// Steps, dilations and leading (top, left) padding.
    public var strideH, strideW, dilationH, dilationW, padTop, padLeft: Int

    /// Input channels per group.
    public var cg: Int { c / group }
    /// Output channels per group.
    public var mg: Int { m / group }
    /// Rows of the im2col matrix: one per (input channel, filter tap) of a group.
    public var columns: Int { cg * kh * kw }
    /// A 1x1, stride-1, unpadded convolution: a plain GEMM over the input as it lies.
    public var isPointwise: Bool {
        kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0 && oh == h && ow == w
    }
    /// Multiply-adds.
    public var macs: Int { n * m * oh * ow * columns }

    /// Derives the geometry from Conv's attributes and the shapes of X (rank 3 or 4) and W.
    public init(attributes a: Attributes, input x0: [Int], weights w0: [Int]) throws {
        guard x0.count == 3 || x0.count == 4, w0.count == x0.count else {
            throw KernelError.unsupported("Conv on rank \(x0.count) input with rank \(w0.count) weights (1-D and 2-D only)")
        }
        let oneD = x0.count == 3
        let x = oneD ? [x0[0], x0[1], 1, x0[2]] : x0, w = oneD ? [w0[0], w0[1], 1, w0[2]] : w0
        let group = try a.int("group", 1)
        let spatial = oneD ? 1 : 2
        func pair(_ name: String, _ d: Int) throws -> [Int] {
            guard let v = try a.ints(name) else { return [d, d] }
            guard v.count == spatial else { throw KernelError.invalid("Conv \(name) has \(v.count) values for \(spatial) spatial dimensions") }
            return oneD ? [1] + v : v
        }
        let strides = try pair("strides", 1), dilations = try pair("dilations", 1)
        if let ks = try a.ints("kernel_shape"), ks != Array(w0.suffix(spatial)) {
            throw KernelError.invalid("Conv kernel_shape \(ks) disagrees with weights \(w0)")
        }
        guard group >= 1, x[1] % group == 0, w[0] % group == 0, w[1] * group == x[1] else {
            throw KernelError.invalid("Conv with \(x[1]) input channels, weights \(w0) and group \(group) do not fit")
        }
        guard strides.allSatisfy({ $0 >= 1 }), dilations.allSatisfy({ $0 >= 1 }) else {
            throw KernelError.invalid("Conv strides and dilations must be positive")
        }
        let inputs = [x[2], x[3]], kernel = [w[2], w[3]]
        var begin = [0, 0], end = [0, 0]
        let autoPad = try a.string("auto_pad", "NOTSET")
        switch autoPad {
        case "NOTSET":
            if let p = try a.ints("pads") {
                guard p.count == 2 * spatial else { throw KernelError.invalid("Conv pads has \(p.count) values") }
                if oneD { begin = [0, p[0]]; end = [0, p[1]] } else { begin = [p[0], p[1]]; end = [p[2], p[3]] }
            }
        case "VALID": break
        case "SAME_UPPER", "SAME_LOWER":
            for i in 0..<2 {
                let outSize = (inputs[i] + strides[i] - 1) / strides[i]
                let total = max(0, (outSize - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inputs[i])
                begin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2
                end[i] = total - begin[i]
            }
        default: throw KernelError.invalid("Conv auto_pad \(autoPad)")
        }
        var outs = [0, 0]
        for i in 0..<2 {
            let span = (kernel[i] - 1) * dilations[i] + 1
            let padded = inputs[i] + begin[i] + end[i]
            guard padded >= span else { throw KernelError.invalid("Conv kernel \(kernel) (dilated) is larger than the padded input") }
            outs[i] = (padded - span) / strides[i] + 1
        }
        (n, c, h, self.w, m, self.group, kh, kw) = (x[0], x[1], x[2], x[3], w[0], group, w[2], w[3])
        (oh, ow, strideH, strideW) = (outs[0], outs[1], strides[0], strides[1])
        (dilationH, dilationW, padTop, padLeft) = (dilations[0], dilations[1], begin[0], begin[1])
    }

    /// The output shape in the input's layout (NCW or NCHW).
    public func outputShape(oneD: Bool) -> [Int] { oneD ? [n, m, ow] : [n, m, oh, ow] }
}
