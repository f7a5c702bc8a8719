import ArgumentParser
import CavendishLibrary

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

    /// Every HEIF file any command reads is parsed in a child process (`HEIFWorkerClient`), started on first use.
    static func main() {
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
