// swift-tools-version: 6.1
// Kernel benchmarks on ordo-one/benchmark. Kept in their own package so that building and testing
// Cavendish does not build the benchmark harness. Run from this folder:
//   swift package benchmark                      # all benchmarks
//   swift package benchmark --filter Conv        # some
import PackageDescription

let package = Package(
    name: "CavendishBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Cavendish", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "KernelBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CavendishCore", package: "Cavendish"),
                .product(name: "CavendishCPU", package: "Cavendish"),
            ],
            path: "KernelBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
