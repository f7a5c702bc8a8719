import CavendishPipeline
import Testing

/// The rules of `--reference NAME=IMG` binding, written out in PeopleBinding's documentation.
struct PeopleBindingTests {
    @Test func namesBecomePlaceholdersInOrder() throws {
        let (prompt, people) = try PeopleBinding.bind(prompt: "Alice and bob at the beach; alice waves",
                                                      references: ["alice=a.png", "Bob=b1.png,b2.png"])
        #expect(prompt == "<p1> and <p2> at the beach; <p1> waves")
        #expect(people == [1: ["a.png"], 2: ["b1.png", "b2.png"]])
    }

    @Test func placeholdersBindDirectlyAndNamesSkipThem() throws {
        let (prompt, people) = try PeopleBinding.bind(prompt: "<p1> with carol", references: ["p1=x.png", "carol=c.png"])
        #expect(prompt == "<p1> with <p2>")
        #expect(people[2] == ["c.png"])
    }

    /// A name that begins or ends with an emoji or a symbol is still a whole word of the prompt.
    @Test func namesWithEmojiAndSymbolsBind() throws {
        let (prompt, people) = try PeopleBinding.bind(prompt: "🐶Rex and Zoë! at home", references: ["🐶Rex=r.png", "Zoë!=z.png"])
        #expect(prompt == "<p1> and <p2> at home")
        #expect(people[1] == ["r.png"] && people[2] == ["z.png"])
    }

    /// The same name twice is said to be twice, not "not mentioned"; <p9> names the real range.
    @Test func repeatedNamesAndPlaceholdersOutOfRangeSayWhatIsWrong() {
        do {
            _ = try PeopleBinding.bind(prompt: "ann at the park", references: ["ann=a.png", "Ann=b.png"])
            Issue.record("a repeated name was accepted")
        } catch { #expect("\(error)".contains("twice"), "\(error)") }
        do {
            _ = try PeopleBinding.bind(prompt: "<p9> smiles", references: [])
            Issue.record("<p9> was accepted")
        } catch { #expect("\(error)".contains("<p1> to <p5>") && !"\(error)".contains("p9="), "\(error)") }
    }

    @Test func wholeWordsOnly() {
        #expect(throws: PeopleBinding.Failure.self) { try PeopleBinding.bind(prompt: "we will go", references: ["wil=w.png"]) }
    }

    @Test func errorsSayWhatIsWrong() {
        #expect(throws: PeopleBinding.Failure.self) { try PeopleBinding.bind(prompt: "a dog", references: ["dave=d.png"]) }
        #expect(throws: PeopleBinding.Failure.self) { try PeopleBinding.bind(prompt: "<p2> smiles", references: []) }
        #expect(throws: PeopleBinding.Failure.self) { try PeopleBinding.bind(prompt: "ann", references: ["ann=1.png,2.png,3.png,4.png,5.png"]) }
        #expect(throws: PeopleBinding.Failure.self) { try PeopleBinding.bind(prompt: "ann", references: ["ann"]) }
        let six = ["a", "b", "c", "d", "e", "f"]
        do {
            _ = try PeopleBinding.bind(prompt: six.joined(separator: " and "), references: six.map { "\($0)=\($0).png" })
            Issue.record("six people must be refused")
        } catch let failure as PeopleBinding.Failure {
            #expect(failure.description.contains("5"))
        } catch { Issue.record("\(error)") }
    }

    /// Named people take the free placeholders in the order the references are given (the command line's
    /// order, which the layout follows left to right), and the binding says which name each one came from.
    @Test func namedReferencesBindInTheOrderGiven() throws {
        let b = try PeopleBinding.bind(prompt: "al and zoe with <p3>", named: [("zoe", ["z.png"]), ("al", ["a.png"]), ("p3", ["c.png"])])
        #expect(b.prompt == "<p2> and <p1> with <p3>")
        #expect(b.people == [1: ["z.png"], 2: ["a.png"], 3: ["c.png"]])
        #expect(b.names == [1: "zoe", 2: "al", 3: ""])
    }
}
