import CHDF5
import CavendishCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates an HDF5 file: groups, datasets from tensors, attributes; published only by `finish()`.
///
/// Everything is written to a temporary file beside `path`, which `finish()` renames into place, so an
/// interrupted run never leaves a half-written case or weight file under the real name. A writer that
/// is dropped without `finish()` deletes its temporary file.
public final class HDF5Writer: @unchecked Sendable {
    /// The file this writer will publish.
    public let path: String
    /// Whether `finish()` may replace an existing file at `path`.
    public let overwrite: Bool
    private let temporaryPath: String
    private var id: hid_t

    /// Starts a new file; throws if `path` exists (unless `overwrite`) or its folder is missing.
    public init(creating path: String, overwrite: Bool = false) throws {
        try AtomicFile.checkDestination(path, overwrite: overwrite)
        self.path = path
        self.overwrite = overwrite
        let temporary = AtomicFile.temporaryPath(for: path)
        temporaryPath = temporary
        id = try HDF5Library.locked {
            let access = H5Pcreate(cav_h5p_file_access())
            defer { H5Pclose(access) }
            H5Pset_fclose_degree(access, H5F_CLOSE_STRONG)
            let file = H5Fcreate(temporary, cav_h5f_acc_excl(), cav_h5p_default(), access)
            guard file >= 0 else { throw HDF5Library.error(path, "cannot create temporary file \(temporary)") }
            return file
        }
    }

    deinit { discard() }

    private func fileID() throws -> hid_t {
        guard id >= 0 else { throw IOError(path: path, "writer was already finished or discarded") }
        return id
    }

    /// Creates a group (and any missing parents); an existing group is left as it is.
    public func createGroup(_ groupPath: String) throws {
        try HDF5Library.locked {
            let file = try fileID()
            if HDF5Paths.exists(groupPath, in: file) { return }
            let linkPlist = H5Pcreate(cav_h5p_link_create())
            defer { H5Pclose(linkPlist) }
            H5Pset_create_intermediate_group(linkPlist, 1)
            let group = H5Gcreate2(file, groupPath, linkPlist, cav_h5p_default(), cav_h5p_default())
            guard group >= 0 else { throw HDF5Library.error(path, "cannot create group '\(groupPath)'") }
            H5Gclose(group)
        }
    }

    /// Writes `tensor` as a new dataset, creating missing parent groups.
    ///
    /// bool and bfloat16 are stored as uint8 and uint16 with a `dtype` attribute, float16 as a 16-bit
    /// IEEE float that h5py reads as numpy float16, so h5py and `HDF5File` both read it back exactly.
    public func write(_ tensor: Tensor, to datasetPath: String) throws {
        try HDF5Library.locked {
            let file = try fileID()
            if HDF5Paths.exists(datasetPath, in: file) {
                throw IOError(path: path, "already has an object '\(datasetPath)'; each dataset is written once")
            }
            try HDF5DatasetIO.write(tensor, as: datasetPath, in: file, path: path)
        }
    }

    /// Sets (or replaces) an attribute on the root group, a group or a dataset.
    public func setAttribute(_ name: String, to value: HDF5AttributeValue, on objectPath: String = "/") throws {
        try HDF5Library.locked {
            let file = try fileID()
            guard HDF5Paths.exists(objectPath, in: file) else { throw IOError(path: path, "has no object '\(objectPath)'") }
            let object = H5Oopen(file, objectPath, cav_h5p_default())
            guard object >= 0 else { throw HDF5Library.error(path, "cannot open '\(objectPath)'") }
            defer { H5Oclose(object) }
            try HDF5AttributeIO.write(value, named: name, on: object, where: HDF5Paths.describe(objectPath), path: path)
        }
    }

    /// Flushes and closes the file, then moves it to `path`. The writer cannot be used afterwards.
    public func finish() throws {
        try HDF5Library.locked {
            let file = try fileID()
            id = -1
            guard H5Fclose(file) >= 0 else {
                let error = HDF5Library.error(path, "cannot finish writing temporary file \(temporaryPath)")
                unlink(temporaryPath)
                throw error
            }
        }
        try AtomicFile.publish(temporaryPath, to: path, overwrite: overwrite)
    }

    /// Abandons the file: closes and deletes the temporary, leaving `path` untouched.
    public func discard() {
        HDF5Library.locked {
            guard id >= 0 else { return }
            H5Fclose(id)
            id = -1
            unlink(temporaryPath)
        }
    }
}
