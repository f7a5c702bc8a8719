import CavendishCPU
import CavendishConformance
import CavendishCore
import CavendishIO
import CavendishSimulator
import Foundation
import Testing

/// Every converted ONNX node test and every seeded unit case (expected values from
/// scripts/onnx_node_cases.py and scripts/kernel_unit_cases.py) must pass on the CPU backend.
struct ConformanceTests {
    static let runner = ConformanceRunner(backend: CPUBackend())
    static let onnxCases = Fixtures.cases("onnx-node")
    static let unitCases = Fixtures.cases("kernel-cases")

    @Test func fixturesArePresent() {
        #expect(Self.onnxCases.count > 300)
        #expect(Self.unitCases.count > 200)
        #expect(Self.hostileCases.count == Self.hostileExpected.count && Self.hostileCases.count >= 19)
    }

    @Test("ONNX backend node test", arguments: onnxCases)
    func onnxNodeTest(file: String) {
        let result = Self.runner.run(files: [Fixtures.root + "/onnx-node/" + file]).results[0]
        if let reason = Fixtures.excludedOnnxCases[file] {
            #expect(result.status == .unsupported, "\(file) is listed as excluded (\(reason)) but was \(result.status)")
        } else {
            #expect(result.status == .pass, "\(file): \(result.status.rawValue) \(result.message)")
        }
    }

    @Test("seeded unit case", arguments: unitCases)
    func unitCase(file: String) {
        let result = Self.runner.run(files: [Fixtures.root + "/kernel-cases/" + file]).results[0]
        #expect(result.status == .pass, "\(file): \(result.status.rawValue) \(result.message)")
    }

    /// The same unit cases with every input handed over as a non-contiguous view of equal values: the
    /// kernels must follow strides, not assume dense memory.
    @Test("seeded unit case on non-contiguous inputs", arguments: unitCases)
    func unitCaseOnStridedInputs(file: String) throws {
        var kernelCase = try KernelCaseFile.load(Fixtures.root + "/kernel-cases/" + file)
        kernelCase.call.inputs = kernelCase.call.inputs.map { $0.map(StridedCopy.make) }
        for input in kernelCase.call.inputs.compactMap({ $0 }) where input.shape.filter({ $0 > 1 }).count >= (input.rank == 1 ? 1 : 2) {
            #expect(!input.isContiguous)
        }
        let result = Self.runner.run(kernelCase)
        #expect(result.status == .pass, "\(file): \(result.status.rawValue) \(result.message)")
    }

    @Test func deliberatelyWrongCaseFails() {
        let report = Self.runner.run(files: [Fixtures.root + "/wrong/softmax_expected_is_input.h5"])
        #expect(report.failed == 1)
        #expect(!report.succeeded)
    }

    /// A NaN tolerance would pass any answer (`diff > atol + NaN * |e|` is never true), a negative one
    /// fail every answer: such a case is an error, not a pass. The case is the deliberately wrong one.
    @Test(arguments: [Double.nan, -1e-3, Double.infinity])
    func toleranceThatIsNotAFiniteNonNegativeNumberIsAnError(rtol: Double) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-tolerance-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = try HDF5File(readingFrom: Fixtures.root + "/wrong/softmax_expected_is_input.h5")
        let path = dir.appendingPathComponent("case.h5").path
        let writer = try HDF5Writer(creating: path)
        try writer.createGroup("/inputs")
        try writer.createGroup("/outputs")
        try writer.write(try source.tensor(at: "inputs/0"), to: "/inputs/0")
        try writer.write(try source.tensor(at: "outputs/0"), to: "/outputs/0")
        try writer.setAttribute("op", to: .string("Softmax"))
        try writer.setAttribute("rtol", to: .float(rtol))
        try writer.finish()
        let report = Self.runner.run(files: [path])
        #expect(report.errors == 1 && report.passed == 0, "\(report.results.map(\.message))")
        #expect(report.results.first?.message.contains("rtol") == true)
    }

    /// A FIFO named like a case file is an error at once, not a hang of the whole folder's run.
    @Test func aFIFOIsAnErrorNotAHang() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-fifo-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(mkfifo(dir.appendingPathComponent("pipe.h5").path, 0o600) == 0)
        let report = Self.runner.run(files: try ConformanceRunner.caseFiles(in: [dir.path]))
        #expect(report.errors == 1 && report.results.first?.message.contains("regular file") == true)
    }

    static let hostileCases = Fixtures.cases("hostile-cases")
    static let hostileExpected: [String: String] = {
        guard let data = FileManager.default.contents(atPath: Fixtures.root + "/hostile-cases/expected.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: String] else { return [:] }
        return object
    }()

    /// Cases whose attributes, shapes or input values would overflow, trap or allocate gigabytes
    /// (scripts/hostile_cases.py): each comes back with its expected status and a message, in this
    /// process, on both backends. Before the checks, 14 of the 19 ended the process.
    @Test("hostile case", arguments: hostileCases)
    func hostileCaseIsAnErrorNotACrash(file: String) throws {
        let name = String((file as NSString).lastPathComponent.dropLast(3))
        let expected = try #require(Self.hostileExpected[name], "expected.json has no status for \(name)")
        for runner in [Self.runner, ConformanceRunner(backend: TiledBackend())] {
            let result = runner.run(files: [Fixtures.root + "/hostile-cases/" + file]).results[0]
            #expect(result.status.rawValue == expected, "\(runner.backend.name) \(file): \(result.status.rawValue) \(result.message)")
            if expected != "pass" { #expect(!result.message.isEmpty) }
        }
    }

    @Test func unreadableFilesAreErrorsNotCrashes() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-conformance-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("garbage.h5").path
        try Data("not an hdf5 file".utf8).write(to: URL(fileURLWithPath: bad))
        let report = Self.runner.run(files: [bad, dir.appendingPathComponent("missing.h5").path])
        #expect(report.errors == 2)
        #expect(report.results.allSatisfy { $0.message.contains(dir.path) })
    }
}

/// Builds a non-contiguous tensor holding the same values: the data is laid out with its dimensions
/// reversed (or, for rank 0-1, every other element of a buffer twice as long) and viewed back.
enum StridedCopy {
    static func make(_ t: Tensor) -> Tensor {
        let dense = t.contiguous()
        if t.rank >= 2 {
            let reversed = Array((0..<t.rank).reversed())
            let stored = try! dense.permuted(reversed).contiguous()
            return try! stored.permuted(reversed)
        }
        guard t.rank == 1 else { return dense }
        let size = t.dtype.byteSize
        let doubled = Tensor(zeros: [2 * max(t.count, 1)], dtype: t.dtype)
        for i in 0..<t.count {
            (doubled.rawPointer + 2 * i * size).copyMemory(from: dense.rawPointer + i * size, byteCount: size)
        }
        return Tensor(storage: doubled.storage, dtype: t.dtype, shape: t.shape, strides: [2])
    }
}
