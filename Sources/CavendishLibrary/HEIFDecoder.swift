import CavendishIO
import CHEIF
import Foundation

/// Reads HEIC (and other HEIF) files with libheif: the primary image, decoded to interleaved RGB with the
/// container's rotation and mirroring applied, and its embedded EXIF and XMP blocks.
enum HEIFDecoder {
    /// What the container says without decoding pixels: displayed size, EXIF date, XMP packet.
    static func probe(_ data: Data) -> Result<PhotoProbe, DecodeFailure> {
        withPrimaryImage(data) { handle in
            var probe = PhotoProbe(format: .heic, width: Int(heif_image_handle_get_width(handle)),
                                   height: Int(heif_image_handle_get_height(handle)), orientation: 1)
            for block in metadataBlocks(handle) {
                if block.type == "Exif", block.bytes.count > 4 {
                    // A 4-byte big-endian offset to the TIFF header comes first.
                    let skip = Int(block.bytes[0]) << 24 | Int(block.bytes[1]) << 16 | Int(block.bytes[2]) << 8 | Int(block.bytes[3])
                    if 4 + skip < block.bytes.count, let exif = EXIFReader(tiff: Array(block.bytes[(4 + skip)...])) {
                        probe.dateTaken = exif.dateTaken
                    }
                } else if block.type == "mime" {
                    let text = String(decoding: block.bytes, as: UTF8.self)
                    if text.contains("xmpmeta") || text.contains("rdf:RDF") { probe.xmp = text }
                }
            }
            return .success(probe)
        }
    }

    /// The primary image as displayed (libheif applies the container's `irot` and `imir`).
    static func decode(_ data: Data) -> Result<RGBImage, DecodeFailure> {
        withPrimaryImage(data) { handle in
            guard ImageLimits.allows(width: Int(heif_image_handle_get_width(handle)), height: Int(heif_image_handle_get_height(handle))) else {
                return .failure(DecodeFailure("the image size in the header is empty or more than \(ImageLimits.maximumPixels / 1_000_000) megapixels"))
            }
            var image: OpaquePointer?
            let error = heif_decode_image(handle, &image, heif_colorspace_RGB, heif_chroma_interleaved_RGB, nil)
            guard error.code == heif_error_Ok, let image else { return .failure(failure("cannot decode the image", error)) }
            defer { heif_image_release(image) }
            let w = Int(heif_image_get_width(image, heif_channel_interleaved))
            let h = Int(heif_image_get_height(image, heif_channel_interleaved))
            var stride: Int32 = 0
            guard w > 0, h > 0, let plane = heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride) else {
                return .failure(DecodeFailure("libheif returned no pixels"))
            }
            var pixels = [UInt8](repeating: 0, count: w * h * 3)
            pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h { memcpy(dst.baseAddress! + y * w * 3, plane + y * Int(stride), w * 3) }
            }
            return RGBImage(width: w, height: h, pixels: pixels).map { .success($0) } ?? .failure(DecodeFailure("libheif returned an empty image"))
        }
    }

    private static func withPrimaryImage<T>(_ data: Data, _ body: (OpaquePointer) -> Result<T, DecodeFailure>) -> Result<T, DecodeFailure> {
        guard let context = heif_context_alloc() else { return .failure(DecodeFailure("libheif could not start")) }
        defer { heif_context_free(context) }
        return data.withUnsafeBytes { raw -> Result<T, DecodeFailure> in
            guard let base = raw.baseAddress, raw.count > 0 else { return .failure(DecodeFailure("the file is empty")) }
            let read = heif_context_read_from_memory_without_copy(context, base, raw.count, nil)
            guard read.code == heif_error_Ok else { return .failure(failure("not a readable HEIF file", read)) }
            var handle: OpaquePointer?
            let primary = heif_context_get_primary_image_handle(context, &handle)
            guard primary.code == heif_error_Ok, let handle else { return .failure(failure("no primary image", primary)) }
            defer { heif_image_handle_release(handle) }
            return body(handle)
        }
    }

    private static func metadataBlocks(_ handle: OpaquePointer) -> [(type: String, bytes: [UInt8])] {
        let count = Int(heif_image_handle_get_number_of_metadata_blocks(handle, nil))
        guard count > 0, count < 64 else { return [] }
        var ids = [heif_item_id](repeating: 0, count: count)
        let n = Int(heif_image_handle_get_list_of_metadata_block_IDs(handle, nil, &ids, Int32(count)))
        return ids.prefix(n).compactMap { id in
            let type = heif_image_handle_get_metadata_type(handle, id).map { String(cString: $0) } ?? ""
            let size = heif_image_handle_get_metadata_size(handle, id)
            guard size > 0, size < 16 << 20 else { return nil }
            var bytes = [UInt8](repeating: 0, count: size)
            guard heif_image_handle_get_metadata(handle, id, &bytes).code == heif_error_Ok else { return nil }
            return (type, bytes)
        }
    }

    private static func failure(_ what: String, _ error: heif_error) -> DecodeFailure {
        let detail = error.message.map { String(cString: $0) } ?? ""
        return DecodeFailure(detail.isEmpty ? "libheif: \(what)" : "libheif: \(what) (\(detail))")
    }
}
