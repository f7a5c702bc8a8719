import CavendishIO
import CJPEG
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Decodes JPEG with libjpeg-turbo into RGB (CMYK and YCCK converted), without ever exiting the process.
///
/// libjpeg reports a fatal error by calling `error_exit`, which must not return; C programs `longjmp`
/// out of it, which Swift cannot do. So each decode runs on its own short-lived POSIX thread, and
/// `error_exit` ends that thread (`pthread_exit`) after saving the message. The thread's frames hold only
/// raw memory owned by the caller, so nothing leaks; the caller then destroys the decompressor, as a C
/// program would after its `longjmp`.
enum JPEGDecoder {
    /// The stored (not yet oriented) image of JPEG bytes, or a message saying why it cannot be decoded.
    static func decode(_ data: Data) -> Result<RGBImage, DecodeFailure> {
        guard !data.isEmpty else { return .failure(DecodeFailure("the file is empty")) }
        let job = UnsafeMutablePointer<JPEGJob>.allocate(capacity: 1)
        let cinfo = UnsafeMutablePointer<jpeg_decompress_struct>.allocate(capacity: 1)
        let err = UnsafeMutablePointer<jpeg_error_mgr>.allocate(capacity: 1)
        let message = UnsafeMutablePointer<CChar>.allocate(capacity: Int(JMSG_LENGTH_MAX) + 1)
        defer { job.deallocate(); cinfo.deallocate(); err.deallocate(); message.deallocate() }
        message.initialize(repeating: 0, count: Int(JMSG_LENGTH_MAX) + 1)
        return data.withUnsafeBytes { raw -> Result<RGBImage, DecodeFailure> in
            job.initialize(to: JPEGJob(input: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), inputCount: raw.count,
                                       cinfo: cinfo, err: err, message: message, output: nil, scratch: nil, width: 0, height: 0, created: false, finished: false))
            var thread = pthread_t()
            guard pthread_create(&thread, nil, jpegThreadMain, UnsafeMutableRawPointer(job)) == 0 else {
                return .failure(DecodeFailure("cannot start a decoding thread"))
            }
            pthread_join(thread, nil)
            defer {
                if job.pointee.created { jpeg_destroy_decompress(cinfo) }
                free(job.pointee.output)
                free(job.pointee.scratch)
            }
            guard job.pointee.finished, let output = job.pointee.output else {
                let text = String(cString: message)
                return .failure(DecodeFailure(text.isEmpty ? "libjpeg-turbo could not decode it" : "libjpeg-turbo: \(text)"))
            }
            let count = job.pointee.width * job.pointee.height * 3
            let pixels = Array(UnsafeBufferPointer(start: output, count: count))
            guard let image = RGBImage(width: job.pointee.width, height: job.pointee.height, pixels: pixels) else {
                return .failure(DecodeFailure("libjpeg-turbo returned an empty image"))
            }
            return .success(image)
        }
    }
}

/// Why a photo could not be decoded.
public struct DecodeFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with the file.
    public let reason: String

    /// A failure with `reason`.
    public init(_ reason: String) { self.reason = reason }

    /// The reason.
    public var description: String { reason }
}

/// Everything a decoding thread touches: raw memory only, owned by `JPEGDecoder.decode`.
struct JPEGJob {
    var input: UnsafePointer<UInt8>
    var inputCount: Int
    var cinfo: UnsafeMutablePointer<jpeg_decompress_struct>
    var err: UnsafeMutablePointer<jpeg_error_mgr>
    var message: UnsafeMutablePointer<CChar>
    var output: UnsafeMutablePointer<UInt8>?
    var scratch: UnsafeMutablePointer<UInt8>?
    var width: Int
    var height: Int
    var created: Bool
    var finished: Bool
}

/// The decoding thread: sets up libjpeg with an `error_exit` that ends this thread, then decodes.
private func jpegThreadMain(_ context: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    let job = context!.assumingMemoryBound(to: JPEGJob.self)
    let cinfo = job.pointee.cinfo
    cinfo.pointee.err = jpeg_std_error(job.pointee.err)
    job.pointee.err.pointee.error_exit = { common in
        if let common, let job = common.pointee.client_data?.assumingMemoryBound(to: JPEGJob.self) {
            common.pointee.err.pointee.format_message(common, job.pointee.message)
        }
        pthread_exit(nil)
    }
    job.pointee.err.pointee.output_message = { _ in }  // warnings (corrupt data patched over) stay quiet
    jpeg_CreateDecompress(cinfo, JPEG_LIB_VERSION, MemoryLayout<jpeg_decompress_struct>.size)
    job.pointee.created = true
    cinfo.pointee.client_data = UnsafeMutableRawPointer(job)
    jpeg_mem_src(cinfo, job.pointee.input, UInt(job.pointee.inputCount))
    guard jpeg_read_header(cinfo, 1) == JPEG_HEADER_OK else {
        strcpy(job.pointee.message, "no image in the file")
        return nil
    }
    let cmyk = cinfo.pointee.jpeg_color_space == JCS_CMYK || cinfo.pointee.jpeg_color_space == JCS_YCCK
    cinfo.pointee.out_color_space = cmyk ? JCS_CMYK : JCS_RGB
    let w = Int(cinfo.pointee.image_width), h = Int(cinfo.pointee.image_height)
    guard ImageLimits.allows(width: w, height: h) else {
        strcpy(job.pointee.message, "the image size in the header is empty or too large")
        return nil
    }
    jpeg_start_decompress(cinfo)
    let components = Int(cinfo.pointee.output_components)
    guard components == (cmyk ? 4 : 3) else {
        strcpy(job.pointee.message, "unexpected number of colour components")
        return nil
    }
    guard let output = malloc(w * h * 3)?.assumingMemoryBound(to: UInt8.self) else {
        strcpy(job.pointee.message, "out of memory")
        return nil
    }
    guard let row = malloc(w * components)?.assumingMemoryBound(to: UInt8.self) else {
        free(output)
        strcpy(job.pointee.message, "out of memory")
        return nil
    }
    job.pointee.output = output
    job.pointee.scratch = row  // freed by the caller, also when libjpeg ends this thread
    var rowPointer: JSAMPROW? = row
    while cinfo.pointee.output_scanline < cinfo.pointee.output_height {
        let y = Int(cinfo.pointee.output_scanline)
        guard jpeg_read_scanlines(cinfo, &rowPointer, 1) == 1 else { break }
        let dst = output + y * w * 3
        if cmyk {
            // Adobe writes inverted CMYK; libjpeg hands it back as stored. R = C * K / 255 and so on.
            let inverted = cinfo.pointee.saw_Adobe_marker != 0
            for x in 0..<w {
                var c = Int(row[x * 4]), m = Int(row[x * 4 + 1]), yy = Int(row[x * 4 + 2]), k = Int(row[x * 4 + 3])
                if !inverted { c = 255 - c; m = 255 - m; yy = 255 - yy; k = 255 - k }
                dst[x * 3] = UInt8(c * k / 255); dst[x * 3 + 1] = UInt8(m * k / 255); dst[x * 3 + 2] = UInt8(yy * k / 255)
            }
        } else {
            memcpy(dst, row, w * 3)
        }
    }
    jpeg_finish_decompress(cinfo)
    job.pointee.width = w
    job.pointee.height = h
    job.pointee.finished = true
    return nil
}
