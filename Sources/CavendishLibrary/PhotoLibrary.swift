import CavendishIO
import Foundation
import GRDB

/// A connected photo library: its index, reference selection, people settings and prompt resolution.
///
/// Opening one checks consent first and touches nothing under the library without it. The library is
/// only read (through `reader`); everything derived is written in the data folder.
///
/// ```swift
/// let library = try PhotoLibrary(path: "~/Pictures/Takeout", dataFolder: .resolve())
/// try library.scan()
/// let resolved = try library.resolve(prompt: "a claymation scene of me and my family at the beach")
/// ```
public final class PhotoLibrary: @unchecked Sendable {
    /// Where the library is.
    public let location: LibraryLocation
    /// The data folder holding its index.
    public let dataFolder: CavendishDataFolder
    /// The only door to the library's files.
    public let reader: LibraryReader
    /// The audit log reads are recorded in.
    public let audit: AuditLog
    let index: LibraryIndex

    /// Opens the connected library at `path`; throws `LibraryError.notConnected` (having opened nothing under it) without consent.
    public init(path: String, dataFolder: CavendishDataFolder, counter: LibraryAccessCounter = LibraryAccessCounter()) throws {
        let location = LibraryLocation(path: path)
        let consent = ConsentRegistry(dataFolder: dataFolder)
        self.reader = try LibraryReader(library: location, consent: consent, counter: counter)
        self.location = location
        self.dataFolder = dataFolder
        self.audit = AuditLog(dataFolder: dataFolder)
        self.index = try LibraryIndex(folder: dataFolder.folder(for: location))
    }

    // MARK: Scanning

    /// Brings the index up to date, reading only new and changed files; logs the read in the audit log.
    @discardableResult
    public func scan(progress: ((ScanProgress) -> Void)? = nil) throws -> ScanReport {
        let (report, read) = try LibraryScanner(reader: reader, index: index).scan(progress: progress)
        if !read.isEmpty {
            try audit.append(AuditEntry(library: location.path, purpose: "scan", photos: [], photoCount: read.count))
        }
        return report
    }

    /// Indexed photos (relative paths), sorted.
    public func indexedPhotos() throws -> [String] {
        try index.read { try String.fetchAll($0, sql: "SELECT path FROM photo ORDER BY path") }
    }

    // MARK: People

    /// Everyone in the index, sorted by name.
    public func people() throws -> [PersonSummary] {
        try index.read { try index.people($0) }
    }

    /// The one person `name` denotes (`Ava`, `@Ava`, `Ava#2`); throws with suggestions or the ambiguity.
    public func person(_ name: String) throws -> PersonSummary {
        try PeopleDirectory(people: people()).person(name)
    }

    /// The names of the photos that show `name`, sorted.
    public func photos(of name: String) throws -> [String] {
        let p = try person(name)
        return try index.read {
            try String.fetchAll($0, sql: """
                SELECT ph.path FROM appearance a JOIN photo ph ON ph.id = a.photoId WHERE a.personId = ? ORDER BY ph.path
                """, arguments: [p.id])
        }
    }

    /// Marks `name` as the library's owner ("me"), replacing any earlier choice.
    public func setMe(_ name: String) throws {
        let p = try person(name)
        try index.write { db in
            try db.execute(sql: "UPDATE person SET relation = NULL WHERE relation = 'me'")
            try db.execute(sql: "UPDATE person SET relation = 'me' WHERE id = ?", arguments: [p.id])
        }
    }

    /// Sets how `name` relates to the owner; `species` records a pet's species ("dog", "cat").
    public func relate(_ name: String, as relation: Relation, species: String? = nil) throws {
        let p = try person(name)
        try index.write { db in
            if relation == .me { try db.execute(sql: "UPDATE person SET relation = NULL WHERE relation = 'me'") }
            try db.execute(sql: "UPDATE person SET relation = ? WHERE id = ?", arguments: [relation.rawValue, p.id])
            if let species { try db.execute(sql: "UPDATE person SET species = ? WHERE id = ?", arguments: [species.lowercased(), p.id]) }
        }
    }

    /// Always uses `photo` (relative path) as one of `name`'s references.
    public func pin(_ name: String, photo: String) throws { try choose(name, photo: photo, action: "pin") }

    /// Never uses `photo` (relative path) for `name`.
    public func exclude(_ name: String, photo: String) throws { try choose(name, photo: photo, action: "exclude") }

    /// Removes a pin or exclusion of `photo` for `name`.
    public func clearChoice(_ name: String, photo: String) throws {
        let p = try person(name)
        try index.write { try $0.execute(sql: "DELETE FROM choice WHERE personId = ? AND photoPath = ?", arguments: [p.id, normalize(photo)]) }
    }

