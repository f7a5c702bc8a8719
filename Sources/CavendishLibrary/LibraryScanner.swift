import CavendishIO
import Foundation
import GRDB

/// Progress of a scan, for a progress bar.
public struct ScanProgress: Sendable {
    /// Photos handled so far.
    public let done: Int
    /// Photos found in the library.
    public let total: Int
    /// The photo just handled (relative path).
    public let path: String
}

/// A photo that could not be used, and why.
public struct SkippedPhoto: Sendable, Equatable, Codable {
    /// The photo (or metadata file) relative to the library.
    public let path: String
    /// What is wrong with it.
    public let reason: String
}

/// What a scan found and did.
public struct ScanReport: Sendable, Codable {
    /// Photo files found (by extension: .jpg, .jpeg, .png, .heic, .heif).
    public var photos = 0
    /// Photos new to the index.
    public var added = 0
    /// Photos whose content changed since the last scan.
    public var changed = 0
    /// Photos whose content was unchanged but whose sidecars or labels changed.
    public var metadataUpdated = 0
    /// Photos left as they were (same size and modification time, or same content hash).
    public var unchanged = 0
    /// Photos dropped from the index because they left the library.
    public var removed = 0
    /// Files read in full during this scan (photos hashed plus metadata files parsed).
    public var filesRead = 0
    /// Photos that cannot be used (not decodable) and metadata files that cannot be read.
    public var skipped: [SkippedPhoto] = []
    /// People and pets in the index after the scan.
    public var people = 0
    /// Wall-clock seconds.
    public var seconds = 0.0
    /// Photos per second (`photos / seconds`).
    public var photosPerSecond: Double { seconds > 0 ? Double(photos) / seconds : 0 }
}

/// The incremental scan: lists the library, reads only new or changed photos and metadata, and updates the index.
///
/// A photo is re-read when its size or modification time differs from the index; if its SHA-256 is still
/// the same only the time is updated. Its subjects are rebuilt when the photo or any of its metadata files
/// (Takeout sidecar, `.xmp` sidecar, `labels.json` in its folder or above) changed. Photos that left the
/// library are dropped with their appearances, cached embeddings and thumbnails.
struct LibraryScanner {
    let reader: LibraryReader
    let index: LibraryIndex

    private struct Existing { let id: Int64; let size: Int64; let modified: Int64; let sha: String; let stamp: String }

    /// A photo whose subjects must be (re)written.
    private struct Pending {
        var path: String
        var file: LibraryFile
        var sha: String
        var stamp: String
        var probe: PhotoProbe?
        var problem: String?
        var takenAt: Date?
        var subjects: [LabeledSubject]
        var keepEmbedded: Bool  // content unchanged: keep the embedded-XMP appearances already indexed
    }

    func scan(progress: ((ScanProgress) -> Void)?) throws -> (ScanReport, photosRead: [String]) {
        let start = Date()
        var report = ScanReport()
        let files = try reader.listFiles()
        let folders = Self.folderIndexes(files)
        let photos = files.filter { PhotoFormat(fileName: $0.path) != nil }
        report.photos = photos.count

        let existing: [String: Existing] = try index.read { db in
            var out: [String: Existing] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, path, size, modified, sha256, metadataStamp FROM photo") {
                out[try row.value("path")] = Existing(id: try row.value("id"), size: try row.value("size"), modified: try row.value("modified"), sha: try row.value("sha256"), stamp: try row.value("metadataStamp"))
            }
            return out
        }
        var labelsCache: [String: LabelsFile?] = [:]
        var read: [String] = []
        var pending: [Pending] = []
        var timeOnly: [(Int64, Int64)] = []

        func flush() throws {
            guard !pending.isEmpty || !timeOnly.isEmpty else { return }
            let batch = pending, touches = timeOnly
            pending.removeAll(keepingCapacity: true)
            timeOnly.removeAll(keepingCapacity: true)
            try index.write { db in
                for (id, modified) in touches { try db.execute(sql: "UPDATE photo SET modified = ? WHERE id = ?", arguments: [modified, id]) }
                try write(batch, existing: existing, db)
            }
        }

