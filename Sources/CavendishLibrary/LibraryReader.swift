import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Counts every file-system operation made under photo libraries: folder listings, stats and opens.
///
/// All access to a library goes through `LibraryReader`, which reports here, so a test can prove that a
/// refused command touched nothing (every count stays zero).
public final class LibraryAccessCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var _opens = 0, _listings = 0, _stats = 0

    /// A counter at zero.
    public init() {}

    /// Files opened for reading.
    public var opens: Int { lock.withLock { _opens } }
    /// Folders listed.
    public var listings: Int { lock.withLock { _listings } }
    /// Entries whose size and time were read.
    public var stats: Int { lock.withLock { _stats } }
    /// All operations together.
    public var total: Int { lock.withLock { _opens + _listings + _stats } }

    func countOpen() { lock.withLock { _opens += 1 } }
    func countListing() { lock.withLock { _listings += 1 } }
    func countStat() { lock.withLock { _stats += 1 } }
}

/// One regular file of a library, as a listing found it.
public struct LibraryFile: Hashable, Sendable {
    /// The path relative to the library's folder, with `/` separators.
    public let path: String
    /// Size in bytes.
    public let size: Int64
    /// Modification time in nanoseconds since 1970.
    public let modified: Int64

    /// Creates a file entry.
    public init(path: String, size: Int64, modified: Int64) {
        self.path = path
        self.size = size
        self.modified = modified
    }
}

/// The only way Cavendish touches a photo library: read-only, and only after consent.
///
/// Creating a reader checks the consent record in the data folder first and throws
/// `LibraryError.notConnected` without touching the library when there is none. Files are opened
/// read-only one path component at a time (`openat` with `O_NOFOLLOW` from the library folder down),
/// so a folder inside the library that has become a symbolic link is refused, not followed out of the
/// library; nothing is ever created, written, renamed or deleted under the library.
/// Hidden entries (names starting with `.`) and symbolic links are skipped, so a link cannot lead the
/// reader out of the library.
public struct LibraryReader: Sendable {
    /// The library read.
    public let library: LibraryLocation
    /// Where this reader's operations are counted.
    public let counter: LibraryAccessCounter
    /// The largest file the reader loads (a guard against reading a huge video by mistake).
    public static let maximumFileSize: Int64 = 512 << 20

    /// A reader for `library`; throws `LibraryError.notConnected` (having touched nothing) without consent.
    public init(library: LibraryLocation, consent: ConsentRegistry, counter: LibraryAccessCounter = LibraryAccessCounter()) throws {
        guard consent.isConnected(library) else { throw LibraryError.notConnected(library: library.path) }
        self.library = library
        self.counter = counter
    }

    /// Every regular, non-hidden file under the library, sorted by path.
    public func listFiles() throws -> [LibraryFile] {
        var out: [LibraryFile] = []
        try walk(relative: "", into: &out)
        return out.sorted { $0.path < $1.path }
    }

    private func walk(relative: String, into out: inout [LibraryFile]) throws {
        let folder = relative.isEmpty ? library.path : library.path + "/" + relative
        counter.countListing()
        guard let dir = opendir(folder) else {
            if relative.isEmpty { throw LibraryError.notAFolder(path: library.path) }
            return  // an unreadable sub-folder is skipped, like an unreadable file
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { ptr in
                ptr.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        for name in names.sorted() {
            let rel = relative.isEmpty ? name : relative + "/" + name
            counter.countStat()
            var st = stat()
            guard lstat(library.path + "/" + rel, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: try walk(relative: rel, into: &out)
            case S_IFREG: out.append(LibraryFile(path: rel, size: Int64(st.st_size), modified: Self.modificationTime(st)))
            default: continue  // links, devices, sockets
            }
        }
    }

    /// Size and modification time of one file (relative path), or nil when it is not a regular file.
    public func file(at relativePath: String) throws -> LibraryFile? {
        let (parent, name) = try openParent(relativePath)
        defer { close(parent) }
        counter.countStat()
        var st = stat()
        guard fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0, st.st_mode & S_IFMT == S_IFREG else { return nil }
        return LibraryFile(path: relativePath, size: Int64(st.st_size), modified: Self.modificationTime(st))
    }

    /// The folder holding `relativePath`, opened from the library folder down one component at a time
    /// without following a link anywhere, and the file's own name in it. The caller closes the descriptor.
    func openParent(_ relativePath: String) throws -> (Int32, String) {
        _ = try absolutePath(relativePath)   // refuses absolute paths, "..", "." and empty ones
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var fd = open(library.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw LibraryError.unreadableFile(path: relativePath, problem: "library folder: \(String(cString: strerror(errno)))") }
        for part in parts.dropLast() {
            let next = openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            close(fd)
            guard next >= 0 else {
                let why = code == ELOOP || code == ENOTDIR ? "\(part) is not a folder of the library (a link or a file)" : String(cString: strerror(code))
                throw LibraryError.unreadableFile(path: relativePath, problem: why)
            }
            fd = next
        }
        return (fd, parts[parts.count - 1])
    }

    /// The whole content of one file (relative path), read-only.
    public func read(_ relativePath: String) throws -> Data {
        let (parent, name) = try openParent(relativePath)
        counter.countOpen()
        let fd = openat(parent, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        let code = errno
        close(parent)
        guard fd >= 0 else { throw LibraryError.unreadableFile(path: relativePath, problem: String(cString: strerror(code))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            throw LibraryError.unreadableFile(path: relativePath, problem: "not a regular file")
        }
        guard Int64(st.st_size) <= Self.maximumFileSize else {
            throw LibraryError.unreadableFile(path: relativePath, problem: "larger than \(Self.maximumFileSize >> 20) MiB")
        }
        var data = Data(count: Int(st.st_size))
        var filled = 0
        let ok = data.withUnsafeMutableBytes { buffer -> Bool in
            while filled < buffer.count {
                let n = systemRead(fd, buffer.baseAddress! + filled, buffer.count - filled)
                if n < 0 { if errno == EINTR { continue }; return false }
                if n == 0 { break }
                filled += n
            }
            return true
        }
        guard ok else { throw LibraryError.unreadableFile(path: relativePath, problem: String(cString: strerror(errno))) }
        if filled < data.count { data.removeSubrange(filled...) }
        return data
    }

    /// The absolute path of a relative one, refusing anything that would leave the library.
    public func absolutePath(_ relativePath: String) throws -> String {
        let parts = relativePath.split(separator: "/", omittingEmptySubsequences: true)
        guard !relativePath.hasPrefix("/"), !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0 == "." }) else {
            throw LibraryError.photoNotInLibrary(photo: relativePath, library: library.path)
        }
        return library.path + "/" + parts.joined(separator: "/")
    }

    static func modificationTime(_ st: stat) -> Int64 {
        #if canImport(Darwin)
        return Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        return Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
    }
}

/// POSIX `read`, named apart from `LibraryReader.read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
