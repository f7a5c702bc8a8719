import ArgumentParser
import CavendishIO
import CavendishModels
import CavendishPipeline
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a weights folder's HDF5 files in a child process before this one opens them.
///
/// libhdf5 1.10 crashes or loops on some damaged files (the fuzz harness finds them in seconds), and a
/// weights folder with a consistent manifest can still hold one. A child (`cavendish probe-weights`)
/// parses each file and reports its SHA-256; a crash or a hang there becomes an error naming the file,
/// and the digests that parsed cleanly are remembered in `~/.cache/cavendish/parsed-weights.txt`, so a
/// folder is probed once. The pipeline then loads only files whose digest matches the manifest, which
/// are bytes the child has already read safely.
enum WeightsProbe {
    /// Seconds the child may take for the whole folder (about 50 MB; a clean read takes a second or two).
    static let timeout: Double = 60

    /// The cache of digests known to parse cleanly.
    static var cachePath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil } ?? (NSHomeDirectory() + "/.cache")
        return base + "/cavendish/parsed-weights.txt"
    }

    /// Probes every HDF5 file the manifest of `folder` lists whose digest is not yet known to parse.
    static func check(folder: String) throws {
        let manifest: WeightsManifest
        do { manifest = try WeightsManifest(directory: folder) } catch { return }   // the pipeline reports a bad manifest
        let known = Set((try? String(contentsOfFile: cachePath, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? [])
        let files = manifest.digests.filter { $0.key.hasSuffix(".h5") && !known.contains($0.value) }.keys.sorted()
            .map { folder + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        guard !files.isEmpty else { return }
        let (parsed, failure) = probe(files)
        let cache = known.union(parsed).sorted().joined(separator: "\n") + "\n"
        try? FileManager.default.createDirectory(atPath: (cachePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try? AtomicFile.write(Data(cache.utf8), to: cachePath, overwrite: true)
        if let failure { throw CommandError(failure) }
    }

    /// Reads `files` in a child process: the SHA-256 of each file that parsed, and what went wrong with
    /// the first that did not (nil when all parsed, or when no child could be started: the in-process
    /// SHA-256 check still holds then).
    static func probe(_ files: [String], timeout: Double = WeightsProbe.timeout) -> (parsed: [String], failure: String?) {
        let process = ChildProcess.make(["probe-weights"] + files, environment: ChildProcess.crashQuiet)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return ([], nil) }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        let timedOut = process.isRunning
        if timedOut { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        let lines = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        let parsed = lines.compactMap { line -> String? in line.hasPrefix("OK\t") ? String(line.split(separator: "\t")[2]) : nil }
        guard parsed.count < files.count else { return (parsed, nil) }
        let file = files[parsed.count]
        let how = timedOut ? "did not finish within \(Int(timeout)) s"
            : process.terminationReason == .uncaughtSignal ? "crashed the HDF5 library (signal \(process.terminationStatus))"
            : lines.first(where: { $0.hasPrefix("ERR\t") }).map { String($0.split(separator: "\t", maxSplits: 2).last ?? "") } ?? "could not be read"
        return (parsed, "\(file) \(how) when read in a separate process; the file is damaged: restore it (git checkout) or re-export it")
    }
}

/// `cavendish probe-weights FILE...` (hidden): the child side of `WeightsProbe`: reads each weight file
/// and its config, and prints `OK <file> <sha256>` or `ERR <file> <reason>` per file.
struct ProbeWeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "probe-weights", abstract: "Read weight files (for WeightsProbe).",
                                                    shouldDisplay: false)
    @Argument var files: [String] = []

    func run() throws {
        ChildProcess.exitWithParent()
        for file in files {
            do {
                try FuzzTargetCommand.loadWeights(file)
                print("OK\t\(file)\t\(try SHA256.hex(ofFile: file))")
            } catch {
                print("ERR\t\(file)\t\(error)")
                throw ExitCode(1)
            }
            fflush(stdout)
        }
    }
}
