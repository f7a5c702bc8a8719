import CavendishCore
import CavendishGraph
import CavendishModels
import CavendishSimulator
import Foundation
import Testing

/// The schedule is right for the right reasons: loads overlap compute, transcendentals overlap the
/// ALUs, a megacore chip's two cores share HBM, and splits over chips add the traffic they should.
struct EngineScheduleTests {
    static func gemm(m: Int, n: Int, k: Int) throws -> CavendishGraph.Graph {
        var b = GraphBuilder(dtype: .bfloat16)
        let a = b.input("a", [m, k]), w = b.weight("b", [k, n])
        b.output(try b.apply("MatMul", [a, w]))
        return b.graph
    }

    @Test func aSingleReductionBlockGemmOverlapsItsCopiesWithCompute() throws {
        // 8192 x 5120 x 640 on v5e: 273 us of matrix time and about 243 us of HBM time. Serialising them
        // (write-back booked before the next prefetch) gave 516.5 us; overlapped, the kernel takes about
        // the larger of the two.
        let report = try Simulator(chip: try ChipSpec.load("v5e")).simulate(try Self.gemm(m: 8192, n: 5120, k: 640), dtype: .bfloat16)
        let busy = report.busySeconds
        let matrix = busy["matrix_units"] ?? 0, hbm = (busy["dma_in"] ?? 0) + (busy["dma_out"] ?? 0)
        let kernel = report.seconds - report.launchSeconds
        #expect(kernel < 1.15 * max(matrix, hbm), "kernel \(kernel) s, matrix \(matrix) s, HBM \(hbm) s")
        #expect(kernel < 0.75 * (matrix + hbm))
    }

    @Test func transcendentalsRunBesideTheALUs() throws {
        var b = GraphBuilder(dtype: .bfloat16)
        let x = b.input("x", [4096, 4096])
        b.output(try b.apply("Tanh", [x]))
        var chip = try ChipSpec.load("v5e")
        chip.hbmBytesPerSecond = 1e15   // keep memory out of the way
        let parallel = try Simulator(chip: chip).simulate(b.graph, dtype: .bfloat16).busySeconds["vector_unit"] ?? 0
        chip.separateTranscendentalUnit = false
        let serial = try Simulator(chip: chip).simulate(b.graph, dtype: .bfloat16).busySeconds["vector_unit"] ?? 0
        #expect(parallel < serial)
    }

    @Test func megacoreSharesTheGridButNotHBM() throws {
        // v4's two cores each take half the output blocks: a compute-bound GEMM runs at about the chip's
        // peak, and both cores' matrix units are busy.
        let report = try Simulator(chip: try ChipSpec.load("v4")).simulate(try Self.gemm(m: 8192, n: 8192, k: 8192), dtype: .bfloat16)
        let kernel = report.seconds - report.launchSeconds
        #expect((report.busySeconds["matrix_units"] ?? 0) > 1.8 * kernel)
        #expect(report.matrixUnitUtilization > 0.9)
    }

    @Test func splitsOverChipsCostWhatTheySplit() throws {
        let chip = try ChipSpec.load("v5e")
        let g = try UNet2DCondition(config: .sd15).graph(batch: 2, latentSize: 64, dtype: .bfloat16)
        let one = try Simulator(chip: chip).simulate(g, dtype: .bfloat16)
        let tensor = try Simulator(chip: chip, parallel: Parallelism(kind: .tensor, chips: 4)).simulate(g, dtype: .bfloat16)
        let sequence = try Simulator(chip: chip, parallel: Parallelism(kind: .sequence, chips: 4)).simulate(g, dtype: .bfloat16)
        let serial = try Simulator(chip: chip, parallel: Parallelism(kind: .sequence, chips: 4, overlap: false)).simulate(g, dtype: .bfloat16)
        // Each chip does a quarter of the FLOPs; the collectives show as ICI time.
        #expect(abs(tensor.flops / one.flops - 0.25) < 0.02 && abs(sequence.flops / one.flops - 0.25) < 0.02)
        #expect((tensor.busySeconds["ici"] ?? 0) > 0 && (sequence.busySeconds["ici"] ?? 0) > 0)
        #expect(serial.seconds > sequence.seconds)
        // A data split leaves the graph alone.
        let data = try Simulator(chip: chip, parallel: Parallelism(kind: .data, chips: 4)).simulate(g, dtype: .bfloat16)
        #expect(data.seconds == one.seconds)
    }

    @Test func dataParallelPipelinesMultiplyThroughput() throws {
        let w = try ModelCatalog.pipeline("sd15-unet", resolution: 512, steps: 4, guidance: true, batch: 1, dtype: .bfloat16)
        let stages = w.stages.map { ($0.label, $0.graph, $0.runs) }
        let chip = try ChipSpec.load("v5e")
        let one = try PipelineReport(stages: stages, imagesPerBatch: 1, simulator: Simulator(chip: chip), dtype: .bfloat16)
        let four = try PipelineReport(stages: stages, imagesPerBatch: 1, simulator: Simulator(chip: chip, parallel: .init(kind: .data, chips: 4)),
                                      dtype: .bfloat16)
        #expect(abs(four.imagesPerSecond / one.imagesPerSecond - 4) < 1e-9)
        #expect(four.latencySeconds == one.latencySeconds && abs(four.chipSecondsPerImage - one.chipSecondsPerImage) < 1e-12)
    }
}
