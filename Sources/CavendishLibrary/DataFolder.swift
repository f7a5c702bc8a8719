import CavendishIO
import Foundation

/// The user's Cavendish data folder: consent records, library indexes, thumbnails and the audit log.
///
/// It is `$CAVENDISH_DATA_HOME` when set (tests and sandboxes), else `$XDG_DATA_HOME/cavendish`, else
/// `~/.local/share/cavendish`. Nothing of Cavendish's is ever written inside a photo library.
public struct CavendishDataFolder: Sendable, Equatable {
    /// The folder's absolute path.
    public let path: String

    /// A data folder at an explicit path.
    public init(path: String) {
        self.path = (path as NSString).standardizingPath
    }

    /// The data folder the environment names (see the type's documentation).
    public static func resolve(environment: [String: String] = ProcessInfo.processInfo.environment) -> CavendishDataFolder {
        if let own = environment["CAVENDISH_DATA_HOME"], !own.isEmpty { return CavendishDataFolder(path: own) }
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") {
            return CavendishDataFolder(path: (xdg as NSString).appendingPathComponent("cavendish"))
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return CavendishDataFolder(path: (home as NSString).appendingPathComponent(".local/share/cavendish"))
    }

    /// Where everything derived from `library` lives: its consent record, index and thumbnails.
    public func folder(for library: LibraryLocation) -> String {
        (path as NSString).appendingPathComponent("libraries/\(library.id)")
    }

    /// The folder holding one folder per connected library.
    public var librariesFolder: String { (path as NSString).appendingPathComponent("libraries") }

    /// The append-only audit log (JSON lines).
    public var auditLogPath: String { (path as NSString).appendingPathComponent("audit.jsonl") }

    /// Creates `folder` (and parents) readable by the user only.
    func createFolder(_ folder: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw LibraryError.dataFolder(path: folder, problem: error.localizedDescription)
        }
    }
}

/// A photo library's identity: its canonical absolute path and the key of its folder in the data folder.
public struct LibraryLocation: Hashable, Sendable, CustomStringConvertible {
    /// The canonical absolute path (symbolic links resolved where the folder exists).
    public let path: String
    /// The first 32 hex digits of the SHA-256 of `path`: the name of its folder in the data folder.
    public let id: String

    /// The location of the library at `path` (relative paths are taken from the current directory).
    ///
    /// Only the library's own folder is resolved (as `realpath` does); nothing under it is opened.
    public init(path: String) {
        self.init(canonical: Self.resolve(Self.absolute(path)))
    }

    /// The location `path` named before its last component became a link: the folder above resolved,
    /// the last component kept as written. `disconnect` needs it once a library folder has been swapped
    /// for a link, which moves the resolved path (and so the data folder's key) somewhere else.
    public init(unresolvedLastComponent path: String) {
        // Split before standardizing: Foundation's standardizingPath resolves links, the last one too.
        var trimmed = path
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        let name = (trimmed as NSString).lastPathComponent
        guard !name.isEmpty, name != "/", name != ".", name != ".." else { self.init(path: path); return }
        let parent = (trimmed as NSString).deletingLastPathComponent
        self.init(canonical: (Self.resolve(Self.absolute(parent.isEmpty ? "." : parent)) as NSString).appendingPathComponent(name))
    }

    private init(canonical: String) {
        self.path = canonical
        self.id = String(SHA256.hex(Data(canonical.utf8)).prefix(32))
    }

    private static func absolute(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(path)
        return (absolute as NSString).standardizingPath
    }

    private static func resolve(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The path.
    public var description: String { path }
}
