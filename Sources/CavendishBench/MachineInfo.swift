import CavendishCPU
import Foundation

/// What a benchmark ran on, so that figures can be compared only with figures from the same setup.
public struct MachineInfo: Codable, Sendable {
    /// CPU model from /proc/cpuinfo.
    public var cpu: String
    /// Logical processors the process may use.
    public var cores: Int
    /// Worker threads of our pool (and OpenBLAS's thread count outside our parallel regions).
    public var threads: Int
    /// `openblas_get_corename()`.
    public var openblasCore: String
    /// `OPENBLAS_CORETYPE` and `OPENBLAS_L2_SIZE` as the process saw them ("unset" when absent).
    public var openblasCoretypeEnv: String
    /// See `openblasCoretypeEnv`.
    public var openblasL2SizeEnv: String
    /// Every environment variable that changes speed (OpenBLAS's, OpenMP's, MKL's and Cavendish's own), as
    /// the process saw them.
    public var speedEnvironment: [String: String]

    /// The prefixes of `speedEnvironment`'s variables.
    public static let speedVariablePrefixes = ["OPENBLAS_", "GOTO_", "OMP_", "KMP_", "MKL_", "CAVENDISH_"]

    enum CodingKeys: String, CodingKey {
        case cpu, cores, threads
        case speedEnvironment = "speed_environment"
        case openblasCore = "openblas_core"
        case openblasCoretypeEnv = "openblasCoretypeEnv"
        case openblasL2SizeEnv = "openblasL2SizeEnv"
    }

    /// Reads the current machine.
    public static func current() -> MachineInfo {
        let env = ProcessInfo.processInfo.environment
        var cpu = "unknown"
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            cpu = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return MachineInfo(cpu: cpu, cores: ProcessInfo.processInfo.activeProcessorCount, threads: ThreadPool.threadCount,
                           openblasCore: ThreadPool.blasCoreName,
                           openblasCoretypeEnv: env["OPENBLAS_CORETYPE"] ?? "unset",
                           openblasL2SizeEnv: env["OPENBLAS_L2_SIZE"] ?? "unset",
                           speedEnvironment: env.filter { kv in speedVariablePrefixes.contains { kv.key.hasPrefix($0) } })
    }
}
