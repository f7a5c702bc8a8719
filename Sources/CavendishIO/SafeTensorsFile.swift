import CavendishCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file mapped into memory, whose tensors are views of the mapping (no copy).
///
/// The header is validated completely when the file is opened, so `tensor(_:)` never reads outside the
/// file. The mapping stays alive as long as this object or any tensor taken from it does. The mapping
/// is private copy-on-write: writing into a returned tensor changes only this process's copy, never the
/// file. As with any memory map, another process truncating the file while it is mapped is not
/// something a reader can defend against.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The file, as the caller named it.
    public let path: String
    /// Free-form string pairs from the header's `__metadata__` (empty when absent).
    public let metadata: [String: String]
    /// Every tensor in the file by name.
    public let entries: [String: SafeTensorsEntry]
    private let mapping: MemoryMappedFile
    private let dataStart: Int

    /// Maps and validates a safetensors file.
    public init(readingFrom path: String) throws {
        self.path = path
        mapping = try MemoryMappedFile(path: path)
        let header = try SafeTensorsHeader(
            bytes: UnsafeRawBufferPointer(start: mapping.base, count: mapping.size),
            fileSize: mapping.size, path: path)
        metadata = header.metadata
        entries = header.entries
        dataStart = 8 + header.headerBytes
    }

    /// Tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The tensor called `name`, viewing the mapped file.
    ///
    /// A tensor whose bytes are not aligned to its element size (legal in the format, but rare) is
    /// copied instead, because typed loads from misaligned addresses are undefined behaviour.
    public func tensor(_ name: String) throws -> Tensor {
        guard let entry = entries[name] else {
            throw IOError(path: path, "has no tensor '\(name)'")
        }
        let start = mapping.base + dataStart + entry.byteRange.lowerBound
        let byteCount = entry.byteRange.count
        let strides = Shape.contiguousStrides(entry.shape)
        if Int(bitPattern: start) % entry.dtype.byteSize == 0 {
            let storage = TensorStorage(borrowing: start, byteCount: byteCount, owner: mapping)
            return Tensor(storage: storage, dtype: entry.dtype, shape: entry.shape, strides: strides)
        }
        let copy = Tensor(zeros: entry.shape, dtype: entry.dtype)
        copy.rawPointer.copyMemory(from: start, byteCount: byteCount)
        return copy
    }
}

/// A whole file mapped read-write private, unmapped when the last reference goes.
final class MemoryMappedFile: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            let reason = errno == ENOENT ? "no such file" : "cannot be opened: \(String(cString: strerror(errno)))"
            throw IOError(path: path, reason)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw IOError(path: path, "cannot be examined: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw IOError(path: path, "is not a regular file") }
        size = Int(info.st_size)
        guard size >= 8 else {
            throw IOError(path: path, "is \(size) bytes, too short for a safetensors file (the header length alone is 8 bytes)")
        }
        // Private and writable: in-place kernels touching a weight get a private page, not a crash.
        // NORESERVE keeps a large model from being charged in full against the commit limit.
        let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw IOError(path: path, "cannot be memory-mapped: \(String(cString: strerror(errno)))")
        }
        base = mapped
    }

    deinit { munmap(base, size) }
}
