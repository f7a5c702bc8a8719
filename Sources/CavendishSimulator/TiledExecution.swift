import CavendishCPU
import CavendishCore
import CavendishOps

/// Runs operators through the simulator's tiled programs on real data, block by block, on the CPU.
///
/// MatMul, Gemm and Conv execute the grid the simulator costs (`GemmTiling` for the chip; Conv as an
/// implicit GEMM whose A blocks gather filter taps from the input, never a materialized im2col), each
/// step multiplying one A block by one B block into an f32 accumulator. Elementwise operators stream
/// the output in VMEM-sized chunks. Operators whose rows are independent along the batch axis
/// (normalizations, Softmax, Attention) run one batch slice per block. A counter checks that every
/// output element is written exactly once, so passing the kernel cases proves the tiling covers the
/// output. Other operators run as a single block. Which program an operator gets follows from its schema
/// (category, elementwise operands, batch independence); output shapes come from the schema too, so no
/// operator is run whole just to learn them.
public struct TiledBackend: OperatorBackend {
    /// `tpusim`.
    public let name = "tpusim"
    /// The chip whose tiling is executed.
    public let chip: ChipSpec
    private let cpu = CPUBackend()

    /// A small chip (8x8 arrays, 32 KiB of VMEM) whose blocks are small enough that the kernel cases
    /// split into many of them.
    public static let testChip = ChipSpec(name: "test-8x8", tensorCores: 1, matrixUnitsPerCore: 1, arrayRows: 8, arrayCols: 8,
                                          clockHz: 1e9, peakFlops: ["bf16": 128e9, "int8": 128e9, "f32": 128e9 / 3],
                                          vectorElementsPerCycle: 64, transcendentalsPerCycle: 64, vmemBytes: 32 << 10,
                                          hbmBytesPerSecond: 1e11, hbmBytes: 1e9, dmaEngines: 1,
                                          notes: "A toy chip for functional tiled execution of small test cases.")

    /// Executes the tiling of `chip`.
    public init(chip: ChipSpec = TiledBackend.testChip) { self.chip = chip }

    /// Every block runs on the CPU backend, so this backend runs what it runs.
    public func unsupportedReason(_ kind: OperatorKind, attributes: Attributes, opset: Int) -> String? {
        cpu.unsupportedReason(kind, attributes: attributes, opset: opset)
    }

    public func run(_ call: KernelInvocation) throws -> [Tensor] {
        guard let kind = call.kind else { return try cpu.run(call) }
        switch kind {
        case .matMul: return [try matmul(call)]
        case .conv: return [try conv(call)]
        case .gemm: return [try gemm(call)]
        default:
            let schema = kind.schema
            if let operands = schema.elementwiseOperands { return [try streamed(call, operands: operands)] }
            if let carriers = try schema.batchInputs(call.inputInfos, call.attributes, opset: call.opset) {
                return try batchSliced(call, carriers: carriers)
            }
            return try cpu.run(call)
        }
    }

    // MARK: GEMM grids

    /// Walks the grid of `tiling` and accumulates `block(c, rows, cols, ks)` products into [count, m, n].
    func gridProduct(_ t: GemmTiling, aBlock: (Int, Range<Int>, Range<Int>) throws -> Tensor,
                     bBlock: (Int, Range<Int>, Range<Int>) throws -> Tensor) throws -> Tensor {
        let out = Tensor(zeros: [t.count, t.m, t.n])
        var writes = [UInt8](repeating: 0, count: t.count * t.m * t.n)
        let po = out.pointer(as: Float.self)
        for c in 0..<t.count { for i in 0..<t.gridM { for j in 0..<t.gridN {
            let rows = (i * t.bm)..<min(t.m, (i + 1) * t.bm), cols = (j * t.bn)..<min(t.n, (j + 1) * t.bn)
            let acc = Tensor(zeros: [rows.count, cols.count])
            for kk in 0..<t.gridK {
                let ks = (kk * t.bk)..<min(t.k, (kk + 1) * t.bk)
                if ks.isEmpty { continue }
                let partial = try cpu.run("MatMul", [try aBlock(c, rows, ks), try bBlock(c, ks, cols)])
                let pa = acc.pointer(as: Float.self), pp = partial.pointer(as: Float.self)
                for e in 0..<acc.count { pa[e] += pp[e] }
            }
            let pa = acc.pointer(as: Float.self)
            for (r, row) in rows.enumerated() { for (q, col) in cols.enumerated() {
                po[(c * t.m + row) * t.n + col] = pa[r * cols.count + q]
                writes[(c * t.m + row) * t.n + col] += 1
            } }
        } } }
        guard writes.allSatisfy({ $0 == 1 }) else { throw SimulatorError("tiling \(t) did not write every output element exactly once") }
        return out
    }

