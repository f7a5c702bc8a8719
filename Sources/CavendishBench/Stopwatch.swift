import Foundation

/// Wall-clock timing for benchmarks: warm up, then take the median of repeated runs.
public enum Stopwatch {
    /// Seconds since an arbitrary origin, monotonic.
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    /// Median seconds of one call to `body`, after `warmup` untimed calls; runs at least `minRuns` times
    /// and until about `budget` seconds have passed.
    public static func median(warmup: Int = 2, minRuns: Int = 5, budget: Double = 0.5, _ body: () throws -> Void) rethrows -> Double {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        let start = now()
        while times.count < minRuns || (now() - start < budget && times.count < 200) {
            let t0 = now()
            try body()
            times.append(now() - t0)
        }
        times.sort()
        return times[times.count / 2]
    }
}
