import CavendishCore

/// What went wrong with a photo library, in words that tell the user what to do next.
///
/// `description` is meant to be printed as is by the command line.
public enum LibraryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The library has no recorded consent; nothing under it was opened.
    case notConnected(library: String)
    /// The path given as a library is missing or not a folder.
    case notAFolder(path: String)
    /// The user answered no (or nothing) to the consent question.
    case consentDeclined(library: String)
    /// Consent cannot be asked: standard input is not a terminal and `--consent` was not given.
    case consentNeedsTerminal(library: String)
    /// No library is named and the number of connected libraries is not exactly one.
    case libraryNotChosen(connected: [String])
    /// A name that no indexed person or pet has; `suggestions` are the closest names by edit distance.
    case unknownPerson(name: String, suggestions: [String])
    /// Several indexed people share `name`; `candidates` are their handles (`Name#N`) with a description.
    case ambiguousPerson(name: String, candidates: [String])
    /// A prompt names more subjects than the model keeps consistent.
    case tooManySubjects(count: Int, names: [String])
    /// A relation phrase ("my partner", "my dog") that nobody in the index has.
    case noSuchRelation(phrase: String, fix: String)
    /// A relation phrase in the singular ("my dog") that several people or pets have.
    case ambiguousRelation(phrase: String, candidates: [String])
    /// A `labels.json` that is not in the documented form.
    case invalidLabels(path: String, problem: String)
    /// A photo argument that is not a file of the library's index.
    case photoNotInLibrary(photo: String, library: String)
    /// A pin or exclude for a photo that does not show the person.
    case personNotInPhoto(person: String, photo: String)
    /// A relation word that is not one of the known relations.
    case unknownRelation(String)
    /// A file of the library could not be read (it is skipped).
    case unreadableFile(path: String, problem: String)
    /// The index in the data folder could not be read or written.
    case index(String)
    /// The data folder could not be used.
    case dataFolder(path: String, problem: String)

    /// The message for the user.
    public var description: String {
        switch self {
        case .notConnected(let library):
            return "\(library) is not connected: Cavendish reads a photo library only after you agree to it, and no file under it was opened. "
                + "Run `cavendish library connect \(library)` (add --consent in scripts) to connect it."
        case .notAFolder(let path):
            return "\(path) is not a folder; a photo library is a folder of photos (JPEG, PNG, HEIC) and their metadata."
        case .consentDeclined(let library):
            return "\(library) was not connected because you did not agree; nothing was recorded and nothing was read."
        case .consentNeedsTerminal(let library):
            return "connecting \(library) needs your agreement: run it on a terminal to answer the question, or pass --consent to agree in a script."
        case .libraryNotChosen(let connected):
            if connected.isEmpty {
                return "no photo library is connected; run `cavendish library connect PATH` first."
            }
            return "several photo libraries are connected (\(connected.joined(separator: ", "))); choose one with --library PATH."
        case .unknownPerson(let name, let suggestions):
            let hint = suggestions.isEmpty
                ? "run `cavendish library people` to list the indexed names (and `cavendish library scan` after adding labels)."
                : "did you mean \(suggestions.map { "@\($0)" }.joined(separator: " or "))? (`cavendish library people` lists every name.)"
            return "nobody called \"\(name)\" is in the library's index; \(hint)"
        case .ambiguousPerson(let name, let candidates):
            return "\"\(name)\" names \(candidates.count) people in the library: \(candidates.joined(separator: "; ")). "
                + "Write @\(name.replacingOccurrences(of: " ", with: "_"))#N for the one you mean, or use a relation (`my partner`, `my dog`) "
                + "after `cavendish library relate \(name)#N --as RELATION`."
        case .tooManySubjects(let count, let names):
            return "the prompt names \(count) subjects (\(names.joined(separator: ", "))), but at most \(Placeholder.limit) can be used: "
                + "Nano Banana 2 keeps up to five characters consistent in one image. Name fewer people or pets."
        case .noSuchRelation(let phrase, let fix):
            return "the prompt says \"\(phrase)\" but nobody in the library matches it; \(fix)"
        case .ambiguousRelation(let phrase, let candidates):
            return "\"\(phrase)\" could be any of \(candidates.joined(separator: ", ")); name the one you mean (for example @\(candidates.first ?? "Name"))."
        case .invalidLabels(let path, let problem):
            return "\(path): \(problem) (the README's \"Photo library\" section documents labels.json)"
        case .photoNotInLibrary(let photo, let library):
            return "\(photo) is not an indexed photo of \(library); give its path relative to the library (as `cavendish library people` prints it) and run `cavendish library scan` if it is new."
        case .personNotInPhoto(let person, let photo):
            return "\(photo) does not show \(person) according to the library's metadata; label the photo (labels.json, XMP or Takeout) and scan again."
        case .unknownRelation(let word):
            return "\"\(word)\" is not a relation; use one of: \(Relation.allCases.map(\.rawValue).joined(separator: ", "))."
        case .unreadableFile(let path, let problem):
            return "\(path) cannot be read (\(problem)); it is skipped. Check its permissions, or move it out of the library."
        case .index(let problem):
            return "the library index could not be used: \(problem). `cavendish library disconnect` and `connect` rebuild it from scratch."
        case .dataFolder(let path, let problem):
            return "the Cavendish data folder \(path) cannot be used: \(problem). Set CAVENDISH_DATA_HOME or XDG_DATA_HOME to a writable folder."
        }
    }
}
