import CavendishConformance
import Foundation

/// Paths of the committed kernel case fixtures.
enum Fixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// Case files under `Tests/Fixtures/<folder>`, relative to that folder.
    static func cases(_ folder: String) -> [String] {
        let base = root + "/" + folder
        return ((try? ConformanceRunner.caseFiles(in: [base])) ?? []).map { String($0.dropFirst(base.count + 1)) }
    }

    /// ONNX node tests the CPU backend does not implement, with the reason. README.md lists the same.
    static let excludedOnnxCases: [String: String] = [
        "Resize/test_resize_downsample_scales_cubic_antialias.h5": "Resize antialias is not implemented",
        "Resize/test_resize_downsample_scales_linear_antialias.h5": "Resize antialias is not implemented",
        "Resize/test_resize_downsample_sizes_cubic_antialias.h5": "Resize antialias is not implemented",
        "Resize/test_resize_downsample_sizes_linear_antialias.h5": "Resize antialias is not implemented",
    ]
}
