import CavendishCore
import CavendishGraph
import CavendishOps

/// Costs a graph on a chip: groups nodes into fused kernels, tiles each for the chip, and runs an
/// event-driven schedule of every grid step over the engines (HBM DMA in and out, matrix units, vector
/// unit), with double-buffered inputs so that transfers overlap compute.
///
/// Kernels run one after another, as XLA launches them, after the program's launch cost. Nothing is
/// fitted to a model: every figure comes from the chip's published numbers, the graph's shapes and the
/// two overheads fitted on published microbenchmarks (`ChipSpec.gridStepSeconds`, `launchSeconds`).
public struct Simulator: Sendable {
    /// How attention is computed.
    public enum AttentionMode: String, Sendable, CaseIterable {
        /// Flash attention: query blocks stream key/value blocks, the scores stay in VMEM.
        case flash
        /// A plain dot product, as the MLPerf SDXL reference and the 2023 JAX pipeline write it, compiled
        /// the way the published times allow: the softmax is fused into the two GEMMs, so the score matrix
        /// goes through HBM twice (QK^T writes it with the softmax's exponentials, PV reads it once).
        case dot
        /// The same dot product with the softmax as a kernel of its own: the score matrix through HBM four
        /// times. The published v5e and v6e SDXL times are below what this allows on a perfect chip
        /// (`PublishedResultsTests`), so it is kept only as an ablation.
        case dotUnfused = "dot-unfused"
    }
    /// The chip.
    public var chip: ChipSpec
    /// Fuse elementwise, normalization and layout ops into their producer's kernel (off for ablations).
    public var fusion: Bool
    /// Systolic timing model for matrix-unit blocks.
    public var mode: SystolicArray.Mode
    /// How attention is computed.
    public var attention: AttentionMode
    /// A fixed (bm, bk, bn) block shape for every GEMM instead of the tiler's choice (the microbenchmarks
    /// the overheads are fitted on name their blocks).
    public var gemmBlocks: (bm: Int, bk: Int, bn: Int)?
    /// How each pass is split over chips (tensor and sequence splits add ICI collectives; a data split
    /// changes nothing here: the graph is built at the per-chip batch).
    public var parallel: Parallelism

    /// A simulator for `chip`.
    public init(chip: ChipSpec, fusion: Bool = true, mode: SystolicArray.Mode = .pipelined, attention: AttentionMode = .flash,
                gemmBlocks: (bm: Int, bk: Int, bn: Int)? = nil, parallel: Parallelism = .single) {
        self.parallel = parallel
        self.chip = chip
        self.fusion = fusion
        self.mode = mode
        self.attention = attention
        self.gemmBlocks = gemmBlocks
    }

    /// A fused group: an optional anchor (matrix or attention node) and the vector/layout nodes that
    /// follow it in one kernel.
    struct Group {
        var nodes: [Int] = []
        var anchor: Int?
        var hasNorm = false
    }

    /// Splits the graph into kernels. A vector or layout node joins the kernel being built when it reads
    /// one of that kernel's results; normalizations start a kernel of their own (they reduce over the
    /// whole tensor first) that following elementwise ops may join.
    func groups(_ graph: Graph, _ workloads: [OpWorkload]) -> [Group] {
        var producerGroup: [ValueID: Int] = [:]
        var groups: [Group] = []
        for (i, node) in graph.nodes.enumerated() {
            let w = workloads[i]
            let isNorm = w.category == .normalization
            // Join the kernel being built when one of the inputs comes from it; values it produces that
            // other kernels also read are still written out (multi-output fusion, as XLA does).
            var target: Int? = nil
            if fusion, w.kind == .vector || w.kind == .layout, !isNorm, !groups.isEmpty,
               node.inputs.contains(where: { $0.flatMap { producerGroup[$0] } == groups.count - 1 }) {
                target = groups.count - 1
            }
            if let g = target {
                groups[g].nodes.append(i)
            } else {
                var g = Group()
                g.nodes = [i]
                if w.kind == .matrix || w.kind == .attention { g.anchor = i }
                g.hasNorm = isNorm
                groups.append(g)
            }
            let gi = target ?? groups.count - 1
            for o in node.outputs { producerGroup[o] = gi }
        }
        return groups
    }

