#!/usr/bin/python3
"""Exits 0 when two tyche results files hold the same run: every dataset (the per-trial
table, /summary and /paths) byte for byte, in the same shape and type (a shard's /partial
bookkeeping aside) and the same summary JSON beside each (statements,
outputs, events, joint, trials, seed; timings and provenance may differ).

    same_results.py A.h5 B.h5
"""
import json
import sys

import h5py


def raw(v):
    # variable-length strings come back as objects: compare their values;
    # shape and type too, or a trial x point path laid out point x trial
    # (the same bytes) would pass
    if getattr(v, "dtype", None) is not None and v.dtype.kind == "O":
        return v.shape, v.tolist()
    return (v.shape, v.dtype.str, v.tobytes()) if hasattr(v, "tobytes") else v


def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, o: out.__setitem__(name, raw(o[()]))
                     if isinstance(o, h5py.Dataset) and not name.startswith("partial") else None)
    return out


a, b = (datasets(p) for p in sys.argv[1:3])
assert a.keys() == b.keys(), f"datasets in one file only: {sorted(set(a) ^ set(b))}"
diff = [k for k in a if a[k] != b[k]]
assert not diff, f"datasets that differ: {diff[:10]}"
ja, jb = (json.load(open(p[:-3] + ".json")) for p in sys.argv[1:3])
for k in ("statements", "outputs", "events", "joint", "trials", "seed"):
    assert ja[k] == jb[k], f"summary key {k} differs"
