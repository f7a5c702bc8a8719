import CavendishCPU
import CavendishCore
import Testing

/// The bf16 switch: MatMul with both operands rounded to bfloat16 (round to nearest even, as the format
/// defines it) and float32 accumulation.
struct BFloat16MatMulTests {
    static let backend = { var o = CPUBackend.Options(); o.bfloat16MatMul = true; return CPUBackend(options: o) }()

    func matmul(_ a: Tensor, _ b: Tensor, constantB: Bool = false) throws -> Tensor {
        var call = KernelInvocation(op: "MatMul", inputs: [a, b])
        if constantB { call.constantInputs = [1] }
        return try Self.backend.run(call)[0]
    }

    func identity(_ n: Int) -> Tensor {
        Tensor(shape: [n, n], floats: (0..<n * n).map { $0 / n == $0 % n ? 1 : 0 })
    }

    /// bfloat16 keeps 8 significant bits: 1 + 2^-8 lies halfway between 1 and 1 + 2^-7 and goes to the even
    /// one (1); 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6 and goes to 1 + 2^-6; just above a
    /// halfway point rounds up. A product with the identity is exact in float32, so it shows the rounding.
    /// Rows of 16 (the switch leaves single-row products in float32).
    @Test func operandsRoundToNearestEven() throws {
        let cases: [(Float, Float)] = [(1 + 0x1p-8, 1), (1 + 3 * 0x1p-8, 1 + 0x1p-6), (1 + 0x1p-8 + 0x1p-20, 1 + 0x1p-7),
                                       (-(1 + 0x1p-8), -1), (3, 3), (.infinity, .infinity), (0x1.FFFFFEp127, .infinity)]
        for c in cases {
            let out = try matmul(Tensor(shape: [16, 1], floats: [Float](repeating: c.0, count: 16)), identity(1)).floats()
            #expect(out.allSatisfy { $0 == c.1 }, "bf16(\(c.0)) = \(out[0]), expected \(c.1)")
        }
        let nan = try matmul(Tensor(shape: [16, 1], floats: [Float](repeating: .nan, count: 16)), identity(1)).floats()
        #expect(nan.allSatisfy { $0.isNaN })
    }

    /// Odd sizes, a transposed right operand (as every linear layer's weight is), batches: the result is the
    /// float64 product of the rounded operands to float32 accumulation's accuracy.
    @Test func matchesTheProductOfTheRoundedOperands() throws {
        var rng = TorchRandomSource(seed: 3)
        let a = rng.normalTensor(shape: [3, 37, 53]), w = rng.normalTensor(shape: [29, 53])
        let b = try w.permuted([1, 0])   // [53, 29], a transposed view
        let out = try matmul(a, b, constantB: true).floats()
        let ra = try matmul(a.reshaped([111, 53]), identity(53)).floats()      // bf16(a), from the rounding above
        let rw = try matmul(w, identity(53)).floats()                          // bf16(w); 29 rows
        var worst = 0.0
        for i in 0..<111 { for j in 0..<29 {
            var exact = 0.0
            for k in 0..<53 { exact += Double(ra[i * 53 + k]) * Double(rw[j * 53 + k]) }
            worst = max(worst, abs(Double(out[i * 29 + j]) - exact) / max(1, abs(exact)))
        } }
        #expect(worst < 1e-5, "relative error \(worst)")
        // A constant operand is rounded once and kept: the same call again gives the same bytes.
        #expect(try matmul(a, b, constantB: true).floats() == out)
        // Another weight of the same shape is not mistaken for the kept one.
        let other = try rng.normalTensor(shape: [29, 53]).permuted([1, 0])
        #expect(try matmul(a, other, constantB: true).floats() != out)
    }

    /// Products of one row stay float32, so a row of float32-only values comes through unrounded.
    @Test func singleRowProductsStayFloat32() throws {
        let x: Float = 1 + 0x1p-20
        #expect(try matmul(Tensor(shape: [1, 1], floats: [x]), identity(1)).floats() == [x])
    }
}
