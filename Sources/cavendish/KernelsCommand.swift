import ArgumentParser
import CavendishBench
import CavendishCPU
import CavendishConformance
import CavendishCore
import CavendishSimulator
import Foundation

/// `cavendish kernels`: conformance and speed of the operator kernels.
struct KernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "Check the kernels against ONNX semantics, or measure their speed.",
        subcommands: [Check.self, Bench.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run kernel case files (HDF5, docs/KERNEL_CASES.md format) and judge the outputs.",
            discussion: """
            PATH is a case file or a folder searched recursively for *.h5. Each case names an ONNX operator, its \
            attributes, inputs and expected outputs; an output passes when |actual - expected| <= atol + rtol*|expected| \
            element by element (defaults by element type; a case may set its own).

            The exit status is 0 only when no case failed or errored; `unsupported` cases (operator or attribute \
            combination not implemented) do not fail the run but are counted and listed.

            Examples:
              cavendish kernels check Tests/Fixtures/onnx-node
              cavendish kernels check Tests/Fixtures/kernel-cases/Conv --json > conv.json
            """
        )

        @Argument(help: "Case files or folders of them.")
        var paths: [String]

        @Option(help: "Backend to run the cases on: cpu, or tpusim (the simulator's tiled programs executed block by block on real data).")
        var backend: String = "cpu"

        @Option(help: "With --backend tpusim: the chip whose tiling runs (default: a toy 8x8 chip with 32 KiB VMEM, so cases split into many blocks).")
        var hw: String?

        @Flag(help: "Print one JSON object (the format of docs/KERNEL_CASES.md) instead of a table.")
        var json = false

        @Flag(help: "With the table, list passing cases too (by default only the others).")
        var verbose = false

        @Flag(inversion: .prefixedNo, help: "Run the case files in a child process (the default), so that a file that crashes or hangs the checker (libhdf5 does on some damaged files) becomes one `error` result with the reason, and the rest still run. --no-isolate runs them in this process.")
        var isolate = true

        @Option(help: "With isolation: seconds one case file may take before its child is killed and the case is an error.")
        var timeout: Double = 120

        @Flag(help: .hidden) var child = false
        @Option(help: .hidden) var firstIndex = 0

        func run() throws {
            let chosen: any KernelBackend
            switch backend {
            case "cpu": chosen = CPUBackend()
            case "tpusim":
                do { chosen = try hw.map { TiledBackend(chip: try ChipSpec.load($0)) } ?? TiledBackend() }
                catch { throw CommandError("\(error)") }
            default: throw CommandError("unknown backend '\(backend)'; available: cpu, tpusim")
            }
            let runner = ConformanceRunner(backend: chosen)
            if child { return runChild(runner) }
            guard timeout > 0 && timeout.isFinite else { throw CommandError("--timeout must be a positive number of seconds") }
            let files: [String]
            do { files = try ConformanceRunner.caseFiles(in: paths) } catch { throw CommandError("\(error)") }
            guard !files.isEmpty else { throw CommandError("no *.h5 case files under \(paths.joined(separator: ", "))") }
            var bar = ProgressBar(total: files.count, label: "cases")
            var results: [CaseResult] = []
            if isolate {
                let arguments = ["kernels", "check", "--child", "--backend", backend] + (hw.map { ["--hw", $0] } ?? [])
                results = IsolatedCaseRunner(childArguments: arguments, timeout: timeout).run(files) { done, i, _ in
                    bar.update(done, detail: (files[i] as NSString).lastPathComponent)
                }
            } else {
                for (i, file) in files.enumerated() {
                    bar.update(i, detail: (file as NSString).lastPathComponent)
                    results += runner.run(files: [file]).results
                }
            }
            bar.finish()
            let report = ConformanceReport(backend: chosen.name, results: results)
            if json {
                try JSONOutput.print(report, pretty: true)
            } else {
                printTable(report)
            }
            if !report.succeeded { throw ExitCode(1) }
        }

        /// The child's side of `IsolatedCaseRunner`: each file in turn, announced before each phase so that
        /// the parent can say where a crash or a hang happened.
        func runChild(_ runner: ConformanceRunner) {
            ChildProcess.exitWithParent()
            let encoder = JSONEncoder()
            func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
            for (k, file) in paths.enumerated() {
                let i = firstIndex + k
                say("BEGIN\t\(i)")
                say("PHASE\t\(i)\treading")
                let result: CaseResult
                do {
                    let kernelCase = try KernelCaseFile.load(file)
                    say("PHASE\t\(i)\trunning \(kernelCase.call.op)")
                    result = runner.run(kernelCase)
                } catch {
                    result = CaseResult(file: file, op: "", status: .error, maxAbsErr: 0, maxRelErr: 0, message: "\(error)")
                }
                let json = (try? encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
                say("RESULT\t\(i)\t\(json)")
            }
        }

        func printTable(_ report: ConformanceReport) {
            let shown = report.results.filter { verbose || $0.status != .pass }
            if !shown.isEmpty {
                print("status       op                     max_abs_err  file / message")
                for r in shown {
                    let status = r.status.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                    let op = r.op.padding(toLength: 22, withPad: " ", startingAt: 0)
                    print("\(status) \(op) \(String(format: "%11.3e", r.maxAbsErr))  \(r.file)")
                    if !r.message.isEmpty { print(String(repeating: " ", count: 49) + r.message) }
                }
            }
            var byOp: [String: (pass: Int, total: Int)] = [:]
            for r in report.results { byOp[r.op, default: (0, 0)].total += 1; if r.status == .pass { byOp[r.op]!.pass += 1 } }
            print("per operator (passed/cases): " + byOp.keys.sorted().map { "\($0.isEmpty ? "?" : $0) \(byOp[$0]!.pass)/\(byOp[$0]!.total)" }.joined(separator: ", "))
            print("backend \(report.backend): \(report.cases) cases: \(report.passed) pass, \(report.failed) fail, \(report.errors) error, \(report.unsupported) unsupported")
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure kernel speed as ratios to raw sgemm (equal FLOPs) or memcpy (equal bytes), in one run.",
            discussion: """
            Prints the machine, thread count and OpenBLAS core in use, then one row per kernel: its rate, the \
            reference's rate measured in the same run, the ratio and the target ratio. The kernel and its reference \
            alternate in rounds (each round times about 20 ms of each), and the ratio is the median of the rounds' \
            ratios, with its quartiles; a row whose interquartile spread exceeds 20% of the median says so instead of \
            met or missed. The JSON keeps every round's ratio. Ratios, not absolute rates, are what to compare across \
            runs: shared machines drift.

            OpenBLAS reads OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE at start-up; this machine type sets them to values \
            that halve sgemm speed. To measure without them, unset both for the whole command, which affects our \
            kernels and the sgemm reference alike:
              env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE cavendish kernels bench
            """
        )

        @Flag(help: "Print one JSON object instead of a table.")
        var json = false

        @Option(help: "Seconds to spend timing each kernel and, as long again, its reference (larger is steadier).")
        var budget: Double = 0.6

        @Option(help: "Only the kernels whose name contains this text (case-insensitive), e.g. 'conv'.")
        var filter: String?

        func run() throws {
            guard budget > 0 && budget <= 60 else { throw CommandError("--budget must be in (0, 60] seconds") }
            let machine = MachineInfo.current()
            var bar = ProgressBar(total: 11, label: "bench")
            var step = 0
            let results = try KernelBenchmarks.run(budget: budget, filter: filter) { name in bar.update(step, detail: name); step += 1 }
            bar.finish()
            if json {
                struct Output: Encodable { let machine: MachineInfo; let results: [KernelMeasurement] }
                try JSONOutput.print(Output(machine: machine, results: results), pretty: true)
                return
            }
            print("machine: \(machine.cpu), \(machine.cores) cores, \(machine.threads) threads, OpenBLAS core \(machine.openblasCore)")
            print("env: OPENBLAS_CORETYPE=\(machine.openblasCoretypeEnv) OPENBLAS_L2_SIZE=\(machine.openblasL2SizeEnv)")
            print("kernel".padding(toLength: 50, withPad: " ", startingAt: 0) + "     rate  reference           ratio [q1, q3]  rounds  target")
            for r in results {
                let name = r.name.padding(toLength: 50, withPad: " ", startingAt: 0)
                let verdict = !r.rounds.conclusive ? "spread too wide to conclude" : r.ratio >= r.target ? "met" : "MISSED"
                print("\(name) \(String(format: "%8.1f", r.value)) \(String(format: "%10.1f", r.referenceValue)) \(r.unit.padding(toLength: 7, withPad: " ", startingAt: 0)) "
                      + String(format: "%5.2f [%.2f, %.2f] %6d", r.ratio, r.rounds.q1, r.rounds.q3, r.rounds.samples.count)
                      + "  >= \(String(format: "%.2f", r.target)) \(verdict)")
            }
        }
    }
}
