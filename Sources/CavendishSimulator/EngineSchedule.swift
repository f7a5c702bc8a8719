/// The event-driven timeline of one kernel over the chip's engines.
///
/// Each grid step copies its input blocks HBM -> VMEM, runs the matrix units, then the vector unit
/// (epilogue, softmax), and, when it finishes an output block, copies it back. Inputs are double
/// buffered: step s may start loading once step s-2 has finished computing, so loads overlap compute.
/// HBM is one shared resource for both directions. The kernel ends when its last copy-out ends.
struct EngineSchedule {
    let chip: ChipSpec
    let start: Double
    private var hbmFree: Double, mxuFree: Double, vpuFree: Double
    private var bufferFree: [Double]
    private var stepIndex = 0
    private(set) var end: Double
    private(set) var busy: [EngineEvent.Engine: Double] = [:]
    private var spans: [EngineEvent.Engine: (Double, Double)] = [:]

    init(start: Double, chip: ChipSpec) {
        self.chip = chip
        self.start = start
        (hbmFree, mxuFree, vpuFree, end) = (start, start, start, start)
        bufferFree = [start, start]
    }

    private mutating func mark(_ e: EngineEvent.Engine, _ a: Double, _ b: Double) {
        guard b > a else { return }
        busy[e, default: 0] += b - a
        let s = spans[e] ?? (a, b)
        spans[e] = (min(s.0, a), max(s.1, b))
    }

    var vectorRate: Double { Double(chip.vectorElementsPerCycle * chip.tensorCores) * chip.clockHz }
    var transcendentalRate: Double { Double(chip.transcendentalsPerCycle * chip.tensorCores) * chip.clockHz }

    /// Seconds of vector-unit work.
    func vectorSeconds(_ ops: Double, _ transcendentals: Double) -> Double {
        ops / vectorRate + transcendentals / transcendentalRate
    }

    /// One grid step.
    mutating func step(inBytes: Double, matrixSeconds: Double, vectorSeconds: Double, outBytes: Double) {
        let slot = stepIndex % 2
        stepIndex += 1
        let inStart = max(hbmFree, bufferFree[slot])
        let inEnd = inStart + inBytes / chip.hbmBytesPerSecond
        if inBytes > 0 { hbmFree = inEnd; mark(.dmaIn, inStart, inEnd) }
        let mStart = max(inEnd, mxuFree), mEnd = mStart + matrixSeconds
        if matrixSeconds > 0 { mxuFree = mEnd; mark(.matrixUnits, mStart, mEnd) }
        let vStart = max(matrixSeconds > 0 ? mEnd : inEnd, vpuFree), vEnd = vStart + vectorSeconds
        if vectorSeconds > 0 { vpuFree = vEnd; mark(.vectorUnit, vStart, vEnd) }
        let done = max(matrixSeconds > 0 ? mEnd : inEnd, vectorSeconds > 0 ? vEnd : inEnd)
        bufferFree[slot] = done
        end = max(end, done)
        if outBytes > 0 {
            let oStart = max(done, hbmFree), oEnd = oStart + outBytes / chip.hbmBytesPerSecond
            hbmFree = oEnd
            mark(.dmaOut, oStart, oEnd)
            end = max(end, oEnd)
        }
    }

    /// A blocked GEMM with an elementwise epilogue. Returns (HBM bytes, VMEM high water, steps).
    mutating func gemm(_ t: GemmTiling, passes: Double, vectorOps: Double, transcendentals: Double, extraIn: Double,
                       outputBytes: Double, mode: SystolicArray.Mode) -> (Double, Int, Int) {
        let e = Double(t.elementBytes)
        var cycles = t.stepCycles(rows: chip.arrayRows, cols: chip.arrayCols, units: chip.matrixUnits, passes: passes)
        if mode == .scalesim {
            // Every fold pays its stationary load and skew: SCALE-Sim's per-fold 2R + C + rows - 2.
            let folds = ((t.bk + chip.arrayRows - 1) / chip.arrayRows) * ((t.bn + chip.arrayCols - 1) / chip.arrayCols)
            let rounds = (folds + chip.matrixUnits - 1) / chip.matrixUnits
            cycles = Double(rounds * (2 * chip.arrayRows + chip.arrayCols + t.bm - 2)) * passes
        }
        let outputBlocks = Double(t.count * t.gridM * t.gridN)
        // Blocks are padded to the arrays for compute, but only real elements move.
        let (em, en, ek) = (min(t.bm, t.m), min(t.bn, t.n), min(t.bk, t.k))
        let epilogue = vectorSeconds(vectorOps, transcendentals) / outputBlocks
        let outPerBlock = outputBytes / outputBlocks, extraPerBlock = extraIn / outputBlocks
        var hbm = 0.0
        var lastA = (-1, -1, -1), lastB = (-1, -1, -1)
        for c in 0..<t.count { for i in 0..<t.gridM { for j in 0..<t.gridN { for k in 0..<t.gridK {
            var bytes = 0.0
            if lastA != (c, i, k) { bytes += Double(em * ek) * e / t.aReuse; lastA = (c, i, k) }
            if lastB != (c, k, j) { bytes += Double(ek * en) * e; lastB = (c, k, j) }
            let last = k == t.gridK - 1
            if last { bytes += extraPerBlock }
            hbm += bytes + (last ? outPerBlock : 0)
            step(inBytes: bytes, matrixSeconds: cycles / chip.clockHz, vectorSeconds: last ? epilogue : 0, outBytes: last ? outPerBlock : 0)
        } } } }
        // Pipeline fill and drain of the arrays, once per kernel.
        end += Double(chip.arrayRows + chip.arrayCols) / chip.clockHz
        return (hbm, t.vmemBytes, t.steps)
    }

