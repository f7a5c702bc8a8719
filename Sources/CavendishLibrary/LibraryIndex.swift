import CavendishIO
import Foundation
import GRDB

/// The SQLite index of one connected library, in its folder of the data folder (`index.sqlite`).
///
/// Tables: `photo` (path, content SHA-256, size, modification time, taken time, displayed size, and why
/// it was skipped if it was), `person` (name, kind, tag, species, relation), `appearance` (photo, person,
/// normalized box, metadata source, cached sharpness), `choice` (pins and excludes), `embedding` (cached
/// reference embeddings keyed by encoder weights SHA-256, photo SHA-256 and box), `thumbnail` (reference
/// crops written under `thumbnails/`), `forgotten` (keyed digests of forgotten people, so a scan does
/// not index them again; the names themselves are not kept) and `setting` (the index's random salt for
/// those digests). `secure_delete` is on, so deleted rows are overwritten rather than left in free pages.
final class LibraryIndex: @unchecked Sendable {
    let queue: DatabaseQueue
    let folder: String
    /// The random key of `forgottenKey`, made when the index is created and deleted with it.
    let salt: Data

    /// Opens (creating if needed) the index in `folder`.
    init(folder: String) throws {
        self.folder = folder
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            queue = try DatabaseQueue(path: (folder as NSString).appendingPathComponent("index.sqlite"), configuration: config)
            try Self.migrator.migrate(queue)
            salt = try queue.read { try Data.fetchOne($0, sql: "SELECT value FROM setting WHERE key = 'salt'") } ?? Data()
        } catch {
            throw LibraryError.index("\(error)")
        }
    }

    var thumbnailFolder: String { (folder as NSString).appendingPathComponent("thumbnails") }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE photo (
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL UNIQUE,
                    sha256 TEXT NOT NULL,
                    size INTEGER NOT NULL,
                    modified INTEGER NOT NULL,
                    metadataStamp TEXT NOT NULL,
                    format TEXT,
                    width INTEGER NOT NULL DEFAULT 0,
                    height INTEGER NOT NULL DEFAULT 0,
                    takenAt REAL,
                    problem TEXT
                );
                CREATE TABLE person (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    tag TEXT NOT NULL DEFAULT '',
                    species TEXT,
                    relation TEXT,
                    UNIQUE(name, kind, tag)
                );
                CREATE TABLE appearance (
                    id INTEGER PRIMARY KEY,
                    photoId INTEGER NOT NULL REFERENCES photo(id) ON DELETE CASCADE,
                    personId INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                    source TEXT NOT NULL,
                    x REAL, y REAL, w REAL, h REAL,
                    sharpness REAL,
                    UNIQUE(photoId, personId)
                );
                CREATE INDEX appearance_person ON appearance(personId);
                CREATE TABLE choice (
                    personId INTEGER NOT NULL REFERENCES person(id) ON DELETE CASCADE,
                    photoPath TEXT NOT NULL,
                    action TEXT NOT NULL CHECK (action IN ('pin', 'exclude')),
                    PRIMARY KEY (personId, photoPath)
                );
                CREATE TABLE embedding (
                    encoderSHA256 TEXT NOT NULL,
                    photoSHA256 TEXT NOT NULL,
                    box TEXT NOT NULL,
                    vector BLOB NOT NULL,
                    PRIMARY KEY (encoderSHA256, photoSHA256, box)
                );
                CREATE TABLE thumbnail (
                    photoSHA256 TEXT NOT NULL,
                    box TEXT NOT NULL,
                    file TEXT NOT NULL,
                    PRIMARY KEY (photoSHA256, box)
                );
                CREATE TABLE forgotten (key TEXT PRIMARY KEY);
                """)
        }
        m.registerMigration("v2") { db in
            try db.execute(sql: "CREATE TABLE setting (key TEXT PRIMARY KEY, value BLOB NOT NULL)")
            // The scanner looks people up case-insensitively; without an index of that collation each
            // lookup scans the table, and a photo naming n people costs n^2.
            try db.execute(sql: "CREATE INDEX person_name_nocase ON person(name COLLATE NOCASE, kind, tag COLLATE NOCASE)")
            var generator = SystemRandomNumberGenerator()
            let salt = Data((0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) })
            try db.execute(sql: "INSERT INTO setting (key, value) VALUES ('salt', ?)", arguments: [salt])
        }
        return m
    }

    /// Runs `body` in a write transaction, mapping database errors to `LibraryError.index`.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.write(body) } catch let e as LibraryError { throw e } catch { throw LibraryError.index("\(error)") }
    }

    /// Runs `body` with read access, mapping database errors to `LibraryError.index`.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try queue.read(body) } catch let e as LibraryError { throw e } catch { throw LibraryError.index("\(error)") }
    }

    /// The key under which a forgotten person is remembered as forgotten: HMAC-SHA-256 under this
    /// index's random salt, so the index alone cannot be checked against a list of likely names with a
    /// plain hash, and the same name gives unrelated keys in two libraries.
    func forgottenKey(name: String, kind: SubjectKind, tag: String) -> String {
        "s1:" + SHA256.hmacHex(key: salt, message: Self.forgottenIdentity(name: name, kind: kind, tag: tag))
    }

    /// The unsalted key indexes written before the salt; a scan that meets one replaces it with the salted key.
    static func legacyForgottenKey(name: String, kind: SubjectKind, tag: String) -> String {
        SHA256.hex(forgottenIdentity(name: name, kind: kind, tag: tag))
    }

    private static func forgottenIdentity(name: String, kind: SubjectKind, tag: String) -> Data {
        Data("\(kind.rawValue)\u{0}\(name.lowercased())\u{0}\(tag.lowercased())".utf8)
    }

    /// Deletes one thumbnail file named by the index; returns whether one was deleted. Only a plain file
    /// name inside the thumbnail folder is accepted: a tampered index naming `../x` or a path must not
    /// make Cavendish delete files outside its data folder.
    @discardableResult
    func removeThumbnailFile(_ file: String) -> Bool {
        guard !file.isEmpty, !file.contains("/"), file != ".", file != ".." else { return false }
        return (try? FileManager.default.removeItem(atPath: (thumbnailFolder as NSString).appendingPathComponent(file))) != nil
    }

    /// Deletes embeddings and thumbnails (rows and files) whose crops no photo appearance uses any more.
    func deleteOrphanedDerivedData(_ db: Database) throws {
        try db.execute(sql: "DELETE FROM embedding WHERE photoSHA256 NOT IN (SELECT sha256 FROM photo)")
        let orphans = try String.fetchAll(db, sql: "SELECT file FROM thumbnail WHERE photoSHA256 NOT IN (SELECT sha256 FROM photo)")
        for file in orphans { removeThumbnailFile(file) }
        try db.execute(sql: "DELETE FROM thumbnail WHERE photoSHA256 NOT IN (SELECT sha256 FROM photo)")
    }
}

/// One indexed person or pet with what the index knows about them.
public struct PersonSummary: Sendable, Equatable, Codable {
    /// The index's row id (stable while the person stays indexed).
    public let id: Int64
    /// The name as the metadata writes it.
    public let name: String
    /// Person or pet.
    public let kind: SubjectKind
    /// A labels.json tag telling apart people with the same name ("" when none).
    public let tag: String
    /// A pet's species, when known.
    public let species: String?
    /// The relation set with `set-me` / `relate`, if any.
    public let relation: Relation?
    /// Photos whose metadata names them (with or without a box).
    public let photoCount: Int
    /// How to name them without ambiguity: `Name`, or `Name#N` when several people share the name.
    public let handle: String

    /// "Odile Ferrand (person, family, 12 photos; in a prompt: @Odile_Ferrand)" for error messages and
    /// listings: the name as the user wrote it first, then how a prompt names them without ambiguity.
    public var summary: String {
        var parts = [kind.rawValue]
        if let species { parts[0] = species }
        if !tag.isEmpty { parts.append("tag \(tag)") }
        if let relation { parts.append(relation.rawValue) }
        parts.append("\(photoCount) photo\(photoCount == 1 ? "" : "s")")
        return "\(name) (\(parts.joined(separator: ", ")); in a prompt: @\(handle.replacingOccurrences(of: " ", with: "_")))"
    }
}

extension LibraryIndex {
    /// Every person, with photo counts and handles (`Name#N` numbered by kind, tag and id among equal names).
    func people(_ db: Database) throws -> [PersonSummary] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT p.id, p.name, p.kind, p.tag, p.species, p.relation, COUNT(a.id) AS photos
            FROM person p LEFT JOIN appearance a ON a.personId = p.id
            GROUP BY p.id ORDER BY p.name COLLATE NOCASE, p.kind, p.tag, p.id
            """)
        var byName: [String: [Int64]] = [:]
        for row in rows { byName[(try row.value("name") as String).lowercased(), default: []].append(try row.value("id")) }
        return try rows.map { row in
            let name: String = try row.value("name")
            let id: Int64 = try row.value("id")
            let same = byName[name.lowercased()] ?? [id]
            let handle = same.count > 1 ? "\(name)#\((same.firstIndex(of: id) ?? 0) + 1)" : name
            return PersonSummary(id: id, name: name, kind: SubjectKind(rawValue: try row.value("kind")) ?? .person, tag: try row.value("tag"),
                                 species: try row.value("species"), relation: (try row.value("relation") as String?).flatMap(Relation.init(rawValue:)),
                                 photoCount: try row.value("photos"), handle: handle)
        }
    }
}

extension Row {
    /// The value of `column`, or `LibraryError.index` naming the column when the index holds something
    /// else there: GRDB's subscript traps on a value of the wrong type, and an index is a file on disk
    /// that anything may have edited.
    func value<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        do { return try decode(forColumn: column) } catch { throw LibraryError.index("column \(column): \(error)") }
    }

    /// The appearance box in columns x, y, w, h; nil when there is none or it is not a finite box.
    func box() throws -> NormalizedBox? {
        guard let x: Double = try value("x"), let y: Double = try value("y"), let w: Double = try value("w"), let h: Double = try value("h"),
              [x, y, w, h].allSatisfy(\.isFinite) else { return nil }
        return NormalizedBox(x: x, y: y, width: w, height: h)
    }
}
