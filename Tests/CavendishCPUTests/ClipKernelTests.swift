import CavendishCPU
import CavendishCore
import Testing

/// ONNX Clip, which the NB-mini VAE encoder uses for the recipe's `logvar.clamp(-30, 20)`: the golden
/// log-variances sit well inside the bounds, so the parity test alone would not notice a broken clamp.
struct ClipKernelTests {
    let cpu = CPUBackend()
    let x = Tensor(shape: [6], floats: [-50, -30, -1, 0, 20, 1e9])

    @Test func clampsToBothBounds() throws {
        let out = try cpu.run("Clip", [x, Tensor(scalar: Float(-30)), Tensor(scalar: Float(20))])
        #expect(out.floats() == [-30, -30, -1, 0, 20, 20])
    }

    @Test func anAbsentBoundIsNoBound() throws {
        #expect(try cpu.run("Clip", [x, nil, Tensor(scalar: Float(0))]).floats() == [-50, -30, -1, 0, 0, 0])
        #expect(try cpu.run("Clip", [x]).floats() == x.floats())
    }

    @Test func nanPassesThrough() throws {
        let out = try cpu.run("Clip", [Tensor(shape: [2], floats: [.nan, 5]), Tensor(scalar: Float(0)), Tensor(scalar: Float(1))]).floats()
        #expect(out[0].isNaN && out[1] == 1)
    }

    @Test func aBoundThatIsNotOneFloatThrows() {
        #expect(throws: KernelError.self) { try cpu.run("Clip", [x, Tensor(shape: [2], floats: [0, 1])]) }
    }
}
