import CHDF5
import Foundation

/// The one gate every HDF5 call in this module goes through.
///
/// The HDF5 library keeps global state (open-id tables, the error stack, the metadata cache) and is
/// not safe to call from several threads at once unless built thread-safe, which we cannot rely on;
/// so all calls are serialized behind one process-wide lock.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `H5open` exactly once (Swift initializes a static `let` exactly once, thread-safely).
    private static let opened: Bool = {
        H5open() >= 0
    }()

    /// Runs `body` holding the HDF5 lock, with the library opened and automatic error printing off.
    ///
    /// Error printing is switched off on every entry because thread-safe builds keep that setting per
    /// thread, and callers may come from any thread; our errors are reported by throwing instead.
    static func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        _ = opened
        cav_h5_silence_errors()
        return try body()
    }

    /// The innermost messages of HDF5's error stack, most specific first, then clears the stack.
    ///
    /// HDF5's own explanation ("truncated file: eof = ...", "file signature not found") is the most
    /// useful thing we can tell a user about a corrupt file, so it is appended to our messages.
    static func takeErrorStack() -> String {
        final class Collected { var lines: [String] = [] }
        let collected = Collected()
        let stack = H5Eget_current_stack()
        if stack >= 0 {
            withExtendedLifetime(collected) {
                let context = Unmanaged.passUnretained(collected).toOpaque()
                H5Ewalk2(stack, H5E_WALK_UPWARD, { _, error, context in
                    guard let error, let context else { return 0 }
                    let box = Unmanaged<Collected>.fromOpaque(context).takeUnretainedValue()
                    if let desc = error.pointee.desc {
                        let text = String(cString: desc).trimmingCharacters(in: .whitespaces)
                        if !text.isEmpty && box.lines.last != text { box.lines.append(text) }
                    }
                    return 0
                }, context)
            }
            H5Eclose_stack(stack)
        }
        H5Eclear2(cav_h5e_default())
        return collected.lines.prefix(3).joined(separator: "; ")
    }

    /// An `IOError` about `path` with HDF5's explanation appended when it has one.
    static func error(_ path: String, _ problem: String) -> IOError {
        let detail = takeErrorStack()
        return IOError(path: path, detail.isEmpty ? problem : "\(problem) (HDF5: \(detail))")
    }
}
