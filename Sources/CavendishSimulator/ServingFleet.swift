import Foundation

/// A discrete-event model of a serving fleet: requests arrive, pass admission control (a global rate
/// limit, per-user rate limits, a queue limit), wait in one FIFO queue, and are served in batches by
/// identical replicas (one chip each), whose service time per batch size comes from the simulator.
///
/// Batching is dynamic: an idle replica takes up to `maxBatch` waiting requests once `maxBatch` are
/// waiting or the oldest has waited `batchTimeout`. A request's latency runs from its arrival to the
/// end of its batch's service. Everything is deterministic for a given arrival list.
public struct ServingFleet: Sendable {
    /// Seconds to serve a batch of b requests is `serviceSeconds[b - 1]`.
    public var serviceSeconds: [Double]
    /// Replicas (chips).
    public var chips: Int
    /// Largest batch a replica takes.
    public var maxBatch: Int { serviceSeconds.count }
    /// How long the oldest waiting request may wait for a batch to fill.
    public var batchTimeout: Double
    /// Requests allowed to wait; a request that finds the queue full is shed.
    public var queueLimit: Int?
    /// Admission rate over all users (a token bucket holding one second's worth, at least 1).
    public var rateLimit: Double?
    /// Admission rate per user (a token bucket of one second's worth per user, at least 1).
    public var perUserRateLimit: Double?

    /// One request: when it arrives and whose it is.
    public struct Request: Sendable {
        /// Arrival, seconds from the start.
        public var time: Double
        /// The user (for per-user limits).
        public var user: Int
        /// A request.
        public init(time: Double, user: Int) { (self.time, self.user) = (time, user) }
    }

    /// What a run of the fleet measured.
    public struct Result: Codable, Sendable {
        /// Requests that arrived, were served, were refused by a rate limit, were shed by the queue limit.
        public var arrived: Int, completed: Int, rateLimited: Int, shed: Int
        /// Served requests per second over the run (first arrival to last completion).
        public var throughputQps: Double
        /// Latency of served requests, seconds.
        public var latencyMeanS: Double, latencyP50S: Double, latencyP99S: Double, latencyMaxS: Double
        /// Refused or shed over arrived.
        public var rejectedFraction: Double
        /// Replica busy time over (replicas x run length).
        public var chipUtilization: Double
        /// Mean batch size served.
        public var meanBatch: Double

        enum CodingKeys: String, CodingKey {
            case arrived, completed, shed, rateLimited = "rate_limited", throughputQps = "throughput_qps", latencyMeanS = "latency_mean_s"
            case latencyP50S = "latency_p50_s", latencyP99S = "latency_p99_s", latencyMaxS = "latency_max_s"
            case rejectedFraction = "rejected_fraction", chipUtilization = "chip_utilization", meanBatch = "mean_batch"
        }
    }

