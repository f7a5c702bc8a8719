/// The event-driven timeline of one kernel over the chip's engines.
///
/// Each grid step copies its input blocks HBM -> VMEM, runs the matrix units, then the vector unit
/// (epilogue, softmax), and, when it finishes an output block, copies it back. As in Pallas' TPU
/// pipeline, the prefetch of step s+1 is issued when step s starts computing (its buffer is free once
/// step s-1 has finished), so it goes onto HBM before step s's write-back; both directions share HBM.
/// Each step also costs the core `gridStepSeconds` of scalar work (DMA issue, semaphore waits, loop
/// bookkeeping) before its compute starts. On a chip with several TensorCores (megacore) the output
/// blocks are dealt round-robin to the cores, each with its own matrix and vector units and its own
/// double buffers, all sharing one HBM. The kernel ends when its last copy-out ends.
struct EngineSchedule {
    let chip: ChipSpec
    let start: Double
    private var hbmFree: Double
    private var cores: [Core]
    private(set) var end: Double
    private(set) var busy: [EngineEvent.Engine: Double] = [:]
    private var intervals: [EngineEvent.Engine: [(Double, Double)]] = [:]

    /// One TensorCore's engines and buffers.
    private struct Core {
        var mxuFree: Double, vpuFree: Double, scalarFree: Double
        /// When each of the two input buffers is free again.
        var bufferFree: [Double]
        /// When the current step's compute started (the next step's prefetch may issue from then).
        var computeStart: Double
        var steps = 0
        /// The write-back of the last step, booked after the next step's prefetch.
        var pendingOut: (ready: Double, bytes: Double)?
    }

    init(start: Double, chip: ChipSpec) {
        self.chip = chip
        self.start = start
        (hbmFree, end) = (start, start)
        cores = Array(repeating: Core(mxuFree: start, vpuFree: start, scalarFree: start, bufferFree: [start, start], computeStart: start),
                      count: chip.tensorCores)
    }

    private mutating func mark(_ e: EngineEvent.Engine, _ a: Double, _ b: Double) {
        guard b > a else { return }
        busy[e, default: 0] += b - a
        if let last = intervals[e]?.last, a <= last.1 + 1e-12 {
            intervals[e]![intervals[e]!.count - 1].1 = max(last.1, b)
        } else {
            intervals[e, default: []].append((a, b))
        }
    }

    /// Vector-unit element operations per second, all cores.
    var vectorRate: Double { Double(chip.vectorElementsPerCycle * chip.tensorCores) * chip.clockHz }
    /// Transcendental results per second, all cores.
    var transcendentalRate: Double { Double(chip.transcendentalsPerCycle * chip.tensorCores) * chip.clockHz }

    /// Seconds of vector-unit work over all cores: the ALUs and the transcendental unit run in parallel
    /// where the chip has a separate transcendental unit, else one after the other.
    func vectorSeconds(_ ops: Double, _ transcendentals: Double) -> Double {
        let alu = ops / vectorRate, eup = transcendentals / transcendentalRate
        return chip.separateTranscendentalUnit ? max(alu, eup) : alu + eup
    }

    private mutating func bookOut(_ c: Int) {
        guard let out = cores[c].pendingOut else { return }
        cores[c].pendingOut = nil
        let oStart = max(out.ready, hbmFree), oEnd = oStart + out.bytes / chip.hbmBytesPerSecond
        hbmFree = oEnd
        mark(.dmaOut, oStart, oEnd)
        end = max(end, oEnd)
    }

    /// One grid step on core `core`. `matrixSeconds` and `vectorSeconds` are that core's time.
    mutating func step(core c: Int, inBytes: Double, matrixSeconds: Double, vectorSeconds: Double, outBytes: Double) {
        let slot = cores[c].steps % 2
        cores[c].steps += 1
        // The prefetch goes out once its buffer is free and the previous step has started computing.
        let issue = max(hbmFree, cores[c].bufferFree[slot], cores[c].computeStart)
        let inEnd = inBytes > 0 ? issue + inBytes / chip.hbmBytesPerSecond : max(cores[c].bufferFree[slot], cores[c].computeStart)
        if inBytes > 0 { hbmFree = inEnd; mark(.dmaIn, issue, inEnd) }
        bookOut(c)
        let ready = max(inEnd, cores[c].scalarFree) + chip.gridStepOverhead
        cores[c].computeStart = ready
        let mStart = max(ready, cores[c].mxuFree), mEnd = mStart + matrixSeconds
        if matrixSeconds > 0 { cores[c].mxuFree = mEnd; mark(.matrixUnits, mStart, mEnd) }
        let afterMatrix = matrixSeconds > 0 ? mEnd : ready
        let vStart = max(afterMatrix, cores[c].vpuFree), vEnd = vStart + vectorSeconds
        if vectorSeconds > 0 { cores[c].vpuFree = vEnd; mark(.vectorUnit, vStart, vEnd) }
        let done = max(afterMatrix, vectorSeconds > 0 ? vEnd : afterMatrix)
        cores[c].scalarFree = afterMatrix
        cores[c].bufferFree[slot] = done
        end = max(end, done)
        if outBytes > 0 { cores[c].pendingOut = (done, outBytes) }
    }

