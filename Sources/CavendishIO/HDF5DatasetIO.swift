import CHDF5
import CavendishCore
import Foundation

/// Moving whole datasets between HDF5 and tensors. All calls expect the HDF5 lock held.
enum HDF5DatasetIO {
    /// Reads an open dataset; `name` and `path` are for messages.
    static func read(_ dataset: hid_t, name: String, path: String) throws -> Tensor {
        let tag = try readTag(dataset, name: name, path: path)
        let fileType = H5Dget_type(dataset)
        guard fileType >= 0 else { throw HDF5Library.error(path, "cannot read the element type of dataset '\(name)'") }
        defer { H5Tclose(fileType) }
        let (dtype, memoryType): (DType, hid_t)
        switch HDF5ElementType.readType(fileType: fileType, tag: tag) {
        case .success(let found): (dtype, memoryType) = found
        case .failure(let problem): throw IOError(path: path, "dataset '\(name)' \(problem.message)")
        }
        defer { H5Tclose(memoryType) }

        let shape = try readShape(dataset, name: name, path: path)
        let count = try checkedCount(shape, name: name, path: path)
        let (bytes, overflow) = count.multipliedReportingOverflow(by: dtype.byteSize)
        // A corrupt header can claim any shape; refuse before allocating rather than crash on allocation.
        // A quarter of memory: an 8 KB file declaring a compressed dataset of most of memory reached 7.9 GB.
        guard !overflow, UInt64(bytes) <= ProcessInfo.processInfo.physicalMemory / 4 else {
            throw IOError(path: path, "dataset '\(name)' claims shape \(shape) (\(count) elements), more than a quarter of this machine's memory; the file is corrupt or too large to load")
        }
        try checkStorage(dataset, expectedBytes: bytes, fileType: fileType, count: count, name: name, path: path)

        let tensor = Tensor(zeros: shape, dtype: dtype)
        if count > 0 {
            guard H5Dread(dataset, memoryType, cav_h5s_all(), cav_h5s_all(), cav_h5p_default(), tensor.rawPointer) >= 0 else {
                throw HDF5Library.error(path, "cannot read the data of dataset '\(name)'; the file is truncated or corrupt")
            }
        }
        if dtype == .bool {
            // Bytes other than 0 and 1 would make bitwise kernels disagree with `!= 0`; store canonical bools.
            let bytes = tensor.pointer(as: UInt8.self)
            for i in 0..<count where bytes[i] > 1 { bytes[i] = 1 }
        }
        return tensor
    }

    private static func readTag(_ dataset: hid_t, name: String, path: String) throws -> String? {
        let exists = H5Aexists(dataset, HDF5ElementType.tagAttribute)
        guard exists > 0 else {
            H5Eclear2(cav_h5e_default())
            return nil
        }
        let value = try HDF5AttributeIO.read(HDF5ElementType.tagAttribute, of: dataset, where: "dataset '\(name)'", path: path)
        guard let tag = value.stringValue else {
            throw IOError(path: path, "dataset '\(name)' has a dtype attribute \(value) that is not a string")
        }
        return tag
    }

    private static func readShape(_ dataset: hid_t, name: String, path: String) throws -> [Int] {
        let space = H5Dget_space(dataset)
        guard space >= 0 else { throw HDF5Library.error(path, "cannot read the shape of dataset '\(name)'") }
        defer { H5Sclose(space) }
        let spaceClass = H5Sget_simple_extent_type(space)
        if spaceClass == H5S_NULL { throw IOError(path: path, "dataset '\(name)' has no data (null dataspace)") }
        if spaceClass == H5S_SCALAR { return [] }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw HDF5Library.error(path, "cannot read the shape of dataset '\(name)'") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        guard rank == 0 || H5Sget_simple_extent_dims(space, &dims, nil) >= 0 else {
            throw HDF5Library.error(path, "cannot read the shape of dataset '\(name)'")
        }
        return try dims.map { d in
            guard d <= hsize_t(Int.max) else {
                throw IOError(path: path, "dataset '\(name)' has a dimension of \(d); the file is corrupt")
            }
            return Int(d)
        }
    }

