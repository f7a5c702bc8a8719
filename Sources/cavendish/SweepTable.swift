import CavendishIO
import Foundation

/// One finished image of a sweep: every axis and every measurement a column, with stable snake_case
/// names (the table's row, and the file `rows/<row_id>.json` a worker writes when the image is done).
struct SweepRecord: Codable, Sendable {
    /// Position in the sweep and the id finished rows are found by.
    var row: Int, rowId: String
    var promptIndex: Int, prompt: String
    /// The people bound to placeholders (`p1=bean;p2=kira`) and the boxes the layout gave them
    /// (`p1=44 30 83 116;...`, x0 y0 x1 y1), "" without references.
    var people: String, layout: String
    var preset: String, seed: UInt64, steps: Int, guidance: Double, refScale: Double, sampler: String, schedule: String
    /// Runtime switches (they change how the kernels run, not the pixels).
    var cacheConditioning: Bool, fusedAttention: Bool, memoryPlan: Bool, weightPrecision: String
    /// The PNG, relative to the sweep folder, and the SHA-256 of its RGB bytes.
    var image: String, pixelsSha256: String
    /// The denoiser file's SHA-256 (a row made with other weights is made again).
    var modelSha256: String
    /// Seconds for the image and its stages (the first image of a pipeline also counts the load).
    var seconds: Double, secondsLoad: Double, secondsText: Double, secondsReferences: Double, secondsDenoise: Double, secondsDecode: Double
    /// Which worker made it (`0/1` for a single process), and with how many threads.
    var worker: String, threads: Int

    /// The table's columns, in order.
    static let columns = ["row", "row_id", "prompt_index", "prompt", "people", "layout", "preset", "seed", "steps", "guidance", "ref_scale", "sampler", "schedule",
                          "cache_conditioning", "fused_attention", "memory_plan", "weight_precision", "image", "pixels_sha256", "model_sha256",
                          "seconds", "seconds_load", "seconds_text", "seconds_references", "seconds_denoise", "seconds_decode", "worker", "threads"]

    /// The columns that say what was made (not how long it took or where): equal for two runs of one spec
    /// on one set of weights, whichever engine ran them.
    static let contentColumns = Array(columns.prefix(20))

    /// The record as a JSON object of the tool's form (`JSONOutput`).
    func json() throws -> String { try JSONOutput.text(self) }

    /// The record's cells in `columns` order (fractions at the six significant digits `json()` writes).
    func cells() -> [String] {
        let f = { (x: Double) in JSONOutput.roundingFractions("\(x)") }
        return [String(row), rowId, String(promptIndex), prompt, people, layout, preset, String(seed), String(steps), f(guidance), f(refScale), sampler, schedule,
                String(cacheConditioning), String(fusedAttention), String(memoryPlan), weightPrecision, image, pixelsSha256, modelSha256,
                f(seconds), f(secondsLoad), f(secondsText), f(secondsReferences), f(secondsDenoise), f(secondsDecode), worker, String(threads)]
    }
}

/// The sweep's table: CSV (RFC 4180 quoting) and JSON Lines, one row per finished image, in row order.
enum SweepTable {
    /// Writes `table.csv` and `table.jsonl` in `folder` (each through a temporary file).
    static func write(_ records: [SweepRecord], to folder: String) throws {
        var csv = SweepRecord.columns.joined(separator: ",") + "\n", jsonl = ""
        for r in records {
            csv += r.cells().map(quote).joined(separator: ",") + "\n"
            jsonl += try r.json() + "\n"
        }
        try AtomicFile.write(Data(csv.utf8), to: (folder as NSString).appendingPathComponent("table.csv"), overwrite: true)
        try AtomicFile.write(Data(jsonl.utf8), to: (folder as NSString).appendingPathComponent("table.jsonl"), overwrite: true)
    }

    /// A CSV cell, quoted when it holds a comma, a quote or a line break.
    static func quote(_ cell: String) -> String {
        cell.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
            ? "\"" + cell.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : cell
    }
}
