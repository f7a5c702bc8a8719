import ArgumentParser
import CavendishCore
import CavendishModels
import CavendishGraph
import CavendishPipeline
import CavendishSimulator
import Foundation

/// `cavendish simulate`: what a model would cost on a TPU-like chip, and why.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Cost GEMMs and whole models on a TPU-like chip (tiling, fusion, event-driven schedule).",
        discussion: """
        The simulator reads the same graphs the CPU backend runs, tiles each kernel for the chip (Pallas-style \
        blocks in VMEM, double-buffered), and schedules every grid step over the DMA, matrix and vector engines.

          cavendish simulate hw --list
          cavendish simulate gemm --m 4096 --n 4096 --k 4096 --hw v5e
          cavendish simulate gemm --m 8192 --n 8192 --k 8192 --blocks 512x1024x1024
          cavendish simulate gemm --m 64 --n 48 --k 40 --array 32x8 \\
            --dataflow os --mode scalesim
          cavendish simulate model sdxl-unet --hw v5e --steps 20 --guidance --json
          cavendish simulate model nb-mini-v1 --hw v5e --references 2 --photos 3
          cavendish simulate model sdxl-unet --hw v6e --batch 8 --attention dot
          cavendish simulate model sd15-unet --chips 4 --parallel tensor --batch 4
          cavendish simulate serve nb-mini-v2 --chips 2 --rate 400 --duration 60
        """,
        subcommands: [Hardware.self, Gemm.self, Model.self, Serve.self]
    )

    struct Hardware: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "hw", abstract: "List the chip presets, or show one.")
        @Flag(help: "List every preset.") var list = false
        @Option(help: "A preset name or a chip JSON file to show.") var hw: String?
        @Flag(help: "Print JSON (the format a custom chip file uses).") var json = false

        func run() throws {
            let chips = try hw.map { [try ChipSpec.load($0)] } ?? ChipSpec.presets
            guard list || hw != nil else { throw CommandError("pass --list, or --hw NAME to show one chip") }
            if json {
                // One chip prints as the object a chip file holds (so `--hw FILE` reads it back), the list as an array.
                if list { try JSONOutput.print(chips, pretty: true) } else { try JSONOutput.print(chips[0], pretty: true) }
                return
            }
            print("chip    cores x units x array   clock      bf16 TFLOP/s  int8 TOP/s  HBM GB/s  VMEM/core")
            for c in chips {
                let units = "\(c.tensorCores) x \(c.matrixUnitsPerCore) x \(c.arrayRows)x\(c.arrayCols)"
                print("\(c.name.padding(toLength: 7, withPad: " ", startingAt: 0)) \(units.padding(toLength: 22, withPad: " ", startingAt: 0)) "
                      + String(format: "%5.2f GHz  %12.0f  %10.0f  %8.0f  %5d MiB", c.clockHz / 1e9, (c.peakFlops["bf16"] ?? 0) / 1e12,
                               (c.peakFlops["int8"] ?? 0) / 1e12, c.hbmBytesPerSecond / 1e9, c.vmemBytes >> 20))
            }
            if !json { for c in chips { print("  \(c.name): \(c.notes)") } }
        }
    }

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cycles of one GEMM: A is M x K, B is K x N (SCALE-Sim's topology meaning).",
            discussion: """
            With --array RxC the GEMM runs on one systolic array of that size (the SCALE-Sim setting); without it, on the \
            whole chip of --hw, tiled and scheduled. --mode scalesim reproduces SCALE-Sim's total cycles exactly (each fold \
            loads its stationary tile, streams, drains; no overlap); --mode pipelined (default) double-buffers the \
            stationary tile so folds follow each other, as real matrix units do.
            """
        )
        @Option(help: "Rows of A and of the output.") var m: Int
        @Option(help: "Columns of B and of the output.") var n: Int
        @Option(help: "The reduction dimension.") var k: Int
        @Option(help: "One systolic array, ROWSxCOLS (e.g. 128x128).") var array: String?
        @Option(help: "ws, os or is.") var dataflow: String = "ws"
        @Option(help: "scalesim or pipelined.") var mode: String = "pipelined"
        @Option(help: "Chip preset or JSON file (for the clock, and for whole-chip runs).") var hw: String = "v5e"
        @Option(help: "bf16, f32 or int8.") var dtype: String = "bf16"
        @Option(help: "Whole-chip runs: fix the block shape BMxBKxBN (as a Pallas kernel's BlockSpecs do) instead of the tiler's choice, e.g. 512x1024x1024.")
        var blocks: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            guard m > 0, n > 0, k > 0 else { throw CommandError("--m, --n and --k must be positive") }
            // Beyond 2^24 a dimension is no GEMM one chip runs, and the cycle formulas' products overflow Int.
            guard [m, n, k].allSatisfy({ $0 <= 1 << 24 }) else { throw CommandError("--m, --n and --k must be at most 16777216 (2^24)") }
            guard let flow = SystolicArray.Dataflow(rawValue: dataflow) else { throw CommandError("--dataflow must be ws, os or is") }
            guard let timing = SystolicArray.Mode(rawValue: mode) else { throw CommandError("--mode must be scalesim or pipelined") }
            let chip: ChipSpec
            do { chip = try ChipSpec.load(hw) } catch { throw CommandError("\(error)") }
            var result: [String: Double] = [:]
            if let array {
                let parts = array.lowercased().split(separator: "x").compactMap { Int($0) }
                guard parts.count == 2, parts[0] > 0, parts[1] > 0 else { throw CommandError("--array must look like 128x128") }
                let cycles = SystolicArray.cycles(m: m, n: n, k: k, rows: parts[0], cols: parts[1], dataflow: flow, mode: timing)
                result = ["cycles": Double(cycles), "seconds": Double(cycles) / chip.clockHz,
                          "utilization": SystolicArray.utilization(m: m, n: n, k: k, rows: parts[0], cols: parts[1], cycles: cycles),
                          "folds": Double(SystolicArray.folds(m: m, n: n, k: k, rows: parts[0], cols: parts[1], dataflow: flow))]
            } else {
                var fixed: (bm: Int, bk: Int, bn: Int)?
                if let blocks {
                    let parts = blocks.lowercased().split(separator: "x").compactMap { Int($0) }
                    guard parts.count == 3, parts.allSatisfy({ (1...(1 << 16)).contains($0) }) else {
                        throw CommandError("--blocks must look like 512x1024x1024 (bm x bk x bn, each 1...65536)")
                    }
                    fixed = (parts[0], parts[1], parts[2])
                }
                let report = try Simulator(chip: chip, mode: timing, gemmBlocks: fixed)
                    .simulate(try GemmGraph.make(m: m, n: n, k: k, dtype: try Model.parseDType(dtype)), dtype: try Model.parseDType(dtype))
                result = ["cycles": report.cycles, "seconds": report.seconds, "utilization": report.matrixUnitUtilization,
                          "hbm_bytes": report.hbmBytes, "grid_steps": Double(report.ops.map(\.gridSteps).reduce(0, +)),
                          "launch_seconds": report.launchSeconds]
            }
            if json {
                try JSONOutput.print(result, pretty: true)
            } else {
                print(result.keys.sorted().map { "\($0): \(result[$0]!)" }.joined(separator: "\n"))
            }
        }
    }

    struct Model: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seconds per image of a whole pipeline (denoiser steps plus VAE decode) on a chip.",
            discussion: """
            NAME is one of: \(Self.names.joined(separator: ", ")). Graphs are built once per shape and each is simulated \
            once and counted as often as it runs.

            sdxl-unet and sd15-unet are shape-only (no checkpoint needed): --steps UNet evaluations (default 20), with \
            --guidance each on a doubled batch (conditional and unconditional), as the published SDXL runs do, then one decode.

            nb-mini-v1 and nb-mini-v2 cost the run plan of `generate`: the very graphs the pipeline executes for one image, \
            shaped by the configs in the weight files (--weights): the text encoder (v1 twice: the prompt and the empty \
            caption), one reference encoder per person (--references people with --photos photos each), the VAE encoder \
            with --strength (img2img, which also skips the first steps), the denoiser's conditioning half once per branch, \
            its step half --steps times per branch (default: the preset's, 50 for v1 and 8 for v2; v1 has a conditional and \
            an unconditional branch, the unconditional one without references; v2 one, the guidance scale being an input, so \
            --guidance does not apply), and the VAE decoder. Those graphs are the float32 ones the CPU runs, costed with \
            their values in --dtype. --batch B costs B images made one after another.

            --chips N --parallel data|tensor|sequence spreads the work over N chips joined by the chip's ICI (ring collectives \
            per torus axis, fitted on published v5e AllGathers); the report gives the batch's latency, images per second \
            for the group and chip-seconds per image.

            --trace writes a Chrome trace of the whole pipeline, each stage once in order (one tid per engine, a slice per \
            busy interval, counter tracks for HBM bandwidth and VMEM); --roofline writes an SVG of every kernel's arithmetic intensity against its \
            achieved FLOP/s under the chip's roofs, for one denoiser evaluation. Open the trace in ui.perfetto.dev.
            """
        )
        @Argument(help: "Model name.") var name: String
        @Option(help: "Chip preset or JSON file.") var hw: String = "v5e"
        @Option(help: "Output image size in pixels (default: the model's native size).") var resolution: Int?
        @Option(help: "Denoising steps (default: 20; NB-mini: the preset's, 50 for v1 and 8 for v2).") var steps: Int?
        @Flag(help: "Classifier-free guidance: two denoiser evaluations per step (SDXL, SD 1.5; NB-mini's preset fixes it).") var guidance = false
        @Option(help: "NB-mini: people with reference photos, <p1> to <pN> (0 to 5).") var references: Int = 1
        @Option(help: "NB-mini: reference photos per person (1 to 4).") var photos: Int = 1
        @Option(help: "NB-mini: img2img at this strength (0 to 1): the VAE encoder runs and denoising starts part-way.") var strength: Double?
        @Option(help: "NB-mini: the weights folder whose configs shape the graphs (default: as generate finds it).") var weights: String?
        @Option(help: "bf16, f32 or int8 (activations and weights).") var dtype: String = "bf16"
        @Option(help: "Images per batch.") var batch: Int = 1
        @Flag(help: "Turn kernel fusion off (for ablations).") var noFusion = false
        @Option(help: "Attention as flash (query blocks stream key/value blocks; scores stay in VMEM), dot (the plain dot product the MLPerf SDXL reference writes, its softmax fused into the two GEMMs: the score matrix through HBM twice) or dot-unfused (the softmax a kernel of its own: four times).")
        var attention: String = "flash"
        @Option(help: "Chips in the group (their ICI from the chip's preset).") var chips: Int = 1
        @Option(help: "How the group splits the work: data (each chip whole images; --batch is the group's and must be a multiple of --chips), tensor (every GEMM's columns split, outputs all-gathered) or sequence (tokens split, keys and values all-gathered).")
        var parallel: String = "data"
        @Flag(help: "Run each collective after its kernel instead of overlapping it with the kernel's compute.") var noOverlap = false
        @Option(help: "Write a Chrome trace of the pipeline here (each stage once, in order).") var trace: String?
        @Option(help: "Write a roofline SVG of one denoiser evaluation's kernels here.") var roofline: String?
        @Flag(help: "Replace an existing trace or roofline file.") var force = false
        @Option(help: "Per-op rows to print in the table (largest first).") var top: Int = 12
        @Flag(help: "Print JSON.") var json = false

        /// The simulator for the command line's settings, with their checks.
        static func simulator(chip: ChipSpec, fusion: Bool, attention: String, chips: Int, parallel: String, overlap: Bool,
                              batch: Int) throws -> Simulator {
            guard let attentionMode = Simulator.AttentionMode(rawValue: attention) else { throw CommandError("--attention must be flash, dot or dot-unfused") }
            guard let kind = Parallelism.Kind(rawValue: parallel) else { throw CommandError("--parallel must be data, tensor or sequence") }
            guard (1...4096).contains(chips) else { throw CommandError("--chips must be 1...4096") }
            if kind == .data && batch % chips != 0 {
                throw CommandError("--parallel data gives each chip whole images: --batch (\(batch)) must be a multiple of --chips (\(chips))")
            }
            if chips > 1 {
                guard let ici = chip.ici else { throw CommandError("chip '\(chip.name)' describes no interconnect (ici), so --chips must be 1") }
                do { _ = try Collective.axes(chips: chips, ici: ici) } catch { throw CommandError("\(error)") }
            }
            return Simulator(chip: chip, fusion: fusion, attention: attentionMode, parallel: Parallelism(kind: kind, chips: chips, overlap: overlap))
        }

        /// Every model name: the published ones, then NB-mini's presets.
        static let names = ModelCatalog.names + NBMiniPipeline.Preset.allCases.map { "nb-mini-\($0.rawValue)" }

        static func parseDType(_ s: String) throws -> DType {
            switch s {
            case "bf16": return .bfloat16
            case "f32": return .float32
            case "int8": return .int8
            default: throw CommandError("--dtype must be bf16, f32 or int8")
            }
        }

        /// The pipeline these settings describe, costed: the report, the workload, the chip, and the
        /// steps and guidance in effect.
        func costed() throws -> (report: PipelineReport, workload: PipelineWorkload, chip: ChipSpec, steps: Int, guidance: Bool) {
            let chip: ChipSpec
            do { chip = try ChipSpec.load(hw) } catch { throw CommandError("\(error)") }
            let type = try Self.parseDType(dtype)
            let simulator = try Self.simulator(chip: chip, fusion: !noFusion, attention: attention, chips: chips, parallel: parallel,
                                               overlap: !noOverlap, batch: batch)
            let perChipBatch = simulator.parallel.kind == .data ? batch / chips : batch
            let workload: PipelineWorkload
            let steps: Int, guidance: Bool
            if name.hasPrefix("nb-mini-") {
                guard let preset = NBMiniPipeline.Preset(rawValue: String(name.dropFirst("nb-mini-".count))) else {
                    throw CommandError("unknown model '\(name)'; known: \(Self.names.joined(separator: ", "))")
                }
                (steps, guidance) = (self.steps ?? preset.defaults.steps, preset == .v1)
                workload = try nbMiniWorkload(preset, steps: steps, dtype: type, images: perChipBatch)
            } else {
                (steps, guidance) = (self.steps ?? 20, self.guidance)
                do {
                    workload = try ModelCatalog.pipeline(name, resolution: resolution ?? ModelCatalog.defaultResolution(name), steps: steps,
                                                         guidance: guidance, batch: perChipBatch, dtype: type)
                } catch { throw CommandError("\(error)") }
            }
            let costed = try PipelineReport(stages: workload.stages.map { ($0.label, $0.graph, $0.runs) }, imagesPerBatch: workload.imagesPerBatch,
                                            simulator: simulator, dtype: type)
            return (costed, workload, chip, steps, guidance)
        }

        func run() throws {
            let (costed, workload, chip, steps, guidance) = try costed()
            if let trace {
                let data = try ChromeTrace.json(stages: costed.stages.map { ($0.label, $0.report, $0.runs) }, process: "\(name) on \(chip.name)")
                do { try ChromeTrace.write(data, to: trace, overwrite: force) } catch { throw CommandError("\(error)") }
            }
            if let roofline, costed.stages.indices.contains(workload.tracedStage) {
                let stage = costed.stages[workload.tracedStage]
                let plot = SVGPlot.roofline(stage.report, chip: chip, peakFlops: chip.peakFlops(for: try Self.parseDType(dtype)),
                                            title: "\(name) \(stage.label) on \(chip.name), \(dtype): every kernel")
                do { try plot.write(to: roofline, overwrite: force) } catch { throw CommandError("\(error)") }
            }
            if json {
                struct Out: Encodable {
                    let model: String, chip: String, dtype: String, steps: Int, guidance: Bool, batch: Int, fusion: Bool, attention: String
                    let costed: PipelineReport
                    func encode(to encoder: Encoder) throws {
                        // The settings and the report's fields side by side, one flat object.
                        enum K: String, CodingKey { case model, chip, dtype, steps, guidance, batch, fusion, attention }
                        var c = encoder.container(keyedBy: K.self)
                        try c.encode(model, forKey: .model); try c.encode(chip, forKey: .chip); try c.encode(dtype, forKey: .dtype)
                        try c.encode(steps, forKey: .steps); try c.encode(guidance, forKey: .guidance); try c.encode(batch, forKey: .batch)
                        try c.encode(fusion, forKey: .fusion); try c.encode(attention, forKey: .attention)
                        try costed.encode(to: encoder)
                    }
                }
                try JSONOutput.print(Out(model: name, chip: chip.name, dtype: dtype, steps: steps, guidance: guidance, batch: batch,
                                         fusion: !noFusion, attention: attention, costed: costed))
                return
            }
            print("\(name) on \(chip.name), \(dtype), \(steps) steps\(guidance ? " with guidance" : ""), batch \(batch), fusion \(noFusion ? "off" : "on")")
            // Foundation's %-12@ does not pad on Linux, so labels are padded to the longest here.
            let labelWidth = costed.stages.map(\.label.count).max() ?? 0
            for stage in costed.stages {
                let r = stage.report
                print(String(format: "  %@ x%-3d %8.2f ms/run  %6.1f TFLOP  util %4.1f%%  HBM %7.2f GB  kernels %d",
                             stage.label.padding(toLength: labelWidth, withPad: " ", startingAt: 0) as NSString,
                             stage.runs, r.seconds * 1e3, r.flops / 1e12, 100 * r.matrixUnitUtilization, r.hbmBytes / 1e9, r.ops.count))
                print(String(format: "      activation memory: planned arena %.2f GB against %.2f GB if every intermediate were kept",
                             Double(stage.memoryPlanBytes) / 1e9, Double(stage.memoryNaiveBytes) / 1e9))
                for op in r.ops.sorted(by: { $0.seconds > $1.seconds }).prefix(top) {
                    print(String(format: "      %8.3f ms  %-9@ util %5.1f%%  AI %7.1f  %@", op.seconds * 1e3, op.bound as NSString,
                                 100 * op.matrixUnitUtilization, op.arithmeticIntensity, String(op.name.prefix(70)) as NSString))
                }
            }
            if chips > 1 {
                print(String(format: "%d chips, %@ split: batch latency %.3f s, %.2f images/s, %.3f chip-seconds per image",
                             chips, parallel as NSString, costed.latencySeconds, costed.imagesPerSecond, costed.chipSecondsPerImage))
            }
            print(String(format: "seconds per image: %.4g   matrix-unit utilization: %.1f%%   HBM per image: %.1f GB",
                         costed.secondsPerImage, 100 * costed.matrixUnitUtilization, costed.hbmBytesPerImage / 1e9))
        }

        /// NB-mini's run plan for one image (`batch` of them, one after another) with the configs of the weight
        /// files: the graphs `generate` runs for the same request, costed at `dtype`.
        func nbMiniWorkload(_ preset: NBMiniPipeline.Preset, steps: Int, dtype: DType, images: Int) throws -> PipelineWorkload {
            guard (resolution ?? NBMiniArchitecture.imageSize) == NBMiniArchitecture.imageSize else {
                throw CommandError("NB-mini generates \(NBMiniArchitecture.imageSize)x\(NBMiniArchitecture.imageSize) images; --resolution must be \(NBMiniArchitecture.imageSize)")
            }
            guard (1...1000).contains(steps), (1...64).contains(batch) else { throw CommandError("steps must be 1...1000 and batch 1...64") }
            if let strength, !(0...1).contains(strength) { throw CommandError("--strength must be between 0 and 1, got \(strength)") }
            let folder = try Generator.weightsFolder(weights)
            do {
                let architecture = try NBMiniArchitecture(weightsDirectory: folder, presets: [preset])
                let c = architecture.referenceEncoder
                guard (0...c.maxPeople).contains(references) else { throw CommandError("--references must be 0...\(c.maxPeople)") }
                guard (1...c.maxRefs).contains(photos) else { throw CommandError("--photos must be 1...\(c.maxRefs)") }
                let shape = RunPlan.Shape(steps: steps, people: references, photosPerPerson: photos, strength: strength)
                return try RunPlan(preset: preset, shape: shape, architecture: architecture).workload(images: images, dtype: dtype)
            } catch let error as CommandError { throw error } catch { throw CommandError("\(error)") }
        }
    }
}

/// A one-MatMul graph, for whole-chip GEMM runs.
enum GemmGraph {
    static func make(m: Int, n: Int, k: Int, dtype: DType) throws -> CavendishGraph.Graph {
        var b = GraphBuilder(dtype: dtype)
        let a = b.input("a", [m, k]), w = b.weight("b", [k, n])
        b.output(try b.apply("MatMul", [a, w]))
        return b.graph
    }
}
