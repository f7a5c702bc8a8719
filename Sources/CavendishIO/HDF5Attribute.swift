import CHDF5
import Foundation

/// The value of an HDF5 attribute: the kinds the case format and weight files use.
///
/// Integers are widened to `Int64` and floats to `Double` on reading, so callers need not care whether
/// the writer chose int32 or float32; a scalar attribute is `.integer`/`.float`/`.string`, a
/// one-dimensional one the plural case.
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    /// A text value (written as variable-length UTF-8, as h5py writes `str`).
    case string(String)
    /// An integer (written as int64).
    case integer(Int64)
    /// A floating-point number (written as float64).
    case float(Double)
    /// A one-dimensional array of text values.
    case strings([String])
    /// A one-dimensional array of integers.
    case integers([Int64])
    /// A one-dimensional array of floating-point numbers.
    case floats([Double])

    /// The text, when this is a string or a one-element string array.
    public var stringValue: String? {
        switch self {
        case .string(let s): return s
        case .strings(let s) where s.count == 1: return s[0]
        default: return nil
        }
    }

    /// The integer, when this is an integer (or one-element integer array), or a float with no fraction.
    public var integerValue: Int64? {
        switch self {
        case .integer(let v): return v
        case .integers(let v) where v.count == 1: return v[0]
        case .float(let v) where v.rounded() == v && abs(v) < 9.0e18: return Int64(v)
        default: return nil
        }
    }

    /// The number, when this is a float or an integer (tolerances may be written either way).
    public var doubleValue: Double? {
        switch self {
        case .float(let v): return v
        case .integer(let v): return Double(v)
        case .floats(let v) where v.count == 1: return v[0]
        case .integers(let v) where v.count == 1: return Double(v[0])
        default: return nil
        }
    }

    /// The value as Python would print it, for messages.
    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .integer(let v): return "\(v)"
        case .float(let v): return "\(v)"
        case .strings(let s): return "[" + s.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .integers(let v): return "\(v)"
        case .floats(let v): return "\(v)"
        }
    }
}

