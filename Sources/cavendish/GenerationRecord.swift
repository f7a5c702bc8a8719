import CavendishPipeline
import Foundation

/// What `generate --json` prints for each image, one JSON line per image, and what `serve` and the
/// Python package return beside the pixels (schema `generate/2`, documented in the README). Flat where a
/// table wants it: one row per image, every setting and every timing a column, the same keys for
/// every preset.
struct GenerationRecord: Codable, Sendable {
    /// Schema name and version.
    var schema = "generate/\(JSONOutput.version)"
    /// The tool that made it.
    var toolVersion = CavendishVersion.string
    /// The PNG written ("" when none was, as from `serve` without `out`).
    var out: String
    /// Position of the image in this run (0-based) and of its prompt in the prompt list.
    var index: Int, promptIndex: Int
    /// The prompt as given, and as the model read it (people bound to `<pN>`).
    var prompt: String, promptResolved: String
    /// v1's unconditional text ("" for none, always "" for v2).
    var negativePrompt: String
    /// Model variant, and the SHA-256 of its denoiser, VAE and reference-encoder files.
    var preset: String, modelSha256: String, vaeSha256: String, refencSha256: String
    /// Sampling settings.
    var seed: UInt64, steps: Int, guidance: Double, refScale: Double, sampler: String, schedule: String
    /// MatMul precision: float32, or bfloat16 with float32 accumulation (`generate --bf16`), which changes the pixels slightly.
    var matmulPrecision: String
    /// img2img: the initial image, its SHA-256 and the strength (nil for text-to-image).
    var initImage: String?, initImageSha256: String?, strength: Double?
    /// Image size in pixels, and the SHA-256 of its RGB bytes (row-major), which the same seed, settings
    /// and weights reproduce on any thread count.
    var width: Int, height: Int, pixelsSha256: String
    /// Seconds: the whole image, and its stages (loading counts once, for the run's first image).
    var seconds: Double, secondsLoad: Double, secondsText: Double, secondsReferences: Double, secondsDenoise: Double, secondsDecode: Double
    /// Reference photos by placeholder.
    var references: [ReferenceRecord]
    /// Where the layout planner put each subject (empty without layout input or references).
    var layout: [LayoutBox]
    /// Library photos read for this image (empty without `--library`).
    var libraryPhotosRead: [String]
    /// The invisible watermark's payload in the pixels (`cavendish provenance check` reads it back).
    var watermark: InvisibleWatermark.Payload
    /// The label of the signed C2PA manifest embedded in the PNG (nil without signing credentials or without a PNG).
    var c2paManifest: String?
}

/// One person's reference photos in a record.
struct ReferenceRecord: Codable, Sendable {
    /// `p1`..`p5`.
    var placeholder: String
    /// The name the prompt used ("" for a bare placeholder), the person's kind when a library said.
    var name: String, kind: String?
    /// The photo paths (library paths are relative to the library) and their SHA-256: of the file for
    /// `--reference`, of the chosen crop's RGB bytes for a library (the crop is what the model saw).
    var photos: [String], sha256: [String]
}

/// A subject's box `[x0, x1) x [y0, y1)` in image pixels.
struct LayoutBox: Codable, Sendable {
    /// `p1`..`p5`.
    var placeholder: String
    /// Pixel bounds.
    var x0: Int, y0: Int, x1: Int, y1: Int
}
