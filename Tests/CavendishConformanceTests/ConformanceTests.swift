import CavendishCPU
import CavendishConformance
import CavendishCore
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
