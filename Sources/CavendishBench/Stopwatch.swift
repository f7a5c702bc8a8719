import Foundation

/// The monotonic clock benchmarks time with (`InterleavedRounds` takes the rounds).
public enum Stopwatch {
    /// Seconds since an arbitrary origin, monotonic.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
