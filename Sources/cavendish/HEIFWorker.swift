import ArgumentParser
import CavendishLibrary
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HEIF parsing in a long-lived child process (`cavendish heif-worker`), so that libheif's crashes on
/// damaged files end the child, not the command: the file is reported as unreadable with the signal,
/// and the next HEIF file gets a fresh child. One child serves every file of a run (a library scan
/// may meet thousands), one request at a time.
///
/// The protocol on the child's standard input and output: a request is one byte (`P` probe, `D`
/// decode), a 64-bit big-endian length and the file's bytes; an answer is `S` (success) or `F`
/// (failure), a length, and the probe as JSON, the decoded width, height and RGB bytes, or the reason.
final class HEIFWorkerClient: HEIFIsolation, @unchecked Sendable {
    /// A file that takes longer than this is a hang.
    static let timeoutSeconds = 60.0

    private let lock = NSLock()
    private var child: Process?
    private var input: Int32 = -1, output: Int32 = -1

    init() {
        // A child that dies while we write to it must give us EPIPE, not kill us with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
    }

    func probe(_ data: Data) -> Result<PhotoProbe, DecodeFailure> {
        request(UInt8(ascii: "P"), data).flatMap { payload in
            (try? JSONDecoder().decode(PhotoProbe.self, from: payload)).map { .success($0) }
                ?? .failure(DecodeFailure("the HEIF worker's answer could not be read"))
        }
    }

    func decode(_ data: Data) -> Result<RGBImage, DecodeFailure> {
        request(UInt8(ascii: "D"), data).flatMap { payload in
            let bytes = [UInt8](payload)
            guard bytes.count >= 8 else { return .failure(DecodeFailure("the HEIF worker's answer could not be read")) }
            let width = Int(Self.uint(bytes[0..<4])), height = Int(Self.uint(bytes[4..<8]))
            return RGBImage(width: width, height: height, pixels: Array(bytes[8...])).map { .success($0) }
                ?? .failure(DecodeFailure("the HEIF worker's answer could not be read"))
        }
    }

    private struct ChildGone: Error { let timedOut: Bool }

    private func request(_ operation: UInt8, _ data: Data) -> Result<Data, DecodeFailure> {
        lock.lock()
        defer { lock.unlock() }
        do {
            try start()
            try Self.write(input, [operation] + Self.bytes(UInt64(data.count), count: 8) + [UInt8](data))
            let deadline = Date().addingTimeInterval(Self.timeoutSeconds)
            let head = try read(9, deadline: deadline)
            let payload = try read(Int(Self.uint(head[1..<9])), deadline: deadline)
            if head[0] == UInt8(ascii: "S") { return .success(Data(payload)) }
            return .failure(DecodeFailure(String(decoding: payload, as: UTF8.self)))
        } catch let gone as ChildGone {
            return .failure(DecodeFailure("libheif \(stop(timedOut: gone.timedOut)) on this file (it was parsed in a child process, so nothing else was affected)"))
        } catch {
            return .failure(DecodeFailure("the HEIF worker could not be started: \(error)"))
        }
    }

    private func start() throws {
        if let child, child.isRunning { return }
        let process = ChildProcess.make(["heif-worker"], environment: ChildProcess.crashQuiet)
        let toChild = Pipe(), fromChild = Pipe()
        process.standardInput = toChild
        process.standardOutput = fromChild
        process.standardError = FileHandle.nullDevice
        try process.run()
        child = process
        input = toChild.fileHandleForWriting.fileDescriptor
        output = fromChild.fileHandleForReading.fileDescriptor
        // The Pipe objects close their descriptors when released; keep them with the process.
        pipes = (toChild, fromChild)
    }

    private var pipes: (Pipe, Pipe)?

