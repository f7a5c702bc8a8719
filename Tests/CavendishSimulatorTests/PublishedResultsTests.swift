import CavendishCore
import CavendishGraph
import CavendishModels
import CavendishSimulator
import Foundation
import Testing

/// Simulated SDXL (diffusers' base config, shape-only) at 1024x1024, bf16, 20 steps with classifier-free
/// guidance, with both text encoders, the scheduler and one VAE decode, against the published per-chip
/// figures in docs/TPU_FACTS.md: MLPerf Inference v4.1 (v5e: 2.28 s per image; v6e: 0.735 s at several
/// images per chip, simulated at batch 8) and the JAX/Hugging Face blog (v4: 2.16 s per image, batch 1
/// per chip). No per-model factor: the only fitted constants are the grid-step and launch costs, fitted
/// on the Pallas matmul microbenchmarks (`MicrobenchmarkTests`). The bounds are the errors the README
/// states, so a change that moves a figure shows here.
struct PublishedResultsTests {
    static func pipeline(batch: Int) throws -> PipelineWorkload {
        try ModelCatalog.pipeline("sdxl-unet", resolution: 1024, steps: 20, guidance: true, batch: batch, dtype: .bfloat16)
    }

    static func secondsPerImage(_ chip: String, batch: Int = 1, attention: Simulator.AttentionMode = .flash) throws -> Double {
        let workload = try pipeline(batch: batch)
        let report = try PipelineReport(stages: workload.stages.map { ($0.label, $0.graph, $0.runs) }, imagesPerBatch: batch,
                                        simulator: Simulator(chip: try ChipSpec.load(chip), attention: attention), dtype: .bfloat16)
        return report.secondsPerImage
    }

    static func unet() throws -> CavendishGraph.Graph {
        try #require(try pipeline(batch: 1).stages.first { $0.label == "unet" }).graph
    }

    /// (chip, batch per chip, attention, published s/image, simulated error the README states): flash attention
    /// (scores in VMEM), the dot product the published runs wrote with its softmax fused into the two GEMMs
    /// (scores through HBM twice), and unfused (four times, which `unfusedDotProductIsRuledOut` excludes);
    /// each is pinned within 3 points of the stated error.
    static let stated: [(String, Int, Simulator.AttentionMode, Double, Double)] = [
        ("v5e", 1, .flash, 2.28, -0.05), ("v4", 1, .flash, 2.16, -0.28), ("v6e", 8, .flash, 0.735, -0.01),
        ("v5e", 1, .dot, 2.28, 0.07), ("v4", 1, .dot, 2.16, -0.20), ("v6e", 8, .dot, 0.735, 0.11),
        ("v5e", 1, .dotUnfused, 2.28, 0.33), ("v4", 1, .dotUnfused, 2.16, -0.03), ("v6e", 8, .dotUnfused, 0.735, 0.52),
    ]

    @Test(arguments: stated.indices)
    func sdxlAgainstThePublishedFigure(index: Int) throws {
        let (chip, batch, attention, published, error) = Self.stated[index]
        let s = try Self.secondsPerImage(chip, batch: batch, attention: attention)
        #expect(abs((s / published - 1) - error) <= 0.03, "\(chip) \(attention): simulated \(s) s against published \(published) s")
    }

    @Test func dotProductAttentionCostsMoreThanFlash() throws {
        // Each pass of the score matrix through HBM adds the attention kernels' traffic.
        let flash = try Self.secondsPerImage("v5e"), dot = try Self.secondsPerImage("v5e", attention: .dot)
        let unfused = try Self.secondsPerImage("v5e", attention: .dotUnfused)
        #expect(unfused > dot * 1.15 && dot > flash * 1.05, "unfused \(unfused) s, dot \(dot) s, flash \(flash) s")
    }

    /// A perfect chip's seconds per image: every FLOP at the bf16 peak, and the UNet's attention moving its score
    /// matrix through HBM `scorePasses` times (bf16) at the peak bandwidth. Kernels run one after another, so the
    /// attention kernels' traffic adds to the other kernels' compute; within an attention kernel it overlaps
    /// the kernel's own FLOPs. SDXL's heads are all 64 wide, so an attention's FLOPs are 4 x 64 per score
    /// (QK^T and PV, a multiply-add each).
    static func perfectChipSeconds(_ chip: String, batch: Int, scorePasses: Double) throws -> Double {
        let spec = try ChipSpec.load(chip)
        let peak = spec.peakFlops(for: .bfloat16), bandwidth = spec.hbmBytesPerSecond
        var seconds = 0.0
        for stage in try pipeline(batch: batch).stages {
            let ops = try Simulator(chip: spec, attention: .flash).simulate(stage.graph, dtype: .bfloat16).ops
            let all = ops.map(\.flops).reduce(0, +)
            let attention = ops.filter { $0.op.hasPrefix("Attention") }.map(\.flops).reduce(0, +)
            let scoreBytes = stage.label == "unet" ? attention / (4 * 64) * 2 * scorePasses : 0
            seconds += Double(stage.runs) * ((all - attention) / peak + max(attention / peak, scoreBytes / bandwidth))
        }
        return seconds / Double(batch)
    }

