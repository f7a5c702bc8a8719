import CavendishCPU
import Foundation
import Testing

struct ThreadPoolTests {
    /// Every index runs exactly once, however the range is split.
    @Test(arguments: [0, 1, 2, 7, 1000])
    func parallelForCoversEachIndexOnce(count: Int) {
        let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
        hits.initialize(repeating: 0, count: max(count, 1))
        defer { hits.deallocate() }
        ThreadPool.parallelFor(count) { i in hits[i] += 1 }
        #expect((0..<count).allSatisfy { hits[$0] == 1 })
    }

    @Test func reportsTheBLASCore() {
        #expect(!ThreadPool.blasCoreName.isEmpty)
        #expect(ThreadPool.threadCount >= 1)
    }
}
