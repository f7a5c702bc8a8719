import CavendishIO
import Foundation

/// One record of library photos being read: when, which library, which photos, and what for.
public struct AuditEntry: Codable, Sendable, Equatable {
    /// When the photos were read.
    public let time: Date
    /// The library's canonical path.
    public let library: String
    /// Why: `scan`, `choose references`, `resolve`, `generate`, ...
    public let purpose: String
    /// How many photos were read.
    public let photoCount: Int
    /// The photos read, relative to the library (a scan lists none, only the count, to keep the log small).
    public let photos: [String]

    /// Creates an entry.
    public init(time: Date = Date(), library: String, purpose: String, photos: [String], photoCount: Int? = nil) {
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded())
        self.library = library
        self.purpose = purpose
        self.photos = photos
        self.photoCount = photoCount ?? photos.count
    }
}

/// The local, append-only audit log of library reads: `audit.jsonl` in the data folder, one JSON object a line.
///
/// The user reads it with `cavendish library audit` and empties it with `cavendish library audit --clear`.
/// It is never sent anywhere. Disconnecting a library leaves the log alone: it is the user's record of
/// what was read, and it is theirs to clear.
public struct AuditLog: Sendable {
    /// The log file.
    public let path: String

    /// The log of `dataFolder`.
    public init(dataFolder: CavendishDataFolder) {
        self.path = dataFolder.auditLogPath
    }

    /// Appends one entry (creating the file and its folder when needed).
    public func append(_ entry: AuditEntry) throws {
        let line = try Self.encode(entry)
        let folder = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw LibraryError.dataFolder(path: path, problem: "cannot open the audit log: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            let written = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == line.count else { throw LibraryError.dataFolder(path: path, problem: "cannot append to the audit log") }
        } catch let e as LibraryError {
            throw e
        } catch {
            throw LibraryError.dataFolder(path: folder, problem: error.localizedDescription)
        }
    }

    /// Every entry, oldest first; lines that are not entries are skipped.
    public func entries() -> [AuditEntry] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(AuditEntry.self, from: Data($0)) }
    }

    /// The purpose recorded when references are chosen for `handle`.
    static func choosingPurpose(_ handle: String) -> String { "choose references for \(handle)" }

    /// Takes a forgotten person out of the log: entries of `library` that name them (by `name`, whatever
    /// `#N` their handle had then) name "a forgotten person" instead, and `photos` (those that showed
    /// them) leave every entry's photo list. Counts stay, so the log still says how many photos were read
    /// and when. Lines that are not entries are kept as they are; the log is rewritten through a
    /// temporary file, so a crash leaves the old or the new log, never a half.
    public func redact(library: String, name: String, photos: Set<String>) throws {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let prefix = Self.choosingPurpose("")
        var out = Data()
        var changed = false
        for line in data.split(separator: 0x0A, omittingEmptySubsequences: false) {
            guard let entry = try? decoder.decode(AuditEntry.self, from: Data(line)), entry.library == library else {
                if !line.isEmpty { out.append(contentsOf: line); out.append(0x0A) }
                continue
            }
            var purpose = entry.purpose
            if purpose.hasPrefix(prefix) {
                let handle = purpose.dropFirst(prefix.count)
                let bare = handle.split(separator: "#", maxSplits: 1).first.map(String.init) ?? String(handle)
                if bare.lowercased() == name.lowercased() { purpose = Self.choosingPurpose("a forgotten person") }
            }
            let kept = entry.photos.filter { !photos.contains($0) }
            guard purpose != entry.purpose || kept.count != entry.photos.count else {
                out.append(contentsOf: line); out.append(0x0A)
                continue
            }
            changed = true
            out.append(try Self.encode(AuditEntry(time: entry.time, library: entry.library, purpose: purpose, photos: kept, photoCount: entry.photoCount)))
        }
        guard changed else { return }
        do {
            try AtomicFile.write(out, to: path, overwrite: true, permissions: 0o600)
        } catch {
            throw LibraryError.dataFolder(path: path, problem: "cannot rewrite the audit log: \(error)")
        }
    }

    /// One entry as a JSON line.
    static func encode(_ entry: AuditEntry) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(entry)
        line.append(0x0A)
        return line
    }

    /// Deletes the log.
    public func clear() throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw LibraryError.dataFolder(path: path, problem: "cannot delete the audit log: \(error.localizedDescription)")
        }
    }
}
