import CavendishCore
import CavendishGraph
import Foundation

/// Component timings of a loaded pipeline, on the inputs the peers' benchmark script uses: one denoiser
/// evaluation at batch 1 (48 text tokens, one person's 8 reference tokens) and one VAE decode.
public struct PipelineBenchmark: Sendable {
    /// Seeded denoiser inputs: 48 text tokens and one person's 8 reference tokens, batch 1 (with the
    /// one-subject layout, all ones, where the model takes a layout).
    static func denoiserInputs(_ pipeline: NBMiniPipeline, _ preset: NBMiniPipeline.Preset) throws -> [Tensor] {
        var source = TorchRandomSource(seed: 0)
        let x = source.normalTensor(shape: [1, 4, 32, 32]), text = source.normalTensor(shape: [1, 48, 384])
        let ref = source.normalTensor(shape: [1, 8, 256])
        let ones = { (n: Int) in Tensor(shape: [1, n], dtype: .bool, values: [UInt8](repeating: 1, count: n)) }
        var inputs = [x, Tensor(shape: [1], floats: [0.5]), text, ones(48), ref, ones(8)]
        if let config = pipeline.ditConfigs[preset], config.layout {
            inputs.append(LayoutPlanner.layout(people: [1], subjects: 1, grid: config.grid))
            if config.canvas {   // a seeded photo in the planner's box for one subject (scripts/bench_peers.py uses the same box)
                let photo = Tensor(shape: [3, 64, 64], floats: source.normalTensor(shape: [3, 64, 64]).floats().map { max(-1, min(1, $0 / 3)) })
                inputs.append(try ReferenceCanvas.canvas([(photo, ReferenceCanvas.plannerBox(subject: 0, subjects: 1))]))
            }
        }
        inputs.append(Tensor(scalar: 1))
        if preset == .v2 { inputs += [Tensor(zeros: [1, 1, 128, 128]), Tensor(shape: [1], floats: [3])] }
        return inputs
    }

    /// One denoiser evaluation of `preset` on the benchmark's inputs, ready to be timed.
    public static func denoiserStep(_ pipeline: NBMiniPipeline, preset: NBMiniPipeline.Preset) throws -> () throws -> Void {
        let inputs = try denoiserInputs(pipeline, preset)
        let denoiser = try pipeline.denoiser(preset, referenceTokens: 8)
        return { _ = try denoiser.run(inputs) }
    }

    /// One VAE decode of a seeded [1, 4, 32, 32] latent (with the glyph map of "HELLO"), ready to be timed.
    public static func decode(_ pipeline: NBMiniPipeline) throws -> () throws -> Void {
        var source = TorchRandomSource(seed: 1)
        let z = source.normalTensor(shape: [1, 4, 32, 32])
        let glyphMap = try pipeline.glyphMap("HELLO")
        return { _ = try pipeline.decode(z, glyphMap: glyphMap) }
    }

    /// Milliseconds per denoiser evaluation spent in each op type (the same inputs as
    /// `denoiserStepMilliseconds`), largest first.
    public static func denoiserProfile(_ pipeline: NBMiniPipeline, preset: NBMiniPipeline.Preset, runs: Int = 10) throws -> [(op: String, milliseconds: Double)] {
        try profile(try pipeline.denoiser(preset, referenceTokens: 8), try denoiserInputs(pipeline, preset), runs: runs)
    }

    /// Milliseconds per VAE decode (the benchmark's latent and glyph map) spent in each op type, largest first.
    public static func decoderProfile(_ pipeline: NBMiniPipeline, runs: Int = 10) throws -> [(op: String, milliseconds: Double)] {
        var source = TorchRandomSource(seed: 1)
        return try profile(pipeline.decoder, try pipeline.decoderInputs(source.normalTensor(shape: [1, 4, 32, 32]), glyphMap: try pipeline.glyphMap("HELLO")),
                           runs: runs)
    }

    /// Milliseconds per run of `executor` on `inputs` spent in each op type (fused calls as `MatMul+Add`), after one warm-up run.
    static func profile(_ executor: GraphExecutor, _ inputs: [Tensor], runs: Int) throws -> [(op: String, milliseconds: Double)] {
        _ = try executor.run(inputs)
        executor.profiling = true
        defer { executor.profiling = false }
        let before = executor.secondsByOp
        for _ in 0..<runs { _ = try executor.run(inputs) }
        return executor.secondsByOp.map { ($0.key, ($0.value - (before[$0.key] ?? 0)) * 1000 / Double(runs)) }.sorted { $0.1 > $1.1 }
    }

    /// The fusion plan of the benchmark's denoiser graph of `preset` (one line per fused call, then a count).
    public static func denoiserFusionPlan(_ pipeline: NBMiniPipeline, preset: NBMiniPipeline.Preset) throws -> FusionPlan {
        try pipeline.denoiser(preset, referenceTokens: 8).fusion
    }

    /// Median milliseconds of `runs` calls of `body`, after one untimed warm-up call.
    public static func median(_ runs: Int, _ body: () throws -> Void) throws -> Double {
        try body()
        var times: [Double] = []
        for _ in 0..<max(runs, 1) {
            let t0 = Date()
            try body()
            times.append(Date().timeIntervalSince(t0) * 1000)
        }
        times.sort()
        return times[times.count / 2]
    }

    /// PSNR in dB between two 8-bit images of the same size (infinity when they are equal).
    public static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        precondition(a.count == b.count && !a.isEmpty, "images of different sizes")
        let squared = zip(a, b).reduce(0.0) { sum, pair in let d = Double(pair.0) - Double(pair.1); return sum + d * d }
        return squared == 0 ? .infinity : 10 * log10(255 * 255 / (squared / Double(a.count)))
    }

    /// Peak resident memory of this process so far, in bytes.
    public static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
