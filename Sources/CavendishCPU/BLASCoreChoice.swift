import Foundation

/// The OpenBLAS kernel set to ask for when OpenBLAS's own CPU detection has fallen back too far.
///
/// Debian 12's OpenBLAS 0.3.21 does not recognise some AVX-512 server CPUs (the ones reporting
/// "Intel(R) Xeon(R) Processor") and runs its Prescott (SSE3) kernels on them: sgemm at 61 GFLOP/s
/// where its SkylakeX kernels reach 234-248 on the same machine (`notebooks-exports/kernel-bench-interleaved.json`).
/// OpenBLAS reads `OPENBLAS_CORETYPE` only when it is loaded, so the command line sets it and runs itself
/// again (`Cavendish.main`). It never overrides a choice already made: a set `OPENBLAS_CORETYPE` (the
/// tests and CI may pin one) or `CAVENDISH_BLAS_CORE=keep` leave OpenBLAS as it is.
public enum BLASCoreChoice {
    /// The variable that records the choice, so that the process runs itself again at most once.
    public static let marker = "CAVENDISH_BLAS_CORE"

    /// The kernel set to ask for, or nil to leave OpenBLAS alone: only when nothing in the environment
    /// decides, OpenBLAS chose Prescott, and the CPU flags (from /proc/cpuinfo) support better.
    public static func recommended(environment: [String: String], corename: String, cpuFlags: Set<String>) -> String? {
        guard environment["OPENBLAS_CORETYPE"] == nil, environment[marker] == nil, corename == "Prescott" else { return nil }
        if cpuFlags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq"]) { return "SkylakeX" }
        if cpuFlags.isSuperset(of: ["avx2", "fma"]) { return "Haswell" }
        return nil
    }

    /// The flags of the first processor in /proc/cpuinfo (empty where there is none).
    public static func cpuFlags() -> Set<String> {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }),
              let colon = line.firstIndex(of: ":") else { return [] }
        return Set(line[line.index(after: colon)...].split(separator: " ").map(String.init))
    }
}
