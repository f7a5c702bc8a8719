@testable import CavendishLibrary
import Foundation
import Testing

private func person(_ id: Int64, _ name: String, _ kind: SubjectKind = .person, relation: Relation? = nil, species: String? = nil,
                    tag: String = "", handle: String? = nil, photos: Int = 3) -> PersonSummary {
    PersonSummary(id: id, name: name, kind: kind, tag: tag, species: species, relation: relation, photoCount: photos, handle: handle ?? name)
}

private let family = [
    person(1, "Ava", relation: .me),
    person(2, "Ben", relation: .partner),
    person(3, "Cleo", relation: .child),
    person(4, "Dan", relation: .child),
    person(5, "Gran", relation: .family),
    person(6, "Biscuit", .pet, relation: .pet, species: "dog"),
    person(7, "Mochi", .pet, relation: .pet, species: "cat"),
    person(8, "Sam", tag: "", handle: "Sam#1"),
    person(9, "Sam", relation: .friend, tag: "cousin", handle: "Sam#2"),
    person(10, "Eve Stone", relation: .friend),
]

@Suite struct ResolverTests {
    let resolver = PromptResolver(people: family)

    @Test func meAndMyFamily() throws {
        let r = try resolver.resolve("a claymation scene of me and my family at the beach")
        #expect(r.subjects.map(\.person.name) == ["Ava", "Ben", "Cleo", "Dan", "Gran"])
        #expect(r.subjects.map(\.placeholder) == ["<p1>", "<p2>", "<p3>", "<p4>", "<p5>"])
        #expect(r.text == "a claymation scene of <p1> and <p2>, <p3>, <p4> and <p5> at the beach")
        #expect(r.subjects[0].mentions == ["me", "my family"])
    }

    @Test func relationsPetsAndNames() throws {
        let r = try resolver.resolve("My wife and Biscuit walking my dog? No: @Eve_Stone, my cat and me.")
        #expect(r.subjects.map(\.person.name) == ["Ben", "Biscuit", "Eve Stone", "Mochi", "Ava"])
        #expect(r.text == "<p1> and <p2> walking <p2> the dog? No: <p3>, <p4> the cat and <p5>.")
        let kids = try resolver.resolve("my kids building a sandcastle")
        #expect(kids.text == "<p1> and <p2> building a sandcastle")
        #expect(try resolver.resolve("Eve Stone and Gran").subjects.map(\.person.id) == [10, 5])
        #expect(try resolver.resolve("nothing personal here").subjects.isEmpty)
        #expect(try resolver.resolve("a postcard to bob@example.com").subjects.isEmpty, "an e-mail address is no mention")
        #expect(try resolver.resolve("@me on a bike").text == "<p1> on a bike")
    }

    @Test func duplicateNamesNeedANumberOrARelation() throws {
        let error = expectLibraryError({ _ = try resolver.resolve("Sam at the zoo") }) {
            if case .ambiguousPerson(let name, let candidates) = $0 { return name == "Sam" && candidates.count == 2 } else { return false }
        }
        let message = try #require(error?.description)
        #expect(message.contains("@Sam#1") && message.contains("@Sam#2") && message.contains("tag cousin") && message.contains("relation"))
        #expect(try resolver.resolve("@Sam#2 at the zoo").subjects.map(\.person.id) == [9])
        #expect(try resolver.resolve("Sam#1 at the zoo").subjects.map(\.person.id) == [8])
    }

    @Test func moreThanFiveSubjectsIsAnError() throws {
        let error = expectLibraryError({ _ = try resolver.resolve("me, my family and my dog") }) {
            if case .tooManySubjects(let count, _) = $0 { return count == 6 } else { return false }
        }
        let message = try #require(error?.description)
        #expect(message.contains("at most 5") && message.contains("five characters"))
    }

