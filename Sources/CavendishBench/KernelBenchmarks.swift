import CBLAS
import CavendishCPU
import CavendishCore
import Foundation

/// One measured kernel next to the reference it is judged against, measured in the same run.
public struct KernelMeasurement: Codable, Sendable {
    /// What ran, with its shape.
    public var name: String
    /// `GFLOP/s` for compute-bound kernels, `GB/s` for memory-bound ones.
    public var unit: String
    /// Our kernel's rate.
    public var value: Double
    /// What the rate is compared with (raw sgemm at equal FLOPs, or memcpy of equal bytes).
    public var reference: String
    /// The reference's rate.
    public var referenceValue: Double
    /// `value / referenceValue`.
    public var ratio: Double
    /// The target ratio.
    public var target: Double
    /// Median seconds per call of our kernel.
    public var seconds: Double
    /// The per-round ratios (our rate over the reference's) of the interleaved rounds, with their spread.
    public var rounds: RoundRatio

    enum CodingKeys: String, CodingKey {
        case name, unit, value, reference, ratio, target, seconds, rounds
        case referenceValue = "reference_value"
    }
}

/// The kernel benchmark suite behind `cavendish kernels bench` and `Benchmarks/`.
///
/// Every figure is a ratio within one run: our kernel against raw `cblas_sgemm` doing the same
/// multiply-adds (for MatMul, Conv, attention) or against `memcpy` moving the same bytes (for
/// GroupNormalization and Softmax), because the machines are shared and absolute rates drift. The two
/// alternate in rounds (`InterleavedRounds`), and the ratio is the median of the rounds' ratios.
public enum KernelBenchmarks {
    static let backend = CPUBackend()

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var source = TorchRandomSource(seed: seed)
        return source.normalTensor(shape: shape)
    }

    /// Raw `cblas_sgemm` for row-major (m x k)(k x n), `repeats` times per call, on seeded operands.
    public static func sgemm(m: Int, n: Int, k: Int, repeats: Int = 1) -> () -> Void {
        ThreadPool.configure()
        let a = random([m, k], seed: 1), b = random([k, n], seed: 2), c = Tensor(zeros: [m, n])
        return {
            for _ in 0..<repeats {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                            a.pointer(as: Float.self), Int32(k), b.pointer(as: Float.self), Int32(n), 0,
                            c.pointer(as: Float.self), Int32(n))
            }
        }
    }

    /// Copying `bytes` bytes between two buffers (allocated once; freed when the closure is).
    public static func memcpyCall(bytes: Int) -> () -> Void {
        let buffers = CopyBuffers(bytes: bytes)
        return { memcpy(buffers.destination, buffers.source, bytes) }
    }

    private final class CopyBuffers {
        let source: UnsafeMutableRawPointer, destination: UnsafeMutableRawPointer
        init(bytes: Int) {
            source = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            destination = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            memset(source, 1, bytes); memset(destination, 0, bytes)
        }
        deinit { source.deallocate(); destination.deallocate() }
    }

    /// Our kernel and its reference in alternating rounds for about `budget` seconds: each round times a
    /// unit of each (enough calls for ~20 ms), and the ratio is the median of the rounds' ratios.
    static func interleaved(budget: Double, ours: () throws -> Void, reference: @escaping () -> Void) throws -> (ours: Double, reference: Double, rounds: RoundRatio) {
        let unit = 0.02
        return try withoutActuallyEscaping(ours) { ours in
            let nOurs = try InterleavedRounds.repeatsFor(seconds: unit, ours)
            let nReference = InterleavedRounds.repeatsFor(seconds: unit, reference)
            let samples = try InterleavedRounds.run([
                .init("ours") { try InterleavedRounds.timed(repeats: nOurs, ours) },
                .init("reference") { InterleavedRounds.timed(repeats: nReference, reference) },
            ], budget: budget)
            let o = samples["ours"]!, r = samples["reference"]!
            return (o.sorted()[o.count / 2], r.sorted()[r.count / 2], RoundRatio(r, over: o))
        }
    }

    /// Runs the suite. `budget` is the seconds spent per timed item (larger is steadier).
    public static func run(budget: Double = 0.6, filter: String? = nil, progress: (String) -> Void = { _ in }) throws -> [KernelMeasurement] {
        var results: [KernelMeasurement] = []
        func wanted(_ name: String) -> Bool { filter.map { name.lowercased().contains($0.lowercased()) } ?? true }
        func compute(_ name: String, flops: Double, target: Double, reference: String, referenceCall: @autoclosure () -> () -> Void, _ body: () throws -> Void) throws {
            guard wanted(name) else { return }
            progress(name)
            let m = try interleaved(budget: 2 * budget, ours: body, reference: referenceCall())
            let v = flops / m.ours / 1e9, r = flops / m.reference / 1e9
            results.append(KernelMeasurement(name: name, unit: "GFLOP/s", value: v, reference: reference, referenceValue: r,
                                             ratio: m.rounds.median, target: target, seconds: m.ours, rounds: m.rounds))
        }
        func memory(_ name: String, bytes: Int, target: Double, _ body: () throws -> Void) throws {
            guard wanted(name) else { return }
            progress(name)
            let m = try interleaved(budget: 2 * budget, ours: body, reference: memcpyCall(bytes: bytes / 2))
            let v = Double(bytes) / m.ours / 1e9, r = Double(bytes) / m.reference / 1e9
            results.append(KernelMeasurement(name: name, unit: "GB/s", value: v, reference: "memcpy of \(bytes / 2) bytes (read + write)",
                                             referenceValue: r, ratio: m.rounds.median, target: target, seconds: m.ours, rounds: m.rounds))
        }

        // Raw sgemm against itself: the rounds' spread is the noise floor of this run (ratio 1 by definition).
        if wanted("cblas_sgemm") {
            let n = 1024, ours = sgemm(m: n, n: n, k: n)
            try compute("cblas_sgemm 1024x1024x1024 (against itself)", flops: 2.0 * Double(n * n * n), target: 1,
                        reference: "itself", referenceCall: sgemm(m: n, n: n, k: n)) { ours() }
        }
        // MatMul: a square product and a linear layer over a token batch (shared weights, folded batch).
        for (name, aShape, bShape) in [("MatMul 1024x1024 @ 1024x1024", [1024, 1024], [1024, 1024]),
                                       ("MatMul [4,1024,512] @ [512,512] (linear layer)", [4, 1024, 512], [512, 512])] {
            let a = random(aShape, seed: 3), b = random(bShape, seed: 4)
            let m = Shape.count(aShape) / aShape.last!, k = aShape.last!, n = bShape.last!
            let flops = 2.0 * Double(m * n * k)
            try compute(name, flops: flops, target: 0.95, reference: "cblas_sgemm \(m)x\(n)x\(k)",
                        referenceCall: sgemm(m: m, n: n, k: k)) {
                _ = try backend.run("MatMul", [a, b])
            }
        }
        // The bf16 switch's MatMul (oneDNN, bfloat16 operands, float32 accumulation) against float32 sgemm: above 1 is
        // faster. The right operand is a constant (a weight), rounded once; the left one is rounded every call.
        let bf16 = { var o = CPUBackend.Options(); o.bfloat16MatMul = true; return CPUBackend(options: o) }()
        for (name, aShape, bShape) in [("MatMul bf16 1024x1024 @ 1024x1024", [1024, 1024], [1024, 1024]),
                                       ("MatMul bf16 [1,256,256] @ [256,1024] (DiT mlp_fc1)", [1, 256, 256], [256, 1024])] {
            let a = random(aShape, seed: 3), b = random(bShape, seed: 4)
            let m = Shape.count(aShape) / aShape.last!, k = aShape.last!, n = bShape.last!
            var call = KernelInvocation(op: "MatMul", inputs: [a, b])
            call.constantInputs = [1]
            try compute(name, flops: 2.0 * Double(m * n * k), target: 1, reference: "cblas_sgemm \(m)x\(n)x\(k) (float32)",
                        referenceCall: sgemm(m: m, n: n, k: k)) {
                _ = try bf16.run(call)
            }
        }
        // Convolutions: the reference is sgemm of the im2col-equivalent shape (M = Cout, K = Cin*kh*kw, N = OH*OW).
        let convs: [(String, [Int], [Int], [String: Attributes.Value], Int)] = [
            ("Conv 3x3 64->64 on 64x64, pad 1", [1, 64, 64, 64], [64, 64, 3, 3], ["pads": .ints([1, 1, 1, 1])], 64 * 64),
            ("Conv 1x1 64->64 on 64x64", [1, 64, 64, 64], [64, 64, 1, 1], [:], 64 * 64),
            ("Conv 3x3 64->128 on 64x64, stride 2, pad 1", [1, 64, 64, 64], [128, 64, 3, 3],
             ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])], 32 * 32),
        ]
        for (name, xs, ws, attrs, outPixels) in convs {
            let x = random(xs, seed: 5), w = random(ws, seed: 6), b = random([ws[0]], seed: 7)
            let m = ws[0], k = ws[1] * ws[2] * ws[3]
            let flops = 2.0 * Double(m * k * outPixels)
            try compute(name, flops: flops, target: ws[2] == 3 ? 0.8 : 0.95, reference: "cblas_sgemm \(m)x\(outPixels)x\(k)",
                        referenceCall: sgemm(m: m, n: outPixels, k: k)) {
                _ = try backend.run("Conv", [x, w, b], attrs)
            }
        }
        // Attention: the reference is the two sgemm per head that a materialized attention does (QK^T and PV).
        for seq in [256, 1024] {
            let heads = 8, d = 64
            let q = random([1, heads, seq, d], seed: 8), k = random([1, heads, seq, d], seed: 9), v = random([1, heads, seq, d], seed: 10)
            let flops = 4.0 * Double(heads * seq * seq * d)
            let qk = sgemm(m: seq, n: seq, k: d, repeats: heads), pv = sgemm(m: seq, n: d, k: seq, repeats: heads)
            try compute("Attention 8 heads, seq \(seq), head dim 64", flops: flops, target: 0.6,
                        reference: "cblas_sgemm QK^T (\(seq)x\(seq)x\(d)) + PV (\(seq)x\(d)x\(seq)) x 8 heads", referenceCall: { qk(); pv() }) {
                _ = try backend.run("Attention", [q, k, v])
            }
        }
        // Memory-bound kernels: bytes = input read + output written. The output goes to a buffer allocated
        // once, as the executor's memory plan gives every kernel its planned slot (and as memcpy's
        // destination is): a fresh 5 MB allocation per call costs page faults that no planned run pays.
        do {
            let x = random([1, 320, 64, 64], seed: 11), s = random([320], seed: 12), b = random([320], seed: 13)
            var norm = KernelInvocation(op: "GroupNormalization", inputs: [x, s, b], attributes: Attributes(["num_groups": .int(32)]))
            norm.outputBuffers = [Tensor(zeros: x.shape)]
            try memory("GroupNormalization [1,320,64,64], 32 groups", bytes: 2 * x.byteCount, target: 0.7) {
                _ = try backend.run(norm)
            }
            let y = random([8, 1024, 1024], seed: 14)
            var softmax = KernelInvocation(op: "Softmax", inputs: [y])
            softmax.outputBuffers = [Tensor(zeros: y.shape)]
            try memory("Softmax [8,1024,1024] axis -1", bytes: 2 * y.byteCount, target: 0.7) {
                _ = try backend.run(softmax)
            }
        }
        return results
    }
}
