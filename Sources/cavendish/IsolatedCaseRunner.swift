import CavendishConformance
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs kernel case files in child processes, so that a file that crashes or hangs the checker (libhdf5
/// 1.10 corrupts memory or loops on some damaged files) becomes one `error` result with its real reason,
/// and the rest of the folder still runs.
///
/// One child takes every remaining file and reports on standard output as it goes (`BEGIN i`, `PHASE i
/// reading|running`, `RESULT i <json>`); when it dies or overruns `timeout` on one file, that file is
/// blamed with the signal, the phase and the child's last words on standard error, and a fresh child
/// takes the files after it.
struct IsolatedCaseRunner {
    /// The child's command line before the file list (`cavendish kernels check --child ...`).
    let childArguments: [String]
    /// Seconds one file may take.
    let timeout: Double

    /// Results in the order of `files`; `progress` is told after each file (files done, the file's
    /// index, its result).
    func run(_ files: [String], progress: (Int, Int, CaseResult) -> Void) -> [CaseResult] {
        var results: [CaseResult?] = Array(repeating: nil, count: files.count)
        var next = 0
        while next < files.count {
            let outcome = runChild(files, from: next) { i, result in
                results[i] = result
                progress(i + 1, i, result)
            }
            if let (i, message) = outcome.blame, i < files.count {
                results[i] = CaseResult(file: files[i], op: "", status: .error, maxAbsErr: 0, maxRelErr: 0, message: message)
                progress(i + 1, i, results[i]!)
            }
            next = max(next + 1, outcome.resumeAt)
        }
        return results.enumerated().map { i, r in
            r ?? CaseResult(file: files[i], op: "", status: .error, maxAbsErr: 0, maxRelErr: 0, message: "the child process gave no result")
        }
    }

    private struct Outcome { var resumeAt: Int; var blame: (Int, String)? }

    private func runChild(_ files: [String], from start: Int, record: (Int, CaseResult) -> Void) -> Outcome {
        let process = ChildProcess.make(childArguments + ["--first-index", String(start)] + Array(files[start...]),
                                        environment: ChildProcess.crashQuiet)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            return Outcome(resumeAt: files.count, blame: (start, "cannot start a child process: \(error)"))
        }
        let outFD = out.fileHandleForReading.fileDescriptor, errFD = err.fileHandleForReading.fileDescriptor
        var outBuffer = Data(), errTail = Data()
        var current = start, phase = "starting", began = Date()
        var done = start
        var open = (out: true, err: true)
        func handle(line: Substring) {
            let parts = line.split(separator: "\t", maxSplits: 2).map(String.init)
            guard parts.count >= 2, let i = Int(parts[1]) else { return }
            switch parts[0] {
            case "BEGIN": current = i; phase = "starting"; began = Date(); errTail.removeAll()
            case "PHASE": phase = parts.count > 2 ? parts[2] : phase
            case "RESULT":
                if parts.count > 2, let result = try? JSONDecoder().decode(CaseResult.self, from: Data(parts[2].utf8)) {
                    record(i, result)
                    done = i + 1
                }
            default: break
            }
        }
        while open.out || open.err {
            var fds = [pollfd(fd: open.out ? outFD : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: open.err ? errFD : -1, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, 2, 200)
            if ready < 0 && errno != EINTR { break }
            if Date().timeIntervalSince(began) > timeout && done <= current {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return Outcome(resumeAt: current + 1,
                               blame: (current, "timed out after \(Self.seconds(timeout)) s while \(Self.describe(phase)); the child was killed"))
            }
            var buffer = [UInt8](repeating: 0, count: 65536)
            for (k, fd) in [outFD, errFD].enumerated() where fds[k].revents != 0 {
                let n = read(fd, &buffer, buffer.count)
                if n <= 0 { if k == 0 { open.out = false } else { open.err = false }; continue }
                if k == 0 {
                    outBuffer.append(contentsOf: buffer[0..<n])
                    while let newline = outBuffer.firstIndex(of: 0x0A) {
                        handle(line: Substring(String(decoding: outBuffer[outBuffer.startIndex..<newline], as: UTF8.self)))
                        outBuffer.removeSubrange(outBuffer.startIndex...newline)
                    }
                } else {
                    errTail.append(contentsOf: buffer[0..<n])
                    if errTail.count > 8192 { errTail.removeFirst(errTail.count - 8192) }
                }
            }
        }
        process.waitUntilExit()
        if done >= files.count { return Outcome(resumeAt: files.count, blame: nil) }
        let how = process.terminationReason == .uncaughtSignal
            ? "crashed with signal \(process.terminationStatus) (\(Self.signalName(process.terminationStatus)))"
            : "exited with status \(process.terminationStatus) without a result"
        let words = Self.lastWords(errTail)
        return Outcome(resumeAt: current + 1, blame: (current, "\(how) while \(Self.describe(phase))" + (words.isEmpty ? "" : ": \(words)")))
    }

    /// The child's phase in words, naming the library a crash there comes from.
    static func describe(_ phase: String) -> String {
        switch phase {
        case "reading": return "reading the HDF5 file (inside libhdf5: the file is damaged)"
        case "starting": return "starting"
        default: return phase
        }
    }

    /// The last meaningful line the child wrote on standard error (a Swift `Fatal error: ...`, an HDF5 message).
    static func lastWords(_ data: Data) -> String {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let line = lines.last(where: { $0.contains("Fatal error") || $0.contains("error") }) ?? lines.last(where: { !$0.isEmpty }) ?? ""
        return String(line.prefix(300))
    }

    static func signalName(_ signal: Int32) -> String {
        switch signal {
        case SIGSEGV: return "SIGSEGV"
        case SIGABRT: return "SIGABRT"
        case SIGILL: return "SIGILL, a Swift trap"
        case SIGTRAP: return "SIGTRAP, a Swift trap"
        case SIGBUS: return "SIGBUS"
        case SIGFPE: return "SIGFPE"
        case SIGKILL: return "SIGKILL, perhaps out of memory"
        default: return "signal \(signal)"
        }
    }

    static func seconds(_ s: Double) -> String { s == s.rounded() ? String(Int(s)) : String(s) }
}
