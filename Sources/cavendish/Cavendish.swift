import ArgumentParser
import CavendishCPU
import CavendishLibrary
import Foundation

/// The `cavendish` command.
@main
struct Cavendish: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cavendish",
        abstract: "A Swift research toolkit for Nano Banana 2-style personalized image generation.",
        discussion: """
        Cavendish runs a tensor runtime with a CPU backend (OpenBLAS, HDF5, libpng). Start with:

          cavendish kernels check Tests/Fixtures/onnx-node   # the CPU kernels' ONNX conformance
          cavendish generate --prompt 'a dog holding a sign that says "HI"' --seed 1
          cavendish simulate model nb-mini-v2 --hw v5e        # what it would cost on a TPU

        Each subcommand has its own --help.
        """,
        version: CavendishVersion.string,
        subcommands: [GenerateCommand.self, SweepCommand.self, EvaluateCommand.self, ServeCommand.self, BenchCommand.self, KernelsCommand.self, SimulateCommand.self, LibraryCommand.self, ProvenanceCommand.self, FuzzTargetCommand.self, ProbeWeightsCommand.self, HEIFWorkerCommand.self]
    )

    /// Runs itself again once with a better OpenBLAS kernel set where OpenBLAS fell back to Prescott
    /// (`BLASCoreChoice`); then parses every HEIF file any command reads in a child process
    /// (`HEIFWorkerClient`, started on first use).
    static func main() {
        if let core = BLASCoreChoice.recommended(environment: ProcessInfo.processInfo.environment, corename: ThreadPool.blasCoreName,
                                                 cpuFlags: BLASCoreChoice.cpuFlags()),
           FileManager.default.fileExists(atPath: "/proc/self/exe") {
            setenv("OPENBLAS_CORETYPE", core, 1)
            setenv(BLASCoreChoice.marker, core, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only reached when exec failed: carry on with OpenBLAS as it is.
            unsetenv("OPENBLAS_CORETYPE")
        }
        PhotoDecoder.heifIsolation = HEIFWorkerClient()
        main(nil)
    }
}

/// Version of the tool, recorded in outputs it writes.
enum CavendishVersion {
    static let string = "0.1.0"
}

/// A failure a command reports in words, without the usage text that ArgumentParser appends to a
/// `ValidationError`: by the time `run()` throws, the command line has parsed, so "Usage: ..." would
/// only mislead. The parser's own errors (unknown or missing options) still print the usage.
struct CommandError: Error, CustomStringConvertible {
    /// What went wrong and how to fix it.
    var description: String

    init(_ description: String) { self.description = description }
}