    /// Simulates one pass of `graph` with activations and weights of element type `dtype`.
    public func simulate(_ graph: Graph, dtype: DType) throws -> GraphReport {
        let whole = try graph.nodes.map { try OpWorkload(node: $0, graph: graph) }
        let plan = groups(graph, whole)
        let split = parallel.chips > 1 && parallel.kind != .data
        if split && chip.ici == nil { throw SimulatorError("chip '\(chip.name)' describes no interconnect (ici), so it cannot be split over chips") }
        let workloads = split ? whole.map { $0.sharded(parallel) } : whole
        var groupOf = [Int](repeating: 0, count: graph.nodes.count)
        for (g, group) in plan.enumerated() { for n in group.nodes { groupOf[n] = g } }
        var producer: [ValueID: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for o in node.outputs { producer[o] = i } }
        var usedOutside = Set<ValueID>(graph.outputs)
        for (i, node) in graph.nodes.enumerated() {
            for case let v? in node.inputs where producer[v].map({ groupOf[$0] != groupOf[i] }) ?? false { usedOutside.insert(v) }
        }

        let launch = chip.launchSeconds ?? 0
        var clock = launch
        var reports: [OpReport] = []
        var events: [EngineEvent] = []
        var cache: [GemmKey: GemmTiling] = [:]
        for group in plan {
            // Bytes that cross HBM: inputs produced outside the group (or weights), outputs used outside.
            var external = 0.0, written = 0.0, vectorOps = 0.0, transcendentals = 0.0
            for n in group.nodes {
                let node = graph.nodes[n], w = workloads[n]
                for (pos, v) in node.inputs.enumerated() {
                    guard let v else { continue }
                    let fromInside = producer[v].map { groupOf[$0] == groupOf[n] } ?? false
                    if !fromInside && n != group.anchor && !(w.kind == .layout && fusion) { external += Double(w.inputBytes[pos]) }
                }
                for o in node.outputs where usedOutside.contains(o) && !(w.kind == .layout && fusion && group.anchor == nil && group.nodes.count == 1) {
                    written += Double(graph[o].byteCount)
                }
                vectorOps += w.vectorOps
                transcendentals += w.transcendentals
            }
            if !fusion {
                // Unfused: every node reads its inputs and writes its outputs.
                external = 0; written = 0
                for n in group.nodes where n != group.anchor {
                    external += Double(workloads[n].inputBytes.reduce(0, +)); written += Double(workloads[n].outputBytes)
                }
                if let a = group.anchor { written += Double(workloads[a].outputBytes) }
            }
            let names = group.nodes.map { graph.nodes[$0].name.isEmpty ? graph.nodes[$0].op : graph.nodes[$0].name }
            let ops = group.nodes.map { graph.nodes[$0].op }
            var schedule = EngineSchedule(start: clock, chip: chip)
            var flops = 0.0, hbm = 0.0, vmem = 0, steps = 0
            if let a = group.anchor {
                let w = workloads[a]
                flops = w.flops
                var tilings: [GemmTiling] = []
                for g in w.gemms { tilings.append(tiling(g, dtype: dtype, cache: &cache)) }
                if w.kind == .attention, let geo = w.attention, attention != .flash {
                    (hbm, vmem, steps) = dotProductAttention(&schedule, geo, dtype: dtype, vectorOps: vectorOps, transcendentals: transcendentals,
                                                             extraIn: external, outputBytes: written, fusedSoftmax: attention == .dot, cache: &cache)
                } else if w.kind == .attention, let geo = w.attention {
                    (hbm, vmem, steps) = schedule.attention(geo, bytes: dtype.byteSize, passes: chip.passes(for: dtype),
                                                           vectorOps: vectorOps, transcendentals: transcendentals, extraIn: external, extraOut: written - Double(w.outputBytes))
                } else {
                    (hbm, vmem, steps) = schedule.gemm(tilings[0], passes: chip.passes(for: dtype), vectorOps: vectorOps,
                                                       transcendentals: transcendentals, extraIn: external,
                                                       outputBytes: fusion ? written : Double(w.outputBytes), mode: mode)
                }
            } else {
                (hbm, vmem, steps) = schedule.stream(inBytes: external, outBytes: written, vectorOps: vectorOps, transcendentals: transcendentals)
            }
            if split, let ici = chip.ici {
                let comm = try collectiveSeconds(group, graph: graph, whole: whole, dtype: dtype, ici: ici)
                if comm > 0 { schedule.collective(seconds: comm, overlap: parallel.overlap) }
            }
            let seconds = schedule.end - clock
            let peak = chip.peakFlops(for: dtype)
            let busy = schedule.busy, cores = Double(chip.tensorCores)
            // Both DMA directions share HBM; the units' busy time is summed over the cores.
            let bound = [("bandwidth", (busy[.dmaIn] ?? 0) + (busy[.dmaOut] ?? 0)), ("compute", (busy[.matrixUnits] ?? 0) / cores),
                         ("vector", (busy[.vectorUnit] ?? 0) / cores), ("ici", busy[.ici] ?? 0)].max { $0.1 < $1.1 }!.0
            reports.append(OpReport(name: names.joined(separator: "+"), op: ops.joined(separator: "+"), start: clock, seconds: seconds,
                                    cycles: seconds * chip.clockHz, flops: flops, hbmBytes: hbm, arithmeticIntensity: hbm > 0 ? flops / hbm : 0,
                                    bound: seconds > 0 ? bound : "none", matrixUnitUtilization: seconds > 0 ? flops / (seconds * peak) : 0,
                                    vmemHighWater: vmem, gridSteps: steps,
                                    busySeconds: Dictionary(uniqueKeysWithValues: busy.map { ($0.key.key, $0.value) })))
            events += schedule.events(group: names.first ?? "")
            clock = schedule.end
        }
        let peak = chip.peakFlops(for: dtype)
        let flops = reports.map(\.flops).reduce(0, +)
        return GraphReport(chip: chip.name, dtype: dtype.rawValue, seconds: clock, cycles: clock * chip.clockHz, flops: flops,
                           hbmBytes: reports.map(\.hbmBytes).reduce(0, +), matrixUnitUtilization: clock > 0 ? flops / (clock * peak) : 0,
                           vmemHighWater: reports.map(\.vmemHighWater).max() ?? 0, ops: reports, events: events, launchSeconds: launch)
    }

