import CBLAS
import Dispatch
import Foundation

/// The one pool our kernels run on, and the rule that keeps it and OpenBLAS from oversubscribing cores.
///
/// Our kernels split work into chunks run by Dispatch's concurrent pool, bounded to `threadCount`
/// workers. OpenBLAS runs `threadCount` threads of its own, but only when it is called from outside a
/// parallel region; inside one, every worker calls BLAS single-threaded (`parallelFor` drops OpenBLAS to
/// one thread for the region's duration). So at any time at most `threadCount` threads compute.
public enum ThreadPool {
    /// Worker count: `CAVENDISH_THREADS` when set, else the active processor count.
    public static let threadCount: Int = {
        if let s = ProcessInfo.processInfo.environment["CAVENDISH_THREADS"], let n = Int(s), n > 0 { return n }
        return ProcessInfo.processInfo.activeProcessorCount
    }()

    /// Run OpenBLAS single-threaded always and split large GEMMs across our own workers instead
    /// (`CAVENDISH_BLAS_SPLIT=1`), so that OpenBLAS's idle worker threads never spin against ours.
    public static let splitsGEMMs: Bool = ProcessInfo.processInfo.environment["CAVENDISH_BLAS_SPLIT"] == "1"

    private static let configured: Void = {
        openblas_set_num_threads(splitsGEMMs ? 1 : Int32(threadCount))
        // Kernel outputs are large and short-lived. By default glibc maps each allocation over 32 MiB
        // afresh and unmaps it on free, so every call pays page faults and kernel zeroing for its output
        // (most of a softmax's time here). Keeping such blocks in the heap lets them be reused.
        cav_keep_large_allocations()
    }()
    private static let regionLock = NSLock()
    nonisolated(unsafe) private static var depth = 0

    /// Applies the thread settings; call before the first BLAS call (every kernel entry does).
    public static func configure() { _ = configured }

    /// The OpenBLAS core kernel in use (e.g. `Haswell`, `SkylakeX`, `Zen`).
    public static var blasCoreName: String {
        configure()
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
    }

    /// Runs `body(i)` for `i in 0..<count`, split into contiguous chunks over the workers.
    /// Bodies may call BLAS: it is single-threaded for the duration.
    public static func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Int) -> Void) {
        parallelRanges(count, minimumChunk: minimumChunk) { range in for i in range { body(i) } }
    }

    /// Runs `body` over contiguous sub-ranges covering `0..<count`, one or a few per worker.
    public static func parallelRanges(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        configure()
        guard count > 0 else { return }
        let maxChunks = (count + max(minimumChunk, 1) - 1) / max(minimumChunk, 1)
        let chunks = min(threadCount, maxChunks)
        if chunks <= 1 {
            body(0..<count)
            return
        }
        enterRegion()
        defer { leaveRegion() }
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let lo = count * c / chunks, hi = count * (c + 1) / chunks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body` with OpenBLAS on one thread (as inside a parallel region).
    public static func withSingleThreadedBLAS(_ body: () -> Void) {
        enterRegion()
        defer { leaveRegion() }
        body()
    }

    /// True inside a parallel region (the calling thread is one of our workers, or waits for them).
    public static var inParallelRegion: Bool {
        regionLock.lock(); defer { regionLock.unlock() }
        return depth > 0
    }

    private static func enterRegion() {
        regionLock.lock()
        depth += 1
        if depth == 1 && !splitsGEMMs { openblas_set_num_threads(1) }
        regionLock.unlock()
    }

    private static func leaveRegion() {
        regionLock.lock()
        depth -= 1
        if depth == 0 && !splitsGEMMs { openblas_set_num_threads(Int32(threadCount)) }
        regionLock.unlock()
    }
}
