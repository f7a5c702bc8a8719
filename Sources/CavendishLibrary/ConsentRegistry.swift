import Foundation

/// A recorded agreement to let Cavendish read one photo library.
public struct ConsentRecord: Codable, Equatable, Sendable {
    /// The library's canonical path.
    public let library: String
    /// When the user agreed.
    public let connectedAt: Date
    /// How the agreement was given: `interactive` (answered on a terminal) or `flag` (`--consent`).
    public let method: String
}

/// What `disconnect` removed.
public struct DisconnectReport: Sendable, Equatable {
    /// Whether a consent record existed.
    public let wasConnected: Bool
    /// Files deleted from the data folder (consent, index, thumbnails).
    public let deletedFiles: Int
}

/// Consent records in the data folder: one `consent.json` per connected library, never in the library.
///
/// A library's derived data (index, cached embeddings, thumbnails) lives beside its consent record in
/// `libraries/<id>/`, so revoking consent deletes that folder whole and nothing derived survives.
public struct ConsentRegistry: Sendable {
    /// The data folder holding the records.
    public let dataFolder: CavendishDataFolder

    /// The registry of `dataFolder`.
    public init(dataFolder: CavendishDataFolder) {
        self.dataFolder = dataFolder
    }

    private func recordPath(_ library: LibraryLocation) -> String {
        (dataFolder.folder(for: library) as NSString).appendingPathComponent("consent.json")
    }

    /// Whether the user has connected `library` (reads only the data folder).
    public func isConnected(_ library: LibraryLocation) -> Bool {
        record(for: library) != nil
    }

    /// The consent record of `library`, if any.
    public func record(for library: LibraryLocation) -> ConsentRecord? {
        guard let data = FileManager.default.contents(atPath: recordPath(library)) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let record = try? decoder.decode(ConsentRecord.self, from: data), record.library == library.path else { return nil }
        return record
    }

    /// Records consent for `library`, which must be an existing folder. Returns the record.
    @discardableResult
    public func connect(_ library: LibraryLocation, method: String, now: Date = Date()) throws -> ConsentRecord {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: library.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw LibraryError.notAFolder(path: library.path)
        }
        let folder = dataFolder.folder(for: library)
        try dataFolder.createFolder(folder)
        let record = ConsentRecord(library: library.path, connectedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded()), method: method)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(record).write(to: URL(fileURLWithPath: recordPath(library)), options: .atomic)
        } catch {
            throw LibraryError.dataFolder(path: folder, problem: "cannot write the consent record: \(error.localizedDescription)")
        }
        return record
    }

    /// Revokes consent for `library` and deletes everything derived from it (index, embeddings, thumbnails).
    ///
    /// Works whether or not the library folder still exists; never touches the library itself.
    @discardableResult
    public func disconnect(_ library: LibraryLocation) throws -> DisconnectReport {
        let folder = dataFolder.folder(for: library)
        let wasConnected = isConnected(library)
        guard FileManager.default.fileExists(atPath: folder) else { return DisconnectReport(wasConnected: wasConnected, deletedFiles: 0) }
        var count = 0
        if let walker = FileManager.default.enumerator(atPath: folder) {
            for case let item as String in walker {
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: (folder as NSString).appendingPathComponent(item), isDirectory: &isFolder), !isFolder.boolValue {
                    count += 1
                }
            }
        }
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            throw LibraryError.dataFolder(path: folder, problem: "cannot delete the library's derived data: \(error.localizedDescription)")
        }
        return DisconnectReport(wasConnected: wasConnected, deletedFiles: count)
    }

    /// Revokes consent for the library the user names by `path` (see `disconnect(_:)`). When the folder at
    /// `path` has been replaced by a link since it was connected, the library connected under the path
    /// itself is the one disconnected, not the link's target. Returns the location disconnected.
    @discardableResult
    public func disconnect(path: String) throws -> (LibraryLocation, DisconnectReport) {
        let named = LibraryLocation(unresolvedLastComponent: path)
        let location = named != LibraryLocation(path: path) && FileManager.default.fileExists(atPath: dataFolder.folder(for: named))
            ? named : LibraryLocation(path: path)
        return (location, try disconnect(location))
    }

    /// Every connected library, sorted by path.
    public func connectedLibraries() -> [ConsentRecord] {
        let root = dataFolder.librariesFolder
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return ids.compactMap { id -> ConsentRecord? in
            let path = (root as NSString).appendingPathComponent("\(id)/consent.json")
            guard let data = FileManager.default.contents(atPath: path) else { return nil }
            return try? decoder.decode(ConsentRecord.self, from: data)
        }.sorted { $0.library < $1.library }
    }
}