    /// A fleet.
    public init(serviceSeconds: [Double], chips: Int, batchTimeout: Double = 0, queueLimit: Int? = nil, rateLimit: Double? = nil,
                perUserRateLimit: Double? = nil) throws {
        guard !serviceSeconds.isEmpty, serviceSeconds.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw SimulatorError("service times must be positive, one per batch size")
        }
        guard chips >= 1 else { throw SimulatorError("a fleet needs at least one chip") }
        guard batchTimeout >= 0, batchTimeout.isFinite else { throw SimulatorError("the batch timeout must be 0 or more seconds") }
        if let q = queueLimit, q < 1 { throw SimulatorError("the queue limit must be at least 1") }
        for limit in [rateLimit, perUserRateLimit].compactMap({ $0 }) where !(limit > 0 && limit.isFinite) {
            throw SimulatorError("rate limits must be positive requests per second")
        }
        (self.serviceSeconds, self.chips, self.batchTimeout, self.queueLimit) = (serviceSeconds, chips, batchTimeout, queueLimit)
        (self.rateLimit, self.perUserRateLimit) = (rateLimit, perUserRateLimit)
    }

    /// A token bucket: `rate` tokens a second, holding at most `capacity`.
    struct TokenBucket {
        var rate: Double, capacity: Double, tokens: Double, last: Double
        init(rate: Double) { (self.rate, capacity, tokens, last) = (rate, max(1, rate), max(1, rate), 0) }
        mutating func take(at t: Double) -> Bool {
            tokens = min(capacity, tokens + (t - last) * rate)
            last = t
            guard tokens >= 1 else { return false }
            tokens -= 1
            return true
        }
    }

    /// Serves `requests` (sorted by time here).
    public func run(_ requests: [Request]) -> Result {
        let arrivals = requests.sorted { $0.time < $1.time }
        var global = rateLimit.map { TokenBucket(rate: $0) }
        var perUser: [Int: TokenBucket] = [:]
        var queue: [Double] = []   // arrival times, FIFO
        var head = 0               // index of the oldest waiting request in `queue`
        var free = [Double](repeating: arrivals.first?.time ?? 0, count: chips)
        var latencies: [Double] = []
        var (rateLimited, shed, batches, busy) = (0, 0, 0, 0.0)
        var lastEnd = arrivals.first?.time ?? 0
        var i = 0
        var now = arrivals.first?.time ?? 0
        while i < arrivals.count || head < queue.count {
            let waiting = queue.count - head
            let chip = free.indices.min { free[$0] < free[$1] }!   // the replica that frees first
            var dispatchAt = Double.infinity
            if waiting > 0 {
                // A full batch is ready when its last member arrived; a partial one at the oldest's timeout,
                // or at once when no more requests will come.
                let ready = waiting >= maxBatch ? queue[head + maxBatch - 1]
                    : (i >= arrivals.count ? now : queue[head] + batchTimeout)
                dispatchAt = max(free[chip], ready, now)
            }
            if i < arrivals.count && arrivals[i].time <= dispatchAt {
                let r = arrivals[i]
                i += 1
                now = max(now, r.time)
                if var g = global {
                    let ok = g.take(at: r.time)
                    global = g
                    if !ok { rateLimited += 1; continue }
                }
                if let limit = perUserRateLimit {
                    var bucket = perUser[r.user] ?? TokenBucket(rate: limit)
                    let ok = bucket.take(at: r.time)
                    perUser[r.user] = bucket
                    if !ok { rateLimited += 1; continue }
                }
                if let q = queueLimit, queue.count - head >= q { shed += 1; continue }
                queue.append(r.time)
                continue
            }
            let size = min(waiting, maxBatch)
            let end = dispatchAt + serviceSeconds[size - 1]
            for k in head..<(head + size) { latencies.append(end - queue[k]) }
            head += size
            if head > 4096 && head * 2 > queue.count { queue.removeFirst(head); head = 0 }
            free[chip] = end
            busy += serviceSeconds[size - 1]
            batches += 1
            lastEnd = max(lastEnd, end)
            now = dispatchAt
        }
        let start = arrivals.first?.time ?? 0
        let span = max(lastEnd - start, 1e-12)
        let sorted = latencies.sorted()
        func quantile(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            // The nearest-rank quantile: the smallest latency with at least q of them at or below it.
            return sorted[min(sorted.count - 1, max(0, Int((q * Double(sorted.count)).rounded(.up)) - 1))]
        }
        return Result(arrived: arrivals.count, completed: latencies.count, rateLimited: rateLimited, shed: shed,
                      throughputQps: Double(latencies.count) / span,
                      latencyMeanS: sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count),
                      latencyP50S: quantile(0.5), latencyP99S: quantile(0.99), latencyMaxS: sorted.last ?? 0,
                      rejectedFraction: arrivals.isEmpty ? 0 : Double(rateLimited + shed) / Double(arrivals.count),
                      chipUtilization: busy / (Double(chips) * span), meanBatch: batches > 0 ? Double(latencies.count) / Double(batches) : 0)
    }
}

/// Arrival processes for `ServingFleet`, reproducible from a seed.
public enum ArrivalProcess: Sendable {
    /// Poisson arrivals at `rate` per second.
    case poisson(rate: Double)
    /// Poisson arrivals at `rate`, multiplied by `factor` from `start` for `length` seconds (a demand spike).
    case burst(rate: Double, factor: Double, start: Double, length: Double)

    /// Requests over `duration` seconds, each from one of `users` users drawn uniformly.
    public func requests(duration: Double, users: Int, seed: UInt64) -> [ServingFleet.Request] {
        var rng = SplitMix64(seed: seed)
        var out: [ServingFleet.Request] = []
        var t = 0.0
        // Thinning (Lewis and Shedler): candidates at the peak rate, each kept with rate(t) / peak.
        let (peak, rate): (Double, (Double) -> Double)
        switch self {
        case .poisson(let r): (peak, rate) = (r, { _ in r })
        case .burst(let r, let f, let s, let l): (peak, rate) = (r * max(f, 1), { $0 >= s && $0 < s + l ? r * f : r })
        }
        guard peak > 0 else { return [] }
        while true {
            t += -log(1 - rng.nextUnit()) / peak
            if t >= duration { break }
            if rng.nextUnit() * peak < rate(t) { out.append(.init(time: t, user: Int(rng.next() % UInt64(max(users, 1))))) }
        }
        return out
    }
}

/// SplitMix64: a small, seedable generator, so that arrival lists reproduce on every platform.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
