@testable import CavendishLibrary
import Foundation
import Testing

@Suite struct ScanTests {
    private func makeLibrary(_ sandbox: Sandbox) throws {
        try sandbox.photo("takeout/IMG_1.jpg.png", seed: 1)  // odd names are fine; the extension decides
        try sandbox.photo("takeout/IMG_2.png", seed: 2)
        try sandbox.photo("takeout/IMG_2-edited.png", seed: 3)
        try sandbox.write("takeout/IMG_2.png.supplemental-metadata.json",
                          #"{"people": [{"name": "Ava"}, {"name": "Ben"}], "photoTakenTime": {"timestamp": "1600000000"}}"#)
        try sandbox.write("takeout/IMG_1.jpg.png.suppl.json", #"{"people": [{"name": "Ava"}]}"#)
        try sandbox.photo("xmp/dsc.png", seed: 4)
        try sandbox.write("xmp/dsc.xmp", XMPTests.elementForm)
        try sandbox.photo("mine/cat.png", seed: 5)
        try sandbox.write("mine/labels.json", labelsJSON(["cat.png": #"[{"name": "Biscuit", "kind": "pet", "species": "cat"}]"#]))
    }

    @Test func indexesPeopleFromEveryFormat() throws {
        let sandbox = try Sandbox()
        try makeLibrary(sandbox)
        let library = try sandbox.connect()
        let report = try library.scan()
        #expect(report.photos == 5 && report.added == 5 && report.skipped.isEmpty, "\(report.skipped)")
        let people = Dictionary(uniqueKeysWithValues: try library.people().map { ($0.name, $0) })
        #expect(people.keys.sorted() == ["Ava", "Ben", "Ben Hart", "Biscuit", "Cleo"])
        #expect(people["Ava"]?.photoCount == 3)  // IMG_1, IMG_2 and IMG_2-edited (shared sidecar)
        #expect(people["Biscuit"]?.kind == .pet && people["Biscuit"]?.species == "cat")
        #expect(try library.photos(of: "Ben") == ["takeout/IMG_2-edited.png", "takeout/IMG_2.png"])
    }

    @Test func rescansOnlyWhatChanged() throws {
        let sandbox = try Sandbox()
        try makeLibrary(sandbox)
        let counter = LibraryAccessCounter()
        let library = try sandbox.connect(counter: counter)
        let first = try library.scan()
        #expect(first.added == 5 && first.filesRead >= 5)

        let opensBefore = counter.opens
        let second = try library.scan()
        #expect(second.unchanged == 5 && second.added == 0 && second.changed == 0 && second.filesRead == 0)
        #expect(counter.opens == opensBefore, "an unchanged library is not read again")

        // New content: re-read and re-indexed.
        try sandbox.photo("xmp/dsc.png", width: 80, seed: 40)
        // Same content, new time: hashed, found equal, left as it was.
        let touched = URL(fileURLWithPath: sandbox.library + "/mine/cat.png")
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -3600)], ofItemAtPath: touched.path)
        // A sidecar changed: metadata re-read, the photo not hashed again.
        try sandbox.write("takeout/IMG_1.jpg.png.suppl.json", #"{"people": [{"name": "Ava"}, {"name": "Dora"}]}"#)
        // A photo removed.
        try FileManager.default.removeItem(atPath: sandbox.library + "/takeout/IMG_2-edited.png")
        // A photo added, which cannot be decoded.
        try sandbox.write("new/broken.png", "\u{89}PNG but not really")

        let third = try library.scan()
        #expect(third.changed == 1, "dsc.png")
        #expect(third.added == 1, "broken.png is indexed as skipped")
        #expect(third.metadataUpdated == 1, "IMG_1's sidecar")
        #expect(third.unchanged == 2, "cat.png (touched) and IMG_2.png")
        #expect(third.removed == 1)
        #expect(third.skipped.map(\.path) == ["new/broken.png"])
        let people = Dictionary(uniqueKeysWithValues: try library.people().map { ($0.name, $0) })
        #expect(people["Dora"]?.photoCount == 1)
        #expect(people["Ava"]?.photoCount == 2)
        #expect(people["Ben"]?.photoCount == 1)
        #expect(try !library.indexedPhotos().contains("takeout/IMG_2-edited.png"))
        #expect(try library.indexedPhotos().contains("new/broken.png"))

        // Everything indexed, nothing changed: no reads.
        let fourth = try library.scan()
        #expect(fourth.filesRead == 0 && fourth.unchanged == 5 && fourth.skipped.map(\.path) == ["new/broken.png"])
    }

    @Test func aBadMetadataFileIsReportedNotFatal() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png")
        try sandbox.write("a.png.json", "{ not json")
        try sandbox.photo("b.png")
        try sandbox.write("labels.json", #"{"photos": {"b.png": [{"kind": "pet"}]}}"#)
        let library = try sandbox.connect()
        let report = try library.scan()
        #expect(report.photos == 2)
        #expect(Set(report.skipped.map(\.path)) == ["a.png.json", "labels.json"])
        #expect(report.skipped.first { $0.path == "labels.json" }?.reason.contains("\"name\"") == true)
    }

    @Test func takeoutNamesJoinAPetOfTheSameName() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("1.png")
        try sandbox.write("1.png.json", #"{"people": [{"name": "Rex"}]}"#)
        try sandbox.photo("2.png")
        try sandbox.write("labels.json", labelsJSON(["2.png": #"[{"name": "Rex", "kind": "pet", "species": "dog"}]"#]))
        let library = try sandbox.connect()
        try library.scan()
        let people = try library.people()
        #expect(people.count == 1 && people[0].kind == .pet && people[0].photoCount == 2)
    }
}
