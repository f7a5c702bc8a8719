import CavendishCPU
import Testing

/// When the command line asks OpenBLAS for another kernel set, and when it leaves OpenBLAS alone.
struct BLASCoreChoiceTests {
    static let avx512: Set<String> = ["sse3", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]

    @Test func asksForTheKernelsTheCPUSupportsWhenOpenBLASFellBackToPrescott() {
        #expect(BLASCoreChoice.recommended(environment: [:], corename: "Prescott", cpuFlags: Self.avx512) == "SkylakeX")
        #expect(BLASCoreChoice.recommended(environment: [:], corename: "Prescott", cpuFlags: ["avx2", "fma", "avx512f"]) == "Haswell")
        #expect(BLASCoreChoice.recommended(environment: [:], corename: "Prescott", cpuFlags: ["sse3", "avx"]) == nil)
    }

    @Test func neverOverridesAChoiceAlreadyMade() {
        // OpenBLAS detected the CPU itself.
        #expect(BLASCoreChoice.recommended(environment: [:], corename: "SkylakeX", cpuFlags: Self.avx512) == nil)
        #expect(BLASCoreChoice.recommended(environment: [:], corename: "Zen", cpuFlags: Self.avx512) == nil)
        // The environment pins a core (the tests and CI may), the user opted out, or this is the second run.
        #expect(BLASCoreChoice.recommended(environment: ["OPENBLAS_CORETYPE": "Prescott"], corename: "Prescott", cpuFlags: Self.avx512) == nil)
        #expect(BLASCoreChoice.recommended(environment: ["CAVENDISH_BLAS_CORE": "keep"], corename: "Prescott", cpuFlags: Self.avx512) == nil)
        #expect(BLASCoreChoice.recommended(environment: ["CAVENDISH_BLAS_CORE": "SkylakeX"], corename: "Prescott", cpuFlags: Self.avx512) == nil)
    }

    @Test func readsThisMachinesFlags() {
        // Every x86-64 Linux machine lists at least SSE2; elsewhere there is no /proc/cpuinfo flags line.
        #if arch(x86_64) && os(Linux)
        #expect(BLASCoreChoice.cpuFlags().contains("sse2"))
        #endif
    }
}
