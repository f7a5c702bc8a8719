import CavendishIO
@testable import CavendishLibrary
import Foundation
import Testing

/// Quadrant colours of the fixture picture (scripts/library_fixtures.py).
private let quadrants: [(x: Double, y: Double, rgb: (Int, Int, Int))] = [
    (0.25, 0.25, (220, 30, 30)), (0.75, 0.25, (30, 200, 40)), (0.25, 0.75, (30, 40, 220)), (0.75, 0.75, (250, 250, 250)),
]

private func expectQuadrants(_ image: RGBImage, tolerance: Int = 40, sourceLocation: SourceLocation = #_sourceLocation) {
    for q in quadrants {
        let p = image.pixel(x: Int(q.x * Double(image.width)), y: Int(q.y * Double(image.height)))
        let ok = abs(Int(p.r) - q.rgb.0) <= tolerance && abs(Int(p.g) - q.rgb.1) <= tolerance && abs(Int(p.b) - q.rgb.2) <= tolerance
        #expect(ok, "at (\(q.x), \(q.y)) got \(p), want \(q.rgb)", sourceLocation: sourceLocation)
    }
}

@Suite struct DecodingTests {
    @Test(arguments: 1...8)
    func jpegHonoursEXIFOrientation(orientation: Int) throws {
        let data = try LibraryFixture.data("orientation/orient-\(orientation).jpg")
        let meta = try #require(JPEGMetadata(jpegData: data))
        #expect(meta.orientation == orientation)
        let probe = try PhotoDecoder.probe(data).get()
        #expect(probe.width == 48 && probe.height == 32, "displayed size \(probe.width)x\(probe.height)")
        let image = try PhotoDecoder.decode(data).get()
        #expect(image.width == 48 && image.height == 32)
        expectQuadrants(image)
    }

    @Test func heicDecodesWithLibheif() throws {
        let data = try LibraryFixture.data("quadrants.heic")
        #expect(PhotoFormat(sniffing: data) == .heic)
        let probe = try PhotoDecoder.probe(data).get()
        #expect(probe.format == .heic && probe.width == 48 && probe.height == 32)
        let image = try PhotoDecoder.decode(data).get()
        #expect(image.width == 48 && image.height == 32)
        expectQuadrants(image, tolerance: 45)
    }

    @Test func brokenHEICIsAFailureNotACrash() throws {
        var bytes = [UInt8](try LibraryFixture.data("quadrants.heic"))
        bytes = Array(bytes.prefix(40))  // the ftyp box survives, the rest is gone
        let result = PhotoDecoder.decode(Data(bytes))
        guard case .failure(let failure) = result else { Issue.record("a cut HEIC decoded"); return }
        #expect(failure.reason.contains("libheif"))
        guard case .failure = PhotoDecoder.probe(Data(bytes)) else { Issue.record("a cut HEIC probed"); return }
    }

    @Test func libjpegFatalErrorsAreFailuresNotExits() throws {
        // SOS before any SOF: libjpeg calls error_exit ("Invalid JPEG file structure").
        let sosFirst = Data([0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0xFF, 0xD9])
        for _ in 0..<3 {  // repeatedly: each failed decode ends only its own thread
            guard case .failure(let failure) = PhotoDecoder.decode(sosFirst) else { Issue.record("decoded garbage"); return }
            #expect(failure.reason.contains("libjpeg-turbo") && failure.reason.contains("SOS before SOF"), "\(failure.reason)")
        }
        // A valid decode still works afterwards.
        let ok = try PhotoDecoder.decode(try LibraryFixture.data("orientation/orient-1.jpg")).get()
        #expect(ok.width == 48)
    }

    @Test func truncatedAndEmptyFilesDoNotCrash() throws {
        let whole = try LibraryFixture.data("orientation/orient-6.jpg")
        _ = PhotoDecoder.decode(whole.prefix(whole.count / 2))  // libjpeg pads a cut scan; either outcome is fine
        _ = PhotoDecoder.decode(whole.prefix(3))
        guard case .failure = PhotoDecoder.decode(Data()) else { Issue.record("decoded nothing"); return }
        guard case .failure(let f) = PhotoDecoder.decode(Data("hello, not an image".utf8)) else { Issue.record("decoded text"); return }
        #expect(f.reason.contains("not a JPEG, PNG or HEIC"))
        guard case .failure = PhotoDecoder.probe(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0])) else {
            Issue.record("probed a PNG without IHDR"); return
        }
    }

    @Test func cmykJPEGBecomesRGB() throws {
        let image = try PhotoDecoder.decode(try LibraryFixture.data("cmyk.jpg")).get()
        let p = image.pixel(x: 8, y: 8)
        #expect(p.r > 200 && p.g < 60 && p.b < 60, "\(p)")
    }

    @Test func pngDecodesThroughCavendishIO() throws {
        let gray = try PNGImage(width: 4, height: 2, channels: 1, pixels: [0, 50, 100, 150, 200, 250, 10, 20])
        let image = try PhotoDecoder.decode(try gray.pngData()).get()
        #expect(image.pixel(x: 1, y: 0) == (50, 50, 50))
        let probe = try PhotoDecoder.probe(try gray.pngData()).get()
        #expect(probe.format == .png && probe.width == 4 && probe.height == 2)
    }

    @Test func laplacianVarianceRanksSharpAboveSoft() throws {
        let sandbox = try Sandbox()
        try sandbox.photo("sharp.png", sharp: true)
        try sandbox.photo("soft.png", sharp: false)
        let sharp = try PhotoDecoder.decode(try Data(contentsOf: URL(fileURLWithPath: sandbox.library + "/sharp.png"))).get()
        let soft = try PhotoDecoder.decode(try Data(contentsOf: URL(fileURLWithPath: sandbox.library + "/soft.png"))).get()
        #expect(sharp.laplacianVariance() > 10 * soft.laplacianVariance())
    }
}

/// Headers that declare enormous images are refused before anything is allocated.
@Suite struct DecompressionBombTests {
    /// A small JPEG whose frame header is patched to 14000x14000 (196 megapixels): a failure, fast.
    @Test func aJPEGDeclaringAHugeImageIsRefused() throws {
        var bytes = [UInt8](try LibraryFixture.data("orientation/orient-1.jpg"))
        let sof = try #require((0..<(bytes.count - 9)).first { bytes[$0] == 0xFF && (bytes[$0 + 1] == 0xC0 || bytes[$0 + 1] == 0xC2) })
        for (offset, value) in [(5, 14000 >> 8), (6, 14000 & 0xFF), (7, 14000 >> 8), (8, 14000 & 0xFF)] { bytes[sof + offset] = UInt8(value) }
        guard case .failure(let failure) = PhotoDecoder.decode(Data(bytes)) else { Issue.record("a 14000x14000 header decoded"); return }
        #expect("\(failure)".contains("too large") || "\(failure)".contains("megapixels"), "\(failure)")
    }

    @Test func theLimitIsInPixels() {
        #expect(ImageLimits.allows(width: 8160, height: 6120))            // a 50 MP phone photo
        #expect(!ImageLimits.allows(width: 14000, height: 14000))
        #expect(!ImageLimits.allows(width: Int.max, height: 2))           // no overflow
        #expect(!ImageLimits.allows(width: 0, height: 10))
    }
}
