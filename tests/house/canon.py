#!/usr/bin/python3
"""Prints one SHA-256 line per results file: a digest of its content with what varies
between two runs of the same command left out (wall-clock seconds, rates, the creation
time, the command line, the thread count). The content is every dataset's shape, type
and bytes and every attribute, in name order (an HDF5 object reference as the name it
points to), or the JSON document with its keys sorted.

    canon.py FILE...          one "sha256  FILE" line per file
    canon.py --dump FILE      the canonical text itself (to diff two files)
"""
import hashlib
import json
import sys

import h5py

VOLATILE = {"seconds", "trials_per_second", "created_utc", "command_line", "threads",
            "write_seconds"}


def h5_canon(path):
    out = []
    with h5py.File(path, "r") as f:
        def attrs(name, obj):
            for k in sorted(obj.attrs.keys()):
                if k in VOLATILE:
                    continue
                v = obj.attrs[k]
                out.append(f"@{name}:{k}={ref_text(f, v)}")

        attrs("/", f)

        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                v = obj[()]
                if obj.dtype.kind == "O" or obj.dtype.kind == "S" or obj.dtype.kind == "V":
                    out.append(f"D{name}:{obj.shape}:{obj.dtype}:{ref_text(f, v)}")
                else:
                    out.append(f"D{name}:{obj.shape}:{obj.dtype.str}:"
                               + hashlib.sha256(v.tobytes()).hexdigest())
            else:
                out.append(f"G{name}")
            attrs(name, obj)

        names = []
        f.visit(names.append)
        for n in sorted(names):
            visit(n, f[n])
    return "\n".join(out) + "\n"


def ref_text(f, v):
    if isinstance(v, h5py.Reference):
        return f[v].name if v else "null"
    if hasattr(v, "tolist"):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(ref_text(f, x) for x in v) + "]"
    if isinstance(v, bytes):
        return v.decode(errors="replace")
    return repr(v)


def json_strip(x):
    if isinstance(x, dict):
        return {k: json_strip(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [json_strip(v) for v in x]
    return x


def canon(path):
    if path.endswith(".json"):
        return json.dumps(json_strip(json.load(open(path))), sort_keys=True, indent=1) + "\n"
    return h5_canon(path)


if __name__ == "__main__":
    if sys.argv[1] == "--dump":
        sys.stdout.write(canon(sys.argv[2]))
    else:
        for p in sys.argv[1:]:
            print(hashlib.sha256(canon(p).encode()).hexdigest() + "  " + p)
