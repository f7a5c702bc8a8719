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
    /// Images the stages make together.
    public var imagesPerBatch: Int
    /// Totals per image.
    public var secondsPerImage: Double, flopsPerImage: Double, hbmBytesPerImage: Double
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
        secondsPerImage = seconds / Double(self.imagesPerBatch)
        flopsPerImage = flops / Double(self.imagesPerBatch)
        hbmBytesPerImage = total { $0.report.hbmBytes } / Double(self.imagesPerBatch)
        let peak = simulator.chip.peakFlops(for: dtype)
        matrixUnitUtilization = seconds > 0 ? flops / (seconds * peak) : 0
    }
}
