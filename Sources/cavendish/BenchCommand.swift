import ArgumentParser
import CavendishBench
import CavendishCPU
import CavendishGraph
import CavendishPipeline
import Foundation

/// `cavendish bench`: end-to-end benchmarks (kernel benchmarks live under `cavendish kernels bench`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "End-to-end benchmarks of image generation.",
        subcommands: [Generate.self]
    )

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "v1 against v2 on the same prompts and seeds, and our denoiser step and VAE decode against ONNX Runtime and PyTorch.",
            discussion: """
            In one process and one run: per-image wall time of v1 and v2 (same prompts, same seeds, one image of each \
            per round, the order rotated), the per-stage breakdown, peak resident memory and the v1/v2 speedup; then one \
            denoiser evaluation and one VAE decode timed here and by scripts/bench_peers.py --serve (PyTorch eager and \
            ONNX Runtime on the same exported weights, the same thread count and the same OpenBLAS environment), the \
            three contenders alternating call by call in --rounds rounds, each call after 0.25 s of idleness (the peers \
            run with --no-spin) so that no contender's spinning threads run into the next one's call. Every comparison is the median of the \
            per-round ratios (ours / theirs; below 1 is faster) with its quartiles; one whose interquartile spread \
            exceeds 20% of the median is marked as too wide to conclude. The JSON keeps every round's ratio and the \
            environment variables that change speed.
            Needs python3 with torch and onnxruntime for the peers; --no-peers skips them.

            To measure without the machine type's OpenBLAS settings, unset them for the whole command (all contenders alike):
              env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE cavendish bench generate \\
                --images 1    # needs: torch, onnxruntime, h5py
            """
        )
        @Option(help: "Images per preset (v1 and v2 alternate, one each a round).") var images: Int = 3
        @Option(name: .customLong("rounds"), help: "Interleaved rounds of the step and decode comparison (each times one call of every contender).") var rounds_: Int = 20
        @Flag(help: "Skip the PyTorch / ONNX Runtime comparison.") var noPeers = false
        @Flag(help: "Print one JSON object.") var json = false
        @Option(help: "Weights folder (as for generate).") var weights: String?

        /// Idle seconds before each timed call: longer than OpenMP's 200 ms spin-wait, so that every
        /// contender starts on quiet cores.
        static let pause = 0.25
        /// The contender that is our runtime with fusion off.
        static let unfused = "ours_unfused"
        /// The contender that is our runtime with the bf16 switch (MatMul in bfloat16, float32 accumulation).
        static let bf16 = "ours_bf16"

        static let prompts = [
            "A photo of <p1> at the beach holding a sign that says \"HELLO\".",
            "A claymation scene of a dog in the snow.",
            "A watercolour of a birthday party with a cake that says \"YAY\".",
        ]

        func run() throws {
            guard (1...20).contains(images) else { throw CommandError("--images must be 1...20") }
            guard (5...500).contains(rounds_) else { throw CommandError("--rounds must be 5...500") }
            let folder = try Generator.weightsFolder(weights)
            let pipeline = try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder", backend: CPUBackend())
            // v1 and v2 alternate image by image (the order rotated each round), so the speedup is a median
            // of per-round ratios that load coming and going cannot tilt.
            var perPreset: [String: [String: Double]] = [:]
            var stageSums: [String: [String: Double]] = [:]
            var imageIndex: [String: Int] = [:]
            let imageSeconds = try InterleavedRounds.run(NBMiniPipeline.Preset.allCases.map { preset in
                .init(preset.rawValue) {
                    let i = imageIndex[preset.rawValue, default: 0]
                    imageIndex[preset.rawValue] = i + 1
                    var request = NBMiniPipeline.Request(prompt: Self.prompts[i % Self.prompts.count].replacingOccurrences(of: "<p1>", with: "a person"))
                    request.preset = preset
                    request.seed = UInt64(100 + i % images)
                    let t0 = Stopwatch.now()
                    let r = try pipeline.generate(request)
                    let seconds = Stopwatch.now() - t0
                    for (k, v) in r.stageSeconds { stageSums[preset.rawValue, default: [:]][k, default: 0] += v }
                    return seconds
                }
            }, warmup: 1, minRounds: images, pause: Self.pause)
            for (preset, seconds) in imageSeconds {
                let calls = Double(imageIndex[preset] ?? 1)
                var row = (stageSums[preset] ?? [:]).mapValues { $0 / calls }
                row["seconds_per_image_median"] = seconds.sorted()[seconds.count / 2]
                perPreset[preset] = row
            }
            let speedupRounds = RoundRatio(imageSeconds["v1"] ?? [], over: imageSeconds["v2"] ?? [])
            // Peak memory of one resident pipeline, before the ablation pipelines below are loaded.
            let peakBytes = PipelineBenchmark.peakResidentBytes()
            // Switches, each the median of 5 v2 images after a warm-up one. First the per-image conditioning
            // cache (text and reference keys/values computed once).
            var switches: [String: Double] = [:]
            for cache in [true, false] {
                var request = NBMiniPipeline.Request(prompt: Self.prompts[0].replacingOccurrences(of: "<p1>", with: "a person"))
                request.seed = 100
                request.cacheConditioning = cache
                switches["v2_seconds_conditioning_cache_\(cache ? "on" : "off")"] = try PipelineBenchmark.median(5) { _ = try pipeline.generate(request) } / 1000
            }
            // Switches that need their own pipeline: materialized attention, no memory plan, 16-bit resident weights.
            let materialized = { var o = CPUBackend.Options(); o.fusedAttention = false; return o }()
            let variants: [(String, CPUBackend.Options, Bool, GraphExecutor.WeightResidency)] = [
                ("attention_materialized", materialized, true, .widened),
                ("memory_plan_off", CPUBackend.Options(), false, .widened),
                ("weights_16bit_resident", CPUBackend.Options(), true, .stored),
            ]
            var weightBytes: [String: Int] = [:]
            for (label, options, plan, residency) in variants {
                let variant = try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder", presets: [.v2],
                                                 backend: CPUBackend(options: options), memoryPlan: plan, weightResidency: residency)
                weightBytes["v2_\(residency.rawValue)"] = variant.residentWeightBytes
                var request = NBMiniPipeline.Request(prompt: Self.prompts[0].replacingOccurrences(of: "<p1>", with: "a person"))
                request.seed = 100
                switches["v2_seconds_\(label)"] = try PipelineBenchmark.median(5) { _ = try variant.generate(request) } / 1000
            }
            // Our denoiser steps and VAE decode against the peers', one call of each contender per round; beside them our
            // runtime with fusion off (every elementwise node its own call) and with the bf16 switch, so that each
            // switch's effect is a ratio from the same rounds. The bf16 switch is also compared with PyTorch's bf16.
            let variantOptions: [(String, CPUBackend.Options)] = [
                (Self.unfused, { var o = CPUBackend.Options(); o.fusedEpilogues = false; return o }()),
                (Self.bf16, { var o = CPUBackend.Options(); o.bfloat16MatMul = true; return o }()),
            ]
            var pipelines: [(String, NBMiniPipeline)] = [("ours", pipeline)]
            for (label, options) in variantOptions {
                pipelines.append((label, try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder",
                                                            backend: CPUBackend(options: options))))
            }
            // The bf16 switch's effect on whole images: the same v2 generations in float32 and bf16, compared on the
            // pipeline's pixels, before the CLI's invisible watermark, whose payload is derived from the pixels and so
            // differs between the two (it alone held the watermarked images' PSNR near 33 dB).
            let bf16Pipeline = pipelines.first { $0.0 == Self.bf16 }!.1
            let bf16Psnr = try Self.prompts.flatMap { prompt in
                try (1...3).map { seed in
                    var request = NBMiniPipeline.Request(prompt: prompt.replacingOccurrences(of: "<p1>", with: "a person"))
                    request.seed = UInt64(seed)
                    return PipelineBenchmark.psnr(try pipeline.generate(request).pixels, try bf16Pipeline.generate(request).pixels)
                }
            }
            let models: [(key: String, model: String, call: (NBMiniPipeline) throws -> () throws -> Void)] = [
                ("dit_v1_step_ms", "dit_v1", { try PipelineBenchmark.denoiserStep($0, preset: .v1) }),
                ("dit_v2_step_ms", "dit_v2", { try PipelineBenchmark.denoiserStep($0, preset: .v2) }),
                ("vae_decode_ms", "vae", { try PipelineBenchmark.decode($0) }),
            ]
            var peers = JSONValue.object([:])
            var server: PeerServer?
            if !noPeers {
                server = try PeerServer(threads: MachineInfo.current().threads)
                peers = server!.metadata
            }
            var ours: [String: Double] = [:], theirs: [String: [String: Double]] = [:]
            var rounds: [String: [String: RoundRatio]] = [:]
            for m in models {
                var contenders = try pipelines.map { label, p in
                    let call = try m.call(p)
                    return InterleavedRounds.Contender(label) { try InterleavedRounds.timed(call) }
                }
                if let server {
                    for peer in PeerServer.contenders { contenders.append(.init(peer) { try server.seconds(peer, m.model) }) }
                }
                let samples = try InterleavedRounds.run(contenders, warmup: 2, minRounds: rounds_, pause: Self.pause)
                let median = { (xs: [Double]) in xs.sorted()[xs.count / 2] * 1000 }
                ours[m.key] = median(samples["ours"]!)
                for other in contenders.map(\.name) where other != "ours" {
                    theirs[other, default: [:]][m.key] = median(samples[other]!)
                }
                // Ratios below 1: the numerator is faster. "ours" over every other contender (keyed by the other's
                // name), and the bf16 switch over float32 ONNX Runtime, PyTorch in bf16 and our float32.
                for other in contenders.map(\.name) where other != "ours" && other != Self.bf16 {
                    rounds[m.key, default: [:]][other] = RoundRatio(samples["ours"]!, over: samples[other]!)
                }
                for other in ["onnxruntime", "torch_bf16", "ours"] where samples[other] != nil {
                    rounds[m.key, default: [:]]["\(Self.bf16)/\(other)"] = RoundRatio(samples[Self.bf16]!, over: samples[other]!)
                }
            }
            server?.close()
            let profile = try PipelineBenchmark.denoiserProfile(pipeline, preset: .v2)
            let decoderProfile = try PipelineBenchmark.decoderProfile(pipeline)
            let fusionPlan = try PipelineBenchmark.denoiserFusionPlan(pipeline, preset: .v2)
            var ratios: [String: [String: Double]] = [:]
            for (key, byPeer) in rounds { for (peer, r) in byPeer { ratios[peer, default: [:]][key] = r.median } }
            let speedup = speedupRounds.median
            let machine = MachineInfo.current()
            let env = ProcessInfo.processInfo.environment
            let report = Report(weightsSha256: pipeline.weightDigests, machine: machine, openblasThreadTimeout: env["OPENBLAS_THREAD_TIMEOUT"] ?? "unset",
                                cavendishBlasSplit: env["CAVENDISH_BLAS_SPLIT"] ?? "unset", imagesPerPreset: images, presets: perPreset,
                                speedupV1OverV2: speedup, switches: switches, peakResidentBytes: peakBytes, residentWeightBytes: weightBytes,
                                ours: ours, ditV2StepMsByOp: profile.reduce(into: [String: Double]()) { $0[$1.op] = $1.milliseconds },
                                ditV2FusionPlan: fusionPlan.calls + [fusionPlan.summary],
                                vaeDecodeMsByOp: decoderProfile.reduce(into: [String: Double]()) { $0[$1.op] = $1.milliseconds },
                                peers: peers, peerMs: theirs, ratioOursOverPeer: ratios, ratioRounds: rounds, speedupRounds: speedupRounds,
                                bf16ImagePsnrDb: bf16Psnr)
            if json {
                try JSONOutput.print(report, pretty: true)
                return
            }
            print("machine: \(machine.cpu), \(machine.threads) threads, OpenBLAS \(machine.openblasCore) (OPENBLAS_CORETYPE=\(machine.openblasCoretypeEnv))")
            for p in ["v1", "v2"] {
                let row = perPreset[p]!
                print(String(format: "%@: %.3f s/image (median of %d)  text %.3f  references %.3f  denoise %.3f  decode %.3f", p, row["seconds_per_image_median"]!,
                             images, row["text"] ?? 0, row["references"] ?? 0, row["denoise"] ?? 0, row["decode"] ?? 0))
            }
            print(String(format: "v2 is %.1fx faster than v1 [%.1f, %.1f over %d rounds] (target >= 10); peak resident memory %.0f MB (target < 500)", speedup,
                         speedupRounds.q1, speedupRounds.q3, speedupRounds.samples.count,
                         Double(peakBytes) / 1e6))
            print(String(format: "v2 switches: all on %.3f s; conditioning cache off %.3f s; attention materialized %.3f s; memory plan off %.3f s; 16-bit resident weights %.3f s",
                         switches["v2_seconds_conditioning_cache_on"] ?? 0, switches["v2_seconds_conditioning_cache_off"] ?? 0,
                         switches["v2_seconds_attention_materialized"] ?? 0, switches["v2_seconds_memory_plan_off"] ?? 0,
                         switches["v2_seconds_weights_16bit_resident"] ?? 0))
            print(String(format: "v2 resident weights: %.1f MB widened to float32, %.1f MB kept 16-bit", Double(weightBytes["v2_widened"] ?? 0) / 1e6,
                         Double(weightBytes["v2_stored"] ?? 0) / 1e6))
            print("DiT v2 step fusion plan: \(fusionPlan.summary) (`CAVENDISH_FUSION=0` turns fusion off)")
            print(String(format: "bf16 switch, v2 image PSNR against float32 (%d images, before the watermark): mean %.1f dB, worst %.1f dB (target >= 35)",
                         bf16Psnr.count, bf16Psnr.reduce(0, +) / Double(bf16Psnr.count), bf16Psnr.min() ?? 0))
            print("DiT v2 step by op (ms): " + profile.prefix(8).map { String(format: "%@ %.2f", $0.op, $0.milliseconds) }.joined(separator: ", "))
            print("VAE decode by op (ms): " + decoderProfile.prefix(8).map { String(format: "%@ %.2f", $0.op, $0.milliseconds) }.joined(separator: ", "))
            for (k, v) in ours.sorted(by: { $0.key < $1.key }) {
                var line = String(format: "%-16@ ours %.2f ms", k as NSString, v)
                for (name, ms) in (theirs.compactMap { name, byKey in byKey[k].map { (name, $0) } }).sorted(by: { $0.0 < $1.0 }) {
                    line += String(format: ", %@ %.2f", name, ms)
                }
                print(line)
                for ratio in ["onnxruntime", "torch", Self.unfused, "\(Self.bf16)/onnxruntime", "\(Self.bf16)/torch_bf16", "\(Self.bf16)/ours"] {
                    guard let r = rounds[k]?[ratio] else { continue }
                    let label = ratio.contains("/") ? ratio : "ours/\(ratio)"
                    print(String(format: "    %@: %.2f [%.2f, %.2f]%@", label, r.median, r.q1, r.q3, r.conclusive ? "" : " (spread too wide to conclude)"))
                }
            }
        }

        /// `bench generate --json` (schema version 2): the machine, our timings, the peers' as their script
        /// reported them, and the ratios.
        struct Report: Encodable {
            /// The SHA-256 of every weight file the pipeline loaded (what the figures were measured on).
            let weightsSha256: [String: String]
            let machine: MachineInfo
            let openblasThreadTimeout: String, cavendishBlasSplit: String
            let imagesPerPreset: Int
            let presets: [String: [String: Double]]
            let speedupV1OverV2: Double
            let switches: [String: Double]
            let peakResidentBytes: Int
            let residentWeightBytes: [String: Int]
            let ours: [String: Double]
            let ditV2StepMsByOp: [String: Double]
            /// The DiT v2 step's fused calls, one line each, then their count (`FusionPlan.description`).
            let ditV2FusionPlan: [String]
            /// Milliseconds per VAE decode in each op (fused calls as `Conv+Add`).
            let vaeDecodeMsByOp: [String: Double]
            /// The peers' script metadata (versions, weights, ONNX export check).
            let peers: JSONValue
            /// The peers' medians, ms, from the same interleaved rounds as `ours`.
            let peerMs: [String: [String: Double]]
            /// Median of the per-round ratios ours / peer (below 1 is faster).
            let ratioOursOverPeer: [String: [String: Double]]
            /// The per-round ratios themselves, with quartiles and whether the spread allows a conclusion.
            let ratioRounds: [String: [String: RoundRatio]]
            /// v1 / v2 seconds per image, round by round.
            let speedupRounds: RoundRatio
            /// PSNR (dB) of each v2 image with the bf16 switch against the same image in float32 (the benchmark's
            /// prompts, seeds 1-3), on the pipeline's pixels before the watermark.
            let bf16ImagePsnrDb: [Double]
        }
    }
}

