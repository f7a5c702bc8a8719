import CavendishCPU
import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishModels
import Foundation
import Testing

/// The repository's Weights folder.
let nbMiniWeightsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Weights").path

/// Each NB-mini component, run as a Swift graph on the committed weights, against the recipe's golden
/// tensors (Weights/golden, written by the recipe's golden script from the same weights):
/// max |actual - expected| over max |expected| must be at most 1e-3.
///
/// The suite runs when the exported weights and golden tensors are present; they are committed together
/// once training has finished (issue 4), until then it is reported as skipped, not passed.
@Suite(.enabled(if: FileManager.default.fileExists(atPath: nbMiniWeightsFolder + "/golden/dit_v1.h5")))
struct NBMiniParityTests {
    static let weights = nbMiniWeightsFolder

    static func relativeError(_ a: Tensor, _ e: Tensor) -> Float {
        let x = a.floats(), y = e.floats()
        let scale = y.map { abs($0) }.max() ?? 1
        return zip(x, y).map { abs($0 - $1) }.max()! / max(scale, 1e-12)
    }

    @Test(arguments: ["v1", "v2"])
    func denoiserMatchesGolden(variant: String) throws {
        let file = try NBMiniWeightFile(path: Self.weights + "/nb-mini-\(variant).h5")
        let config = try file.config(DiTConfig.self)
        let golden = try HDF5File(readingFrom: Self.weights + "/golden/dit_\(variant).h5")
        let x = try golden.tensor(at: "inputs/x"), text = try golden.tensor(at: "inputs/text")
        let ref = try golden.tensor(at: "inputs/ref")
        var inputs = [x, try golden.tensor(at: "inputs/t"), text, try golden.tensor(at: "inputs/text_mask"),
                      ref, try golden.tensor(at: "inputs/ref_mask")]
        if config.layout { inputs.append(try golden.tensor(at: "inputs/layout")) }
        if config.layout && config.canvas { inputs.append(try golden.tensor(at: "inputs/canvas")) }
        inputs.append(try golden.tensor(at: "inputs/ref_scale"))
        if config.glyph { inputs.append(try golden.tensor(at: "inputs/glyph")) }
        if config.guidanceEmbed { inputs.append(try golden.tensor(at: "inputs/guidance")) }
        let graph = try NBMiniDiT(config: config).graph(batch: x.shape[0], textTokens: text.shape[1], referenceTokens: ref.shape[1])
        let out = try GraphExecutor(graph: graph, weights: file.tensors, backend: CPUBackend()).run(inputs)[0]
        let expected = try golden.tensor(at: "outputs/v")
        #expect(out.shape == expected.shape)
        let err = Self.relativeError(out, expected)
        #expect(err <= 1e-3, "DiT \(variant): relative error \(err)")
    }

    /// The encoder's raw posterior (before the denoiser's shift and scale) against the recipe's
    /// `VAE.encode` of the golden scene.
    @Test func vaeEncoderMatchesGolden() throws {
        let file = try NBMiniWeightFile(path: Self.weights + "/nb-mini-vae.h5")
        let golden = try HDF5File(readingFrom: Self.weights + "/golden/vae.h5")
        let image = try golden.tensor(at: "inputs/image")
        let graph = try NBMiniVAEEncoder(config: try file.config(VAEConfig.self)).graph(batch: image.shape[0], imageSize: image.shape[2])
        let out = try GraphExecutor(graph: graph, weights: file.tensors, backend: CPUBackend()).run([image])
        for (i, name) in ["mean", "logvar"].enumerated() {
            let expected = try golden.tensor(at: "outputs/\(name)")
            #expect(out[i].shape == expected.shape)
            let err = Self.relativeError(out[i], expected)
            print("VAE encoder \(name): relative error \(err)")
            #expect(err <= 1e-3, "VAE encoder \(name): relative error \(err)")
        }
    }

    @Test func vaeDecoderMatchesGolden() throws {
        let file = try NBMiniWeightFile(path: Self.weights + "/nb-mini-vae.h5")
        let config = try file.config(VAEConfig.self)
        let golden = try HDF5File(readingFrom: Self.weights + "/golden/vae.h5")
        // The golden decodes the VAE's own latent; the Swift graph takes denoiser-space latents and
        // undoes the scaling itself, so the input is mapped into denoiser space first.
        let raw = try golden.tensor(at: "inputs/latent")
        let latent = Tensor(shape: raw.shape, floats: raw.floats().map { Float((Double($0) - config.shiftFactor) * config.scaleFactor) })
        let graph = try NBMiniVAEDecoder(config: config).graph(batch: latent.shape[0], latentSize: latent.shape[2])
        let executor = try GraphExecutor(graph: graph, weights: file.tensors, backend: CPUBackend())
        var inputs = [latent]
        if config.glyphConditioning {
            // With the all-zero map the golden's plain decode, with a glyph map its glyph decode.
            let glyph = try golden.tensor(at: "inputs/glyph")
            let glyphOut = try executor.run([latent, glyph])[0]
            let err = Self.relativeError(glyphOut, try golden.tensor(at: "outputs/decoded_glyph"))
            #expect(err <= 1e-3, "VAE decoder with a glyph map: relative error \(err)")
            inputs.append(Tensor(shape: glyph.shape, floats: [Float](repeating: 0, count: glyph.shape.reduce(1, *))))
        }
        let out = try executor.run(inputs)[0]
        let err = Self.relativeError(out, try golden.tensor(at: "outputs/decoded"))
        #expect(err <= 1e-3, "VAE decoder: relative error \(err)")
    }
}
