import CavendishCPU
import CavendishConformance
import CavendishGraph
import CavendishSimulator
import Foundation
import Testing

/// The simulator's tiled programs, executed block by block on real data, must pass every kernel case
/// the CPU backend passes (expected values from the committed fixtures). The backend itself checks that
/// each output element is written exactly once.
struct TiledExecutionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path
    static let files = ((try? ConformanceRunner.caseFiles(in: [root + "/kernel-cases", root + "/onnx-node"])) ?? [])
        .map { String($0.dropFirst(root.count + 1)) }
    static let cpu = ConformanceRunner(backend: CPUBackend())
    static let tiled = ConformanceRunner(backend: TiledBackend())

    @Test("tiled execution agrees with the CPU backend's verdict", arguments: files)
    func passesWhatTheCPUPasses(file: String) {
        let reference = Self.cpu.run(files: [Self.root + "/" + file]).results[0]
        let result = Self.tiled.run(files: [Self.root + "/" + file]).results[0]
        if reference.status == .pass {
            #expect(result.status == .pass, "\(file): \(result.status.rawValue) \(result.message)")
        }
    }

    /// The toy chip must really split the larger cases into many blocks, or the check above proves little.
    @Test func testChipSplitsTheLargeCases() throws {
        var b = GraphBuilder(dtype: .float32)
        let a = b.input("a", [129, 257]), w = b.weight("w", [257, 65])
        b.output(try b.apply("MatMul", [a, w]))
        let report = try Simulator(chip: TiledBackend.testChip).simulate(b.graph, dtype: .float32)
        #expect(report.ops[0].gridSteps >= 50, "only \(report.ops[0].gridSteps) grid steps")
    }
}
