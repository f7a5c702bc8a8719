@testable import CavendishLibrary
import Foundation
import Testing

@Suite struct ConsentTests {
    @Test func withoutConsentNothingUnderTheLibraryIsTouched() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png")
        try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava"}]"#]))
        let counter = LibraryAccessCounter()
        let error = expectLibraryError({ _ = try PhotoLibrary(path: sandbox.library, dataFolder: sandbox.data, counter: counter) }) {
            if case .notConnected = $0 { return true } else { return false }
        }
        #expect(counter.total == 0, "opens \(counter.opens), listings \(counter.listings), stats \(counter.stats)")
        let message = try #require(error?.description)
        #expect(message.contains("cavendish library connect") && message.contains("--consent") && message.contains("no file under it was opened"))
        expectLibraryError({ _ = try LibraryReader(library: LibraryLocation(path: sandbox.library), consent: ConsentRegistry(dataFolder: sandbox.data), counter: counter) })
        #expect(counter.total == 0)
        #expect(sandbox.derivedFiles().isEmpty, "nothing may be written before consent: \(sandbox.derivedFiles())")
    }

    @Test func consentLivesInTheDataFolderNeverInTheLibrary() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png")
        let before = try Sandbox.snapshot(sandbox.library)
        let registry = ConsentRegistry(dataFolder: sandbox.data)
        let location = LibraryLocation(path: sandbox.library)
        let record = try registry.connect(location, method: "flag")
        #expect(record.library == location.path)
        #expect(registry.isConnected(location))
        #expect(registry.connectedLibraries().map(\.library) == [location.path])
        let after = try Sandbox.snapshot(sandbox.library)
        #expect(Set(before.keys) == Set(after.keys))
        #expect(sandbox.derivedFiles() == ["libraries/\(location.id)/consent.json"])
        // A relative or dotted spelling of the same folder is the same library.
        #expect(LibraryLocation(path: sandbox.library + "/./").id == location.id)
    }

    /// A folder inside the library that is swapped for a link to a folder elsewhere after the scan is
    /// not followed: the outside photo is never read (the link is in the middle of the path, where
    /// `O_NOFOLLOW` on the last component alone did not guard).
    @Test func aFolderReplacedByALinkToOutsideIsNotFollowed() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("Trip/a.png", seed: 1)
        let outside = sandbox.root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let secret = Data("outside the library".utf8)
        try secret.write(to: outside.appendingPathComponent("a.png"))
        let location = LibraryLocation(path: sandbox.library)
        let registry = ConsentRegistry(dataFolder: sandbox.data)
        _ = try registry.connect(location, method: "flag")
        let reader = try LibraryReader(library: location, consent: registry)
        #expect(try reader.read("Trip/a.png") != secret)
        try FileManager.default.removeItem(atPath: sandbox.library + "/Trip")
        try FileManager.default.createSymbolicLink(atPath: sandbox.library + "/Trip", withDestinationPath: outside.path)
        expectLibraryError({ _ = try reader.read("Trip/a.png") })
        expectLibraryError({ _ = try reader.file(at: "Trip/a.png") })
    }

    /// A library folder replaced by a link after it was connected is still disconnected by its path: the
    /// derived data kept under the path itself is deleted (before, the link's target was looked up, found
    /// not connected, and the index and thumbnails stayed).
    @Test func disconnectByAPathThatHasBecomeALink() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png", seed: 1)
        try sandbox.write("labels.json", labelsJSON(["a.png": #"[{"name": "Ava"}]"#]))
        let library = try sandbox.connect()
        try library.scan()
        let folder = sandbox.data.folder(for: library.location)
        #expect(FileManager.default.fileExists(atPath: folder + "/index.sqlite"))
        let elsewhere = sandbox.root.appendingPathComponent("elsewhere").path
        try FileManager.default.moveItem(atPath: sandbox.library, toPath: elsewhere)
        try FileManager.default.createSymbolicLink(atPath: sandbox.library, withDestinationPath: elsewhere)

        let (location, report) = try ConsentRegistry(dataFolder: sandbox.data).disconnect(path: sandbox.library)
        #expect(location == library.location && report.wasConnected && report.deletedFiles >= 2)
        #expect(!FileManager.default.fileExists(atPath: folder))
        // A path that never became a link disconnects as before.
        let (plain, again) = try ConsentRegistry(dataFolder: sandbox.data).disconnect(path: elsewhere)
        #expect(plain.path == LibraryLocation(path: elsewhere).path && !again.wasConnected)
    }

    /// A photo whose bytes are not the ones the scan indexed (edited, or swapped for a file from outside
    /// the library) is refused before it is decoded and used as a reference.
    @Test func aPhotoChangedSinceTheScanIsNotUsed() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("Trip/a.png", seed: 1)
        try sandbox.write("labels.json", labelsJSON(["Trip/a.png": #"[{"name": "Ava", "box": {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.6}}]"#]))
        let library = try sandbox.connect()
        try library.scan()
        let ref = try #require(try library.references(for: "Ava").first)
        _ = try library.image(of: ref, purpose: "generate")
        try sandbox.photo("Trip/a.png", seed: 7)
        expectLibraryError({ _ = try library.image(of: ref, purpose: "generate") }) { "\($0)".contains("changed since the last scan") }
    }

    @Test func connectRefusesSomethingThatIsNotAFolder() throws {
        let sandbox = try Sandbox()
        expectLibraryError({ try ConsentRegistry(dataFolder: sandbox.data).connect(LibraryLocation(path: sandbox.library + "/missing"), method: "flag") }) {
            if case .notAFolder = $0 { return true } else { return false }
        }
    }

    @Test func disconnectDeletesEverythingDerived() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("ava.png", seed: 1)
        try sandbox.photo("ben.png", seed: 2)
        try sandbox.write("labels.json", labelsJSON([
            "ava.png": #"[{"name": "Ava", "box": {"x": 0.1, "y": 0.1, "w": 0.5, "h": 0.6}}]"#, "ben.png": #"[{"name": "Ben"}]"#,
        ]))
        let library = try sandbox.connect()
        try library.scan()
        let refs = try library.references(for: "Ava")
        #expect(refs.count == 1 && refs[0].thumbnail != nil)
        try library.storeEmbedding([1, 2, 3], encoderSHA256: "e", photoSHA256: refs[0].photoSHA256, box: refs[0].box)
        let folder = sandbox.data.folder(for: library.location)
        #expect(FileManager.default.fileExists(atPath: folder + "/index.sqlite"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/thumbnails").count == 1)

        let report = try ConsentRegistry(dataFolder: sandbox.data).disconnect(library.location)
        #expect(report.wasConnected && report.deletedFiles >= 3)
        #expect(!FileManager.default.fileExists(atPath: folder))
        #expect(sandbox.derivedFiles().allSatisfy { $0 == "audit.jsonl" }, "left behind: \(sandbox.derivedFiles())")
        // And the library is closed again.
        let counter = LibraryAccessCounter()
        expectLibraryError({ _ = try PhotoLibrary(path: sandbox.library, dataFolder: sandbox.data, counter: counter) })
        #expect(counter.total == 0)
    }

    @Test func dataFolderFollowsTheEnvironment() {
        #expect(CavendishDataFolder.resolve(environment: ["CAVENDISH_DATA_HOME": "/tmp/c", "XDG_DATA_HOME": "/x"]).path == "/tmp/c")
        #expect(CavendishDataFolder.resolve(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path == "/x/cavendish")
        #expect(CavendishDataFolder.resolve(environment: ["XDG_DATA_HOME": "relative", "HOME": "/h"]).path == "/h/.local/share/cavendish")
        #expect(CavendishDataFolder.resolve(environment: ["HOME": "/h"]).path == "/h/.local/share/cavendish")
    }
}

@Suite struct ReadOnlyTests {
    @Test func scanningAndChoosingLeaveTheLibraryByteAndTimeIdentical() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("2023/ava.png", seed: 1)
        try sandbox.photo("2023/group.png", seed: 2)
        try sandbox.write("2023/ava.png.json", #"{"people": [{"name": "Ava"}], "photoTakenTime": {"timestamp": "1700000000"}}"#)
        try sandbox.write("2023/group.png.xmp", XMPTests.attributeForm)
        try sandbox.write("orient-6.jpg", try LibraryFixture.data("orientation/orient-6.jpg"))
        try sandbox.write("quadrants.heic", try LibraryFixture.data("quadrants.heic"))
        try sandbox.write("labels.json", labelsJSON(["orient-6.jpg": #"[{"name": "Ava", "box": {"x": 0, "y": 0, "w": 0.5, "h": 0.5}}]"#]))
        try sandbox.write("broken.jpg", "not really a jpeg")
        // A read-only copy: every file and folder without write permission.
        let chmod = try Process.run(URL(fileURLWithPath: "/bin/chmod"), arguments: ["-R", "a-w", sandbox.library])
        chmod.waitUntilExit()
        let before = try Sandbox.snapshot(sandbox.library)

        let counter = LibraryAccessCounter()
        let library = try sandbox.connect(counter: counter)
        let report = try library.scan()
        #expect(report.photos == 5)
        #expect(report.skipped.contains { $0.path == "broken.jpg" })
        for person in try library.people() { _ = try library.references(for: person) }
        _ = try library.resolve(prompt: "@Ava at the beach")
        #expect(counter.opens > 0)

        let after = try Sandbox.snapshot(sandbox.library)
        #expect(before.keys.sorted() == after.keys.sorted())
        for (path, (bytes, time)) in before {
            #expect(after[path]?.0 == bytes, "\(path) changed")
            #expect(after[path]?.1 == time, "\(path) modification time changed")
        }
        #expect(!FileManager.default.fileExists(atPath: sandbox.library + "/.cavendish"))
    }
}
