import CavendishIO
import Foundation

/// Chrome trace event JSON of a simulated graph (opens in ui.perfetto.dev and chrome://tracing).
///
/// One `tid` per engine, so slices on a track nest; each kernel is one slice per engine it used, with
/// the kernel's FLOPs, HBM bytes and device duration in `args` as real TPU traces carry them.
public enum ChromeTrace {
    /// The trace document.
    public static func json(_ report: GraphReport, process: String) throws -> Data {
        var events: [[String: Any]] = [["name": "process_name", "ph": "M", "pid": 1, "args": ["name": process]]]
        for e in EngineEvent.Engine.allCases {
            events.append(["name": "thread_name", "ph": "M", "pid": 1, "tid": e.rawValue, "args": ["name": e.label]])
        }
        var byName: [String: OpReport] = [:]
        for op in report.ops { byName[op.name.components(separatedBy: "+").first ?? op.name] = op }
        for e in report.events {
            var args: [String: Any] = [:]
            if let op = byName[e.group] {
                args = ["op": op.op, "model_flops": op.flops, "bytes_accessed": op.hbmBytes,
                        "device_duration_ps": Int((op.seconds * 1e12).rounded()), "bound": op.bound]
            }
            events.append(["name": e.group, "ph": "X", "pid": 1, "tid": e.engine.rawValue,
                           "ts": e.start * 1e6, "dur": max((e.end - e.start) * 1e6, 0.001), "args": args])
        }
        return try JSONSerialization.data(withJSONObject: ["traceEvents": events, "displayTimeUnit": "ms"], options: [.sortedKeys])
    }

    /// Writes the trace to `path` through a temporary file, refusing to replace a file unless `overwrite`.
    public static func write(_ report: GraphReport, process: String, to path: String, overwrite: Bool) throws {
        if FileManager.default.fileExists(atPath: path) && !overwrite {
            throw SimulatorError("\(path) exists; pass --force to replace it")
        }
        try AtomicFile.write(try json(report, process: process), to: path, overwrite: overwrite)
    }
}