/// Reading and writing attributes of an open HDF5 object. All calls expect the HDF5 lock held.
enum HDF5AttributeIO {
    /// The names of the attributes on `object`, sorted.
    static func names(of object: hid_t) -> [String]? {
        final class Names { var list: [String] = [] }
        let names = Names()
        var index: hsize_t = 0
        let status = withExtendedLifetime(names) {
            H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, context in
                guard let name, let context else { return 0 }
                Unmanaged<Names>.fromOpaque(context).takeUnretainedValue().list.append(String(cString: name))
                return 0
            }, Unmanaged.passUnretained(names).toOpaque())
        }
        return status < 0 ? nil : names.list.sorted()
    }

    /// Reads attribute `name` of `object`; `where` names the object in error messages.
    static func read(_ name: String, of object: hid_t, where place: String, path: String) throws -> HDF5AttributeValue {
        let attribute = H5Aopen(object, name, cav_h5p_default())
        guard attribute >= 0 else { throw HDF5Library.error(path, "cannot open attribute '\(name)' of \(place)") }
        defer { H5Aclose(attribute) }
        let fileType = H5Aget_type(attribute)
        guard fileType >= 0 else { throw HDF5Library.error(path, "cannot read the type of attribute '\(name)' of \(place)") }
        defer { H5Tclose(fileType) }
        let space = H5Aget_space(attribute)
        guard space >= 0 else { throw HDF5Library.error(path, "cannot read the shape of attribute '\(name)' of \(place)") }
        defer { H5Sclose(space) }

        let rank = H5Sget_simple_extent_ndims(space)
        let points = H5Sget_simple_extent_npoints(space)
        guard rank >= 0, points >= 0 else {
            throw HDF5Library.error(path, "attribute '\(name)' of \(place) has an unreadable shape")
        }
        guard rank <= 1 else {
            throw IOError(path: path, "attribute '\(name)' of \(place) has \(rank) dimensions; only scalars and 1-D arrays are supported")
        }
        let count = Int(points)
        let isScalar = rank == 0
        // A corrupt header could claim billions of elements; attributes live in the object header,
        // which HDF5 caps at 64 KiB unless dense storage is used, so a generous fixed bound is safe.
        guard count <= 1 << 24 else {
            throw IOError(path: path, "attribute '\(name)' of \(place) claims \(count) elements")
        }
        let failure = { HDF5Library.error(path, "cannot read attribute '\(name)' of \(place)") }

        switch H5Tget_class(fileType) {
        case H5T_STRING:
            let strings = try readStrings(attribute, fileType: fileType, count: count, failure: failure)
            return isScalar ? .string(strings.first ?? "") : .strings(strings)
        case H5T_INTEGER, H5T_ENUM:
            var values = [Int64](repeating: 0, count: count)
            if H5Tget_class(fileType) == H5T_ENUM {
                // HDF5 will not convert enums to integers, so read the base integer bytes and widen them.
                values = try readEnum(attribute, fileType: fileType, count: count, failure: failure)
            } else if count > 0 {
                guard H5Aread(attribute, cav_h5t_native_int64(), &values) >= 0 else { throw failure() }
            }
            return isScalar ? .integer(values.first ?? 0) : .integers(values)
        case H5T_FLOAT:
            var values = [Double](repeating: 0, count: count)
            if count > 0 {
                guard H5Aread(attribute, cav_h5t_native_double(), &values) >= 0 else { throw failure() }
            }
            return isScalar ? .float(values.first ?? 0) : .floats(values)
        default:
            throw IOError(path: path, "attribute '\(name)' of \(place) is a \(HDF5ElementType.describe(fileType)); only strings, integers and floats are supported")
        }
    }

    private static func readStrings(_ attribute: hid_t, fileType: hid_t, count: Int,
                                    failure: () -> IOError) throws -> [String] {
        try HDF5Strings.read(fileType: fileType, count: count, failure: failure) { H5Aread(attribute, $0, $1) }
    }

    private static func readEnum(_ attribute: hid_t, fileType: hid_t, count: Int,
                                 failure: () -> IOError) throws -> [Int64] {
        let width = H5Tget_size(fileType)
        guard count > 0, [1, 2, 4, 8].contains(width) else { return [Int64](repeating: 0, count: count) }
        let base = H5Tget_super(fileType)
        let signed = base >= 0 && H5Tget_sign(base) == H5T_SGN_2
        if base >= 0 { H5Tclose(base) }
        let memoryType = H5Tget_native_type(fileType, H5T_DIR_DEFAULT)
        guard memoryType >= 0 else { throw failure() }
        defer { H5Tclose(memoryType) }
        var raw = [UInt8](repeating: 0, count: count * width)
        guard H5Aread(attribute, memoryType, &raw) >= 0 else { throw failure() }
        return raw.withUnsafeBytes { bytes in
            (0..<count).map { i in
                let at = i * width
                switch (width, signed) {
                case (1, true): return Int64(bytes.load(fromByteOffset: at, as: Int8.self))
                case (1, false): return Int64(bytes.load(fromByteOffset: at, as: UInt8.self))
                case (2, true): return Int64(bytes.loadUnaligned(fromByteOffset: at, as: Int16.self))
                case (2, false): return Int64(bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self))
                case (4, true): return Int64(bytes.loadUnaligned(fromByteOffset: at, as: Int32.self))
                case (4, false): return Int64(bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self))
                default: return Int64(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: at, as: Int64.self))
                }
            }
        }
    }

    /// Writes (or replaces) attribute `name` on `object`.
    static func write(_ value: HDF5AttributeValue, named name: String, on object: hid_t,
                      where place: String, path: String) throws {
        if H5Aexists(object, name) > 0 {
            guard H5Adelete(object, name) >= 0 else {
                throw HDF5Library.error(path, "cannot replace attribute '\(name)' of \(place)")
            }
        }
        let failure = { HDF5Library.error(path, "cannot write attribute '\(name)' of \(place)") }

        func create(type: hid_t, count: Int?) throws -> hid_t {
            let space: hid_t
            if let count {
                var dims = [hsize_t(count)]
                space = H5Screate_simple(1, &dims, nil)
            } else {
                space = H5Screate(H5S_SCALAR)
            }
            guard space >= 0 else { throw failure() }
            defer { H5Sclose(space) }
            let attribute = H5Acreate2(object, name, type, space, cav_h5p_default(), cav_h5p_default())
            guard attribute >= 0 else { throw failure() }
            return attribute
        }

        switch value {
        case .string(let s):
            try writeStrings([s], scalar: true, create: create, failure: failure)
        case .strings(let s):
            try writeStrings(s, scalar: false, create: create, failure: failure)
        case .integer(let v):
            var v = v
            let attribute = try create(type: cav_h5t_std_i64le(), count: nil)
            defer { H5Aclose(attribute) }
            guard H5Awrite(attribute, cav_h5t_native_int64(), &v) >= 0 else { throw failure() }
        case .integers(let v):
            let attribute = try create(type: cav_h5t_std_i64le(), count: v.count)
            defer { H5Aclose(attribute) }
            guard v.isEmpty || v.withUnsafeBytes({ H5Awrite(attribute, cav_h5t_native_int64(), $0.baseAddress) }) >= 0
            else { throw failure() }
        case .float(let v):
            var v = v
            let attribute = try create(type: cav_h5t_ieee_f64le(), count: nil)
            defer { H5Aclose(attribute) }
            guard H5Awrite(attribute, cav_h5t_native_double(), &v) >= 0 else { throw failure() }
        case .floats(let v):
            let attribute = try create(type: cav_h5t_ieee_f64le(), count: v.count)
            defer { H5Aclose(attribute) }
            guard v.isEmpty || v.withUnsafeBytes({ H5Awrite(attribute, cav_h5t_native_double(), $0.baseAddress) }) >= 0
            else { throw failure() }
        }
    }

    /// Variable-length UTF-8, which is what h5py writes for `str` and reads back as `str`.
    private static func writeStrings(_ strings: [String], scalar: Bool,
                                     create: (hid_t, Int?) throws -> hid_t, failure: () -> IOError) throws {
        let type = H5Tcopy(cav_h5t_c_s1())
        defer { H5Tclose(type) }
        H5Tset_size(type, cav_h5t_variable())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let attribute = try create(type, scalar ? nil : strings.count)
        defer { H5Aclose(attribute) }
        guard !strings.isEmpty else { return }
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for p in pointers { free(p) } }
        guard H5Awrite(attribute, type, &pointers) >= 0 else { throw failure() }
    }
}