        for (n, file) in photos.enumerated() {
            defer { progress?(ScanProgress(done: n + 1, total: photos.count, path: file.path)) }
            let meta = metadataFiles(for: Self.name(of: file.path), in: folders[Self.folder(of: file.path)] ?? FolderIndex())
            let stamp = meta.map { "\($0.path):\($0.size):\($0.modified)" }.joined(separator: "|")
            let old = existing[file.path]
            if let old, old.size == file.size, old.modified == file.modified, old.stamp == stamp {
                report.unchanged += 1
                continue
            }
            var item = Pending(path: file.path, file: file, sha: old?.sha ?? "", stamp: stamp, probe: nil, problem: nil,
                               takenAt: nil, subjects: [], keepEmbedded: false)
            let contentMayHaveChanged = old == nil || old!.size != file.size || old!.modified != file.modified
            if contentMayHaveChanged {
                let data: Data
                do {
                    data = try reader.read(file.path)
                } catch {
                    report.skipped.append(SkippedPhoto(path: file.path, reason: "\(error)"))
                    continue
                }
                read.append(file.path)
                report.filesRead += 1
                item.sha = SHA256.hex(data)
                if let old, old.sha == item.sha {
                    if old.stamp == stamp {
                        timeOnly.append((old.id, file.modified))
                        report.unchanged += 1
                        continue
                    }
                    item.keepEmbedded = true
                    report.metadataUpdated += 1
                } else {
                    old == nil ? (report.added += 1) : (report.changed += 1)
                }
                if !item.keepEmbedded {
                    switch PhotoDecoder.probe(data) {
                    case .success(let probe):
                        item.probe = probe
                        item.takenAt = probe.dateTaken
                        if let xmp = probe.xmp {
                            do {
                                item.subjects += try XMPRegionParser.regions(in: xmp, path: file.path).map {
                                    LabeledSubject(name: $0.name, kind: $0.kind, box: $0.box, source: .embeddedXMP)
                                }
                            } catch {
                                report.skipped.append(SkippedPhoto(path: file.path, reason: "embedded XMP ignored: \(error)"))
                            }
                        }
                    case .failure(let failure):
                        item.problem = failure.reason
                    }
                }
            } else {
                item.keepEmbedded = true
                report.metadataUpdated += 1
            }
            // Sidecars and labels.
            for m in meta {
                let metaName = Self.name(of: m.path)
                if metaName.lowercased() == "labels.json" {
                    if labelsCache[m.path] == nil {
                        do {
                            labelsCache[m.path] = try LabelsFile(jsonData: try reader.read(m.path), path: m.path)
                            report.filesRead += 1
                        } catch {
                            labelsCache[m.path] = .some(nil)
                            report.skipped.append(SkippedPhoto(path: m.path, reason: "\(error)"))
                        }
                    }
                    if let labels = labelsCache[m.path] ?? nil {
                        let base = Self.folder(of: m.path)
                        let relative = base.isEmpty ? file.path : String(file.path.dropFirst(base.count + 1))
                        item.subjects += labels.photos[relative] ?? []
                    }
                    continue
                }
                do {
                    let data = try reader.read(m.path)
                    report.filesRead += 1
                    if metaName.lowercased().hasSuffix(".xmp") {
                        item.subjects += try XMPRegionParser.regions(in: String(decoding: data, as: UTF8.self), path: m.path).map {
                            LabeledSubject(name: $0.name, kind: $0.kind, box: $0.box, source: .sidecarXMP)
                        }
                    } else {
                        let sidecar = try TakeoutSidecar(jsonData: data, path: m.path)
                        item.takenAt = sidecar.takenAt ?? item.takenAt
                        item.subjects += sidecar.people.map { LabeledSubject(name: $0, kind: .person, source: .takeout) }
                    }
                } catch {
                    report.skipped.append(SkippedPhoto(path: m.path, reason: "\(error)"))
                }
            }
            pending.append(item)
            if pending.count >= 256 { try flush() }
        }
        try flush()

