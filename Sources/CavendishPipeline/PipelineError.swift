/// What went wrong in a generation request, said in terms of the request (the pipeline's layer), so that a
/// caller can tell a request to fix from broken weights or a runtime fault (`GraphError`, `TensorError`).
public enum PipelineError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A preset the pipeline was not loaded with.
    case presetNotLoaded(String)
    /// A reference for a placeholder outside `<p1>`..`<pN>`.
    case placeholderOutOfRange(Int, limit: Int)
    /// More reference photos for one person than the reference encoder takes.
    case tooManyPhotos(placeholder: Int, count: Int, limit: Int)
    /// A negative prompt for a preset without an unconditional branch.
    case negativePromptWithoutUnconditionalBranch(String)
    /// img2img strength outside 0...1.
    case strengthOutOfRange(Double)
    /// The decoder produced NaN or infinity: the weights or inputs are broken, not the request.
    case nonFiniteImage(count: Int)
    /// A decoded image of the wrong size.
    case imageSize(got: Int, expected: Int)
    /// A judges file whose config does not say what its outputs mean (written before labels were exported).
    case judgesWithoutLabels(String)

    /// The message, with how to fix it.
    public var description: String {
        switch self {
        case .presetNotLoaded(let p): return "preset \(p) was not loaded; create the pipeline with it in `presets`"
        case .placeholderOutOfRange(let p, let limit): return "placeholder <p\(p)> is outside 1...\(limit); number the people <p1> to <p\(limit)>"
        case .tooManyPhotos(let p, let n, let limit): return "<p\(p)> has \(n) reference photos; give at most \(limit)"
        case .negativePromptWithoutUnconditionalBranch(let p):
            return "\(p) has no unconditional branch, so a negative prompt has nothing to replace; use v1 or leave it empty"
        case .strengthOutOfRange(let s): return "strength must be between 0 (keep the init image) and 1 (ignore it), got \(s)"
        case .nonFiniteImage(let n): return "the decoder produced \(n) non-finite values (NaN or infinity): the weights or the inputs are broken"
        case .imageSize(let got, let expected): return "decoded image has \(got) values, expected \(expected)"
        case .judgesWithoutLabels(let path):
            return "\(path) does not name its classes in its config; re-export it with Weights/recipe/export.py (or restore it with git checkout)"
        }
    }
}