/// `scripts/bench_peers.py --serve` as a contender: it loads PyTorch and ONNX Runtime on the exported weights
/// once, then times one call per request, so that its calls can alternate with ours round by round.
final class PeerServer {
    /// The peers it runs.
    static let contenders = ["onnxruntime", "torch", "torch_bf16"]
    /// The script's first line: versions, weights, the ONNX export's check against PyTorch.
    private(set) var metadata = JSONValue.object([:])
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()

    /// Starts the script (from the repository root) with `threads` threads and waits until it is ready.
    init(threads: Int) throws {
        let script = FileManager.default.currentDirectoryPath + "/scripts/bench_peers.py"
        guard FileManager.default.fileExists(atPath: script) else {
            throw CommandError("\(script) not found; run from the repository root or pass --no-peers")
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // --no-spin: the peers' idle workers sleep, as ours do after the pause, instead of spinning into our calls.
        process.arguments = ["python3", script, "--threads", String(threads), "--serve", "--no-spin"]
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard let line = readLine(), let object = try? JSONDecoder().decode(JSONValue.self, from: line), case .object(var fields) = object else {
            process.waitUntilExit()
            throw CommandError("scripts/bench_peers.py failed (exit \(process.terminationStatus)); install torch and onnxruntime or pass --no-peers")
        }
        fields["ready"] = nil
        metadata = .object(fields)
    }

    /// Seconds of one call of `model` by `contender`, as the script's own clock measured it.
    func seconds(_ contender: String, _ model: String) throws -> Double {
        input.fileHandleForWriting.write(Data("{\"contender\": \"\(contender)\", \"model\": \"\(model)\"}\n".utf8))
        guard let line = readLine(), let reply = try? JSONDecoder().decode([String: Double].self, from: line), let ms = reply["ms"] else {
            throw CommandError("scripts/bench_peers.py stopped answering")
        }
        return ms / 1000
    }

    /// Ends the script.
    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    private func readLine() -> Data? {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex..<newline]
                buffer.removeSubrange(buffer.startIndex...newline)
                return Data(line)
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { return nil }
            buffer.append(chunk)
        }
    }
}
