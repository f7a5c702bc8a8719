import Foundation

/// A one-line progress bar on standard error, drawn only when standard error is a terminal (or when
/// `forced`, as `generate --progress bar` asks).
struct ProgressBar {
    let total: Int
    let label: String
    private let enabled: Bool
    private var last = -1

    init(total: Int, label: String, forced: Bool = false) {
        self.total = total
        self.label = label
        enabled = forced || isatty(STDERR_FILENO) != 0
    }

    mutating func update(_ done: Int, detail: String = "") {
        guard enabled, total > 0 else { return }
        let percent = done * 100 / total
        if percent == last && done != total { return }
        last = percent
        let width = 30, filled = width * done / total
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r\(label) [\(bar)] \(done)/\(total) \(detail.prefix(40))"
        FileHandle.standardError.write(line.padding(toLength: 100, withPad: " ", startingAt: 0).data(using: .utf8)!)
    }

    func finish() {
        guard enabled, total > 0 else { return }
        FileHandle.standardError.write("\r\(String(repeating: " ", count: 100))\r".data(using: .utf8)!)
    }
}
