/// How large an image any decoder here will produce: the check every decoder (PNG, JPEG, HEIC) makes on
/// the header's size before it allocates, so that a few hundred bytes declaring 14000x14000 or a PNG
/// declaring 40000x40000 are refused instead of costing gigabytes. 100 megapixels is above what phones
/// and cameras write (a 50 MP photo is 8160x6120) and far above what a reference photo needs (64x64).
public enum ImageLimits {
    /// The most pixels (width x height) a decoded image may have.
    public static let maximumPixels = 100_000_000

    /// Whether a `width` x `height` image may be decoded (positive sides, at most `maximumPixels`).
    public static func allows(width: Int, height: Int) -> Bool {
        guard width > 0, height > 0 else { return false }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        return !overflow && pixels <= maximumPixels
    }
}
