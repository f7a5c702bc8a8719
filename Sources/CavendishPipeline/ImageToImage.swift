import CavendishCore
import CavendishGraph
import CavendishIO
import CavendishModels
import Foundation

/// An img2img starting image: 128 x 128 RGB as [3, 128, 128] in [-1, 1], prepared from any 8-bit image
/// the way reference photos are (centre-cropped to a square, resized with PIL's bilinear filter), so
/// that the recipe's `prepare_photo(img, 128)` gives the same pixels.
public struct InitImage: Sendable {
    /// The side the NB-mini VAE encodes.
    public static let size = 128
    /// Pixels [3, 128, 128] in [-1, 1].
    public let tensor: Tensor
    /// Where it came from, for provenance and audit.
    public let source: String

    /// Prepares an 8-bit image (gray, gray+alpha, RGB or RGBA; alpha is dropped).
    public init(image: PNGImage, source: String) throws {
        try self.init(width: image.width, height: image.height, channels: image.channels, pixels: image.pixels, source: source)
    }

    /// Prepares interleaved 8-bit pixels of any size.
    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], source: String) throws {
        tensor = try ReferencePhoto.planar(width: width, height: height, channels: channels, pixels: pixels, source: source, size: Self.size)
        self.source = source
    }
}

/// A graph executor built on first use and then kept: img2img needs the VAE encoder, text-to-image
/// never does, so plain generation pays neither its build time nor its widened weights.
final class LazyExecutor: @unchecked Sendable {
    private let make: () throws -> GraphExecutor
    private var built: GraphExecutor?
    private let lock = NSLock()

    init(_ make: @escaping () throws -> GraphExecutor) { self.make = make }

    /// The executor, built by the first caller; concurrent first callers wait for that one build.
    func get() throws -> GraphExecutor {
        lock.lock(); defer { lock.unlock() }
        if let built { return built }
        let e = try make()
        built = e
        return e
    }
}

extension NBMiniPipeline {
    /// The VAE encoder for 128 x 128 images, deferred until img2img first asks for it. Only the
    /// `encoder.*` weights are kept, so the decoder's copies are not held twice.
    static func lazyEncoder(architecture: NBMiniArchitecture, weights: [String: Tensor], backend: any KernelBackend, memoryPlan: Bool,
                            residency: GraphExecutor.WeightResidency) -> LazyExecutor {
        let encoderWeights = weights.filter { $0.key.hasPrefix("encoder.") }
        return LazyExecutor {
            try GraphExecutor(graph: try architecture.graph(.vaeEncoder),
                              weights: encoderWeights, backend: backend, usesPlan: memoryPlan, residency: residency)
        }
    }

    /// The denoiser latent [1, 4, 32, 32] of `image`: the VAE posterior's mean, not a sample, so that the
    /// same image always starts from the same latent (img2img's randomness is the seed's noise alone),
    /// mapped into denoiser space by `VAEConfig.denoiserLatent(mean:)`.
    public func encodeLatent(_ image: InitImage) throws -> Tensor {
        let s = InitImage.size
        let mean = try encoder.get().run([try image.tensor.reshaped([1, vaeConfig.inChannels, s, s])])[0]
        return Tensor(shape: mean.shape, floats: vaeConfig.denoiserLatent(mean: mean.floats()))
    }

    /// The grid step img2img starts denoising at: k = N - round(N * strength), rounding half to even as
    /// Python's `round` does (see `imageToImageStart`).
    static func imageToImageFirstStep(steps: Int, strength: Double) -> Int {
        steps - Int((Double(steps) * strength).rounded(.toNearestOrEven))
    }

    /// Where img2img starts denoising: the latent `z` of the init image noised to the time of step
    /// `firstStep` of `NoiseSchedule.timeGrid(steps:)`, x = alpha(t_k) z + sigma(t_k) eps with
    /// alpha(t) = cos(pi t / 2), sigma(t) = sin(pi t / 2), and the sampler then runs steps
    /// `firstStep..<steps` only (the recipe's `pipeline.img2img_start`).
    ///
    /// k = N - round(N * strength), rounding half to even as Python's `round` does, so that the Swift and
    /// PyTorch pipelines agree on every (N, strength). `strength` 1 is k = 0 and returns `eps` itself,
    /// not alpha(1) z + eps with alpha(1) = cos(pi / 2) ~ 6e-17, so img2img at strength 1 is text-to-image
    /// bit for bit; `strength` 0 is k = N, no denoising, and returns `z` itself. `strength` must be in
    /// 0...1 and `steps` at least 1 (callers validate user input; this traps), and `z` and `eps` must have
    /// the same length. The mix is computed in float32, as PyTorch computes `a * z + s * eps`.
    public static func imageToImageStart(latent z: [Float], noise eps: [Float], strength: Double, steps: Int,
                                         grid: [Double]? = nil) -> (x: [Float], firstStep: Int) {
        precondition((0...1).contains(strength), "img2img strength \(strength) is outside 0...1")
        precondition(steps >= 1, "img2img needs at least one step, not \(steps)")
        precondition(z.count == eps.count, "latent (\(z.count)) and noise (\(eps.count)) differ in size")
        let k = imageToImageFirstStep(steps: steps, strength: strength)
        if k == 0 { return (eps, 0) }
        if k == steps { return (z, steps) }
        let t = (grid ?? NoiseSchedule.timeGrid(steps: steps))[k]
        let a = Float(cos(0.5 * .pi * t)), s = Float(sin(0.5 * .pi * t))
        var x = [Float](repeating: 0, count: z.count)
        for i in 0..<z.count {
            let noised = a * z[i], noise = s * eps[i]
            x[i] = noised + noise
        }
        return (x, k)
    }
}