    /// An ICI collective of `seconds` that belongs to this kernel: under its compute from the kernel's
    /// start when `overlap` (a collective matmul), else after it.
    mutating func collective(seconds: Double, overlap: Bool) {
        let s = overlap ? start : end
        mark(.ici, s, s + seconds)
        end = max(end, s + seconds)
    }

    /// Books every write-back still waiting.
    private mutating func flushWriteBacks() {
        for c in cores.indices { bookOut(c) }
    }

    /// Books every write-back still waiting, and the arrays' fill and drain once per kernel.
    mutating func finish() {
        flushWriteBacks()
        end += Double(chip.arrayRows + chip.arrayCols) / chip.clockHz
    }

    /// A blocked GEMM with an elementwise epilogue. Returns (HBM bytes, VMEM high water, steps).
    mutating func gemm(_ t: GemmTiling, passes: Double, vectorOps: Double, transcendentals: Double, extraIn: Double,
                       outputBytes: Double, mode: SystolicArray.Mode) -> (Double, Int, Int) {
        let e = Double(t.elementBytes)
        var cycles = t.stepCycles(rows: chip.arrayRows, cols: chip.arrayCols, units: chip.matrixUnitsPerCore, passes: passes)
        if mode == .scalesim {
            // Every fold pays its stationary load and skew: SCALE-Sim's per-fold 2R + C + rows - 2.
            let folds = ((t.bk + chip.arrayRows - 1) / chip.arrayRows) * ((t.bn + chip.arrayCols - 1) / chip.arrayCols)
            let rounds = (folds + chip.matrixUnitsPerCore - 1) / chip.matrixUnitsPerCore
            cycles = Double(rounds * (2 * chip.arrayRows + chip.arrayCols + t.bm - 2)) * passes
        }
        let outputBlocks = Double(t.count * t.gridM * t.gridN)
        // Blocks are padded to the arrays for compute, but only real elements move.
        let (em, en, ek) = (min(t.bm, t.m), min(t.bn, t.n), min(t.bk, t.k))
        // The epilogue of one block runs on the vector unit of the core that owns it.
        let epilogue = vectorSeconds(vectorOps, transcendentals) * Double(chip.tensorCores) / outputBlocks
        let outPerBlock = outputBytes / outputBlocks, extraPerBlock = extraIn / outputBlocks
        var hbm = 0.0
        var lastA = [(Int, Int, Int)](repeating: (-1, -1, -1), count: chip.tensorCores), lastB = lastA
        // Output blocks in the grid's order, dealt to the cores a round at a time; within a round the cores'
        // reduction steps are booked side by side, so that the shared HBM timeline follows the clock.
        var blocks: [(Int, Int, Int)] = []
        for c in 0..<t.count { for i in 0..<t.gridM { for j in 0..<t.gridN { blocks.append((c, i, j)) } } }
        for roundStart in stride(from: 0, to: blocks.count, by: chip.tensorCores) {
            let round = blocks[roundStart..<min(blocks.count, roundStart + chip.tensorCores)]
            for k in 0..<t.gridK {
                for (core, (c, i, j)) in round.enumerated() {
                    var bytes = 0.0
                    if lastA[core] != (c, i, k) { bytes += Double(em * ek) * e / t.aReuse; lastA[core] = (c, i, k) }
                    if lastB[core] != (c, k, j) { bytes += Double(ek * en) * e; lastB[core] = (c, k, j) }
                    let last = k == t.gridK - 1
                    if last { bytes += extraPerBlock }
                    hbm += bytes + (last ? outPerBlock : 0)
                    step(core: core, inBytes: bytes, matrixSeconds: cycles / chip.clockHz, vectorSeconds: last ? epilogue : 0,
                         outBytes: last ? outPerBlock : 0)
                }
            }
        }
        finish()
        return (hbm, t.vmemBytes, t.steps)
    }

