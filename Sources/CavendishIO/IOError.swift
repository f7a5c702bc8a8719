/// A file could not be read or written: the message names the file and what is wrong with it.
///
/// Every reader in this module reports bad input with this one type, so a caller (the conformance
/// runner, the command line) can print `description` as is and the user knows which file to fix.
public struct IOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file the problem is about, as the caller named it.
    public let path: String
    /// What is wrong, in words a user can act on.
    public let problem: String

    /// Creates an error about `path`.
    public init(path: String, _ problem: String) {
        self.path = path
        self.problem = problem
    }

    /// "path: problem", the form compilers use, so editors and terminals can link to the file.
    public var description: String { "\(path): \(problem)" }
}