/// Reading strings (variable- or fixed-length) from an attribute or a dataset.
enum HDF5Strings {
    /// Reads `count` strings of `fileType` through `read(memoryType, buffer)`.
    static func read(fileType: hid_t, count: Int, failure: () -> IOError,
                     _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) throws -> [String] {
        guard count > 0 else { return [] }
        let memoryType = H5Tcopy(cav_h5t_c_s1())
        defer { H5Tclose(memoryType) }
        H5Tset_cset(memoryType, H5Tget_cset(fileType))
        if H5Tis_variable_str(fileType) > 0 {
            H5Tset_size(memoryType, cav_h5t_variable())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            guard pointers.withUnsafeMutableBytes({ read(memoryType, $0.baseAddress!) }) >= 0 else { throw failure() }
            defer { for p in pointers where p != nil { H5free_memory(p) } }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let width = H5Tget_size(fileType)
        guard width > 0 else { return [String](repeating: "", count: count) }
        H5Tset_size(memoryType, width)
        H5Tset_strpad(memoryType, H5Tget_strpad(fileType))
        var bytes = [UInt8](repeating: 0, count: count * width)
        guard bytes.withUnsafeMutableBytes({ read(memoryType, $0.baseAddress!) }) >= 0 else { throw failure() }
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        return (0..<count).map { i in
            var slice = bytes[(i * width)..<((i + 1) * width)]
            if let end = slice.firstIndex(of: 0) { slice = slice[..<end] }
            if spacePadded { while slice.last == 0x20 { slice = slice.dropLast() } }
            return String(decoding: slice, as: UTF8.self)
        }
    }
}
