import CavendishCore
import CavendishGraph

/// What a whole pipeline costs: each stage's graph report times its run count, and the totals per image.
/// The one place those totals are summed (the command line only prints them).
public struct PipelineReport: Encodable, Sendable {
    /// One stage: its graph's report, how often it runs per batch, and its activation memory.
    public struct Stage: Encodable, Sendable {
        /// What it is (`dit-step`, `vae-decoder`).
        public var label: String
        /// Runs per batch of images.
        public var runs: Int
        /// Seconds of one run.
        public var secondsPerRun: Double
        /// The memory plan's arena against keeping every intermediate.
        public var memoryPlanBytes: Int, memoryNaiveBytes: Int
        /// The graph's report.
        public var report: GraphReport
    }

    /// Stages in order.
    public var stages: [Stage]
    /// Images one chip's stages make together.
    public var imagesPerBatch: Int
    /// Chips in the group and how a pass is split over them (`Parallelism`).
    public var chips: Int, parallel: String
    /// Seconds from the first stage's start to the last one's end: one batch's latency.
    public var latencySeconds: Double
    /// Images the group makes per second (a data split makes `chips` batches at once).
    public var imagesPerSecond: Double
    /// Wall seconds per image of the group (1 / `imagesPerSecond`), and chip-seconds per image (what an
    /// image costs: `chips` times that); FLOPs and HBM bytes per image on one chip.
    public var secondsPerImage: Double, chipSecondsPerImage: Double, flopsPerImage: Double, hbmBytesPerImage: Double
    /// FLOPs over the time at the chip's peak for the element type, across all stages.
    public var matrixUnitUtilization: Double

    /// Costs `stages` (graph and runs per batch) on `simulator` at `dtype`.
    public init(stages: [(label: String, graph: Graph, runs: Int)], imagesPerBatch: Int, simulator: Simulator, dtype: DType) throws {
        var out: [Stage] = []
        for s in stages {
            let report = try simulator.simulate(s.graph, dtype: dtype)
            let plan = MemoryPlan(graph: s.graph)
            out.append(Stage(label: s.label, runs: s.runs, secondsPerRun: report.seconds, memoryPlanBytes: plan.arenaBytes,
                             memoryNaiveBytes: plan.naiveBytes, report: report))
        }
        self.stages = out
        self.imagesPerBatch = max(imagesPerBatch, 1)
        let total = { (f: (Stage) -> Double) in out.map { Double($0.runs) * f($0) }.reduce(0, +) }
        let seconds = total { $0.report.seconds }, flops = total { $0.report.flops }
        let p = simulator.parallel
        chips = p.chips
        parallel = p.kind.rawValue
        latencySeconds = seconds
        let groupImages = Double(self.imagesPerBatch * (p.kind == .data ? p.chips : 1))
        imagesPerSecond = seconds > 0 ? groupImages / seconds : 0
        secondsPerImage = seconds / groupImages
        chipSecondsPerImage = secondsPerImage * Double(p.chips)
        flopsPerImage = flops / Double(self.imagesPerBatch)
        hbmBytesPerImage = total { $0.report.hbmBytes } / Double(self.imagesPerBatch)
        let peak = simulator.chip.peakFlops(for: dtype)
        matrixUnitUtilization = seconds > 0 ? flops / (seconds * peak) : 0
    }
}
