#!/usr/bin/env python3
"""Writes Tests/Fixtures/io/declares-2gib-stores-4kib.h5: a 7.6 kB HDF5 file whose one dataset `x`
declares 2^29 float32 values (2 GiB) in gzip-compressed chunks, of which only the first is written.
Loading it in full used to allocate and fill 2 GiB (issue 18, defect 7); the loader now refuses a
chunked dataset that declares more than deflate's 1032:1 could expand from what the file stores.

    python3 scripts/hdf5_memory_bomb.py
"""
import os

import h5py
import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
path = os.path.join(ROOT, "Tests", "Fixtures", "io", "declares-2gib-stores-4kib.h5")
with h5py.File(path + ".tmp", "w", libver="earliest", track_order=False) as f:
    d = f.create_dataset("x", shape=(1 << 29,), dtype="float32", chunks=(1 << 20,), compression="gzip", track_times=False)
    d[0:16] = np.arange(16, dtype="float32")
os.replace(path + ".tmp", path)
with h5py.File(path) as f:
    print(f"wrote {path}: {os.path.getsize(path)} bytes, dataset x {f['x'].shape} stores {f['x'].id.get_storage_size()} bytes")