    /// Flash attention: for each (batch x head, query block), stream key/value blocks through QK^T, the
    /// online softmax on the vector unit, and PV. Returns (HBM bytes, VMEM high water, steps).
    mutating func attention(_ a: (batchHeads: Int, sq: Int, skv: Int, d: Int, dv: Int), bytes: Int, passes: Double,
                            vectorOps: Double, transcendentals: Double, extraIn: Double, extraOut: Double) -> (Double, Int, Int) {
        let e = Double(bytes)
        let bq = min(512, a.sq), bkv = min(512, a.skv)
        let qBlocks = (a.sq + bq - 1) / bq, kvBlocks = (a.skv + bkv - 1) / bkv
        let (r, c, units) = (chip.arrayRows, chip.arrayCols, chip.matrixUnitsPerCore)
        func cycles(_ k: Int, _ n: Int) -> Double {
            let folds = ((k + r - 1) / r) * ((n + c - 1) / c)
            return Double((folds + units - 1) / units * max(bq, r)) * passes
        }
        let matrix = (cycles(a.d, bkv) + cycles(bkv, a.dv)) / chip.clockHz
        let totalSteps = a.batchHeads * qBlocks * kvBlocks
        let vector = vectorSeconds(vectorOps, transcendentals) * Double(chip.tensorCores) / Double(totalSteps)
        var hbm = 0.0
        let rows = a.batchHeads * qBlocks
        for roundStart in stride(from: 0, to: rows, by: chip.tensorCores) {
            let cores = min(chip.tensorCores, rows - roundStart)
            for kv in 0..<kvBlocks {
                for core in 0..<cores {
                    var inBytes = Double(bkv * (a.d + a.dv)) * e
                    if kv == 0 { inBytes += Double(bq * a.d) * e + extraIn / Double(rows) }
                    let out = kv == kvBlocks - 1 ? Double(bq * a.dv) * e + max(0, extraOut) / Double(rows) : 0
                    hbm += inBytes + out
                    step(core: core, inBytes: inBytes, matrixSeconds: matrix, vectorSeconds: vector, outBytes: out)
                }
            }
        }
        finish()
        let vmem = 2 * (bq * a.d + bkv * (a.d + a.dv)) * bytes + bq * bkv * 4 + bq * a.dv * 4
        return (hbm, vmem, totalSteps)
    }

    /// A vector-only kernel streamed through VMEM in 1 MiB chunks, dealt to the cores in turn. Returns
    /// (HBM bytes, VMEM high water, steps).
    mutating func stream(inBytes: Double, outBytes: Double, vectorOps: Double, transcendentals: Double) -> (Double, Int, Int) {
        let chunk = Double(1 << 20)
        let steps = max(1, Int(((inBytes + outBytes) / chunk).rounded(.up)))
        let vector = vectorSeconds(vectorOps, transcendentals) * Double(chip.tensorCores) / Double(steps)
        for s in 0..<steps {
            step(core: s % chip.tensorCores, inBytes: inBytes / Double(steps), matrixSeconds: 0, vectorSeconds: vector,
                 outBytes: outBytes / Double(steps))
        }
        flushWriteBacks()
        return (inBytes + outBytes, Int(4 * chunk), steps)
    }

    /// Each engine's busy intervals as trace slices. Intervals closer together than 1/64 of the
    /// kernel's span are drawn as one slice (its `busy` says how much of it was busy), so that a kernel of
    /// many thousand grid steps stays a readable, bounded number of slices.
    func events(group: String) -> [EngineEvent] {
        let gap = max(end - start, 0) / 64
        var out: [EngineEvent] = []
        for engine in EngineEvent.Engine.allCases {
            // Cores book their intervals in turn, so one engine's list is sorted here (a union over cores).
            guard let list = intervals[engine]?.sorted(by: { $0.0 < $1.0 }) else { continue }
            var current = list[0], busyTime = list[0].1 - list[0].0
            for iv in list.dropFirst() {
                if iv.0 - current.1 <= gap {
                    current.1 = max(current.1, iv.1)
                } else {
                    out.append(EngineEvent(engine: engine, group: group, start: current.0, end: current.1, busy: busyTime))
                    current = iv
                    busyTime = 0
                }
                busyTime += iv.1 - iv.0
            }
            // Overlapping intervals of two cores count once in the slice's span but twice in `busy`.
            out.append(EngineEvent(engine: engine, group: group, start: current.0, end: current.1, busy: busyTime))
        }
        return out
    }
}
