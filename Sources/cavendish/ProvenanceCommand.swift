import ArgumentParser
import CavendishLibrary
import CavendishPipeline
import Foundation

/// `cavendish provenance check IMG...`: is an image one of ours, and which?
struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Read the provenance Cavendish puts in its images.",
        subcommands: [Check.self]
    )

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look for the invisible watermark of Cavendish's generated images in PNG, JPEG or HEIC files.",
            discussion: """
            Every image `generate`, `serve` and `sweep` write carries a payload in its pixels: the generator, the \\
            model version (1 = NB-mini v1, 2 = v2) and a 16-bit image id (the `watermark` of the generation record). \\
            This reads it back, also after JPEG compression, resizing and moderate crops, and from the pixels alone \\
            (PNG text chunks, which any re-encode strips, are not needed). Per file: `watermark_detected`, the \\
            payload, the detector's score against its threshold, and a confidence (1 minus the chance that an \\
            unmarked image scores as high). Images Cavendish did not make come back with watermark_detected false.

            The exit status is 0 when every file was read (whether or not it carries the watermark), 1 otherwise.

            Examples:
              cavendish generate --prompt "a watercolour of a fox" --out fox.png
              cavendish provenance check fox.png
              cavendish provenance check fox.png Weights/demo-library/Camera/2024/DSC_1007.JPG --json
            """
        )
        @Argument(help: "Image files (PNG, JPEG or HEIC).") var images: [String]
        @Flag(help: "Print one JSON object per file, one a line.") var json = false

        struct Result: Encodable {
            let file: String
            let watermarkDetected: Bool
            let generator: String?, modelVersion: Int?, imageId: String?
            let score: Double, threshold: Double, bitEvidence: Double, evidenceThreshold: Double, confidence: Double
            let offset: [Int]
            let error: String?
        }

        func run() throws {
            guard !images.isEmpty else { throw CommandError("name at least one image") }
            var failed = false
            for file in images {
                let result: Result
                switch FileManager.default.contents(atPath: file).map(PhotoDecoder.decode) {
                case .none:
                    failed = true
                    result = Result(file: file, watermarkDetected: false, generator: nil, modelVersion: nil, imageId: nil,
                                    score: 0, threshold: InvisibleWatermark.threshold, bitEvidence: 0, evidenceThreshold: InvisibleWatermark.evidenceThreshold,
                                    confidence: 0, offset: [0, 0], error: "cannot be read")
                case .failure(let failure)?:
                    failed = true
                    result = Result(file: file, watermarkDetected: false, generator: nil, modelVersion: nil, imageId: nil,
                                    score: 0, threshold: InvisibleWatermark.threshold, bitEvidence: 0, evidenceThreshold: InvisibleWatermark.evidenceThreshold,
                                    confidence: 0, offset: [0, 0], error: failure.reason)
                case .success(let image)?:
                    let d = InvisibleWatermark.detect(image.pixels, width: image.width, height: image.height)
                    result = Result(file: file, watermarkDetected: d.watermarkDetected,
                                    generator: d.payload.map { $0.generator == 1 ? "cavendish" : "unknown (\($0.generator))" },
                                    modelVersion: d.payload?.modelVersion, imageId: d.payload.map { String(format: "%04x", $0.imageId) },
                                    score: d.score, threshold: d.threshold, bitEvidence: d.bitEvidence, evidenceThreshold: d.evidenceThreshold,
                                    confidence: d.confidence, offset: d.offset, error: nil)
                }
                if json {
                    try JSONOutput.print(result)
                } else if let error = result.error {
                    print("\(file): \(error)")
                } else if result.watermarkDetected {
                    print(String(format: "%@: watermark of %@, NB-mini v%d, image id %@ (score %.1f, evidence %.1f, confidence %.6f)", file,
                                 result.generator ?? "?", result.modelVersion ?? 0, result.imageId ?? "?", result.score, result.bitEvidence, result.confidence))
                } else {
                    print(String(format: "%@: no watermark (score %.1f of %.0f needed, evidence %.1f of %.0f)", file, result.score, result.threshold,
                                 result.bitEvidence, result.evidenceThreshold))
                }
            }
            if failed { throw ExitCode(1) }
        }
    }
}
