import ArgumentParser
import CavendishIO
import CavendishLibrary
import CavendishModels
import CavendishPipeline
import CavendishSimulator
import Foundation

/// `cavendish fuzz-target TARGET FILE...` (hidden): feeds each file to one loader in this process, for
/// `scripts/fuzz.py`, which mutates the seed corpora of `Tests/Fixtures/fuzz-seeds/` and watches for a
/// crash, a hang or runaway memory. A loader that throws is the expected outcome for most mutants;
/// only a process that dies or stops answering is a finding.
struct FuzzTargetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuzz-target",
        abstract: "Feed files to one loader (for scripts/fuzz.py).",
        shouldDisplay: false)

    /// The loaders, by the name `scripts/fuzz.py --targets` uses.
    static let targets: [String: (String) throws -> Void] = [
        // As `generate` reads a weights folder: first in a child (`WeightsProbe`), where libhdf5 may crash.
        "weights": { path in if let failure = WeightsProbe.probe([path], timeout: 5).failure { throw CommandError(failure) } },
        "safetensors": { path in
            let file = try SafeTensorsFile(readingFrom: path)
            for name in file.names { _ = try file.tensor(name) }
        },
        "png": { path in try decodePhoto(path) },
        "jpeg": { path in try decodePhoto(path) },
        "heic": { path in try decodePhoto(path) },
        "takeout": { path in _ = try TakeoutSidecar(jsonData: try read(path), path: path) },
        "xmp": { path in _ = try XMPRegionParser.regions(in: String(decoding: try read(path), as: UTF8.self), path: path) },
        "labels": { path in _ = try LabelsFile(jsonData: try read(path), path: path) },
        "chip": { path in _ = try ChipSpec.load(path) },
        // As `provenance check` reads a PNG's C2PA manifest.
        "c2pa": { path in _ = try C2PAVerification.check(png: try read(path)) },
    ]

    @Argument(help: "The loader: hdf5-case, \(FuzzTargetCommand.targets.keys.sorted().joined(separator: ", ")).")
    var target: String

    @Argument(help: "Input files, each fed to the loader in turn.")
    var files: [String] = []

    func run() throws {
        guard target == "hdf5-case" || Self.targets[target] != nil else {
            throw CommandError("unknown fuzz target '\(target)'; available: hdf5-case, \(Self.targets.keys.sorted().joined(separator: ", "))")
        }
        let load = Self.targets[target] ?? { _ in }
        // Kernel case files go through `kernels check`'s default path, the isolated runner: libhdf5 1.10
        // itself crashes or loops on some damaged files, and what must hold is that the check survives.
        if target == "hdf5-case" {
            // Reported as each file finishes, so the driver's clock sees a 5 s isolation timeout as progress.
            _ = IsolatedCaseRunner(childArguments: ["kernels", "check", "--child"], timeout: 5).run(files) { _, i, r in
                FileHandle.standardOutput.write(Data("\(r.status == .pass ? "OK" : "ERR")\t\(i)\n".utf8))
            }
            return
        }
        // One line per input once it is done, so the driver knows which input a crash or hang belongs to.
        for (i, file) in files.enumerated() {
            let outcome: String
            do { try load(file); outcome = "OK" } catch { outcome = "ERR" }
            FileHandle.standardOutput.write(Data("\(outcome)\t\(i)\n".utf8))
        }
    }

    /// Reads a weight file, its tensors and its config, as the pipeline does.
    static func loadWeights(_ path: String) throws {
        let file = try NBMiniWeightFile(path: path)
        switch file.component {
        case "vae": _ = try file.config(VAEConfig.self)
        case "reference-encoder": _ = try file.config(ReferenceEncoderConfig.self)
        case "dit-v1", "dit-v2": _ = try file.config(DiTConfig.self)
        default: break   // judges, glyph atlas: tensors and attributes only
        }
    }

    private static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw CommandError("cannot read \(path)") }
        return data
    }

    private static func decodePhoto(_ path: String) throws {
        if case .failure(let failure) = PhotoDecoder.decode(try read(path)) { throw CommandError(failure.reason) }
    }
}
