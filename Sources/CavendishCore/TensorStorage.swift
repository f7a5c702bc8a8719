import Foundation

/// A block of memory that tensors view.
///
/// Storage is either owned (allocated here, 64-byte aligned, freed on deinit) or borrowed from an owner
/// that keeps it alive, such as a memory-mapped safetensors file.
public final class TensorStorage: @unchecked Sendable {
    /// Start of the memory.
    public let pointer: UnsafeMutableRawPointer
    /// Size in bytes.
    public let byteCount: Int
    private let owner: AnyObject?
    private let ownsMemory: Bool

    /// Allocates `byteCount` bytes, zeroed unless `zeroed` is false (for outputs a kernel overwrites whole,
    /// where zeroing would be one more pass over memory).
    public init(byteCount: Int, zeroed: Bool = true) {
        let n = max(byteCount, 1)
        pointer = UnsafeMutableRawPointer.allocate(byteCount: n, alignment: 64)
        if zeroed { pointer.initializeMemory(as: UInt8.self, repeating: 0, count: n) }
        self.byteCount = byteCount
        owner = nil
        ownsMemory = true
    }

    /// Wraps memory that `owner` keeps alive (no copy).
    public init(borrowing pointer: UnsafeMutableRawPointer, byteCount: Int, owner: AnyObject) {
        self.pointer = pointer
        self.byteCount = byteCount
        self.owner = owner
        ownsMemory = false
    }

    deinit { if ownsMemory { pointer.deallocate() } }
}