    /// The published v5e times (MLPerf 2.28 s; the 2023 JAX pipeline of the Hugging Face blog 2.33 s) and v6e's
    /// (0.735 s at 8 images per chip) are below what a perfect chip could do with the score matrix through HBM
    /// four times, but not with it through twice: whatever XLA compiled, the softmax did not make its own
    /// passes over the scores. That is why `dot` fuses it.
    @Test(arguments: [("v5e", 1, 2.28), ("v5e", 1, 2.33), ("v6e", 8, 0.735)])
    func unfusedDotProductIsRuledOut(chip: String, batch: Int, published: Double) throws {
        let four = try Self.perfectChipSeconds(chip, batch: batch, scorePasses: 4)
        let two = try Self.perfectChipSeconds(chip, batch: batch, scorePasses: 2)
        #expect(four > published, "\(chip): a perfect chip needs \(four) s with four passes, published \(published) s")
        #expect(two < published, "\(chip): a perfect chip needs \(two) s with two passes, published \(published) s")
    }

    @Test func textEncodersAndSchedulerAreSimulated() throws {
        let labels = try Self.pipeline(batch: 1).stages.map(\.label)
        #expect(labels == ["text-encoder-l", "text-encoder-bigg", "unet", "scheduler", "vae-decoder"])
        // OpenCLIP bigG's text tower has about 694 M parameters, CLIP ViT-L/14's about 123 M (their checkpoints).
        for (label, expected) in [("text-encoder-l", 123.1e6), ("text-encoder-bigg", 694.7e6)] {
            let g = try #require(try Self.pipeline(batch: 1).stages.first { $0.label == label }).graph
            let parameters = Double(g.weights.map { Shape.count($0.shape) }.reduce(0, +))
            #expect(abs(parameters - expected) / expected < 0.01, "\(label): \(parameters) parameters")
        }
    }

    @Test func sdxlUNetHasThePublishedSize() throws {
        // SDXL base's UNet has 2.567 billion parameters (diffusers' checkpoint).
        let parameters = try Self.unet().weights.map { Shape.count($0.shape) }.reduce(0, +)
        #expect(abs(Double(parameters) - 2.567e9) / 2.567e9 < 0.005, "\(parameters) parameters")
    }

    @Test func wholePipelineSimulatesInUnderASecond() throws {
        // The bound on simulation time, measured on the release build; debug builds get 10x.
        let start = Date()
        _ = try Self.secondsPerImage("v5e")
        let elapsed = Date().timeIntervalSince(start)
        #if DEBUG
        #expect(elapsed < 10, "\(elapsed) s")
        #else
        #expect(elapsed < 1, "\(elapsed) s")
        #endif
    }

    @Test func fusionSavesTimeAndTraffic() throws {
        let chip = try ChipSpec.load("v5e")
        let g = try Self.unet()
        let fused = try Simulator(chip: chip, fusion: true).simulate(g, dtype: .bfloat16)
        let unfused = try Simulator(chip: chip, fusion: false).simulate(g, dtype: .bfloat16)
        #expect(fused.seconds < unfused.seconds)
        #expect(fused.hbmBytes < unfused.hbmBytes)
    }

    @Test(arguments: ["v5e", "v4"])
    func traceIsValidChromeJSONWithNestedSlicesPerEngine(chip: String) throws {
        let vae = try #require(try Self.pipeline(batch: 1).stages.first { $0.label == "vae-decoder" }).graph
        let report = try Simulator(chip: try ChipSpec.load(chip)).simulate(vae, dtype: .bfloat16)
        let data = try ChromeTrace.json(report, process: "vae")
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let events = try #require(doc["traceEvents"] as? [[String: Any]]).filter { $0["ph"] as? String == "X" }
        #expect(!events.isEmpty)
        var byTid: [Int: [(Double, Double)]] = [:]
        for e in events { byTid[e["tid"] as! Int, default: []].append((e["ts"] as! Double, (e["ts"] as! Double) + (e["dur"] as! Double))) }
        for (_, spans) in byTid {
            let sorted = spans.sorted { $0.0 < $1.0 }
            for (a, b) in zip(sorted, sorted.dropFirst()) { #expect(b.0 >= a.1 - 1e-6, "slices on one track overlap") }
        }
        // Busy time per engine is reported, and no engine is busier than the graph is long times its cores.
        let cores = Double(try ChipSpec.load(chip).tensorCores)
        for (engine, seconds) in report.busySeconds { #expect(seconds <= report.seconds * cores + 1e-9, "\(engine)") }
        #expect(report.busySeconds["matrix_units"] ?? 0 > 0)
    }
}
