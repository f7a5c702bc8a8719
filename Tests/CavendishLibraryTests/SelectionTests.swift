@testable import CavendishLibrary
import CavendishIO
import GRDB
import Foundation
import Testing

@Suite struct SelectionTests {
    @Test func photosNamingSeveralPeopleWithoutBoxesAreNotUsed() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("solo.png", seed: 1)
        try sandbox.photo("pair.png", seed: 2)
        try sandbox.write("solo.png.json", #"{"people": [{"name": "Ava"}]}"#)
        try sandbox.write("pair.png.json", #"{"people": [{"name": "Ava"}, {"name": "Ben"}]}"#)
        let library = try sandbox.connect()
        try library.scan()
        let ava = try library.references(for: "Ava")
        #expect(ava.map(\.photo) == ["solo.png"])
        #expect(ava[0].box == .wholeImage && !ava[0].boxFromMetadata)
        #expect(try library.references(for: "Ben").isEmpty, "Ben is only in a two-name photo without boxes")
        #expect(try library.person("Ben").photoCount == 1)
    }

    @Test func choosesLargeSharpVisibleCropsDeterministically() throws {
        let sandbox = try Sandbox()
        var labels: [String: String] = [:]
        for i in 0..<7 {
            try sandbox.photo("p\(i).png", width: 128, height: 128, seed: UInt64(i), sharp: i != 1)
        }
        labels["p0.png"] = #"[{"name": "Ava", "box": {"x": 0.1, "y": 0.1, "w": 0.3, "h": 0.3}}]"#   // small
        labels["p1.png"] = #"[{"name": "Ava", "box": {"x": 0.0, "y": 0.0, "w": 0.9, "h": 0.9}}]"#   // large but soft
        labels["p2.png"] = #"[{"name": "Ava", "box": {"x": 0.0, "y": 0.0, "w": 0.8, "h": 0.8}}]"#   // large, sharp
        labels["p3.png"] = #"[{"name": "Ava", "box": {"x": 0.6, "y": 0.6, "w": 0.8, "h": 0.8}}]"#   // mostly outside the frame
        labels["p4.png"] = #"[{"name": "Ava", "box": {"x": 0.1, "y": 0.1, "w": 0.7, "h": 0.7}}]"#
        labels["p5.png"] = #"[{"name": "Ava", "box": {"x": 0.1, "y": 0.1, "w": 0.6, "h": 0.6}}]"#
        labels["p6.png"] = #"[{"name": "Ava", "box": {"x": 0.2, "y": 0.2, "w": 0.6, "h": 0.6}}]"#
        try sandbox.write("labels.json", labelsJSON(labels))
        let library = try sandbox.connect()
        try library.scan()
        let refs = try library.references(for: "Ava")
        #expect(refs.count == ReferenceSelector.maximumReferences)
        #expect(refs.first?.photo == "p2.png")
        #expect(!refs.map(\.photo).contains("p1.png"), "the soft crop loses to sharp ones")
        #expect(!refs.map(\.photo).contains("p3.png"), "a box mostly outside the frame loses")
        #expect(Array(refs.map(\.photo).prefix(2)) == ["p2.png", "p4.png"])
        #expect(Set(refs.map(\.photo).suffix(2)) == ["p5.png", "p6.png"], "equal sizes: both beat the small p0")
        #expect(try library.references(for: "Ava") == refs, "the same answer every time")

        try library.pin("Ava", photo: "p0.png")
        try library.exclude("Ava", photo: "p2.png")
        let chosen = try library.references(for: "Ava").map(\.photo)
        #expect(chosen.first == "p0.png" && !chosen.contains("p2.png"))
        try library.clearChoice("Ava", photo: "p2.png")
        #expect(try library.references(for: "Ava").map(\.photo).contains("p2.png"))

        expectLibraryError({ try library.pin("Ava", photo: "nope.png") }) { if case .photoNotInLibrary = $0 { true } else { false } }
        try sandbox.photo("other.png")
        try sandbox.write("other.png.json", #"{"people": [{"name": "Ben"}]}"#)
        try library.scan()
        expectLibraryError({ try library.pin("Ava", photo: "other.png") }) { if case .personNotInPhoto = $0 { true } else { false } }
    }

    @Test func anEditedCopyNeverJoinsItsOriginal() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("IMG_1.png", seed: 1)
        try sandbox.photo("IMG_1-edited.png", seed: 2)
        try sandbox.photo("IMG_2.png", seed: 3)
        try sandbox.write("IMG_1.png.supplemental-metadata.json", #"{"people": [{"name": "Ava"}]}"#)
        try sandbox.write("IMG_2.png.json", #"{"people": [{"name": "Ava"}]}"#)
        let library = try sandbox.connect()
        try library.scan()
        #expect(try library.person("Ava").photoCount == 3)
        let refs = try library.references(for: "Ava").map(\.photo)
        #expect(refs.count == 2 && refs.contains("IMG_2.png"), "\(refs)")
        #expect(TakeoutSidecar.originalPath(of: "a/IMG_1-edited.png") == "a/IMG_1.png")
    }

    @Test func embeddingsAreCachedByEncoderPhotoAndBox() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png")
        try sandbox.write("a.png.json", #"{"people": [{"name": "Ava"}]}"#)
        let library = try sandbox.connect()
        try library.scan()
        let ref = try #require(try library.references(for: "Ava").first)
        #expect(try library.cachedEmbedding(encoderSHA256: "w1", photoSHA256: ref.photoSHA256, box: ref.box) == nil)
        try library.storeEmbedding([0.5, -1, 3.25], encoderSHA256: "w1", photoSHA256: ref.photoSHA256, box: ref.box)
        #expect(try library.cachedEmbedding(encoderSHA256: "w1", photoSHA256: ref.photoSHA256, box: ref.box) == [0.5, -1, 3.25])
        #expect(try library.cachedEmbedding(encoderSHA256: "w2", photoSHA256: ref.photoSHA256, box: ref.box) == nil)
        let crop = try library.image(of: ref, purpose: "generate")
        #expect(crop.width == 64 && crop.height == 48)
        #expect(library.audit.entries().last?.purpose == "generate" && library.audit.entries().last?.photos == ["a.png"])
    }
}

@Suite struct ForgetTests {
    /// A tampered index whose thumbnail row names `../…` cannot make `forget` delete a file outside the
    /// thumbnail folder.
    @Test func forgetDeletesNothingOutsideTheThumbnailFolderWhateverTheIndexSays() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png", seed: 1)
        try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava"}]"#]))
        let library = try sandbox.connect()
        try library.scan()
        let ref = try #require(try library.references(for: "Ava").first)
        let victim = sandbox.root.appendingPathComponent("victim.txt")
        try Data("keep me".utf8).write(to: victim)
        let thumbs = sandbox.data.folder(for: library.location) + "/thumbnails"
        let traversal = String(repeating: "../", count: thumbs.split(separator: "/").count) + String(victim.path.dropFirst())
        try library.index.queue.write { db in
            try db.execute(sql: "UPDATE thumbnail SET file = ? WHERE photoSHA256 = ?", arguments: [traversal, ref.photoSHA256])
        }
        _ = try library.forget("Ava")
        #expect(FileManager.default.fileExists(atPath: victim.path))
    }

    @Test func forgetDeletesOnePersonsDerivedDataAndStaysForgotten() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png", seed: 1)
        try sandbox.photo("b.png", seed: 2)
        try sandbox.write("labels.json", labelsJSON([
            "a.png": #"[{"name": "Zephyrine", "box": {"x": 0, "y": 0, "w": 0.5, "h": 0.5}}, {"name": "Ben", "box": {"x": 0.5, "y": 0.5, "w": 0.5, "h": 0.5}}]"#,
            "b.png": #"[{"name": "Zephyrine"}]"#,
        ]))
        let library = try sandbox.connect()
        try library.scan()
        try library.relate("Zephyrine", as: .partner)
        try library.pin("Zephyrine", photo: "b.png")
        let refs = try library.references(for: "Zephyrine")
        #expect(refs.count == 2)
        for r in refs { try library.storeEmbedding([1, 2], encoderSHA256: "enc", photoSHA256: r.photoSHA256, box: r.box) }
        let benRef = try #require(try library.references(for: "Ben").first)
        try library.storeEmbedding([3, 4], encoderSHA256: "enc", photoSHA256: benRef.photoSHA256, box: benRef.box)
        let thumbs = sandbox.data.folder(for: library.location) + "/thumbnails"
        #expect(try FileManager.default.contentsOfDirectory(atPath: thumbs).count == 3)

        let report = try library.forget("Zephyrine")
        #expect(report.appearances == 2 && report.embeddings == 2 && report.thumbnails == 2)
        #expect(try library.people().map(\.name) == ["Ben"])
        for r in refs {
            #expect(try library.cachedEmbedding(encoderSHA256: "enc", photoSHA256: r.photoSHA256, box: r.box) == nil)
            #expect(r.thumbnail.map { !FileManager.default.fileExists(atPath: $0) } == true)
        }
        #expect(try library.cachedEmbedding(encoderSHA256: "enc", photoSHA256: benRef.photoSHA256, box: benRef.box) == [3, 4])
        #expect(try FileManager.default.contentsOfDirectory(atPath: thumbs).count == 1)
        // Not even the name survives in the index file.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: sandbox.data.folder(for: library.location) + "/index.sqlite"))
        #expect(bytes.range(of: Data("Zephyrine".utf8)) == nil)
        // A later scan does not bring them back, even when the labels change.
        try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Zephyrine"}, {"name": "Ben"}]"#, "b.png": #"[{"name": "Zephyrine"}]"#]))
        try library.scan()
        #expect(try library.people().map(\.name) == ["Ben"])
        expectLibraryError({ _ = try library.forget("Zephyrine") }) { if case .unknownPerson = $0 { true } else { false } }
    }

    /// Forgetting takes the person's name, and the photos that showed them, out of the audit log; every
    /// entry stays, with its count. Before, "choose references for Zephyrine" and her photos stayed there.
    @Test func forgetTakesThePersonOutOfTheAuditLog() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("together.png", seed: 1)
        try sandbox.photo("zephyrine-alone.png", seed: 2)
        try sandbox.photo("ben-alone.png", seed: 3)
        try sandbox.write("labels.json", labelsJSON([
            "together.png": #"[{"name": "Zephyrine", "box": {"x": 0, "y": 0, "w": 0.5, "h": 0.5}}, {"name": "Ben", "box": {"x": 0.5, "y": 0.5, "w": 0.5, "h": 0.5}}]"#,
            "zephyrine-alone.png": #"[{"name": "Zephyrine"}]"#, "ben-alone.png": #"[{"name": "Ben"}]"#,
        ]))
        let library = try sandbox.connect()
        try library.scan()
        _ = try library.resolve(prompt: "Zephyrine and Ben at the beach")
        let before = library.audit.entries()
        let log = try String(contentsOfFile: library.audit.path, encoding: .utf8)
        #expect(log.contains("Zephyrine") && log.contains("zephyrine-alone.png") && log.contains("together.png"))

        try library.forget("Zephyrine")
        let after = library.audit.entries()
        let text = try String(contentsOfFile: library.audit.path, encoding: .utf8)
        #expect(!text.contains("Zephyrine") && !text.contains("zephyrine-alone.png") && !text.contains("together.png"), "\(text)")
        #expect(after.count == before.count && after.map(\.photoCount) == before.map(\.photoCount))
        #expect(after.contains { $0.purpose == "choose references for Ben" && $0.photos == ["ben-alone.png"] })
        #expect(after.contains { $0.purpose == "choose references for a forgotten person" })
        let mode = try FileManager.default.attributesOfItem(atPath: library.audit.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    /// The key that keeps a forgotten person out of later scans is an HMAC under the index's own random
    /// salt: not the plain SHA-256 of the name (which a list of likely names finds again), and another
    /// library's key for the same name differs. A plain key left by an older index is replaced by the
    /// salted one at the next scan that meets the name, and still keeps them out.
    @Test func forgottenKeysAreSaltedPerIndex() throws {
        func forgottenKeys(_ library: PhotoLibrary) throws -> [String] {
            try library.index.queue.read { try String.fetchAll($0, sql: "SELECT key FROM forgotten ORDER BY key") }
        }
        let plain = { (name: String) in SHA256.hex(Data("person\u{0}\(name)\u{0}".utf8)) }
        var keys: [String] = []
        var libraries: [PhotoLibrary] = []
        var sandboxes: [Sandbox] = []
        for _ in 0..<2 {
            let sandbox = try Sandbox()
            try sandbox.photo("a.png", seed: 1)
            try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava"}, {"name": "Ben"}]"#]))
            let library = try sandbox.connect()
            try library.scan()
            try library.forget("Ava")
            keys += try forgottenKeys(library)
            libraries.append(library)
            sandboxes.append(sandbox)
        }
        #expect(keys.count == 2 && keys[0] != keys[1] && !keys.contains(plain("ava")))

        // An older index's plain key for Ben: the next scan keeps Ben out and salts the key.
        let library = libraries[0]
        try library.index.queue.write { db in
            try db.execute(sql: "DELETE FROM person WHERE name = 'Ben'")
            try db.execute(sql: "INSERT INTO forgotten (key) VALUES (?)", arguments: [plain("ben")])
            try db.execute(sql: "UPDATE photo SET metadataStamp = 'stale'")
        }
        try sandboxes[0].write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava"}, {"name": "Ben"}, {"name": "Cy"}]"#]))
        try library.scan()
        #expect(try library.people().map(\.name) == ["Cy"])
        let now = try forgottenKeys(library)
        #expect(now.count == 2 && !now.contains(plain("ben")) && !now.contains(plain("ava")))
    }

    /// An index is a file anything may have edited: a value of the wrong type in any column is a
    /// `LibraryError.index` naming the column, not a trap inside GRDB's row subscript.
    @Test func aTamperedIndexIsAnErrorNotACrash() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png", seed: 1)
        try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava", "box": {"x": 0, "y": 0, "w": 0.5, "h": 0.5}}]"#]))
        let library = try sandbox.connect()
        try library.scan()
        try library.index.queue.write { try $0.execute(sql: "UPDATE appearance SET x = 'not a number'") }
        expectLibraryError({ _ = try library.references(for: "Ava") }) { "\($0)".contains("column x") }
        expectLibraryError({ _ = try library.forget("Ava") }) { "\($0)".contains("column x") }
        try library.index.queue.write { try $0.execute(sql: "UPDATE person SET name = x'ff00'") }
        expectLibraryError({ _ = try library.people() }) { "\($0)".contains("column name") }
    }
}
