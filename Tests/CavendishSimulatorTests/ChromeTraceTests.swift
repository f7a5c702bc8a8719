import CavendishGraph
import CavendishSimulator
import Foundation
import Testing

/// `simulate model ... --trace FILE [--force]`: the trace is published atomically; an existing file is
/// refused without `overwrite` and replaced (not lost) with it.
struct ChromeTraceTests {
    static func report() throws -> GraphReport {
        var b = GraphBuilder(dtype: .float32)
        let a = b.input("a", [64, 128]), w = b.weight("w", [128, 32])
        b.output(try b.apply("MatMul", [a, w]))
        return try Simulator(chip: TiledBackend.testChip).simulate(b.graph, dtype: .float32)
    }

    @Test func forceReplacesAnExistingTraceAndLeavesNoTemporaryFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("trace.json").path
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let report = try Self.report()

        #expect(throws: (any Error).self) { try ChromeTrace.write(report, process: "t", to: path, overwrite: false) }
        #expect(FileManager.default.contents(atPath: path) == Data("old".utf8))

        try ChromeTrace.write(report, process: "t", to: path, overwrite: true)
        let data = try #require(FileManager.default.contents(atPath: path))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["traceEvents"] is [Any])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["trace.json"])
    }
}
