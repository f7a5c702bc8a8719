import CavendishSimulator
import Foundation
import Testing

/// The serving model against queueing theory where it has closed forms, and its admission rules.
struct ServingFleetTests {
    @Test(arguments: [0.5, 0.8])
    func poissonArrivalsOnOneChipMatchMD1(load: Double) throws {
        // M/D/1 (Pollaczek-Khinchine): mean wait rho * S / (2 (1 - rho)); the latency adds the service S.
        let s = 0.01
        let fleet = try ServingFleet(serviceSeconds: [s], chips: 1)
        let arrivals = ArrivalProcess.poisson(rate: load / s).requests(duration: 4000, users: 1, seed: 7)
        let result = fleet.run(arrivals)
        let expected = s + load * s / (2 * (1 - load))
        #expect(abs(result.latencyMeanS / expected - 1) < 0.03, "mean \(result.latencyMeanS) s against M/D/1's \(expected) s")
        #expect(abs(result.chipUtilization - load) < 0.02)
        #expect(result.completed == result.arrived)
    }

    @Test func evenlySpacedArrivalsNeverWait() throws {
        let fleet = try ServingFleet(serviceSeconds: [0.5], chips: 1)
        let result = fleet.run((0..<100).map { ServingFleet.Request(time: Double($0), user: 0) })
        #expect(result.latencyMaxS == 0.5 && result.latencyP50S == 0.5)
        #expect(abs(result.chipUtilization - 50 / 99.5) < 1e-9)
    }

    @Test func aBurstOfRequestsIsServedInFullBatches() throws {
        // 64 requests at once, batches of up to 8 taking 1 s each on 2 chips: 4 rounds, latencies 1 ... 4 s.
        let fleet = try ServingFleet(serviceSeconds: (1...8).map { _ in 1.0 }, chips: 2, batchTimeout: 10)
        let result = fleet.run((0..<64).map { _ in ServingFleet.Request(time: 0, user: 0) })
        #expect(result.meanBatch == 8)
        #expect(result.latencyMaxS == 4 && result.latencyP50S == 2)
    }

    @Test func aPartialBatchWaitsForItsTimeout() throws {
        let fleet = try ServingFleet(serviceSeconds: [1, 1, 1, 1], chips: 1, batchTimeout: 0.25)
        let result = fleet.run([.init(time: 0, user: 0), .init(time: 0.1, user: 0), .init(time: 5, user: 0)])
        // The first two leave together at 0.25 s; the last one, alone, when no more will come.
        #expect(result.meanBatch == 1.5)
        #expect(abs(result.latencyMaxS - 1.25) < 1e-12)
    }

    @Test func limitsAdmitWhatTheyShould() throws {
        let arrivals = ArrivalProcess.poisson(rate: 100).requests(duration: 200, users: 10, seed: 3)
        let global = try ServingFleet(serviceSeconds: [0.001], chips: 1, rateLimit: 20).run(arrivals)
        #expect(abs(Double(global.completed) / 200 - 20) < 1, "\(global.completed) served in 200 s at a 20/s limit")
        let perUser = try ServingFleet(serviceSeconds: [0.001], chips: 1, perUserRateLimit: 1).run(arrivals)
        // Each of the 10 users (10/s each) is admitted once its token is back, 1 s after the last admission, at
        // its next arrival, 0.1 s later on average: one request per 1.1 s.
        #expect(abs(Double(perUser.completed) / 200 - 10 / 1.1) < 0.3, "\(perUser.completed) served")
        // Overload with a queue limit: what is not shed waits at most the queue's length of services.
        let shed = try ServingFleet(serviceSeconds: [0.05], chips: 1, queueLimit: 5).run(arrivals)
        #expect(shed.shed > 0 && abs(shed.rejectedFraction - 0.8) < 0.03)   // 20/s served of 100/s
        #expect(shed.latencyMaxS <= 0.05 * 7)
    }

    @Test func burstsRaiseTheRateInTheirWindowAndArrivalsReproduce() throws {
        let process = ArrivalProcess.burst(rate: 10, factor: 10, start: 100, length: 100)
        let a = process.requests(duration: 300, users: 5, seed: 11), b = process.requests(duration: 300, users: 5, seed: 11)
        #expect(a.map(\.time) == b.map(\.time))
        let inSpike = a.filter { $0.time >= 100 && $0.time < 200 }.count, outside = a.count - inSpike
        #expect(abs(Double(inSpike) / 100 - 100) < 5 && abs(Double(outside) / 200 - 10) < 1)
    }

    @Test func badSettingsAreRefused() {
        #expect(throws: SimulatorError.self) { try ServingFleet(serviceSeconds: [], chips: 1) }
        #expect(throws: SimulatorError.self) { try ServingFleet(serviceSeconds: [1], chips: 0) }
        #expect(throws: SimulatorError.self) { try ServingFleet(serviceSeconds: [1], chips: 1, rateLimit: -1) }
    }
}

/// The serving JSON carries the keys the issue names, spelled as researchers' scripts read them.
struct ServingJSONTests {
    @Test func resultKeys() throws {
        let result = try ServingFleet(serviceSeconds: [1], chips: 1).run([.init(time: 0, user: 0)])
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase   // what every --json output uses
        let object = try #require(try JSONSerialization.jsonObject(with: encoder.encode(result)) as? [String: Any])
        for key in ["throughput_qps", "latency_p50_s", "latency_p99_s", "rejected_fraction", "chip_utilization"] {
            #expect(object[key] != nil, "\(key) missing")
        }
    }
}
