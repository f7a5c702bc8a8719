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
            In one process and one run: per-image wall time of v1 and v2 (same prompts, same seeds), the per-stage \
            breakdown, peak resident memory and the v1/v2 speedup; then one denoiser evaluation and one VAE decode timed \
            here and, through scripts/bench_peers.py (PyTorch eager and ONNX Runtime on the same exported weights, the \
            same thread count and the same OpenBLAS environment), as ratios (ours / theirs; below 1 is faster).
            Needs python3 with torch and onnxruntime for the peers; --no-peers skips them.

            To measure without the machine type's OpenBLAS settings, unset them for the whole command (all contenders alike):
              env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE cavendish bench generate \\
                --images 1    # needs: torch, onnxruntime, h5py
            """
        )
        @Option(help: "Images per preset.") var images: Int = 3
        @Flag(help: "Skip the PyTorch / ONNX Runtime comparison.") var noPeers = false
        @Flag(help: "Print one JSON object.") var json = false
        @Option(help: "Weights folder (as for generate).") var weights: String?

        static let prompts = [
            "A photo of <p1> at the beach holding a sign that says \"HELLO\".",
            "A claymation scene of a dog in the snow.",
            "A watercolour of a birthday party with a cake that says \"YAY\".",
        ]

        func run() throws {
            guard (1...20).contains(images) else { throw CommandError("--images must be 1...20") }
            let folder = try Generator.weightsFolder(weights)
            let pipeline = try NBMiniPipeline(weightsDirectory: folder, textEncoderDirectory: folder + "/text-encoder", backend: CPUBackend())
            var perPreset: [String: [String: Double]] = [:]
            for preset in NBMiniPipeline.Preset.allCases {
                var wall: [Double] = [], stages: [String: Double] = [:]
                for i in 0..<images {
                    var request = NBMiniPipeline.Request(prompt: Self.prompts[i % Self.prompts.count].replacingOccurrences(of: "<p1>", with: "a person"))
                    request.preset = preset
                    request.seed = UInt64(100 + i)
                    let t0 = Date()
                    let r = try pipeline.generate(request)
                    wall.append(Date().timeIntervalSince(t0))
                    for (k, v) in r.stageSeconds { stages[k, default: 0] += v / Double(images) }
                }
                wall.sort()
                var row = stages.mapValues { $0 }
                row["seconds_per_image_median"] = wall[wall.count / 2]
                perPreset[preset.rawValue] = row
            }
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
            let ours: [String: Double] = [
                "dit_v1_step_ms": try PipelineBenchmark.denoiserStepMilliseconds(pipeline, preset: .v1),
                "dit_v2_step_ms": try PipelineBenchmark.denoiserStepMilliseconds(pipeline, preset: .v2),
                "vae_decode_ms": try PipelineBenchmark.decodeMilliseconds(pipeline),
            ]
            let profile = try PipelineBenchmark.denoiserProfile(pipeline, preset: .v2)
            var peers = JSONValue.object([:])
            if !noPeers { peers = try Self.runPeers(threads: MachineInfo.current().threads) }
            var ratios: [String: [String: Double]] = [:]
            for contender in ["onnxruntime", "torch"] {
                guard let theirs = peers[contender]?.numbers, !theirs.isEmpty else { continue }
                ratios[contender] = ours.reduce(into: [:]) { r, kv in if let t = theirs[kv.key], t > 0 { r[kv.key] = kv.value / t } }
            }
            let speedup = (perPreset["v1"]?["seconds_per_image_median"] ?? 0) / max(perPreset["v2"]?["seconds_per_image_median"] ?? 1, 1e-9)
            let machine = MachineInfo.current()
            let env = ProcessInfo.processInfo.environment
            let report = Report(weightsSha256: pipeline.weightDigests, machine: machine, openblasThreadTimeout: env["OPENBLAS_THREAD_TIMEOUT"] ?? "unset",
                                cavendishBlasSplit: env["CAVENDISH_BLAS_SPLIT"] ?? "unset", imagesPerPreset: images, presets: perPreset,
                                speedupV1OverV2: speedup, switches: switches, peakResidentBytes: peakBytes, residentWeightBytes: weightBytes,
                                ours: ours, ditV2StepMsByOp: profile.reduce(into: [String: Double]()) { $0[$1.op] = $1.milliseconds },
                                peers: peers, ratioOursOverPeer: ratios)
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
            print(String(format: "v2 is %.1fx faster than v1 (target >= 10); peak resident memory %.0f MB (target < 1000)", speedup,
                         Double(peakBytes) / 1e6))
            print(String(format: "v2 switches: all on %.3f s; conditioning cache off %.3f s; attention materialized %.3f s; memory plan off %.3f s; 16-bit resident weights %.3f s",
                         switches["v2_seconds_conditioning_cache_on"] ?? 0, switches["v2_seconds_conditioning_cache_off"] ?? 0,
                         switches["v2_seconds_attention_materialized"] ?? 0, switches["v2_seconds_memory_plan_off"] ?? 0,
                         switches["v2_seconds_weights_16bit_resident"] ?? 0))
            print(String(format: "v2 resident weights: %.1f MB widened to float32, %.1f MB kept 16-bit", Double(weightBytes["v2_widened"] ?? 0) / 1e6,
                         Double(weightBytes["v2_stored"] ?? 0) / 1e6))
            print("DiT v2 step by op (ms): " + profile.prefix(8).map { String(format: "%@ %.2f", $0.op, $0.milliseconds) }.joined(separator: ", "))
            for (k, v) in ours.sorted(by: { $0.key < $1.key }) {
                var line = String(format: "%-16@ ours %7.2f ms", k as NSString, v)
                for contender in ["onnxruntime", "torch"] {
                    if let t = peers[contender]?.numbers[k] { line += String(format: "   %@ %7.2f ms (ratio %.2f)", contender, t, v / t) }
                }
                print(line)
            }
        }

        static func runPeers(threads: Int) throws -> JSONValue {
            let script = FileManager.default.currentDirectoryPath + "/scripts/bench_peers.py"
            guard FileManager.default.fileExists(atPath: script) else {
                throw CommandError("\(script) not found; run from the repository root or pass --no-peers")
            }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", script, "--threads", String(threads)]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0, let object = try? JSONDecoder().decode(JSONValue.self, from: data), case .object = object else {
                throw CommandError("scripts/bench_peers.py failed (exit \(process.terminationStatus)); install torch and onnxruntime or pass --no-peers")
            }
            return object
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
            let peers: JSONValue
            let ratioOursOverPeer: [String: [String: Double]]
        }
    }
}