    @Test func unknownNamesGetSuggestions() throws {
        let error = expectLibraryError({ _ = try resolver.resolve("@Avva on a horse") }) {
            if case .unknownPerson(let name, let suggestions) = $0 { return name == "Avva" && suggestions.first == "Ava" } else { return false }
        }
        #expect(error?.description.contains("did you mean @Ava") == true)
        expectLibraryError({ _ = try resolver.resolve("@Biscit") }) {
            if case .unknownPerson(_, let s) = $0 { return s == ["Biscuit"] } else { return false }
        }
        expectLibraryError({ _ = try resolver.resolve("@Zzzzzzzz") }) {
            if case .unknownPerson(_, let s) = $0 { return s.isEmpty } else { return false }
        }
    }

    @Test func missingRelationsSayHowToSetThem() throws {
        let bare = PromptResolver(people: [person(1, "Ava"), person(2, "Rex", .pet), person(3, "Tom", .pet)])
        expectLibraryError({ _ = try bare.resolve("me at work") }) { $0.description.contains("set-me") }
        expectLibraryError({ _ = try bare.resolve("my husband") }) { $0.description.contains("--as partner") }
        expectLibraryError({ _ = try bare.resolve("my family") }) { $0.description.contains("--as family") }
        expectLibraryError({ _ = try bare.resolve("my dog") }) { $0.description.contains("--species dog") }
        expectLibraryError({ _ = try bare.resolve("my pet") }) { if case .ambiguousRelation = $0 { true } else { false } }
        #expect(try bare.resolve("my pets").subjects.count == 2)
        let onePet = PromptResolver(people: [person(2, "Rex", .pet)])
        #expect(try onePet.resolve("my dog on the sofa").text == "<p1> the dog on the sofa")
    }

    @Test func plainNamesMatchWholeWordsExactly() throws {
        let r = PromptResolver(people: [person(1, "Will"), person(2, "Max", .pet)])
        #expect(try r.resolve("we will go to the maximum").subjects.isEmpty)
        #expect(try r.resolve("Will and Max's ball").text == "<p1> and <p2>'s ball")
        #expect(try r.resolve("@Max's ball").subjects.map(\.person.id) == [2])
    }
}

@Suite struct LibraryResolveTests {
    @Test func resolvesThroughTheIndexAndAudits() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("a.png", seed: 1)
        try sandbox.photo("b.png", seed: 2)
        try sandbox.photo("c.png", seed: 3)
        try sandbox.write("labels.json", labelsJSON([
            "a.png": #"[{"name": "Ava"}]"#, "b.png": #"[{"name": "Ben"}]"#,
            "c.png": #"[{"name": "Rex", "kind": "pet", "species": "dog", "box": {"x": 0.2, "y": 0.2, "w": 0.5, "h": 0.5}}]"#,
        ]))
        let library = try sandbox.connect()
        try library.scan()
        try library.setMe("Ava")
        try library.relate("ben", as: .partner)
        expectLibraryError({ try library.setMe("Avaa") }) { if case .unknownPerson = $0 { true } else { false } }
        let r = try library.resolve(prompt: "me with my partner and my dog")
        #expect(r.text == "<p1> with <p2> and <p3> the dog")
        #expect(r.subjects.map { $0.references.map(\.photo) } == [["a.png"], ["b.png"], ["c.png"]])
        #expect(r.subjects[2].references[0].box == NormalizedBox(x: 0.2, y: 0.2, width: 0.5, height: 0.5))

        let entries = library.audit.entries()
        #expect(entries.last?.purpose == "resolve" && entries.last?.photos == ["a.png", "b.png", "c.png"])
        #expect(entries.contains { $0.purpose == "scan" && $0.photoCount == 3 })
        #expect(entries.allSatisfy { $0.library == library.location.path })
        try library.audit.clear()
        #expect(library.audit.entries().isEmpty)
    }

    /// Listings show the name as the metadata wrote it, then the handle a prompt can use.
    @Test func summaryShowsTheNameAsWrittenThenTheHandle() {
        let eve = person(10, "Eve Stone", relation: .friend)
        #expect(eve.summary == "Eve Stone (person, friend, 3 photos; in a prompt: @Eve_Stone)")
        #expect(person(9, "Sam", tag: "cousin", handle: "Sam#2").summary.hasPrefix("Sam (person, tag cousin"))
    }
}
