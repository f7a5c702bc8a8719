import Benchmark
import CavendishCPU
import CavendishCore

/// The main kernels at the shapes `cavendish kernels bench` reports, under ordo-one/benchmark so that
/// regressions show up in its baselines. Throughput is reported in FLOPs (compute-bound kernels) or
/// bytes (memory-bound ones) per run via `scalingFactor`.
let benchmarks: @Sendable () -> Void = {
    let backend = CPUBackend()
    func random(_ shape: [Int], _ seed: UInt64) -> Tensor {
        var source = TorchRandomSource(seed: seed)
        return source.normalTensor(shape: shape)
    }
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .throughput, .peakMemoryResident],
                                                warmupIterations: 2, maxDuration: .seconds(3))

    let a = random([1024, 1024], 1), b = random([1024, 1024], 2)
    Benchmark("MatMul 1024^3", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try backend.run("MatMul", [a, b])) }
    }

    let x = random([1, 64, 64, 64], 3), w3 = random([64, 64, 3, 3], 4), w1 = random([64, 64, 1, 1], 5), bias = random([64], 6)
    Benchmark("Conv 3x3 64->64 64x64", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try backend.run("Conv", [x, w3, bias], ["pads": .ints([1, 1, 1, 1])])) }
    }
    Benchmark("Conv 1x1 64->64 64x64", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try backend.run("Conv", [x, w1, bias])) }
    }

    for seq in [256, 1024] {
        let q = random([1, 8, seq, 64], 7), k = random([1, 8, seq, 64], 8), v = random([1, 8, seq, 64], 9)
        Benchmark("Attention 8x\(seq)x64", configuration: configuration) { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try backend.run("Attention", [q, k, v])) }
        }
    }

    let g = random([1, 320, 64, 64], 10), gs = random([320], 11), gb = random([320], 12)
    Benchmark("GroupNormalization 320x64x64", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try backend.run("GroupNormalization", [g, gs, gb], ["num_groups": .int(32)])) }
    }
    let s = random([8, 1024, 1024], 13)
    Benchmark("Softmax 8x1024x1024", configuration: configuration) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try backend.run("Softmax", [s])) }
    }
}
