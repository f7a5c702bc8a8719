import CavendishCPU
import CavendishConformance
import CavendishCore
import CavendishOps
import CavendishSimulator
import Foundation
import Testing

/// The schemas: one per operator, counted FLOPs against the formulas of the ONNX definitions, and the
/// backends' advance answers about what they run.
struct OperatorSchemaTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    func info(_ shape: [Int], _ dtype: DType = .float32) -> TensorInfo? { TensorInfo(shape: shape, dtype: dtype) }

    func flops(_ kind: OperatorKind, _ inputs: [TensorInfo?], _ a: [String: Attributes.Value] = [:]) throws -> Double {
        try kind.schema.cost(inputs, Attributes(a), opset: KernelInvocation.latestOpset).flops
    }

    @Test(arguments: OperatorKind.allCases)
    func everyOperatorHasItsOwnSchema(kind: OperatorKind) throws {
        #expect(kind.schema.kind == kind)
        #expect(try OperatorKind(named: kind.name) == kind)
        #expect(CPUBackend().supports(kind), "\(kind) has a schema but no CPU kernel")
        #expect(TiledBackend().supports(kind))
        #expect(kind.schema.elementwiseOperands == nil || kind.schema.category == .elementwise)
    }

    @Test func unknownOperatorsAreUnsupportedBeforeTheyRun() {
        #expect(throws: KernelError.self) { try OperatorKind(named: "NonMaxSuppression") }
        let call = KernelInvocation(op: "NonMaxSuppression", inputs: [])
        #expect(CPUBackend().unsupportedReason(for: call)?.contains("NonMaxSuppression") == true)
        let antialias = Attributes(["mode": .string("linear"), "antialias": .int(1)])
        #expect(CPUBackend().unsupportedReason(.resize, attributes: antialias, opset: 19) == "Resize antialias=1")
        #expect(!CPUBackend().supports(.gelu, attributes: Attributes(["approximate": .string("cubic")])))
        #expect(CPUBackend().supports(.resize, attributes: Attributes(["mode": .string("nearest"), "antialias": .int(1)])))
    }

    /// MatMul: 2 x (batch) x M x N x K.
    @Test func matMulFlops() throws {
        #expect(try flops(.matMul, [info([2, 3, 4]), info([4, 5])]) == 2 * 2 * 3 * 5 * 4)
        #expect(try flops(.matMul, [info([2, 1, 3, 4]), info([3, 4, 5])]) == 2 * 6 * 3 * 5 * 4)
        #expect(try flops(.matMul, [info([4]), info([4, 5])]) == 2 * 5 * 4)
        #expect(try flops(.matMul, [info([3, 4]), info([4])]) == 2 * 3 * 4)
    }

    /// Gemm: 2 x M x N x K after the transposes.
    @Test func gemmFlops() throws {
        #expect(try flops(.gemm, [info([4, 3]), info([5, 4])], ["transA": .int(1), "transB": .int(1)]) == 2 * 3 * 5 * 4)
    }

    /// Conv: 2 x N x Cout x Hout x Wout x (Cin / group) x kh x kw.
    @Test func convFlops() throws {
        // 8x8 input, 3x3 kernel, pads 1, stride 2: Hout = Wout = (8 + 2 - 3) / 2 + 1 = 4.
        let f = try flops(.conv, [info([1, 4, 8, 8]), info([6, 2, 3, 3])],
                          ["group": .int(2), "pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])])
        #expect(f == 2 * 1 * 6 * 4 * 4 * 2 * 3 * 3)
        // 1-D: N=2, Cin=3, W=10, Cout=5, k=3, no padding: Wout = 8.
        #expect(try flops(.conv, [info([2, 3, 10]), info([5, 3, 3])]) == 2 * 2 * 5 * 8 * 3 * 3)
    }

    /// Attention: Q K^T and P V, 2 x B x H x Sq x Skv x (D + Dv).
    @Test func attentionFlops() throws {
        #expect(try flops(.attention, [info([2, 3, 5, 8]), info([2, 3, 7, 8]), info([2, 3, 7, 6])]) == 2 * 2 * 3 * 5 * 7 * (8 + 6))
        // 3-D with grouped heads: 4 query heads of 8, 2 kv heads of 8 (value heads of 6).
        #expect(try flops(.attention, [info([1, 5, 32]), info([1, 7, 16]), info([1, 7, 12])],
                          ["q_num_heads": .int(4), "kv_num_heads": .int(2)]) == 2 * 1 * 4 * 5 * 7 * (8 + 6))
    }

    @Test func vectorOperatorsCountNoMatrixFlops() throws {
        #expect(try flops(.add, [info([2, 3]), info([3])]) == 0)
        let cost = try OperatorKind.softmax.schema.cost([info([2, 3])], Attributes(), opset: 13)
        #expect(cost.vectorOps == 24 && cost.transcendentals == 6 && cost.bytesRead == 24 && cost.bytesWritten == 24)
    }

    /// Every MatMul and Conv case the conformance runner passes counts the FLOPs an independent formula
    /// gives from the case's own tensors: 2 x output elements x the reduction length.
    @Test(arguments: ["MatMul", "Conv", "Gemm"])
    func conformanceCasesCountTheFormulasFlops(op: String) throws {
        let runner = ConformanceRunner(backend: CPUBackend())
        var checked = 0
        for folder in ["kernel-cases", "onnx-node"] {
            let files = try ConformanceRunner.caseFiles(in: [Self.fixtures + "/\(folder)/\(op)"])
            for file in files {
                let c = try KernelCaseFile.load(file)
                let result = runner.run(c)
                #expect(result.status == .pass, "\(file): \(result.message)")
                guard let y = c.expected[0] else { continue }
                let x = c.call.inputs[0]!, w = c.call.inputs[1]!
                let reduction: Int
                switch op {
                case "MatMul": reduction = x.shape.last!
                case "Gemm": reduction = (try c.call.attributes.int("transA", 0)) != 0 ? x.shape[0] : x.shape[1]
                default: reduction = w.shape.dropFirst().reduce(1, *)   // Cin / group x kernel taps
                }
                let expected = 2 * Double(y.count) * Double(reduction)
                #expect(result.flops ?? 0 == expected, "\(file)")
                checked += 1
            }
        }
        #expect(checked > 5)
    }
}