    /// The ICI time a kernel adds under a tensor or sequence split (see `Parallelism.Kind`).
    func collectiveSeconds(_ group: Group, graph: Graph, whole: [OpWorkload], dtype: DType, ici: ChipSpec.Interconnect) throws -> Double {
        let n = parallel.chips
        var seconds = 0.0
        if let a = group.anchor {
            let w = whole[a]
            if parallel.kind == .tensor && w.kind == .matrix {
                seconds += try Collective.allGatherSeconds(bytes: Double(w.outputBytes), chips: n, ici: ici)
            }
            if parallel.kind == .sequence, let geo = w.attention, geo.sq == geo.skv {
                let kv = Double(geo.batchHeads * geo.skv * (geo.d + geo.dv) * dtype.byteSize)
                seconds += try Collective.allGatherSeconds(bytes: kv, chips: n, ici: ici)
            }
        }
        if parallel.kind == .sequence {
            // A GroupNorm's mean and variance per (image, group): a latency-bound all-reduce.
            for node in group.nodes where graph.nodes[node].op == "GroupNormalization" {
                seconds += try Collective.allReduceSeconds(bytes: 4096, chips: n, ici: ici)
            }
        }
        return seconds
    }

    /// Attention as a plain dot product, the score matrix in HBM in the activation type.
    ///
    /// `fusedSoftmax`: two kernels. QK^T computes each row's maximum, exponentials and sum in its epilogue
    /// (its output blocks hold whole rows: 128 rows of 4,096 float32 scores are 2 MiB of VMEM, which every
    /// chip has) and writes the unnormalized probabilities; PV reads them once and divides its output rows
    /// by the sums. Otherwise three: QK^T writes the scores, the softmax reads and writes them, PV reads them.
    func dotProductAttention(_ schedule: inout EngineSchedule, _ a: (batchHeads: Int, sq: Int, skv: Int, d: Int, dv: Int), dtype: DType,
                             vectorOps: Double, transcendentals: Double, extraIn: Double, outputBytes: Double, fusedSoftmax: Bool,
                             cache: inout [GemmKey: GemmTiling]) -> (Double, Int, Int) {
        let e = dtype.byteSize, passes = chip.passes(for: dtype)
        func tiling(m: Int, n: Int, k: Int) -> GemmTiling {
            self.tiling(GemmShape(count: a.batchHeads, m: m, n: n, k: k), dtype: dtype, cache: &cache)
        }
        let scores = Double(a.batchHeads * a.sq * a.skv * e)
        if fusedSoftmax {
            let qk = schedule.gemm(tiling(m: a.sq, n: a.skv, k: a.d), passes: passes, vectorOps: vectorOps, transcendentals: transcendentals,
                                   extraIn: extraIn, outputBytes: scores, mode: mode)
            let pv = schedule.gemm(tiling(m: a.sq, n: a.dv, k: a.skv), passes: passes, vectorOps: 0, transcendentals: 0, extraIn: 0,
                                   outputBytes: outputBytes, mode: mode)
            return (qk.0 + pv.0, max(qk.1, pv.1), qk.2 + pv.2)
        }
        let qk = schedule.gemm(tiling(m: a.sq, n: a.skv, k: a.d), passes: passes, vectorOps: 0, transcendentals: 0, extraIn: extraIn,
                               outputBytes: scores, mode: mode)
        let softmax = schedule.stream(inBytes: scores, outBytes: scores, vectorOps: vectorOps, transcendentals: transcendentals)
        let pv = schedule.gemm(tiling(m: a.sq, n: a.dv, k: a.skv), passes: passes, vectorOps: 0, transcendentals: 0, extraIn: 0,
                               outputBytes: outputBytes, mode: mode)
        return (qk.0 + softmax.0 + pv.0, max(qk.1, softmax.1, pv.1), qk.2 + softmax.2 + pv.2)
    }

    /// The blocking of `g` at `dtype`, chosen once per shape.
    func tiling(_ g: GemmShape, dtype: DType, cache: inout [GemmKey: GemmTiling]) -> GemmTiling {
        let key = GemmKey(m: g.m, n: g.n, k: g.k, count: g.count, bytes: dtype.byteSize, reuse: g.aReuse)
        if let t = cache[key] { return t }
        let t = GemmTiling.choose(m: g.m, n: g.n, k: g.k, count: g.count, elementBytes: dtype.byteSize, aReuse: g.aReuse, chip: chip,
                                  passes: chip.passes(for: dtype), blocks: gemmBlocks)
        cache[key] = t
        return t
    }

    struct GemmKey: Hashable { var m, n, k, count, bytes: Int; var reuse: Double }
}