    private static func checkedCount(_ shape: [Int], name: String, path: String) throws -> Int {
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw IOError(path: path, "dataset '\(name)' has shape \(shape), too many elements; the file is corrupt") }
            count = product
        }
        return count
    }

    /// For unfiltered layouts the stored size must cover the shape; a shortfall means a damaged header.
    private static func checkStorage(_ dataset: hid_t, expectedBytes: Int, fileType: hid_t, count: Int,
                                     name: String, path: String) throws {
        let plist = H5Dget_create_plist(dataset)
        guard plist >= 0 else { return }
        defer { H5Pclose(plist) }
        let layout = H5Pget_layout(plist)
        let stored = H5Dget_storage_size(dataset)
        let (needed, overflow) = count.multipliedReportingOverflow(by: H5Tget_size(fileType))
        if layout == H5D_CHUNKED {
            // Chunks may be compressed or never written (read back as the fill value), so a 7.6 kB file can
            // declare gigabytes. Deflate expands at most 1032:1; past that (and 64 MiB) the file is corrupt
            // or hostile, and loading it would allocate and fill the whole declared size.
            let (expandable, big) = stored.multipliedReportingOverflow(by: 1100)
            if !big, overflow || UInt64(needed) > max(UInt64(64 << 20), expandable) {
                throw IOError(path: path, "dataset '\(name)' declares \(needed) bytes in chunks but the file stores only \(stored), more than compression can expand; the file is corrupt or relies on unwritten chunks")
            }
            return
        }
        guard layout == H5D_CONTIGUOUS || layout == H5D_COMPACT else { return }
        if stored > 0, overflow || stored < UInt64(needed) {
            throw IOError(path: path, "dataset '\(name)' needs \(needed) bytes for its shape but stores \(stored); the file is corrupt")
        }
    }

    /// Creates dataset `name` under `location` holding `tensor`, with the `dtype` tag where needed.
    static func write(_ tensor: Tensor, as name: String, in location: hid_t, path: String) throws {
        var dense = tensor.contiguous()
        if dense.dtype == .bool {
            // Canonical 0/1 bytes, whatever nonzero value the producer left in a bool tensor.
            let out = Tensor(zeros: dense.shape, dtype: .bool)
            let src = dense.pointer(as: UInt8.self), dst = out.pointer(as: UInt8.self)
            for i in 0..<dense.count { dst[i] = src[i] != 0 ? 1 : 0 }
            dense = out
        }
        let (memoryType, fileType, tag) = HDF5ElementType.writeTypes(for: dense.dtype)
        defer {
            H5Tclose(memoryType)
            H5Tclose(fileType)
        }
        let space: hid_t
        if dense.rank == 0 {
            space = H5Screate(H5S_SCALAR)
        } else {
            var dims = dense.shape.map { hsize_t($0) }
            space = H5Screate_simple(Int32(dense.rank), &dims, nil)
        }
        guard space >= 0 else { throw HDF5Library.error(path, "cannot describe shape \(dense.shape) for dataset '\(name)'") }
        defer { H5Sclose(space) }

        let linkPlist = H5Pcreate(cav_h5p_link_create())
        defer { H5Pclose(linkPlist) }
        H5Pset_create_intermediate_group(linkPlist, 1)
        let createPlist = H5Pcreate(cav_h5p_dataset_create())
        defer { H5Pclose(createPlist) }
        // No timestamps, so writing the same tensors twice gives byte-identical files.
        H5Pset_obj_track_times(createPlist, false)

        let dataset = H5Dcreate2(location, name, fileType, space, linkPlist, createPlist, cav_h5p_default())
        guard dataset >= 0 else { throw HDF5Library.error(path, "cannot create dataset '\(name)'") }
        defer { H5Dclose(dataset) }
        if dense.count > 0 {
            guard H5Dwrite(dataset, memoryType, cav_h5s_all(), cav_h5s_all(), cav_h5p_default(), dense.rawPointer) >= 0 else {
                throw HDF5Library.error(path, "cannot write dataset '\(name)'")
            }
        }
        if let tag {
            try HDF5AttributeIO.write(.string(tag), named: HDF5ElementType.tagAttribute, on: dataset,
                                      where: "dataset '\(name)'", path: path)
        }
    }
}