    func tiling(m: Int, n: Int, k: Int, count: Int, aReuse: Double = 1) -> GemmTiling {
        GemmTiling.choose(m: m, n: n, k: k, count: count, elementBytes: 4, aReuse: aReuse, chip: chip, passes: 1)
    }

    func matmul(_ call: KernelInvocation) throws -> Tensor {
        let a0 = try call.input(0), b0 = try call.input(1)
        guard a0.dtype.isFloatingPoint, a0.dtype == b0.dtype else { return try cpu.run(call)[0] }
        let g = try MatMulGeometry(a0.shape, b0.shape)
        var a = a0.converted(to: .float32), b = b0.converted(to: .float32)
        if g.aVector { a = try a.reshaped([1, a.count]) }
        if g.bVector { b = try b.reshaped([b.count, 1]) }
        let (m, k, n, batch, count) = (g.m, g.k, g.n, g.batch, g.batchCount)
        let ae = try a.expanded(to: batch + [m, k]).contiguous().reshaped([count, m, k])
        let be = try b.expanded(to: batch + [k, n]).contiguous().reshaped([count, k, n])
        let t = tiling(m: m, n: n, k: k, count: count)
        let out = try gridProduct(t, aBlock: { c, r, ks in try block(ae, c, r, ks) }, bBlock: { c, ks, cs in try block(be, c, ks, cs) })
        return try out.reshaped(g.outputShape).converted(to: a0.dtype)
    }

    func gemm(_ call: KernelInvocation) throws -> Tensor {
        let a0 = try call.input(0), b0 = try call.input(1)
        guard a0.rank == 2, b0.rank == 2, a0.dtype.isFloatingPoint else { return try cpu.run(call)[0] }
        let ta = try call.attributes.int("transA", 0) != 0, tb = try call.attributes.int("transB", 0) != 0
        let a = try (ta ? a0.permuted([1, 0]) : a0).converted(to: .float32), b = try (tb ? b0.permuted([1, 0]) : b0).converted(to: .float32)
        let (m, k, n) = (a.shape[0], a.shape[1], b.shape[1])
        guard b.shape[0] == k else { throw KernelError.invalid("Gemm inner dimensions differ") }
        let a3 = try a.reshaped([1, m, k]), b3 = try b.reshaped([1, k, n])
        let t = tiling(m: m, n: n, k: k, count: 1)
        var y = try gridProduct(t, aBlock: { c, r, ks in try block(a3, c, r, ks) }, bBlock: { c, ks, cs in try block(b3, c, ks, cs) })
        y = try y.reshaped([m, n])
        // The epilogue on the vector unit: alpha * AB + beta * C.
        let alpha = Float(try call.attributes.float("alpha", 1)), beta = Float(try call.attributes.float("beta", 1))
        y = try cpu.run("Mul", [y, Tensor(scalar: alpha)])
        if let c = call.optionalInput(2), beta != 0 {
            y = try cpu.run("Add", [y, try cpu.run("Mul", [c.converted(to: .float32), Tensor(scalar: beta)])])
        }
        return y.converted(to: a0.dtype)
    }

