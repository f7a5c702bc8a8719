import CavendishIO
import Foundation

/// Chrome trace event JSON of a simulated graph or pipeline (opens in ui.perfetto.dev and chrome://tracing).
///
/// One `tid` per engine, so slices on a track nest; a slice per busy interval of an engine (grid steps
/// closer together than 1/64 of the kernel are one slice, whose `busy_us` says how much of it was busy),
/// with the kernel's FLOPs, HBM bytes and device duration in `args` as real TPU traces carry them.
/// Counter tracks give each kernel's average HBM bandwidth and its VMEM high-water mark. A pipeline's
/// stages follow each other, one run each, on a `stages` track.
public enum ChromeTrace {
    /// The trace of one graph.
    public static func json(_ report: GraphReport, process: String) throws -> Data {
        try json(stages: [(report.chip, report, 1)], process: process)
    }

    /// The trace of a pipeline: each stage's graph once, in order, its run count in `args`.
    public static func json(stages: [(label: String, report: GraphReport, runs: Int)], process: String) throws -> Data {
        var events: [[String: Any]] = [["name": "process_name", "ph": "M", "pid": 1, "args": ["name": process]],
                                       ["name": "thread_name", "ph": "M", "pid": 1, "tid": 0, "args": ["name": "stages"]]]
        for e in EngineEvent.Engine.allCases {
            events.append(["name": "thread_name", "ph": "M", "pid": 1, "tid": e.rawValue, "args": ["name": e.label]])
        }
        var offset = 0.0
        for stage in stages {
            let report = stage.report
            events.append(["name": stage.label, "ph": "X", "pid": 1, "tid": 0, "ts": offset * 1e6, "dur": max(report.seconds * 1e6, 0.001),
                           "args": ["runs": stage.runs, "model_flops": report.flops, "bytes_accessed": report.hbmBytes,
                                    "launch_us": report.launchSeconds * 1e6]])
            var byName: [String: OpReport] = [:]
            for op in report.ops { byName[op.name.components(separatedBy: "+").first ?? op.name] = op }
            for e in report.events {
                var args: [String: Any] = ["busy_us": e.busy * 1e6]
                if let op = byName[e.group] {
                    args.merge(["op": op.op, "model_flops": op.flops, "bytes_accessed": op.hbmBytes,
                                "device_duration_ps": Int((op.seconds * 1e12).rounded()), "bound": op.bound]) { a, _ in a }
                }
                events.append(["name": e.group, "ph": "X", "pid": 1, "tid": e.engine.rawValue,
                               "ts": (offset + e.start) * 1e6, "dur": max((e.end - e.start) * 1e6, 0.001), "args": args])
            }
            for op in report.ops where op.seconds > 0 {
                let ts = (offset + op.start) * 1e6
                events.append(["name": "HBM bandwidth", "ph": "C", "pid": 1, "ts": ts, "args": ["GB/s": op.hbmBytes / op.seconds / 1e9]])
                events.append(["name": "VMEM", "ph": "C", "pid": 1, "ts": ts, "args": ["MiB": Double(op.vmemHighWater) / 1_048_576]])
            }
            offset += report.seconds
            events.append(["name": "HBM bandwidth", "ph": "C", "pid": 1, "ts": offset * 1e6, "args": ["GB/s": 0]])
            events.append(["name": "VMEM", "ph": "C", "pid": 1, "ts": offset * 1e6, "args": ["MiB": 0]])
        }
        return try JSONSerialization.data(withJSONObject: ["traceEvents": events, "displayTimeUnit": "ms"], options: [.sortedKeys])
    }

    /// Writes the trace of one graph to `path` through a temporary file, refusing to replace a file unless `overwrite`.
    public static func write(_ report: GraphReport, process: String, to path: String, overwrite: Bool) throws {
        try write(try json(report, process: process), to: path, overwrite: overwrite)
    }

    /// Writes trace JSON to `path` through a temporary file, refusing to replace a file unless `overwrite`.
    public static func write(_ data: Data, to path: String, overwrite: Bool) throws {
        try publish(data, to: path, overwrite: overwrite)
    }
}

/// Writes a simulator output file (trace, plot) through a temporary file; an existing file is refused
/// with the command line's wording unless `overwrite`.
func publish(_ data: Data, to path: String, overwrite: Bool) throws {
    if FileManager.default.fileExists(atPath: path) && !overwrite {
        throw SimulatorError("\(path) exists; pass --force to replace it")
    }
    try AtomicFile.write(data, to: path, overwrite: overwrite)
}
