import ArgumentParser
import CavendishSimulator
import Foundation

extension SimulateCommand {
    /// `cavendish simulate serve`: a serving fleet under a demand spike, with service times from the simulator.
    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A serving fleet (batching, admission control, rate limits) under a load, with service times from the simulator.",
            discussion: """
            Each chip is one replica. The service time of a batch of b requests is the simulated latency of MODEL's pipeline \
            at --batch b on one chip (`simulate model` with the same settings), for b = 1 ... --max-batch. Requests arrive \
            (--arrivals poisson at --rate; burst: --rate with a spike of --spike-factor times it from --spike-start for \
            --spike-length seconds; trace FILE: one arrival time in seconds per line, optionally `,user`), pass a global \
            --rate-limit and a per-user --user-rate-limit (token buckets of one second's worth), are shed when --queue-limit \
            requests already wait, and are batched: an idle chip takes up to --max-batch once that many wait or the oldest \
            has waited --batch-timeout. Arrivals are seeded (--seed), so a run reproduces.

            --sweep-rates R1,R2,... runs every rate and prints the latency-throughput curve (--plot FILE.svg draws it). \
            --find-chips finds the fewest chips whose p99 stays within --p99-bound; --find-rate-limit finds the largest \
            global rate limit that keeps it on --chips (for when they do not hold the load).

              cavendish simulate serve nb-mini-v2 --chips 2 --rate 400 --duration 60
              cavendish simulate serve nb-mini-v1 --rate 100 --arrivals burst --find-chips
              cavendish simulate serve sdxl-unet --chips 4 --max-batch 4 --sweep-rates 0.5,1
            """
        )
        @Argument(help: "Model name (as for `simulate model`).") var name: String
        @Option(help: "Chip preset or JSON file.") var hw: String = "v5e"
        @Option(help: "Replicas, one chip each.") var chips: Int = 1
        @Option(help: "Normal arrival rate, requests per second.") var rate: Double = 1
        @Option(help: "poisson, burst, or trace FILE.") var arrivals: String = "poisson"
        @Option(help: "burst: the spike's rate over the normal one.") var spikeFactor: Double = 10
        @Option(help: "burst: when the spike starts, seconds (default: a third of the way in).") var spikeStart: Double?
        @Option(help: "burst: how long the spike lasts, seconds (default: a third of the duration).") var spikeLength: Double?
        @Option(help: "Seconds of arrivals.") var duration: Double = 600
        @Option(help: "Largest batch a chip serves.") var maxBatch: Int = 1
        @Option(help: "Seconds the oldest request waits for a batch to fill.") var batchTimeout: Double = 0
        @Option(help: "Requests allowed to wait; more are shed.") var queueLimit: Int?
        @Option(help: "Global admission limit, requests per second.") var rateLimit: Double?
        @Option(help: "Per-user admission limit, requests per second.") var userRateLimit: Double?
        @Option(help: "Users the requests come from (uniformly).") var users: Int = 1000
        @Option(help: "Arrival seed.") var seed: UInt64 = 1
        @Option(help: "Denoising steps (default: the model's, as for `simulate model`).") var steps: Int?
        @Flag(help: "Classifier-free guidance (SDXL, SD 1.5).") var guidance = false
        @Option(help: "flash or dot.") var attention: String = "flash"
        @Option(help: "bf16, f32 or int8.") var dtype: String = "bf16"
        @Option(help: "Comma-separated rates to sweep.") var sweepRates: String?
        @Flag(help: "Find the fewest chips (up to 4096) that keep the p99 within --p99-bound.") var findChips = false
        @Flag(help: "Find the largest --rate-limit that keeps the p99 within --p99-bound on --chips.") var findRateLimit = false
        @Option(help: "The p99 latency bound, seconds (MLPerf's SDXL server bound is 20).") var p99Bound: Double = 20
        @Option(help: "Write the latency-throughput curve of --sweep-rates as SVG here.") var plot: String?
        @Flag(help: "Replace an existing --plot file.") var force = false
        @Flag(help: "Print JSON.") var json = false

        /// Simulated service seconds for batches of 1 ... maxBatch.
        func serviceSeconds() throws -> [Double] {
            try (1...maxBatch).map { b in
                var args = [name, "--hw", hw, "--batch", "\(b)", "--attention", attention, "--dtype", dtype]
                if let steps { args += ["--steps", "\(steps)"] }
                if guidance { args.append("--guidance") }
                return try Model.parse(args).costed().report.latencySeconds
            }
        }

        func requests(rate: Double) throws -> [ServingFleet.Request] {
            if arrivals.hasPrefix("trace") {
                let path = arrivals.dropFirst("trace".count).trimmingCharacters(in: .whitespaces)
                guard !path.isEmpty else { throw CommandError("--arrivals trace needs a file: --arrivals 'trace FILE'") }
                guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw CommandError("cannot read the trace file \(path)") }
                // Users are numbered in order of first appearance: any label works, and runs reproduce.
                var userIndex: [String: Int] = [:]
                return try text.split(whereSeparator: \.isNewline).enumerated().compactMap { n, line in
                    let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                    if fields.first.map({ $0.isEmpty || $0.hasPrefix("#") }) ?? true { return nil }
                    guard let t = Double(fields[0]), t >= 0, t.isFinite else {
                        throw CommandError("\(path):\(n + 1): expected an arrival time in seconds, got '\(fields[0])'")
                    }
                    let label = fields.count > 1 ? fields[1] : ""
                    let user = userIndex[label] ?? userIndex.count
                    userIndex[label] = user
                    return ServingFleet.Request(time: t, user: user)
                }
            }
            let process: ArrivalProcess
            switch arrivals {
            case "poisson": process = .poisson(rate: rate)
            case "burst": process = .burst(rate: rate, factor: spikeFactor, start: spikeStart ?? duration / 3, length: spikeLength ?? duration / 3)
            default: throw CommandError("--arrivals must be poisson, burst or 'trace FILE'")
            }
            return process.requests(duration: duration, users: users, seed: seed)
        }

        func fleet(_ service: [Double], chips: Int, rateLimit: Double?) throws -> ServingFleet {
            do {
                return try ServingFleet(serviceSeconds: service, chips: chips, batchTimeout: batchTimeout, queueLimit: queueLimit,
                                        rateLimit: rateLimit, perUserRateLimit: userRateLimit)
            } catch { throw CommandError("\(error)") }
        }

        func run() throws {
            guard (1...256).contains(maxBatch) else { throw CommandError("--max-batch must be 1...256") }
            guard (1...4096).contains(chips) else { throw CommandError("--chips must be 1...4096") }
            guard rate > 0, rate.isFinite, duration > 0, duration <= 1e6 else { throw CommandError("--rate and --duration must be positive (duration at most 1e6 s)") }
            guard spikeFactor > 0, p99Bound > 0, users >= 1 else { throw CommandError("--spike-factor, --p99-bound and --users must be positive") }
            let service = try serviceSeconds()
            var out = ServeOutput(model: name, chip: hw, arrivals: arrivals, rate: rate, spikeFactor: arrivals == "burst" ? spikeFactor : nil,
                                  durationS: duration, seed: seed, maxBatch: maxBatch, batchTimeoutS: batchTimeout, queueLimit: queueLimit,
                                  userRateLimit: userRateLimit, p99BoundS: p99Bound, serviceSecondsByBatch: service, chips: chips)
            if let sweepRates {
                let rates = sweepRates.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                guard !rates.isEmpty, rates.allSatisfy({ $0 > 0 }) else { throw CommandError("--sweep-rates must be positive numbers, e.g. 1,2,5") }
                let f = try fleet(service, chips: chips, rateLimit: rateLimit)
                let curve = try rates.map { r in (r, f.run(try requests(rate: r))) }
                out.sweep = curve.map { SweepPoint(rate: $0.0, result: $0.1) }
                if let plot {
                    var svg = SVGPlot(title: "\(name) on \(chips) x \(hw), max batch \(maxBatch)", xLabel: "served requests per second",
                                      yLabel: "latency (s)", logY: true)
                    svg.series = [.init(label: "p50", points: curve.map { ($0.1.throughputQps, $0.1.latencyP50S) }, color: "#1f77b4", line: true),
                                  .init(label: "p99", points: curve.map { ($0.1.throughputQps, $0.1.latencyP99S) }, color: "#d62728", line: true)]
                    svg.horizontalLines = [(p99Bound, "p99 bound \(p99Bound) s")]
                    do { try svg.write(to: plot, overwrite: force) } catch { throw CommandError("\(error)") }
                }
                if !json {
                    print("\(name) on \(chips) x \(hw): offered rate -> served, p50, p99, rejected, utilization")
                    for (r, res) in curve {
                        print(String(format: "  %10.3f/s -> %10.3f/s  p50 %9.4f s  p99 %9.4f s  rejected %5.1f%%  util %5.1f%%  batch %.2f",
                                     r, res.throughputQps, res.latencyP50S, res.latencyP99S, 100 * res.rejectedFraction, 100 * res.chipUtilization, res.meanBatch))
                    }
                }
            } else {
                let load = try requests(rate: rate)
                var fleetChips = chips
                if findChips {
                    // The p99 falls as chips are added; double, then bisect.
                    var (lo, hi) = (0, 1)
                    while try fleet(service, chips: hi, rateLimit: rateLimit).run(load).latencyP99S > p99Bound {
                        lo = hi
                        hi *= 2
                        guard hi <= 4096 else { throw CommandError("even 4096 chips do not keep the p99 within \(p99Bound) s") }
                    }
                    while hi - lo > 1 {
                        let mid = (lo + hi) / 2
                        if try fleet(service, chips: mid, rateLimit: rateLimit).run(load).latencyP99S > p99Bound { lo = mid } else { hi = mid }
                    }
                    fleetChips = hi
                    out.chipsNeeded = hi
                }
                var limit = rateLimit
                if findRateLimit {
                    // Admitting less keeps the p99 down; bisect on the limit between nothing and the peak offered rate.
                    var (lo, hi) = (0.0, rate * max(spikeFactor, 1) * 2)
                    if try fleet(service, chips: fleetChips, rateLimit: hi).run(load).latencyP99S <= p99Bound {
                        lo = hi
                    } else {
                        for _ in 0..<30 {
                            let mid = (lo + hi) / 2
                            if try fleet(service, chips: fleetChips, rateLimit: mid).run(load).latencyP99S <= p99Bound { lo = mid } else { hi = mid }
                        }
                    }
                    guard lo > 0 else { throw CommandError("no rate limit keeps the p99 within \(p99Bound) s on \(fleetChips) chips") }
                    limit = lo
                    out.rateLimitFound = lo
                }
                let result = try fleet(service, chips: fleetChips, rateLimit: limit).run(load)
                out.chips = fleetChips
                out.rateLimit = limit
                out.result = result
                if !json {
                    print("\(name) on \(fleetChips) x \(hw), \(arrivals) at \(rate)/s\(arrivals == "burst" ? " (spike x\(spikeFactor))" : ""), max batch \(maxBatch)")
                    print("  service seconds by batch: " + service.map { String(format: "%.4g", $0) }.joined(separator: ", "))
                    if findChips { print("  fewest chips with p99 <= \(p99Bound) s: \(fleetChips)") }
                    if let l = limit, findRateLimit { print(String(format: "  largest rate limit with p99 <= %g s: %.4g/s", p99Bound, l)) }
                    print(String(format: "  served %d of %d (%.3f/s), rejected %.1f%% (%d rate-limited, %d shed)", result.completed, result.arrived,
                                 result.throughputQps, 100 * result.rejectedFraction, result.rateLimited, result.shed))
                    print(String(format: "  latency p50 %.4f s, p99 %.4f s, max %.4f s; chip utilization %.1f%%, mean batch %.2f",
                                 result.latencyP50S, result.latencyP99S, result.latencyMaxS, 100 * result.chipUtilization, result.meanBatch))
                }
            }
            if json { try JSONOutput.print(out, pretty: true) }
        }
    }
}

/// `simulate serve --json`: the settings, the simulated service times, and what the fleet did.
struct ServeOutput: Encodable {
    var schema = "simulate-serve/\(JSONOutput.version)"
    let model: String, chip: String, arrivals: String, rate: Double, spikeFactor: Double?, durationS: Double, seed: UInt64
    let maxBatch: Int, batchTimeoutS: Double, queueLimit: Int?, userRateLimit: Double?, p99BoundS: Double
    let serviceSecondsByBatch: [Double]
    var chips: Int
    var rateLimit: Double?
    var chipsNeeded: Int?, rateLimitFound: Double?
    var result: ServingFleet.Result?
    var sweep: [SweepPoint]?
}

/// One rate of a sweep and what the fleet did at it.
struct SweepPoint: Encodable {
    let rate: Double
    let result: ServingFleet.Result
}