    func conv(_ call: KernelInvocation) throws -> Tensor {
        let x0 = try call.input(0), w0 = try call.input(1)
        guard x0.dtype.isFloatingPoint else { return try cpu.run(call)[0] }
        let g = try ConvGeometry(attributes: call.attributes, input: x0.shape, weights: w0.shape)
        let x = x0.converted(to: .float32), w = try w0.converted(to: .float32).reshaped([g.m, g.columns])
        let px = x.pointer(as: Float.self)
        let pixels = g.n * g.oh * g.ow
        let t = tiling(m: pixels, n: g.mg, k: g.columns, count: g.group, aReuse: Double(g.kh * g.kw))
        // A block: the filter taps of `rows` output pixels gathered from the input (zero in the padding).
        let aBlock = { (grp: Int, rows: Range<Int>, ks: Range<Int>) -> Tensor in
            let blk = Tensor(zeros: [rows.count, ks.count])
            let pb = blk.pointer(as: Float.self)
            for (r, p) in rows.enumerated() {
                let b = p / (g.oh * g.ow), oy = (p / g.ow) % g.oh, ox = p % g.ow
                for (q, kk) in ks.enumerated() {
                    let c = kk / (g.kh * g.kw), ky = (kk / g.kw) % g.kh, kx = kk % g.kw
                    let iy = oy * g.strideH - g.padTop + ky * g.dilationH, ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    if iy >= 0 && iy < g.h && ix >= 0 && ix < g.w {
                        pb[r * ks.count + q] = px[((b * g.c + grp * g.cg + c) * g.h + iy) * g.w + ix]
                    }
                }
            }
            return blk
        }
        let wt = try w.permuted([1, 0]).contiguous()   // [columns, m]
        let bBlock = { (grp: Int, ks: Range<Int>, cols: Range<Int>) -> Tensor in
            try wt.sliced(axis: 0, start: ks.lowerBound, end: ks.upperBound)
                .sliced(axis: 1, start: grp * g.mg + cols.lowerBound, end: grp * g.mg + cols.upperBound).contiguous()
        }
        let product = try gridProduct(t, aBlock: aBlock, bBlock: bBlock)   // [group, pixels, mg]
        // Back to NCHW, with the bias as the epilogue.
        var y = try product.reshaped([g.group, g.n, g.oh * g.ow, g.mg]).permuted([1, 0, 3, 2]).contiguous().reshaped([g.n, g.m, g.oh, g.ow])
        if let bias = call.optionalInput(2) {
            y = try cpu.run("Add", [y, try bias.converted(to: .float32).reshaped([1, g.m, 1, 1])])
        }
        return try y.reshaped(g.outputShape(oneD: x0.rank == 3)).converted(to: x0.dtype)
    }

    func block(_ t: Tensor, _ c: Int, _ rows: Range<Int>, _ cols: Range<Int>) throws -> Tensor {
        try t.sliced(axis: 0, start: c, end: c + 1).sliced(axis: 1, start: rows.lowerBound, end: rows.upperBound)
            .sliced(axis: 2, start: cols.lowerBound, end: cols.upperBound).contiguous().reshaped([rows.count, cols.count])
    }

    // MARK: Vector-unit grids

    /// Elementwise ops: the output is streamed in chunks of a quarter of VMEM; each chunk computes from
    /// the matching chunk of every (broadcast) elementwise operand, the first `operands` inputs (the rest,
    /// such as Clip's bounds, go to every chunk whole). The output's shape and type are the schema's.
    func streamed(_ call: KernelInvocation, operands: Int) throws -> Tensor {
        guard let inferred = try call.inferredOutputs().first else { return try cpu.run(call)[0] }
        let shape = inferred.shape
        let inputs = try call.inputs.enumerated().map { i, t in
            try t.map { i < operands ? try $0.expanded(to: try Shape.broadcast([$0.shape, shape])).contiguous() : $0 }
        }
        guard inputs.prefix(operands).compactMap({ $0 }).allSatisfy({ $0.shape == shape }) else { return try cpu.run(call)[0] }
        let out = Tensor(zeros: shape, dtype: inferred.dtype)
        let chunk = max(1, chip.vmemBytes / 4 / 4)
        var written = 0
        var start = 0
        while start < out.count {
            let end = min(out.count, start + chunk)
            var piece = call
            piece.inputs = try inputs.enumerated().map { i, t in
                try t.map { i < operands ? try $0.reshaped([$0.count]).sliced(axis: 0, start: start, end: end) : $0 }
            }
            let r = try cpu.run(piece)[0]
            (out.rawPointer + start * out.dtype.byteSize).copyMemory(from: r.contiguous().rawPointer, byteCount: (end - start) * out.dtype.byteSize)
            written += end - start
            start = end
        }
        guard written == out.count else { throw SimulatorError("streamed \(written) of \(out.count) elements") }
        return out
    }

    /// One block per batch element: the inputs the schema says carry the batch are sliced.
    func batchSliced(_ call: KernelInvocation, carriers: [Bool]) throws -> [Tensor] {
        let batch = try call.input(0).shape[0]
        var parts: [[Tensor]] = []
        for b in 0..<batch {
            var piece = call
            piece.inputs = try call.inputs.enumerated().map { i, t in
                guard let t else { return nil }
                return i < carriers.count && carriers[i] ? try t.sliced(axis: 0, start: b, end: b + 1).contiguous() : t
            }
            parts.append(try cpu.run(piece))
        }
        return try (0..<parts[0].count).map { o in
            try cpu.run(KernelInvocation(op: "Concat", inputs: parts.map { $0[o] }, attributes: Attributes(["axis": .int(0)])))[0]
        }
    }
}
