import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writing through a temporary file beside the destination, published by rename.
///
/// A reader never sees a half-written file: either the old file (or none) or the complete new one. The
/// temporary lives in the destination's folder because rename is only atomic within one file system.
/// Every generated file goes through here (PNG, HDF5, safetensors, traces): Foundation's
/// `replaceItemAt` fails on Linux and left the old file under a hidden temporary name.
public enum AtomicFile {
    /// A fresh temporary path next to `path` that no other writer will pick.
    static func temporaryPath(for path: String) -> String {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let name = ".\(url.lastPathComponent).\(UUID().uuidString.prefix(8)).tmp"
        return (folder as NSString).appendingPathComponent(name)
    }

    /// Throws when `path` exists and the caller did not ask to replace it, or its folder is missing.
    static func checkDestination(_ path: String, overwrite: Bool) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            if isDirectory.boolValue { throw IOError(path: path, "is a folder, not a file") }
            if !overwrite { throw IOError(path: path, "already exists; pass overwrite: true to replace it") }
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) || !isDirectory.boolValue {
            throw IOError(path: path, "folder \(folder) does not exist")
        }
    }

    /// Moves the finished `temporary` to `path`; without `overwrite` an existing file is never replaced.
    ///
    /// Without overwrite this links first (link fails atomically when the name is taken, unlike a
    /// check-then-rename), and falls back to rename only on file systems without hard links.
    static func publish(_ temporary: String, to path: String, overwrite: Bool) throws {
        defer { unlink(temporary) }
        if !overwrite {
            if link(temporary, path) == 0 { return }
            let code = errno
            if code == EEXIST {
                throw IOError(path: path, "already exists; pass overwrite: true to replace it")
            }
            if FileManager.default.fileExists(atPath: path) {
                throw IOError(path: path, "already exists; pass overwrite: true to replace it")
            }
        }
        if rename(temporary, path) != 0 {
            throw IOError(path: path, "cannot move the finished temporary file into place: \(String(cString: strerror(errno)))")
        }
    }

    /// Writes `data` to `path` through a temporary file; an existing file is replaced only with `overwrite`.
    /// `permissions` (for example 0o600 for private records) are set on the temporary before it is published.
    public static func write(_ data: Data, to path: String, overwrite: Bool, permissions: mode_t? = nil) throws {
        try checkDestination(path, overwrite: overwrite)
        let temporary = temporaryPath(for: path)
        do {
            try data.write(to: URL(fileURLWithPath: temporary))
            if let permissions, chmod(temporary, permissions) != 0 {
                throw IOError(path: temporary, "cannot set permissions: \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw IOError(path: path, "cannot write: \(error.localizedDescription)")
        }
        try publish(temporary, to: path, overwrite: overwrite)
    }
}
