import CavendishCore
import CavendishIO
import Foundation

/// What Tesseract reads of a generated image's quoted text, as the recipe's `measure.ocr_word` reads it:
/// the rectangle the glyph layout puts the text in (which depends only on the prompt), with a 3-pixel
/// margin, upscaled 3x with Pillow's bicubic filter, read as one line (`--psm 7`) of upper-case letters.
public enum TextRecognition {
    /// Whether the `tesseract` command is on the PATH.
    public static var available: Bool { executable != nil }

    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/tesseract" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// The letters Tesseract reads in `box` of an RGB image (`side` x `side`), upper-case alphanumerics only;
    /// nil when Tesseract is not installed or fails.
    public static func read(_ pixels: [UInt8], side: Int, box: [Int]) throws -> String? {
        guard let executable else { return nil }
        let m = 3
        let x0 = max(0, box[0] - m), y0 = max(0, box[1] - m), x1 = min(side, box[2] + m), y1 = min(side, box[3] + m)
        let w = x1 - x0, h = y1 - y0
        guard w > 0, h > 0 else { return "" }
        var crop = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w { for c in 0..<3 { crop[(y * w + x) * 3 + c] = pixels[((y0 + y) * side + x0 + x) * 3 + c] } } }
        let big = PILResize.resize(crop, width: w, height: h, toWidth: 3 * w, toHeight: 3 * h, filter: .bicubic)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cavendish-ocr-\(UUID().uuidString).png").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try PNGImage(width: 3 * w, height: 3 * h, channels: 3, pixels: big).write(to: file, overwrite: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [file, "-", "--psm", "7", "-c", "tessedit_char_whitelist=ABCDEFGHIJKLMNOPQRSTUVWXYZ"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self).uppercased().filter { $0.isLetter || $0.isNumber }
    }

    /// 1 - edit distance / length of `text`, floored at 0, spaces ignored (the recipe's `char_accuracy`).
    public static func characterAccuracy(_ read: String, _ text: String) -> Double {
        let b = text.filter { $0 != " " }
        return max(0, 1 - Double(editDistance(read.filter { $0 != " " }, b)) / Double(max(1, b.count)))
    }

    /// Whether a reading is exactly `text`, spaces ignored (the recipe's `word_matches`).
    public static func matches(_ read: String?, _ text: String) -> Bool { (read ?? "") == text.filter { $0 != " " } }
}