        // Photos that left the library.
        let present = Set(photos.map(\.path))
        let gone = existing.filter { !present.contains($0.key) }
        report.removed = gone.count
        try index.write { db in
            for (_, old) in gone { try db.execute(sql: "DELETE FROM photo WHERE id = ?", arguments: [old.id]) }
            try Self.joinTakeoutNamesToPets(db)
            try db.execute(sql: """
                DELETE FROM person WHERE relation IS NULL
                  AND id NOT IN (SELECT personId FROM appearance) AND id NOT IN (SELECT personId FROM choice)
                """)
            try index.deleteOrphanedDerivedData(db)
            report.people = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person") ?? 0
            for row in try Row.fetchAll(db, sql: "SELECT path, problem FROM photo WHERE problem IS NOT NULL ORDER BY path") {
                report.skipped.append(SkippedPhoto(path: try row.value("path"), reason: "cannot be decoded: \(try row.value("problem") as String)"))
            }
        }
        report.skipped.sort { $0.path < $1.path }
        report.seconds = Date().timeIntervalSince(start)
        return (report, read)
    }

    /// One folder's files, indexed for the per-photo metadata lookups.
    private struct FolderIndex {
        var files: [String: LibraryFile] = [:]        // by name
        var lowercased: [String: LibraryFile] = [:]   // by lowercased name
        var jsonNames: Set<String> = []
        var labels: [LibraryFile] = []                // labels.json here and in every folder above
    }

    private static func folderIndexes(_ files: [LibraryFile]) -> [String: FolderIndex] {
        var out: [String: FolderIndex] = [:]
        for f in files {
            let name = Self.name(of: f.path)
            var entry = out[Self.folder(of: f.path), default: FolderIndex()]
            entry.files[name] = f
            entry.lowercased[name.lowercased()] = f
            if name.lowercased().hasSuffix(".json") { entry.jsonNames.insert(name) }
            out[Self.folder(of: f.path)] = entry
        }
        for folder in Array(out.keys) {
            var chain: [LibraryFile] = []
            var dir: String? = folder
            while let d = dir {
                if let labels = out[d]?.lowercased["labels.json"] { chain.append(labels) }
                dir = d.isEmpty ? nil : Self.folder(of: d)
            }
            out[folder]?.labels = chain
        }
        return out
    }

    /// The metadata files that describe photo `name`: Takeout sidecar, XMP sidecar, labels.json files.
    private func metadataFiles(for name: String, in folder: FolderIndex) -> [LibraryFile] {
        var out: [LibraryFile] = []
        if let sidecar = TakeoutSidecar.sidecarName(for: name, among: folder.jsonNames), let f = folder.files[sidecar] {
            out.append(f)
        }
        let lower = name.lowercased()
        if let xmp = folder.lowercased[lower + ".xmp"] ?? folder.lowercased[(lower as NSString).deletingPathExtension + ".xmp"] {
            out.append(xmp)
        }
        return out + folder.labels
    }

    /// Writes pending photos and their subjects.
    private func write(_ batch: [Pending], existing: [String: Existing], _ db: Database) throws {
        var forgotten = Set(try String.fetchAll(db, sql: "SELECT key FROM forgotten"))
        for item in batch {
            let photoId: Int64
            if let old = existing[item.path] {
                photoId = old.id
                if item.keepEmbedded {
                    try db.execute(sql: "UPDATE photo SET modified = ?, metadataStamp = ? WHERE id = ?", arguments: [item.file.modified, item.stamp, photoId])
                    if let t = item.takenAt { try db.execute(sql: "UPDATE photo SET takenAt = ? WHERE id = ?", arguments: [t.timeIntervalSince1970, photoId]) }
                    try db.execute(sql: "DELETE FROM appearance WHERE photoId = ? AND source != ?", arguments: [photoId, MetadataSource.embeddedXMP.rawValue])
                } else {
                    try db.execute(sql: """
                        UPDATE photo SET sha256 = ?, size = ?, modified = ?, metadataStamp = ?, format = ?, width = ?, height = ?, takenAt = ?, problem = ?
                        WHERE id = ?
                        """, arguments: [item.sha, item.file.size, item.file.modified, item.stamp, item.probe?.format.rawValue,
                                         item.probe?.width ?? 0, item.probe?.height ?? 0, item.takenAt?.timeIntervalSince1970, item.problem, photoId])
                    try db.execute(sql: "DELETE FROM appearance WHERE photoId = ?", arguments: [photoId])
                }
            } else {
                try db.execute(sql: """
                    INSERT INTO photo (path, sha256, size, modified, metadataStamp, format, width, height, takenAt, problem)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [item.path, item.sha, item.file.size, item.file.modified, item.stamp, item.probe?.format.rawValue,
                                     item.probe?.width ?? 0, item.probe?.height ?? 0, item.takenAt?.timeIntervalSince1970, item.problem])
                photoId = db.lastInsertedRowID
            }
            // Existing embedded subjects count when merging names from sidecars.
            var subjects = item.subjects
            if item.keepEmbedded {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT p.name, p.kind FROM appearance a JOIN person p ON p.id = a.personId WHERE a.photoId = ?
                    """, arguments: [photoId])
                let known = Set(try rows.map { "\(try $0.value("kind") as String)/\((try $0.value("name") as String).lowercased())" })
                subjects.removeAll { $0.source != .takeout && known.contains("\($0.kind.rawValue)/\($0.name.lowercased())") }
                try subjects.removeAll { s in try s.source == .takeout && rows.contains { (try $0.value("name") as String).lowercased() == s.name.lowercased() } }
            }
            for subject in Self.merge(subjects) {
                if !forgotten.isEmpty, try isForgotten(subject, forgotten: &forgotten, db) { continue }
                let personId = try personID(for: subject, db)
                let b = subject.box?.rounded
                try db.execute(sql: """
                    INSERT OR IGNORE INTO appearance (photoId, personId, source, x, y, w, h) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [photoId, personId, subject.source.rawValue, b?.x, b?.y, b?.width, b?.height])
            }
        }
    }

    /// Whether `subject` was forgotten. A match on a key written before the index had a salt is replaced
    /// by the salted key, so the unsalted digest of the name does not outlive the first scan after it.
    private func isForgotten(_ subject: LabeledSubject, forgotten: inout Set<String>, _ db: Database) throws -> Bool {
        let key = index.forgottenKey(name: subject.name, kind: subject.kind, tag: subject.tag)
        if forgotten.contains(key) { return true }
        let legacy = LibraryIndex.legacyForgottenKey(name: subject.name, kind: subject.kind, tag: subject.tag)
        guard forgotten.contains(legacy) else { return false }
        try db.execute(sql: "DELETE FROM forgotten WHERE key = ?", arguments: [legacy])
        try db.execute(sql: "INSERT OR IGNORE INTO forgotten (key) VALUES (?)", arguments: [key])
        forgotten.remove(legacy)
        forgotten.insert(key)
        return true
    }

    /// One subject per name and kind, the box taken from the most trusted source that has one
    /// (labels.json, then XMP sidecar, then embedded XMP). A Takeout name, which carries no kind, joins a
    /// pet of the same name named by another source.
    static func merge(_ subjects: [LabeledSubject]) -> [LabeledSubject] {
        let rank: [MetadataSource: Int] = [.labels: 0, .sidecarXMP: 1, .embeddedXMP: 2, .takeout: 3]
        var out: [LabeledSubject] = []
        // Indices into `out` by lowercased name and tag: a lookup, not a search, so a metadata file that
        // names 100,000 regions is read in linear time.
        var byName: [String: [Int]] = [:]
        for s in subjects.sorted(by: { rank[$0.source]! < rank[$1.source]! }) {
            let key = s.name.lowercased() + "\u{0}" + s.tag
            if let i = byName[key]?.first(where: { out[$0].kind == s.kind || s.source == .takeout }) {
                if out[i].box == nil, let box = s.box { out[i].box = box; out[i].source = s.source }
                if out[i].species == nil { out[i].species = s.species }
            } else {
                byName[key, default: []].append(out.count)
                out.append(s)
            }
        }
        return out
    }

    /// The person row for a subject, created when new. A Takeout name (no kind) joins an existing pet when
    /// no person has that name.
    private func personID(for s: LabeledSubject, _ db: Database) throws -> Int64 {
        if let id = try Int64.fetchOne(db, sql: "SELECT id FROM person WHERE name = ? COLLATE NOCASE AND kind = ? AND tag = ? COLLATE NOCASE",
                                       arguments: [s.name, s.kind.rawValue, s.tag]) {
            if let species = s.species {
                try db.execute(sql: "UPDATE person SET species = ? WHERE id = ? AND species IS NULL", arguments: [species, id])
            }
            return id
        }
        if s.source == .takeout, let pet = try Int64.fetchOne(db, sql: "SELECT id FROM person WHERE name = ? COLLATE NOCASE AND kind = 'pet' AND tag = ''", arguments: [s.name]) {
            return pet
        }
        try db.execute(sql: "INSERT INTO person (name, kind, tag, species) VALUES (?, ?, ?, ?)",
                       arguments: [s.name, s.kind.rawValue, s.tag, s.species])
        return db.lastInsertedRowID
    }

    /// A "person" known only from Takeout names (which carry no kind) who shares a name with a pet is that pet.
    static func joinTakeoutNamesToPets(_ db: Database) throws {
        let pairs = try Row.fetchAll(db, sql: """
            SELECT p.id AS person, pet.id AS pet FROM person p
            JOIN person pet ON pet.name = p.name COLLATE NOCASE AND pet.kind = 'pet' AND pet.tag = ''
            WHERE p.kind = 'person' AND p.tag = '' AND p.relation IS NULL
              AND NOT EXISTS (SELECT 1 FROM appearance a WHERE a.personId = p.id AND a.source != 'takeout')
              AND NOT EXISTS (SELECT 1 FROM choice c WHERE c.personId = p.id)
            """)
        for row in pairs {
            let person: Int64 = try row.value("person"), pet: Int64 = try row.value("pet")
            try db.execute(sql: "UPDATE OR IGNORE appearance SET personId = ? WHERE personId = ?", arguments: [pet, person])
            try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [person])
        }
    }

    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return String(path[..<slash])
    }

    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}
