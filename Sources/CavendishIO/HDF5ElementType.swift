import CHDF5
import CavendishCore

/// How each Cavendish element type is laid out in an HDF5 file, and back.
///
/// Files follow docs/KERNEL_CASES.md: plain numeric types are stored as themselves; bool and bfloat16,
/// which HDF5 (and numpy without ml_dtypes) has no standard type for, are stored as uint8 and uint16
/// with a string attribute `dtype` naming the real type. All calls here expect the HDF5 lock held.
enum HDF5ElementType {
    /// The attribute that names the real element type of a bool or bfloat16 dataset.
    static let tagAttribute = "dtype"

    /// A 16-bit IEEE float type, built the way h5py builds the one numpy's float16 maps to.
    ///
    /// HDF5 1.10 has no predefined half type, so it is described field by field: sign bit 15,
    /// exponent bits 10-14 (bias 15), mantissa bits 0-9. The caller closes the id.
    static func makeFloat16() -> hid_t {
        let type = H5Tcopy(cav_h5t_ieee_f32le())
        H5Tset_fields(type, 15, 10, 5, 0, 10)
        H5Tset_size(type, 2)
        H5Tset_ebias(type, 15)
        return type
    }

    /// A bfloat16 float type (the upper half of a float32), for files that store it as a real float.
    static func makeBFloat16() -> hid_t {
        let type = H5Tcopy(cav_h5t_ieee_f32le())
        H5Tset_fields(type, 15, 7, 8, 0, 7)
        H5Tset_size(type, 2)
        H5Tset_ebias(type, 127)
        return type
    }

    /// The memory and file types to write `dtype` with, and the `dtype` tag to attach, if any.
    /// The caller closes both ids (closing a predefined type id is a harmless error, so they are copies).
    static func writeTypes(for dtype: DType) -> (memory: hid_t, file: hid_t, tag: String?) {
        switch dtype {
        case .float32: return (H5Tcopy(cav_h5t_native_float()), H5Tcopy(cav_h5t_ieee_f32le()), nil)
        case .float64: return (H5Tcopy(cav_h5t_native_double()), H5Tcopy(cav_h5t_ieee_f64le()), nil)
        case .float16: return (makeFloat16(), makeFloat16(), nil)
        case .bfloat16: return (H5Tcopy(cav_h5t_native_uint16()), H5Tcopy(cav_h5t_std_u16le()), "bfloat16")
        case .int8: return (H5Tcopy(cav_h5t_native_int8()), H5Tcopy(cav_h5t_std_i8le()), nil)
        case .uint8: return (H5Tcopy(cav_h5t_native_uint8()), H5Tcopy(cav_h5t_std_u8le()), nil)
        case .bool: return (H5Tcopy(cav_h5t_native_uint8()), H5Tcopy(cav_h5t_std_u8le()), "bool")
        case .int32: return (H5Tcopy(cav_h5t_native_int32()), H5Tcopy(cav_h5t_std_i32le()), nil)
        case .int64: return (H5Tcopy(cav_h5t_native_int64()), H5Tcopy(cav_h5t_std_i64le()), nil)
        }
    }

    /// The Cavendish type a stored dataset reads as, and the memory type to read it with.
    ///
    /// Integer types without a Cavendish equivalent are widened when that loses nothing (int16 and
    /// uint16 to int32, uint32 to int64); uint64 is refused because int64 cannot hold all its values.
    /// Returns a description of the stored type as the error when it cannot be read.
    static func readType(fileType: hid_t, tag: String?) -> Result<(dtype: DType, memory: hid_t), TypeProblem> {
        let typeClass = H5Tget_class(fileType)
        let size = H5Tget_size(fileType)
        let signed = H5Tget_sign(fileType) == H5T_SGN_2

        // The tag overrides the plain reading only for the two types the case format stores indirectly.
        switch tag {
        case "bool":
            guard (typeClass == H5T_INTEGER || typeClass == H5T_ENUM) && size == 1 else {
                return .failure(TypeProblem("has dtype attribute \"bool\" but is stored as \(describe(fileType)), not uint8"))
            }
            return .success((.bool, H5Tcopy(fileType)))
        case "bfloat16":
            guard typeClass == H5T_INTEGER && size == 2 else {
                return .failure(TypeProblem("has dtype attribute \"bfloat16\" but is stored as \(describe(fileType)), not uint16"))
            }
            // Read the bits as they are: converting a signed int16 to uint16 would clip negative patterns.
            let bits = signed ? cav_h5t_native_int16() : cav_h5t_native_uint16()
            return .success((.bfloat16, H5Tcopy(bits)))
        default:
            break
        }

        let plain: (DType, hid_t)?
        if typeClass == H5T_FLOAT {
            switch size {
            case 4: plain = (.float32, H5Tcopy(cav_h5t_native_float()))
            case 8: plain = (.float64, H5Tcopy(cav_h5t_native_double()))
            case 2:
                var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
                H5Tget_fields(fileType, &spos, &epos, &esize, &mpos, &msize)
                if esize == 5 && msize == 10 {
                    plain = (.float16, makeFloat16())
                } else if esize == 8 && msize == 7 {
                    plain = (.bfloat16, makeBFloat16())
                } else {
                    plain = nil
                }
            default: plain = nil
            }
        } else if typeClass == H5T_INTEGER {
            switch (size, signed) {
            case (1, true): plain = (.int8, H5Tcopy(cav_h5t_native_int8()))
            case (1, false): plain = (.uint8, H5Tcopy(cav_h5t_native_uint8()))
            case (2, _): plain = (.int32, H5Tcopy(cav_h5t_native_int32()))
            case (4, true): plain = (.int32, H5Tcopy(cav_h5t_native_int32()))
            case (4, false): plain = (.int64, H5Tcopy(cav_h5t_native_int64()))
            case (8, true): plain = (.int64, H5Tcopy(cav_h5t_native_int64()))
            default: plain = nil
            }
        } else if typeClass == H5T_ENUM && size == 1 {
            // h5py stores numpy bool as a one-byte enum {FALSE = 0, TRUE = 1}.
            plain = (.bool, H5Tcopy(fileType))
        } else {
            plain = nil
        }
        guard let (dtype, memory) = plain else {
            return .failure(TypeProblem("is stored as \(describe(fileType)), which has no Cavendish element type"))
        }
        if let tag, DType(rawValue: tag) != dtype {
            H5Tclose(memory)
            return .failure(TypeProblem("has dtype attribute \"\(tag)\" but is stored as \(describe(fileType))"))
        }
        return .success((dtype, memory))
    }

    /// A short human name for a stored type ("uint64", "16-byte float", "string").
    static func describe(_ type: hid_t) -> String {
        let typeClass = H5Tget_class(type)
        let size = H5Tget_size(type)
        switch typeClass {
        case H5T_INTEGER: return "\(H5Tget_sign(type) == H5T_SGN_2 ? "int" : "uint")\(size * 8)"
        case H5T_FLOAT: return "\(size)-byte float"
        case H5T_STRING: return "string"
        case H5T_COMPOUND: return "compound"
        case H5T_ENUM: return "\(size)-byte enum"
        case H5T_ARRAY: return "array type"
        case H5T_VLEN: return "variable-length sequence"
        case H5T_REFERENCE: return "reference"
        case H5T_OPAQUE: return "opaque"
        case H5T_BITFIELD: return "bitfield"
        case H5T_TIME: return "time"
        default: return "unknown type"
        }
    }
}

/// Why a stored type cannot be read; the reader prefixes the dataset's name.
struct TypeProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
