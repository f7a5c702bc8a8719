import CavendishCPU
import CavendishCore
import Testing

/// Bad inputs and attributes are `KernelError`s that say what is wrong, never crashes.
struct BadInputTests {
    let cpu = CPUBackend()
    func t(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }

    @Test func shapeMismatchesThrow() {
        #expect(throws: KernelError.self) { try cpu.run("MatMul", [t([2, 3]), t([4, 5])]) }
        #expect(throws: KernelError.self) { try cpu.run("Add", [t([2, 3]), t([4, 3])]) }
        #expect(throws: KernelError.self) { try cpu.run("Conv", [t([1, 3, 8, 8]), t([4, 2, 3, 3])]) }
        #expect(throws: KernelError.self) { try cpu.run("Concat", [t([2, 3]), t([2, 4])], ["axis": .int(0)]) }
        #expect(throws: KernelError.self) { try cpu.run("Reshape", [t([2, 3]), Tensor(shape: [1], dtype: .int64, values: [Int64(5)])]) }
        #expect(throws: KernelError.self) { try cpu.run("Attention", [t([1, 2, 4, 8]), t([1, 2, 4, 7]), t([1, 2, 4, 8])]) }
    }

    @Test func badAttributesThrow() {
        #expect(throws: KernelError.self) { try cpu.run("Softmax", [t([2, 3])], ["axis": .int(5)]) }
        #expect(throws: KernelError.self) { try cpu.run("Conv", [t([1, 2, 8, 8]), t([2, 2, 3, 3])], ["strides": .ints([0, 1])]) }
        #expect(throws: KernelError.self) { try cpu.run("GroupNormalization", [t([1, 6, 2, 2]), t([6]), t([6])], ["num_groups": .int(4)]) }
        #expect(throws: KernelError.self) { try cpu.run("Gather", [t([3, 2]), Tensor(shape: [1], dtype: .int64, values: [Int64(7)])]) }
        #expect(throws: KernelError.self) { try cpu.run("Gelu", [t([2])], ["approximate": .string("cubic")]) }
    }

    @Test func unknownOperatorIsUnsupported() {
        do {
            _ = try cpu.run("NonMaxSuppression", [t([1])])
            Issue.record("expected an error")
        } catch KernelError.unsupported(let message) {
            #expect(message.contains("NonMaxSuppression"))
        } catch {
            Issue.record("wrong error \(error)")
        }
    }
}
