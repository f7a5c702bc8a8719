import ArgumentParser
import CavendishIO
import CavendishLibrary
import CavendishPipeline
import Foundation

/// `cavendish provenance check IMG...`: is an image one of ours, and which?
struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "provenance",
        abstract: "Read the provenance Cavendish puts in its images.",
        subcommands: [Check.self, Embed.self]
    )

    /// `cavendish provenance embed IN.png OUT.png` (hidden): the watermark into any PNG, so that
    /// `scripts/watermark_eval.py` can measure its visibility (PSNR) against the unmarked pixels.
    struct Embed: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Embed the watermark in a PNG (for measuring it).", shouldDisplay: false)
        @Argument var input: String
        @Argument var output: String
        @Option var modelVersion: Int = 2
        @Option var imageId: Int = 0

        func run() throws {
            let png: PNGImage
            do { png = try PNGImage(contentsOf: input) } catch { throw CommandError("\(error)") }
            guard png.channels == 3 else { throw CommandError("\(input): an RGB PNG is needed") }
            let marked = InvisibleWatermark.embed(png.pixels, width: png.width, height: png.height,
                                                  payload: .init(generator: 1, modelVersion: modelVersion, imageId: imageId))
            try PNGImage(width: png.width, height: png.height, channels: 3, pixels: marked).write(to: output, overwrite: false)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look for the invisible watermark of Cavendish's images in PNG, JPEG or HEIC files, and check PNGs' C2PA manifests.",
            discussion: """
            Every image `generate`, `serve` and `sweep` write carries a payload in its pixels: the generator, the \
            model version (1 = NB-mini v1, 2 = v2) and a 16-bit image id (the `watermark` of the generation record). \
            This reads it back, also after JPEG compression, resizing and moderate crops, and from the pixels alone \
            (PNG text chunks, which any re-encode strips, are not needed). Per file: `watermark_detected`, the \
            payload, the detector's score against its threshold, and a confidence (1 minus the chance that an \
            unmarked image scores as high). Images Cavendish did not make come back with watermark_detected false.

            A PNG signed with C2PA credentials (`generate --c2pa-key KEY.pem --c2pa-cert CHAIN.pem`, or any other \
            C2PA tool's ES256 manifest) also gets its manifest checked: the claim's signature against the \
            signer's certificate, every assertion against its hash in the claim, and the hard binding against \
            the file's bytes (`c2pa` in the JSON: `valid`, `problems`, the claim generator, the digital source \
            type, the model's SHA-256). Whether to trust the signer is left to a verifier with a trust list \
            (c2patool, or c2pa-python as in scripts/check_c2pa.py).

            The exit status is 0 when every file was read and no C2PA manifest failed its checks (whether or not \
            a file carries the watermark or a manifest), 1 otherwise.

            Examples:
              cavendish generate --prompt "a watercolour of a fox" --out fox.png
              cavendish provenance check fox.png
              cavendish provenance check fox.png Weights/demo-library/Camera/2024/DSC_1007.JPG --json
              cavendish generate --prompt "a pencil drawing of a cat" \\
                --out signed-cat.png --c2pa-key Tests/Fixtures/c2pa/signer-key.pem \\
                --c2pa-cert Tests/Fixtures/c2pa/signer-chain.pem
              cavendish provenance check signed-cat.png
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
            /// The PNG's C2PA manifest and its checks (nil: none, or not a PNG).
            var c2pa: C2PAVerification?
            let error: String?
        }

        func run() throws {
            guard !images.isEmpty else { throw CommandError("name at least one image") }
            var failed = false
            for file in images {
                let result: Result
                let data = FileManager.default.contents(atPath: file)
                switch data.map(PhotoDecoder.decode) {
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
                    var manifest: C2PAVerification?
                    var manifestError: String?
                    if let data, data.starts(with: PNGChunks.signature) {
                        do { manifest = try C2PAVerification.check(png: data) } catch { manifestError = "\(error)" }
                    }
                    if manifestError != nil || manifest?.valid == false { failed = true }
                    result = Result(file: file, watermarkDetected: d.watermarkDetected,
                                    generator: d.payload.map { $0.generator == 1 ? "cavendish" : "unknown (\($0.generator))" },
                                    modelVersion: d.payload?.modelVersion, imageId: d.payload.map { String(format: "%04x", $0.imageId) },
                                    score: d.score, threshold: d.threshold, bitEvidence: d.bitEvidence, evidenceThreshold: d.evidenceThreshold,
                                    confidence: d.confidence, offset: d.offset, c2pa: manifest, error: manifestError)
                }
                if json {
                    try JSONOutput.print(result)
                    continue
                }
                if let m = result.c2pa {
                    let what = [m.claimGenerator, m.action, m.digitalSourceType?.split(separator: "/").last.map(String.init), m.model?["model"]]
                        .compactMap { $0 }.joined(separator: ", ")
                    print("\(file): C2PA manifest \(m.manifest) (\(what)), signed by \(m.signer ?? "an unnamed certificate"): "
                          + (m.valid ? "signature, assertions and file hash hold (the signer is not checked against a trust list)"
                                     : "FAILS: " + m.problems.joined(separator: "; ")))
                }
                if let error = result.error {
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
