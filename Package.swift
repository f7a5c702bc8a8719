// swift-tools-version: 6.0
// Cavendish: a Swift research toolkit for Nano Banana 2-style personalized image generation.
import PackageDescription

/// Kernels are compiled for Haswell-class x86-64 (AVX2, FMA; the x86-64-v3 level) so that SIMD code and LLVM's vectorizer use 256-bit
/// lanes; without it Swift targets the SSE2 baseline. Every x86-64 server of the last decade has v3.
let kernelSettings: [SwiftSetting] = {
    #if arch(x86_64)
    return [.unsafeFlags(["-target-cpu", "haswell"])]
    #else
    return []
    #endif
}()

/// The same CPU level for the C kernels.
let cKernelSettings: [CSetting] = {
    #if arch(x86_64)
    return [.unsafeFlags(["-O3", "-march=haswell"])]
    #else
    return [.unsafeFlags(["-O3"])]
    #endif
}()

let package = Package(
    name: "Cavendish",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "CavendishCore", targets: ["CavendishCore"]),
        .library(name: "CavendishOps", targets: ["CavendishOps"]),
        .library(name: "CavendishCPU", targets: ["CavendishCPU"]),
        .library(name: "CavendishIO", targets: ["CavendishIO"]),
        .library(name: "CavendishConformance", targets: ["CavendishConformance"]),
        .library(name: "CavendishGraph", targets: ["CavendishGraph"]),
        .library(name: "CavendishSimulator", targets: ["CavendishSimulator"]),
        .library(name: "CavendishModels", targets: ["CavendishModels"]),
        .library(name: "CavendishLibrary", targets: ["CavendishLibrary"]),
        .library(name: "CavendishPipeline", targets: ["CavendishPipeline"]),
        .executable(name: "cavendish", targets: ["cavendish"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // ECDSA P-256 for signing C2PA manifests (BoringSSL underneath); nothing else uses it.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // C libraries, found with pkg-config and installed from Debian's packages.
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CHEIF", pkgConfig: "libheif", providers: [.apt(["libheif-dev"])]),

        // Tensor core: element types, shapes, strided views, seeded random numbers.
        .target(name: "CavendishCore", swiftSettings: kernelSettings),
        // Operators: the typed operator identity, and one schema per family (category, shape and type
        // inference, cost) that shape inference, the simulator, the executor and the backends read.
        .target(name: "CavendishOps", dependencies: ["CavendishCore"]),
        // CPU backend: ONNX-semantics kernels, the thread pool, the op dispatcher.
        .target(name: "CavendishCPU", dependencies: ["CavendishCore", "CavendishOps", "CBLAS", "CVectorMath", "CBFloat16GEMM"], swiftSettings: kernelSettings),
        // Vectorized float math for the CPU kernels' hot loops, in C so that clang's vectorizer applies.
        .target(name: "CVectorMath", cSettings: cKernelSettings),
        // bfloat16 GEMM for the CPU backend's bf16 switch, through oneDNN's matmul (libdnnl-dev; see the README).
        .target(name: "CBFloat16GEMM", cSettings: cKernelSettings, linkerSettings: [.linkedLibrary("dnnl")]),
        // Weight and image IO: HDF5, safetensors, PNG.
        .target(name: "CavendishIO", dependencies: ["CavendishCore", "CHDF5", "CPNG"]),
        // Graphs: models described once as data, shape inference, the memory planner, the executor.
        .target(name: "CavendishGraph", dependencies: ["CavendishCore", "CavendishOps"]),
        // Models described as graphs: published ones (SD 1.5, SDXL) and, later, NB-mini.
        .target(name: "CavendishModels", dependencies: ["CavendishCore", "CavendishGraph", "CavendishIO"]),
        // Image generation: NB-mini's resident pipeline, samplers, reference photos, weight checks, provenance.
        .target(name: "CavendishPipeline", dependencies: [
            "CavendishCore", "CavendishGraph", "CavendishIO", "CavendishModels", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The TPU-like tiled-execution simulator: chips, systolic timing, tiling, scheduling, traces.
        .target(name: "CavendishSimulator", dependencies: ["CavendishCore", "CavendishOps", "CavendishGraph", "CavendishCPU", "CavendishIO"]),
        // The user's photo library: consent, metadata formats, the index, reference selection, prompt resolution.
        .target(name: "CavendishLibrary", dependencies: [
            "CavendishCore", "CavendishIO", "CJPEG", "CHEIF", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        // Kernel case files (shared/KERNEL_CASES.md): loading, running, comparing, reporting.
        .target(name: "CavendishConformance", dependencies: ["CavendishCore", "CavendishOps", "CavendishCPU", "CavendishIO"]),
        // Benchmark bodies shared by `cavendish kernels bench` and Benchmarks/.
        .target(name: "CavendishBench", dependencies: ["CavendishCore", "CavendishCPU", "CBLAS"]),
        .executableTarget(
            name: "cavendish",
            dependencies: [
                "CavendishCore", "CavendishCPU", "CavendishIO", "CavendishConformance", "CavendishBench",
                "CavendishGraph", "CavendishSimulator", "CavendishModels", "CavendishLibrary", "CavendishPipeline",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        .testTarget(name: "CavendishCoreTests", dependencies: ["CavendishCore", "CavendishIO"]),
        .testTarget(name: "CavendishOpsTests", dependencies: ["CavendishOps", "CavendishCore", "CavendishCPU", "CavendishConformance", "CavendishSimulator"]),
        .testTarget(name: "CavendishCPUTests", dependencies: ["CavendishCore", "CavendishCPU", "CavendishConformance"]),
        .testTarget(name: "CavendishIOTests", dependencies: ["CavendishCore", "CavendishIO"]),
        .testTarget(name: "CavendishGraphTests", dependencies: ["CavendishGraph", "CavendishCPU", "CavendishCore", "CavendishConformance"]),
        .testTarget(name: "CavendishSimulatorTests", dependencies: ["CavendishSimulator", "CavendishGraph", "CavendishCore", "CavendishModels", "CavendishConformance", "CavendishCPU", "CavendishIO"]),
        .testTarget(name: "CavendishLibraryTests", dependencies: ["CavendishLibrary", "CavendishCore", "CavendishIO",
                                                                 .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "CavendishModelsTests", dependencies: ["CavendishModels", "CavendishCPU", "CavendishCore", "CavendishIO"]),
        .testTarget(name: "CavendishPipelineTests", dependencies: ["CavendishPipeline", "CavendishModels", "CavendishCPU", "CavendishCore", "CavendishGraph", "CavendishIO"]),
        .testTarget(name: "CavendishConformanceTests", dependencies: ["CavendishConformance", "CavendishCPU", "CavendishIO", "CavendishSimulator"]),
    ],
    swiftLanguageModes: [.v5]
)