    /// Flash attention: for each (batch x head, query block), stream key/value blocks through QK^T, the
    /// online softmax on the vector unit, and PV. Returns (HBM bytes, VMEM high water, steps).
    mutating func attention(_ a: (batchHeads: Int, sq: Int, skv: Int, d: Int, dv: Int), bytes: Int, passes: Double,
                            vectorOps: Double, transcendentals: Double, extraIn: Double, extraOut: Double) -> (Double, Int, Int) {
        let e = Double(bytes)
        let bq = min(512, a.sq), bkv = min(512, a.skv)
        let qBlocks = (a.sq + bq - 1) / bq, kvBlocks = (a.skv + bkv - 1) / bkv
        let (r, c, units) = (chip.arrayRows, chip.arrayCols, chip.matrixUnits)
        func cycles(_ k: Int, _ n: Int) -> Double {
            let folds = ((k + r - 1) / r) * ((n + c - 1) / c)
            return Double((folds + units - 1) / units * max(bq, r)) * passes
        }
        let matrix = (cycles(a.d, bkv) + cycles(bkv, a.dv)) / chip.clockHz
        let totalSteps = a.batchHeads * qBlocks * kvBlocks
        let vector = vectorSeconds(vectorOps, transcendentals) / Double(totalSteps)
        var hbm = 0.0
        for _ in 0..<a.batchHeads { for _ in 0..<qBlocks { for kv in 0..<kvBlocks {
            var inBytes = Double(bkv * (a.d + a.dv)) * e
            if kv == 0 { inBytes += Double(bq * a.d) * e + extraIn / Double(a.batchHeads * qBlocks) }
            let out = kv == kvBlocks - 1 ? Double(bq * a.dv) * e + max(0, extraOut) / Double(a.batchHeads * qBlocks) : 0
            hbm += inBytes + out
            step(inBytes: inBytes, matrixSeconds: matrix, vectorSeconds: vector, outBytes: out)
        } } }
        end += Double(r + c) / chip.clockHz
        let vmem = 2 * (bq * a.d + bkv * (a.d + a.dv)) * bytes + bq * bkv * 4 + bq * a.dv * 4
        return (hbm, vmem, totalSteps)
    }

    /// A vector-only kernel streamed through VMEM in 1 MiB chunks. Returns (HBM bytes, VMEM high water, steps).
    mutating func stream(inBytes: Double, outBytes: Double, vectorOps: Double, transcendentals: Double) -> (Double, Int, Int) {
        let chunk = Double(1 << 20)
        let steps = max(1, Int(((inBytes + outBytes) / chunk).rounded(.up)))
        let vector = vectorSeconds(vectorOps, transcendentals) / Double(steps)
        for _ in 0..<steps {
            step(inBytes: inBytes / Double(steps), matrixSeconds: 0, vectorSeconds: vector, outBytes: outBytes / Double(steps))
        }
        return (inBytes + outBytes, Int(4 * chunk), steps)
    }

    /// The busy span of each engine as one trace slice.
    func events(group: String) -> [EngineEvent] {
        spans.map { EngineEvent(engine: $0.key, group: group, start: $0.value.0, end: $0.value.1) }
            .sorted { $0.engine.rawValue < $1.engine.rawValue }
    }
}