    private func normalize(_ photo: String) -> String {
        var p = photo
        if p.hasPrefix(location.path + "/") { p = String(p.dropFirst(location.path.count + 1)) }
        return p.split(separator: "/").filter { $0 != "." && !$0.isEmpty }.joined(separator: "/")
    }

    private func choose(_ name: String, photo: String, action: String) throws {
        let p = try person(name)
        let path = normalize(photo)
        try index.write { db in
            guard let photoId = try Int64.fetchOne(db, sql: "SELECT id FROM photo WHERE path = ?", arguments: [path]) else {
                throw LibraryError.photoNotInLibrary(photo: photo, library: location.path)
            }
            guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM appearance WHERE photoId = ? AND personId = ?", arguments: [photoId, p.id]) ?? 0 > 0 else {
                throw LibraryError.personNotInPhoto(person: p.handle, photo: path)
            }
            try db.execute(sql: "INSERT OR REPLACE INTO choice (personId, photoPath, action) VALUES (?, ?, ?)", arguments: [p.id, path, action])
        }
    }

    /// What `forget` deleted.
    public struct ForgetReport: Sendable, Equatable {
        /// The person's handle.
        public let person: String
        /// Appearances deleted.
        public let appearances: Int
        /// Cached embeddings deleted.
        public let embeddings: Int
        /// Thumbnail files deleted.
        public let thumbnails: Int
    }

    /// Deletes everything derived about `name`: appearances, choices, relation, cached embeddings and
    /// thumbnails of their crops, and their name and photos in the audit log (`AuditLog.redact`). Later
    /// scans do not index them again (only a salted digest of the name is kept for that); `disconnect`
    /// clears that too.
    @discardableResult
    public func forget(_ name: String) throws -> ForgetReport {
        let p = try person(name)
        var shown: Set<String> = []
        let report = try index.write { db -> ForgetReport in
            shown = Set(try String.fetchAll(db, sql: """
                SELECT ph.path FROM appearance a JOIN photo ph ON ph.id = a.photoId WHERE a.personId = ?
                """, arguments: [p.id]))
            let crops = try Row.fetchAll(db, sql: """
                SELECT ph.sha256, a.x, a.y, a.w, a.h FROM appearance a JOIN photo ph ON ph.id = a.photoId WHERE a.personId = ?
                """, arguments: [p.id]).map { row -> (String, String) in
                return (try row.value("sha256"), (try row.box() ?? .wholeImage).key)
            }
            let appearances = crops.count
            try db.execute(sql: "DELETE FROM person WHERE id = ?", arguments: [p.id])  // cascades appearances and choices
            var embeddings = 0, thumbnails = 0
            for (sha, key) in crops {
                // Keep a crop another person still uses (the same box in the same photo).
                let stillUsed = try Row.fetchAll(db, sql: """
                    SELECT a.x, a.y, a.w, a.h FROM appearance a JOIN photo ph ON ph.id = a.photoId WHERE ph.sha256 = ?
                    """, arguments: [sha]).contains { row in
                    return (try row.box() ?? .wholeImage).key == key
                }
                if stillUsed { continue }
                try db.execute(sql: "DELETE FROM embedding WHERE photoSHA256 = ? AND box = ?", arguments: [sha, key])
                embeddings += db.changesCount
                for file in try String.fetchAll(db, sql: "SELECT file FROM thumbnail WHERE photoSHA256 = ? AND box = ?", arguments: [sha, key]) {
                    if index.removeThumbnailFile(file) { thumbnails += 1 }
                }
                try db.execute(sql: "DELETE FROM thumbnail WHERE photoSHA256 = ? AND box = ?", arguments: [sha, key])
            }
            try db.execute(sql: "INSERT OR IGNORE INTO forgotten (key) VALUES (?)",
                           arguments: [index.forgottenKey(name: p.name, kind: p.kind, tag: p.tag)])
            return ForgetReport(person: p.handle, appearances: appearances, embeddings: embeddings, thumbnails: thumbnails)
        }
        do { try index.queue.vacuum() } catch { throw LibraryError.index("\(error)") }
        try audit.redact(library: location.path, name: p.name, photos: shown)
        return report
    }

    // MARK: References

    /// The best 1-4 reference crops of `name`, chosen as `ReferenceSelector` describes, with thumbnails
    /// written to the data folder. Photos decoded to measure sharpness are recorded in the audit log.
    public func references(for name: String) throws -> [ReferenceCrop] {
        try references(for: person(name))
    }

    /// The best 1-4 reference crops of `person` (see `references(for name:)`).
    public func references(for person: PersonSummary) throws -> [ReferenceCrop] {
        var candidates = try index.read { try ReferenceCandidate.fetch(person: person.id, $0) }
        candidates.sort { a, b in
            if a.pinned != b.pinned { return a.pinned }
            let pa = ReferenceSelector.prescore(pixelSize: a.pixelSize, visibleFraction: a.visible)
            let pb = ReferenceSelector.prescore(pixelSize: b.pixelSize, visibleFraction: b.visible)
            return pa != pb ? pa > pb : a.path < b.path
        }
        let pinned = candidates.filter(\.pinned).count
        candidates = Array(candidates.prefix(max(pinned, 0) + ReferenceSelector.shortlist))
        var decoded: [String: RGBImage] = [:]
        var read: [String] = []
        var failed: [(Int64, String)] = []
        func image(_ c: ReferenceCandidate) -> RGBImage? {
            if let cached = decoded[c.path] { return cached }
            do {
                let data = try reader.read(c.path)
                read.append(c.path)
                try Self.checkUnchanged(data, path: c.path, indexed: c.sha)
                switch PhotoDecoder.decode(data) {
                case .success(let img): decoded[c.path] = img; return img
                case .failure(let f): failed.append((c.photoId, f.reason)); return nil
                }
            } catch {
                failed.append((c.photoId, "\(error)"))
                return nil
            }
        }
        var measured: [(Int64, Double)] = []
        for i in candidates.indices where candidates[i].sharpness == nil {
            guard let img = image(candidates[i]), let crop = img.cropped(to: candidates[i].box) else { continue }
            let s = crop.shrunk(toMaxSide: ReferenceSelector.sharpnessSide).laplacianVariance()
            candidates[i].sharpness = s
            measured.append((candidates[i].appearanceId, s))
        }
        let failedIds = Set(failed.map(\.0))
        candidates.removeAll { failedIds.contains($0.photoId) || $0.sharpness == nil }
        func score(_ c: ReferenceCandidate) -> Double {
            ReferenceSelector.score(pixelSize: c.pixelSize, visibleFraction: c.visible, sharpness: c.sharpness ?? 0)
        }
        candidates.sort { a, b in
            if a.pinned != b.pinned { return a.pinned }
            let sa = score(a), sb = score(b)
            return sa != sb ? sa > sb : a.path < b.path
        }
        var chosen: [ReferenceCandidate] = []
        var seen = Set<String>()
        var shots = Set<String>()
        for c in candidates where chosen.count < ReferenceSelector.maximumReferences {
            // One crop per content and per shot: an `-edited` copy and its original are the same picture.
            guard seen.insert(c.sha + "/" + c.box.key).inserted, shots.insert(TakeoutSidecar.originalPath(of: c.path)).inserted else { continue }
            chosen.append(c)
        }
        // Thumbnails of the chosen crops.
        let thumbFolder = index.thumbnailFolder
        var thumbs: [String: String] = try index.read { db in
            var out: [String: String] = [:]
            for c in chosen {
                if let f = try String.fetchOne(db, sql: "SELECT file FROM thumbnail WHERE photoSHA256 = ? AND box = ?", arguments: [c.sha, c.box.key]),
                   FileManager.default.fileExists(atPath: (thumbFolder as NSString).appendingPathComponent(f)) {
                    out[c.sha + "/" + c.box.key] = f
                }
            }
            return out
        }
        var newThumbs: [(String, String, String)] = []
        for c in chosen where thumbs[c.sha + "/" + c.box.key] == nil {
            guard let img = image(c), let crop = img.cropped(to: c.box) else { continue }
            let file = "\(c.sha.prefix(16))-\(SHA256.hex(Data(c.box.key.utf8)).prefix(12)).png"
            try dataFolder.createFolder(thumbFolder)
            do {
                try crop.shrunk(toMaxSide: ReferenceSelector.thumbnailSide).pngData()
                    .write(to: URL(fileURLWithPath: (thumbFolder as NSString).appendingPathComponent(file)), options: .atomic)
                thumbs[c.sha + "/" + c.box.key] = file
                newThumbs.append((c.sha, c.box.key, file))
            } catch {
                continue  // a thumbnail is a convenience; the crop can be made again
            }
        }
        try index.write { db in
            for (id, s) in measured { try db.execute(sql: "UPDATE appearance SET sharpness = ? WHERE id = ?", arguments: [s, id]) }
            for (id, reason) in failed { try db.execute(sql: "UPDATE photo SET problem = ? WHERE id = ?", arguments: [reason, id]) }
            for (sha, key, file) in newThumbs {
                try db.execute(sql: "INSERT OR REPLACE INTO thumbnail (photoSHA256, box, file) VALUES (?, ?, ?)", arguments: [sha, key, file])
            }
        }
        if !read.isEmpty {
            try audit.append(AuditEntry(library: location.path, purpose: AuditLog.choosingPurpose(person.handle), photos: Array(Set(read)).sorted()))
        }
        return chosen.map { c in
            ReferenceCrop(photo: c.path, photoSHA256: c.sha, box: c.box, boxFromMetadata: c.boxFromMetadata, source: c.source,
                          pinned: c.pinned, pixelSize: c.pixelSize, visibleFraction: c.visible, sharpness: c.sharpness ?? 0,
                          score: score(c), thumbnail: thumbs[c.sha + "/" + c.box.key].map { (thumbFolder as NSString).appendingPathComponent($0) })
        }
    }

    /// The pixels of a reference crop, read from the library (through `reader`) and decoded; the read is
    /// recorded in the audit log under `purpose`. The thumbnail (`crop.thumbnail`) is the same crop, smaller.
    public func image(of crop: ReferenceCrop, purpose: String) throws -> RGBImage {
        let data = try reader.read(crop.photo)
        try audit.append(AuditEntry(library: location.path, purpose: purpose, photos: [crop.photo]))
        try Self.checkUnchanged(data, path: crop.photo, indexed: crop.photoSHA256)
        let image: RGBImage
        switch PhotoDecoder.decode(data) {
        case .success(let decoded): image = decoded
        case .failure(let failure): throw LibraryError.unreadableFile(path: crop.photo, problem: failure.reason)
        }
        guard let cropped = image.cropped(to: crop.box) else {
            throw LibraryError.unreadableFile(path: crop.photo, problem: "the box \(crop.box) lies outside the photo")
        }
        return cropped
    }

    /// Refuses a photo whose bytes are not the ones the scan indexed: whatever replaced it (an edit, or a
    /// file swapped in from outside the library) has not had its metadata read, so its people are unknown.
    static func checkUnchanged(_ data: Data, path: String, indexed sha: String) throws {
        guard SHA256.hex(data) == sha.lowercased() else {
            throw LibraryError.unreadableFile(path: path, problem: "its content changed since the last scan; run `cavendish library scan` again")
        }
    }

    // MARK: Embedding cache

    /// The cached embedding of a crop for the encoder whose weights have SHA-256 `encoderSHA256`, if any.
    public func cachedEmbedding(encoderSHA256: String, photoSHA256: String, box: NormalizedBox) throws -> [Float]? {
        let blob = try index.read {
            try Data.fetchOne($0, sql: "SELECT vector FROM embedding WHERE encoderSHA256 = ? AND photoSHA256 = ? AND box = ?",
                              arguments: [encoderSHA256, photoSHA256, box.key])
        }
        guard let blob, blob.count % 4 == 0 else { return nil }
        return blob.withUnsafeBytes { raw in (0..<(blob.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
    }

    /// Stores a crop's embedding (little-endian float32) for the encoder with weights SHA-256 `encoderSHA256`.
    public func storeEmbedding(_ vector: [Float], encoderSHA256: String, photoSHA256: String, box: NormalizedBox) throws {
        var blob = Data(capacity: vector.count * 4)
        for v in vector { withUnsafeBytes(of: v.bitPattern.littleEndian) { blob.append(contentsOf: $0) } }
        try index.write {
            try $0.execute(sql: "INSERT OR REPLACE INTO embedding (encoderSHA256, photoSHA256, box, vector) VALUES (?, ?, ?, ?)",
                           arguments: [encoderSHA256, photoSHA256, box.key, blob])
        }
    }

    // MARK: Prompts

    /// Resolves the people a prompt names (see `PromptResolver`) and attaches each one's reference crops.
    ///
    /// `purpose` is what the audit log records for photos read ("resolve", "generate").
    public func resolve(prompt: String, purpose: String = "resolve") throws -> ResolvedPrompt {
        var resolved = try PromptResolver(people: people()).resolve(prompt)
        for i in resolved.subjects.indices {
            resolved.subjects[i].references = try references(for: resolved.subjects[i].person)
        }
        let used = resolved.subjects.flatMap { $0.references.map(\.photo) }
        if !used.isEmpty {
            try audit.append(AuditEntry(library: location.path, purpose: purpose, photos: Array(Set(used)).sorted()))
        }
        return resolved
    }
}
