import CHDF5
import CavendishCore
import Foundation

/// What a named member of an HDF5 group is.
public enum HDF5MemberKind: String, Sendable, Equatable {
    /// A group, which holds further members.
    case group
    /// A dataset, which holds an array (read it with `HDF5File.tensor(at:)`).
    case dataset
    /// Anything else: a named datatype, or a link whose target is missing.
    case other
}

/// One entry of an HDF5 group listing.
public struct HDF5Member: Sendable, Equatable {
    /// The member's name within its group (not a full path).
    public let name: String
    /// Whether it is a group or a dataset.
    public let kind: HDF5MemberKind

    /// Creates a listing entry.
    public init(name: String, kind: HDF5MemberKind) {
        self.name = name
        self.kind = kind
    }
}

/// An HDF5 file opened read-only: group listings, datasets as tensors, attributes.
///
/// Paths inside the file are written as in h5py: `"inputs/0"`, with `"/"` for the root group.
/// Every failure, including a missing, truncated or corrupt file, throws an `IOError` naming the file.
/// Calls from several threads are safe: they take turns behind the module's HDF5 lock.
///
/// Limit: the HDF5 library itself (1.10 here) trusts some structures inside object headers, so a file
/// damaged *inside* an attribute message (not truncated, and not in the superblock) can crash it while
/// attributes are listed or a variable-length string is read. Reading named attributes with
/// `attribute(_:of:)` avoids the listing path; a runner that must survive arbitrary files should read
/// each in a child process.
public final class HDF5File: @unchecked Sendable {
    /// The file, as the caller named it.
    public let path: String
    private var id: hid_t

    /// Opens an existing HDF5 file for reading.
    public init(readingFrom path: String) throws {
        self.path = path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw IOError(path: path, "no such file")
        }
        guard !isDirectory.boolValue else { throw IOError(path: path, "is a folder, not an HDF5 file") }
        // A FIFO or a device would block the signature read for ever.
        var st = stat()
        guard stat(path, &st) == 0, st.st_mode & S_IFMT == S_IFREG else { throw IOError(path: path, "is not a regular file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw IOError(path: path, "cannot be read (permission denied)")
        }
        id = try HDF5Library.locked {
            let signature = H5Fis_hdf5(path)
            if signature == 0 {
                H5Eclear2(cav_h5e_default())
                throw IOError(path: path, "is not an HDF5 file (no HDF5 signature found)")
            }
            let access = H5Pcreate(cav_h5p_file_access())
            defer { H5Pclose(access) }
            // A strong close releases every object still open, so a file is never held past `close()`.
            H5Pset_fclose_degree(access, H5F_CLOSE_STRONG)
            let file = H5Fopen(path, cav_h5f_acc_rdonly(), access)
            guard file >= 0 else {
                let detail = HDF5Library.takeErrorStack()
                let what = detail.contains("truncated file") ? "is truncated" : "is a damaged HDF5 file"
                throw IOError(path: path, "\(what) and cannot be opened (HDF5: \(detail))")
            }
            // Reading the root group now surfaces a damaged root at open time rather than at first use.
            var info = H5G_info_t()
            guard H5Gget_info(file, &info) >= 0 else {
                let error = HDF5Library.error(path, "has an unreadable root group; the file is corrupt")
                H5Fclose(file)
                throw error
            }
            return file
        }
    }

    deinit { close() }

    /// Releases the file; later calls throw. Safe to call more than once.
    public func close() {
        HDF5Library.locked {
            if id >= 0 { H5Fclose(id) }
            id = -1
        }
    }

    private func fileID() throws -> hid_t {
        guard id >= 0 else { throw IOError(path: path, "was already closed") }
        return id
    }

    /// True when an object (group or dataset) exists at `objectPath`.
    public func contains(_ objectPath: String) -> Bool {
        HDF5Library.locked {
            guard let file = try? fileID() else { return false }
            return HDF5Paths.exists(objectPath, in: file)
        }
    }

