import CavendishCPU
import CavendishCore
import CavendishIO
import CavendishModels
import Foundation
import Testing

/// Token ids and hidden states must equal the training recipe's PyTorch text encoder's, recorded by
/// scripts/text_encoder_reference.py. The weights come from scripts/fetch-text-encoder.sh (the test
/// command runs it).
struct TextEncoderTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let weights = repo + "/Weights/text-encoder"
    static let fixtures = repo + "/Tests/Fixtures/text-encoder"

    struct Case: Decodable { let prompt: String; let ids: [Int32]; let mask: [Int32]; let ids_untruncated: [Int32] }
    struct Doc: Decodable { let max_tokens: Int; let cases: [Case] }
    static let doc = try! JSONDecoder().decode(Doc.self, from: Data(contentsOf: URL(fileURLWithPath: fixtures + "/tokens.json")))

    static func tokenizer() throws -> WordPieceTokenizer {
        try WordPieceTokenizer(vocabularyFile: weights + "/vocab.txt")
    }

    @Test("token ids equal the reference tokenizer's", arguments: doc.cases.indices)
    func tokenIDs(index: Int) throws {
        let c = Self.doc.cases[index]
        let t = try Self.tokenizer()
        let (ids, mask) = t.encode(c.prompt, maxLength: Self.doc.max_tokens)
        #expect(ids == c.ids, "\(c.prompt.prefix(40))")
        #expect(mask == c.mask)
        #expect(t.encode(c.prompt, maxLength: 512).ids.prefix(c.ids_untruncated.count) == c.ids_untruncated[...])
    }

    @Test func statesMatchPyTorchWithin1e4() throws {
        let reference = try HDF5File(readingFrom: Self.fixtures + "/states.h5")
        let expected = try reference.tensor(at: "states")
        let indices = try #require(try reference.attribute("prompt_indices")?.integerValuesOrSingle)
        let encoder = try MiniLMTextEncoder(directory: Self.weights, backend: CPUBackend())
        let perPrompt = expected.shape[1] * expected.shape[2]
        let all = expected.floats()
        for (row, i) in indices.enumerated() {
            let got = try encoder.encode(Self.doc.cases[Int(i)].prompt).states.floats()
            let want = Array(all[(row * perPrompt)..<((row + 1) * perPrompt)])
            let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-4, "prompt \(i): max abs difference \(worst)")
        }
    }

    @Test func missingVocabularyIsAClearError() {
        #expect(throws: TextEncoderError.self) { try WordPieceTokenizer(vocabularyFile: "/nonexistent/vocab.txt") }
    }
}

extension HDF5AttributeValue {
    /// Integer attribute values, whether stored as a list or a single integer.
    var integerValuesOrSingle: [Int64]? {
        switch self {
        case .integers(let v): return v
        case .integer(let v): return [v]
        default: return nil
        }
    }
}
