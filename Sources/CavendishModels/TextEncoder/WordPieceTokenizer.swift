import Foundation

/// BERT's uncased WordPiece tokenizer, as transformers' `BertTokenizer(do_lower_case=True)` applies it
/// to all-MiniLM-L6-v2's `vocab.txt`.
///
/// Basic tokenization first: drop control characters and U+FFFD, map whitespace to spaces, put spaces
/// around CJK ideographs, lowercase, strip accents (NFD, then drop combining marks), and split off
/// punctuation (ASCII symbols and every Unicode `P*` category). Each word is then split greedily into the
/// longest vocabulary pieces (continuations prefixed `##`); a word with no split, or longer than 100
/// characters, becomes `[UNK]`.
public struct WordPieceTokenizer: Sendable {
    /// Token ids by piece.
    public let vocabulary: [String: Int32]
    /// `[CLS]`, `[SEP]`, `[PAD]` and `[UNK]` ids.
    public let cls: Int32, sep: Int32, pad: Int32, unknown: Int32

    /// Reads `vocab.txt` (one piece per line, the line number is the id).
    public init(vocabularyFile path: String) throws {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TextEncoderError("\(path): cannot read the vocabulary (run scripts/fetch-text-encoder.sh)")
        }
        var vocab: [String: Int32] = [:]
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            vocab[String(line)] = Int32(i)
        }
        guard let cls = vocab["[CLS]"], let sep = vocab["[SEP]"], let pad = vocab["[PAD]"], let unk = vocab["[UNK]"] else {
            throw TextEncoderError("\(path): not a BERT vocabulary (no [CLS]/[SEP]/[PAD]/[UNK])")
        }
        vocabulary = vocab
        (self.cls, self.sep, self.pad, self.unknown) = (cls, sep, pad, unk)
    }

    /// `[CLS] pieces [SEP]`, truncated to `maxLength` and padded with `[PAD]`; the mask is 1 on real tokens.
    public func encode(_ text: String, maxLength: Int) -> (ids: [Int32], mask: [Int32]) {
        var ids = [cls] + Array(pieces(text).prefix(max(0, maxLength - 2))) + [sep]
        let real = ids.count
        ids += [Int32](repeating: pad, count: max(0, maxLength - real))
        return (ids, (0..<ids.count).map { $0 < real ? 1 : 0 })
    }

    /// The WordPiece ids of `text`, without special tokens.
    public func pieces(_ text: String) -> [Int32] {
        basicTokens(text).flatMap(wordPieces)
    }

    func basicTokens(_ text: String) -> [String] {
        var cleaned = String.UnicodeScalarView()
        for s in text.unicodeScalars {
            if s.value == 0 || s.value == 0xFFFD || Self.isControl(s) { continue }
            if Self.isWhitespace(s) { cleaned.append(" ") }
            else if Self.isCJK(s) { cleaned.append(" "); cleaned.append(s); cleaned.append(" ") }
            else { cleaned.append(s) }
        }
        var tokens: [String] = []
        for word in String(cleaned).split(separator: " ") {
            let lowered = word.lowercased().decomposedStringWithCanonicalMapping
            var current = String.UnicodeScalarView()
            for s in lowered.unicodeScalars where s.properties.generalCategory != .nonspacingMark {
                if Self.isPunctuation(s) {
                    if !current.isEmpty { tokens.append(String(current)); current = String.UnicodeScalarView() }
                    tokens.append(String(s))
                } else {
                    current.append(s)
                }
            }
            if !current.isEmpty { tokens.append(String(current)) }
        }
        return tokens
    }

    func wordPieces(_ word: String) -> [Int32] {
        let scalars = Array(word.unicodeScalars)
        if scalars.count > 100 { return [unknown] }
        var out: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32? = nil
            while start < end {
                var piece = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { piece = "##" + piece }
                if let id = vocabulary[piece] { found = id; break }
                end -= 1
            }
            guard let id = found else { return [unknown] }
            out.append(id)
            start = end
        }
        return out
    }

    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        s == " " || s == "\t" || s == "\n" || s == "\r" || s.properties.generalCategory == .spaceSeparator
    }

    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        switch s.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }

    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) { return true }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation: return true
        default: return false
        }
    }

    static func isCJK(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v) || (0x20000...0x2A6DF).contains(v)
            || (0x2A700...0x2B73F).contains(v) || (0x2B740...0x2B81F).contains(v) || (0x2B820...0x2CEAF).contains(v)
            || (0xF900...0xFAFF).contains(v) || (0x2F800...0x2FA1F).contains(v)
    }
}

/// A text-encoder error that says which file is wrong and how to fix it.
public struct TextEncoderError: Error, CustomStringConvertible, Sendable {
    /// The message.
    public let description: String
    /// Creates an error.
    public init(_ description: String) { self.description = description }
}