    /// The members of a group, sorted by name.
    public func members(of group: String = "/") throws -> [HDF5Member] {
        try HDF5Library.locked {
            let file = try fileID()
            guard HDF5Paths.exists(group, in: file) else { throw IOError(path: path, "has no group '\(group)'") }
            let groupID = H5Gopen2(file, group, cav_h5p_default())
            guard groupID >= 0 else { throw HDF5Library.error(path, "'\(group)' is not a group") }
            defer { H5Gclose(groupID) }
            var info = H5G_info_t()
            guard H5Gget_info(groupID, &info) >= 0 else { throw HDF5Library.error(path, "cannot list group '\(group)'") }
            var members: [HDF5Member] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, cav_h5p_default())
                guard length >= 0 else { throw HDF5Library.error(path, "cannot list group '\(group)'") }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(groupID, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, cav_h5p_default()) >= 0
                else { throw HDF5Library.error(path, "cannot list group '\(group)'") }
                let name = String(cString: buffer)
                members.append(HDF5Member(name: name, kind: HDF5Paths.kind(of: name, in: groupID)))
            }
            H5Eclear2(cav_h5e_default())
            return members.sorted { $0.name < $1.name }
        }
    }

    /// Reads a whole dataset into a new contiguous tensor.
    ///
    /// Element types follow docs/KERNEL_CASES.md, including the `dtype` attribute for bool and
    /// bfloat16; a shape `()` dataset becomes a rank-0 tensor. int16, uint16 and uint32 are widened
    /// to int32 or int64, which holds every value; other types throw.
    public func tensor(at datasetPath: String) throws -> Tensor {
        try withDataset(datasetPath) { try HDF5DatasetIO.read($0, name: datasetPath, path: path) }
    }

    /// Opens a dataset under the library lock for `body`.
    private func withDataset<T>(_ datasetPath: String, _ body: (hid_t) throws -> T) throws -> T {
        try HDF5Library.locked {
            let file = try fileID()
            guard HDF5Paths.exists(datasetPath, in: file) else { throw IOError(path: path, "has no dataset '\(datasetPath)'") }
            let dataset = H5Dopen2(file, datasetPath, cav_h5p_default())
            guard dataset >= 0 else { throw HDF5Library.error(path, "'\(datasetPath)' is not a dataset") }
            defer { H5Dclose(dataset) }
            return try body(dataset)
        }
    }

    /// Reads a string dataset (variable- or fixed-length, scalar or 1-D), as h5py writes `str` data.
    public func strings(at datasetPath: String) throws -> [String] {
        try withDataset(datasetPath) { dataset in
            let type = H5Dget_type(dataset), space = H5Dget_space(dataset)
            defer { H5Tclose(type); H5Sclose(space) }
            guard H5Tget_class(type) == H5T_STRING else { throw IOError(path: path, "dataset '\(datasetPath)' does not hold strings") }
            let count = Int(H5Sget_simple_extent_npoints(space))
            return try HDF5Strings.read(fileType: type, count: count, failure: { HDF5Library.error(path, "cannot read strings of '\(datasetPath)'") }) {
                H5Dread(dataset, $0, cav_h5s_all(), cav_h5s_all(), cav_h5p_default(), $1)
            }
        }
    }

    /// The names of the attributes on an object, sorted.
    public func attributeNames(of objectPath: String = "/") throws -> [String] {
        try withObject(objectPath) { object in
            guard let names = HDF5AttributeIO.names(of: object) else {
                throw HDF5Library.error(path, "cannot list the attributes of \(HDF5Paths.describe(objectPath))")
            }
            return names
        }
    }

    /// Attribute `name` of an object, or nil when the object has no such attribute.
    public func attribute(_ name: String, of objectPath: String = "/") throws -> HDF5AttributeValue? {
        try withObject(objectPath) { object in
            let exists = H5Aexists(object, name)
            guard exists >= 0 else {
                throw HDF5Library.error(path, "cannot look up attribute '\(name)' of \(HDF5Paths.describe(objectPath))")
            }
            guard exists > 0 else { return nil }
            return try HDF5AttributeIO.read(name, of: object, where: HDF5Paths.describe(objectPath), path: path)
        }
    }

    /// All attributes of an object; throws if any has a type that cannot be read.
    public func attributes(of objectPath: String = "/") throws -> [String: HDF5AttributeValue] {
        try withObject(objectPath) { object in
            guard let names = HDF5AttributeIO.names(of: object) else {
                throw HDF5Library.error(path, "cannot list the attributes of \(HDF5Paths.describe(objectPath))")
            }
            var values: [String: HDF5AttributeValue] = [:]
            for name in names {
                values[name] = try HDF5AttributeIO.read(name, of: object, where: HDF5Paths.describe(objectPath), path: path)
            }
            return values
        }
    }

    private func withObject<T>(_ objectPath: String, _ body: (hid_t) throws -> T) throws -> T {
        try HDF5Library.locked {
            let file = try fileID()
            guard HDF5Paths.exists(objectPath, in: file) else { throw IOError(path: path, "has no object '\(objectPath)'") }
            let object = H5Oopen(file, objectPath, cav_h5p_default())
            guard object >= 0 else { throw HDF5Library.error(path, "cannot open '\(objectPath)'") }
            defer { H5Oclose(object) }
            return try body(object)
        }
    }
}

/// Path helpers shared by the reader and the writer. All calls expect the HDF5 lock held.
enum HDF5Paths {
    /// True when every link along `objectPath` exists and the last one resolves to an object.
    ///
    /// `H5Lexists` must be asked one component at a time: asking for "a/b" when "a" is missing is an
    /// error rather than false.
    static func exists(_ objectPath: String, in location: hid_t) -> Bool {
        let parts = objectPath.split(separator: "/", omittingEmptySubsequences: true)
        var prefix = objectPath.hasPrefix("/") ? "/" : ""
        for part in parts {
            prefix += (prefix.isEmpty || prefix.hasSuffix("/") ? "" : "/") + part
            if H5Lexists(location, prefix, cav_h5p_default()) <= 0 {
                H5Eclear2(cav_h5e_default())
                return false
            }
        }
        let found = H5Oexists_by_name(location, parts.isEmpty ? "/" : prefix, cav_h5p_default()) > 0
        H5Eclear2(cav_h5e_default())
        return found
    }

    /// Whether the member `name` of `group` is a group or a dataset.
    static func kind(of name: String, in group: hid_t) -> HDF5MemberKind {
        let object = H5Oopen(group, name, cav_h5p_default())
        guard object >= 0 else { return .other }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        default: return .other
        }
    }

    /// "the root group" or "'inputs/0'", for messages.
    static func describe(_ objectPath: String) -> String {
        objectPath.split(separator: "/").isEmpty ? "the root group" : "'\(objectPath)'"
    }
}
