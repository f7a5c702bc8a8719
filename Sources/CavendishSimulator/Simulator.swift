import CavendishCore
import CavendishGraph
import CavendishOps

/// Costs a graph on a chip: groups nodes into fused kernels, tiles each for the chip, and runs an
/// event-driven schedule of every grid step over the engines (HBM DMA in and out, matrix units, vector
/// unit), with double-buffered inputs so that transfers overlap compute.
///
/// Kernels run one after another, as XLA launches them. Nothing is fitted to a model: every figure
/// comes from the chip's published numbers and the graph's shapes.
public struct Simulator: Sendable {
    /// The chip.
    public var chip: ChipSpec
    /// Fuse elementwise, normalization and layout ops into their producer's kernel (off for ablations).
    public var fusion: Bool
    /// Systolic timing model for matrix-unit blocks.
    public var mode: SystolicArray.Mode

    /// A simulator for `chip`.
    public init(chip: ChipSpec, fusion: Bool = true, mode: SystolicArray.Mode = .pipelined) {
        self.chip = chip
        self.fusion = fusion
        self.mode = mode
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
        let workloads = try graph.nodes.map { try OpWorkload(node: $0, graph: graph) }
        let plan = groups(graph, workloads)
        var groupOf = [Int](repeating: 0, count: graph.nodes.count)
        for (g, group) in plan.enumerated() { for n in group.nodes { groupOf[n] = g } }
        var producer: [ValueID: Int] = [:]
        for (i, node) in graph.nodes.enumerated() { for o in node.outputs { producer[o] = i } }
        var usedOutside = Set<ValueID>(graph.outputs)
        for (i, node) in graph.nodes.enumerated() {
            for case let v? in node.inputs where producer[v].map({ groupOf[$0] != groupOf[i] }) ?? false { usedOutside.insert(v) }
        }

        var clock = 0.0
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
                for g in w.gemms {
                    let key = GemmKey(m: g.m, n: g.n, k: g.k, count: g.count, bytes: dtype.byteSize, reuse: g.aReuse)
                    let t = cache[key] ?? GemmTiling.choose(m: g.m, n: g.n, k: g.k, count: g.count, elementBytes: dtype.byteSize,
                                                           aReuse: g.aReuse, chip: chip, passes: chip.passes(for: dtype))
                    cache[key] = t
                    tilings.append(t)
                }
                if w.kind == .attention, let geo = w.attention {
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
            let seconds = schedule.end - clock
            let peak = chip.peakFlops(for: dtype)
            let busy = schedule.busy
            let bound = busy.max(by: { $0.value < $1.value }).map { $0.key == .matrixUnits ? "compute" : ($0.key == .vectorUnit ? "vector" : "bandwidth") } ?? "bandwidth"
            reports.append(OpReport(name: names.joined(separator: "+"), op: ops.joined(separator: "+"), start: clock, seconds: seconds,
                                    cycles: seconds * chip.clockHz, flops: flops, hbmBytes: hbm, arithmeticIntensity: hbm > 0 ? flops / hbm : 0,
                                    bound: seconds > 0 ? bound : "none", matrixUnitUtilization: seconds > 0 ? flops / (seconds * peak) : 0,
                                    vmemHighWater: vmem, gridSteps: steps))
            events += schedule.events(group: names.first ?? "")
            clock = schedule.end
        }
        let peak = chip.peakFlops(for: dtype)
        let flops = reports.map(\.flops).reduce(0, +)
        return GraphReport(chip: chip.name, dtype: dtype.rawValue, seconds: clock, cycles: clock * chip.clockHz, flops: flops,
                           hbmBytes: reports.map(\.hbmBytes).reduce(0, +), matrixUnitUtilization: clock > 0 ? flops / (clock * peak) : 0,
                           vmemHighWater: reports.map(\.vmemHighWater).max() ?? 0, ops: reports, events: events)
    }

    struct GemmKey: Hashable { var m, n, k, count, bytes: Int; var reuse: Double }
}