    /// Ends the child and says how it ended.
    private func stop(timedOut: Bool) -> String {
        guard let child else { return "could not be reached" }
        if timedOut && child.isRunning { kill(child.processIdentifier, SIGKILL) }
        child.waitUntilExit()
        self.child = nil
        pipes = nil
        if timedOut { return "did not finish within \(Int(Self.timeoutSeconds)) s" }
        if child.terminationReason == .uncaughtSignal {
            return "crashed with signal \(child.terminationStatus) (\(IsolatedCaseRunner.signalName(child.terminationStatus)))"
        }
        return "ended with status \(child.terminationStatus)"
    }

    private func read(_ count: Int, deadline: Date) throws -> [UInt8] {
        guard let bytes = try Self.read(output, count, deadline: deadline) else { throw ChildGone(timedOut: false) }
        return bytes
    }

    /// Exactly `count` bytes from `fd`, nil at its end; past `deadline` (when there is one) a `ChildGone`
    /// that timed out. Both sides of the protocol read through here.
    static func read(_ fd: Int32, _ count: Int, deadline: Date? = nil) throws -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            if let deadline {
                let left = deadline.timeIntervalSinceNow
                guard left > 0 else { throw ChildGone(timedOut: true) }
                var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, Int32(min(left, 1) * 1000)) <= 0 { continue }
            }
            let n = out.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            done += n
        }
        return out
    }

    static func write(_ fd: Int32, _ bytes: [UInt8]) throws {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw ChildGone(timedOut: false) }
            done += n
        }
    }

    static func bytes(_ value: UInt64, count: Int) -> [UInt8] {
        (0..<count).map { UInt8((value >> UInt64(8 * (count - 1 - $0))) & 0xFF) }
    }

    static func uint(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// `cavendish heif-worker`: the child side of `HEIFWorkerClient` (hidden).
struct HEIFWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "heif-worker", abstract: "Parse HEIF files for the parent process.",
                                                    shouldDisplay: false)

    /// The largest file a request may carry.
    static let maximumBytes: UInt64 = 1 << 30
    /// The child's address space. A 100-megapixel photo (`ImageLimits`) decodes in well under 2 GiB;
    /// without a bound, the damaged files that make libde265 start threads reached 29,000 threads and
    /// 2.5 GB resident over 20 s before the abort. With it, thread stacks (8 MiB each) run out at a few
    /// hundred and the abort comes at once.
    static let addressSpaceBytes: rlim_t = 4 << 30

    func run() throws {
        PhotoDecoder.heifIsolation = nil
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit) == 0, limit.rlim_cur > Self.addressSpaceBytes {
            limit.rlim_cur = Self.addressSpaceBytes
            setrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &limit)
        }
        ChildProcess.exitWithParent()
        while let head = try HEIFWorkerClient.read(0, 9) {
            let operation = head[0], length = HEIFWorkerClient.uint(head[1..<9])
            guard length <= Self.maximumBytes, let body = try HEIFWorkerClient.read(0, Int(length)) else { return }
            let data = Data(body)
            let answer: Result<[UInt8], DecodeFailure>
            if operation == UInt8(ascii: "P") {
                answer = PhotoDecoder.probeHEIFInProcess(data).flatMap { probe in
                    (try? JSONEncoder().encode(probe)).map { .success([UInt8]($0)) } ?? .failure(DecodeFailure("the probe could not be encoded"))
                }
            } else {
                answer = PhotoDecoder.decodeHEIFInProcess(data).map { image in
                    HEIFWorkerClient.bytes(UInt64(image.width), count: 4) + HEIFWorkerClient.bytes(UInt64(image.height), count: 4) + image.pixels
                }
            }
            let (status, payload): (Character, [UInt8]) = switch answer {
            case .success(let bytes): ("S", bytes)
            case .failure(let failure): ("F", Array(failure.reason.utf8))
            }
            try HEIFWorkerClient.write(1, [status.asciiValue!] + HEIFWorkerClient.bytes(UInt64(payload.count), count: 8) + payload)
        }
    }
}
