#!/usr/bin/python3
"""Checks a tyche results file against the readers it promises to work with.

Usage: /usr/bin/python3 tests/check_hdf5.py RESULTS.h5 SUMMARY.json [--expect-store none|outputs|paths]

What it checks, each failure printed with what was expected and found:
  1. h5py reads the root provenance (seed, trials, scenario_text as JSON) and
     every stored per-trial dataset is `trials` long;
  2. xarray opens the root, "summary" (and "paths" when stored) groups with
     both engine="h5netcdf" and engine="netcdf4", with the expected named
     dimensions, and the root converts to a DataFrame when outputs are stored;
  3. summary/probability equals the JSON summary's statements[id].probability
     (exactly: both are written from the same double with round-trip precision);
  4. `ncdump -h` reads the file;
  5. when outputs are stored, each statement's uint8 column has mean exactly
     count/trials, equal to summary/probability and summary/count;
  6. the file and the JSON tell the same story about how it ran: `ranks` and
     `threads` (root, /summary, runtime), a shard's label (root shard_index
     and shard_count, JSON `shard`, both or neither), and --precision
     (summary/precision_* and the statements' `precision`, both or neither).
Prints "ok: <file>" and exits 0 when all hold; exits 1 otherwise.

Use /usr/bin/python3: it is the Python that sees Debian's h5py, xarray,
h5netcdf and netCDF4.
"""

import argparse
import json
import math
import subprocess
import sys
import warnings

import h5py
import numpy as np
import xarray as xr

failures = []

# xarray warns when it decodes NaN (an event that did not happen) to NaT;
# the result is right, the warning is noise.
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"xarray\.coding\.times")


def check(cond, msg):
    """Records a failure instead of stopping, so one run reports them all."""
    if not cond:
        failures.append(msg)
    return bool(cond)


def attr_str(v):
    return v.decode("utf-8") if isinstance(v, bytes) else str(v)


SUMMARY_DIMS = ("statement", "output", "quantile", "event", "month", "joint_a", "joint_b")


def check_h5py(path, expect_store):
    """Returns what later checks need: trials, store, statement columns, summary."""
    info = {"trials": None, "store": None, "columns": {}, "summary": {}}
    with h5py.File(path, "r") as f:
        a = f.attrs
        for key in ("seed", "trials", "scenario_text", "store", "tyche_version", "start"):
            check(key in a, f"h5py: root attribute {key!r} is missing")
        if "trials" not in a or "store" not in a:
            return info
        trials = int(a["trials"])
        store = attr_str(a["store"])
        info["trials"], info["store"] = trials, store
        check(trials >= 1, f"h5py: root attribute trials is {trials}, expected >= 1")
        if "scenario_text" in a:
            try:
                json.loads(attr_str(a["scenario_text"]))
            except ValueError as e:
                check(False, f"h5py: root attribute scenario_text is not JSON: {e}")
        if expect_store is not None:
            check(store == expect_store,
                  f"h5py: root attribute store is {store!r}, expected {expect_store!r}")
        if store != "none":
            check("trial" in f, "h5py: store is not 'none' but root has no 'trial' dataset")
        for name, obj in f.items():
            if isinstance(obj, h5py.Dataset):
                check(obj.shape == (trials,),
                      f"h5py: per-trial dataset {name!r} has shape {obj.shape}, "
                      f"expected ({trials},)")
                if obj.dtype == np.uint8:
                    info["columns"][name] = obj[()]
        check("summary" in f, "h5py: group 'summary' is missing")
        if "summary" in f:
            g = f["summary"]
            for key in ("statement", "probability", "count") + SUMMARY_DIMS:
                check(key in g, f"h5py: summary/{key} is missing")
            if "statement" in g and "probability" in g and "count" in g:
                ids = list(g["statement"].asstr()[()])
                info["summary"] = {
                    sid: (float(p), int(c), float(se), float(lo), float(hi))
                    for sid, p, c, se, lo, hi in zip(
                        ids, g["probability"][()], g["count"][()], g["stderr"][()],
                        g["ci95_low"][()], g["ci95_high"][()])
                }
        if store == "paths":
            check("paths" in f, "h5py: store is 'paths' but group 'paths' is missing")
            if "paths" in f:
                for name, obj in f["paths"].items():
                    if isinstance(obj, h5py.Dataset) and obj.ndim == 2:
                        check(obj.shape[0] == trials,
                              f"h5py: paths/{name} has {obj.shape[0]} rows, expected {trials}")
        else:
            check("paths" not in f, f"h5py: store is {store!r} but group 'paths' exists")
    return info


def check_xarray(path, info):
    store = info["store"]
    groups = [None, "summary"] + (["paths"] if store == "paths" else [])
    for engine in ("h5netcdf", "netcdf4"):
        for group in groups:
            where = f"xarray engine={engine} group={group or '/'}"
            try:
                ds = xr.open_dataset(path, engine=engine, group=group)
            except Exception as e:  # any reader error is the finding
                check(False, f"{where}: cannot open: {type(e).__name__}: {e}")
                continue
            with ds:
                try:
                    ds.load()
                except Exception as e:
                    check(False, f"{where}: cannot load values: {type(e).__name__}: {e}")
                    continue
                dims = dict(ds.sizes)
                if group is None and store != "none":
                    check(dims.get("trial") == info["trials"],
                          f"{where}: dim trial is {dims.get('trial')}, expected {info['trials']}")
                    try:
                        df = ds.to_dataframe()
                        check(len(df) == info["trials"],
                              f"{where}: to_dataframe() gave {len(df)} rows, "
                              f"expected {info['trials']}")
                    except Exception as e:
                        check(False, f"{where}: to_dataframe() failed: {type(e).__name__}: {e}")
                if group == "summary":
                    for d in SUMMARY_DIMS:
                        check(d in dims, f"{where}: dimension {d!r} is missing (have {dims})")
                    check(dims.get("quantile") == 9,
                          f"{where}: dim quantile is {dims.get('quantile')}, expected 9")
                    if "month" in ds and dims.get("month", 0) > 0:
                        check(np.issubdtype(ds["month"].dtype, np.datetime64),
                              f"{where}: month did not decode as dates "
                              f"(dtype {ds['month'].dtype})")
                if group == "paths":
                    check(dims.get("trial") == info["trials"],
                          f"{where}: dim trial is {dims.get('trial')}, expected {info['trials']}")
                # Times in "days since DATE" must decode to dates (CF).
                for name, var in ds.variables.items():
                    units = var.encoding.get("units", "")
                    if isinstance(units, str) and units.startswith("days since"):
                        check(np.issubdtype(var.dtype, np.datetime64),
                              f"{where}: {name} has units {units!r} but decoded as {var.dtype}")


def check_json(info, summary_path):
    with open(summary_path, encoding="utf-8") as fh:
        js = json.load(fh)
    if "trials" in js:
        check(js["trials"] == info["trials"],
              f"json: trials {js['trials']} but the HDF5 file says {info['trials']}")
    stmts = js.get("statements", {})
    check(set(stmts) == set(info["summary"]),
          f"json: statement ids {sorted(stmts)} differ from summary/statement "
          f"{sorted(info['summary'])}")
    for sid, (p, _c, se, lo, hi) in info["summary"].items():
        if sid not in stmts:
            continue
        jp = stmts[sid].get("probability")
        check(jp == p, f"statement {sid!r}: summary/probability {p!r} != json {jp!r}")
        if "stderr" in stmts[sid]:
            check(math.isclose(stmts[sid]["stderr"], se, rel_tol=1e-12, abs_tol=1e-300),
                  f"statement {sid!r}: summary/stderr {se!r} != json {stmts[sid]['stderr']!r}")
        if "ci95" in stmts[sid]:
            jlo, jhi = stmts[sid]["ci95"]
            check(math.isclose(jlo, lo, rel_tol=1e-12, abs_tol=1e-300) and
                  math.isclose(jhi, hi, rel_tol=1e-12, abs_tol=1e-300),
                  f"statement {sid!r}: summary ci95 [{lo!r}, {hi!r}] != json [{jlo!r}, {jhi!r}]")


def check_labels(path, summary_path):
    """Ranks, threads, the shard label and the precision outcome agree."""
    with open(summary_path, encoding="utf-8") as fh:
        js = json.load(fh)
    rt = js.get("runtime", {})
    with h5py.File(path, "r") as f:
        a, g = f.attrs, f["summary"]
        for where, attrs in (("/", a), ("/summary", g.attrs)):
            for key in ("ranks", "threads"):
                if check(key in attrs, f"h5py: {where} attribute {key!r} is missing"):
                    check(int(attrs[key]) == rt.get(key),
                          f"{where} {key} {int(attrs[key])} != json runtime.{key} {rt.get(key)!r}")
        check(rt.get("ranks", 0) >= 1, f"json: runtime.ranks is {rt.get('ranks')!r}, expected >= 1")
        sh = js.get("shard")
        if check(("shard_index" in a) == (sh is not None) == ("shard_count" in a),
                 f"shard label: root attributes {[k for k in a if k.startswith('shard_')]}, "
                 f"json shard {sh!r} (both or neither)") and sh is not None:
            check(int(a["shard_index"]) == sh.get("index") and int(a["shard_count"]) == sh.get("count"),
                  f"shard label: root {int(a['shard_index'])}/{int(a['shard_count'])} != json {sh!r}")
        prec = js.get("precision")
        names = ("precision_target", "precision_half_width", "precision_reached")
        have = [k for k in names if k in g]
        if not check(len(have) in (0, 3) and (prec is not None) == bool(have)
                     and (prec is not None) == ("precision_reached" in g.attrs),
                     f"precision: summary has {have}, json precision {prec!r} (all or none)"):
            return
        if prec is None:
            return
        ids = list(g["statement"].asstr()[()])
        reached = g["precision_reached"][()]
        check(bool(g.attrs["precision_reached"]) == prec.get("reached") == bool(reached.all()),
              f"precision: summary attribute {g.attrs['precision_reached']!r}, column "
              f"{reached.tolist()}, json {prec!r}")
        for sid, t, h, r in zip(ids, g["precision_target"][()], g["precision_half_width"][()], reached):
            jp = js.get("statements", {}).get(sid, {}).get("precision")
            if math.isnan(t):
                check(jp is None and math.isnan(h) and r == 1,
                      f"statement {sid!r}: no target in the file but json precision {jp!r}")
            elif check(jp is not None, f"statement {sid!r}: target {t!r} in the file, none in json"):
                check(jp.get("target") == t and jp.get("reached") is bool(r) and bool(r) == (h <= t)
                      and math.isclose(jp.get("half_width", math.nan), h, rel_tol=1e-14),
                      f"statement {sid!r}: file target {t!r} half-width {h!r} reached {r}, json {jp!r}")


def check_ncdump(path):
    for args in (["ncdump", "-h", path], ["ncdump", "-g", "summary", path]):
        try:
            res = subprocess.run(args, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as e:
            check(False, f"{' '.join(args)}: {e}")
            continue
        check(res.returncode == 0,
              f"{' '.join(args)} exited {res.returncode}: {res.stderr.strip()[:500]}")


def check_columns(info):
    trials = info["trials"]
    for sid, (p, c, _se, _lo, _hi) in info["summary"].items():
        col = info["columns"].get(sid)
        if not check(col is not None, f"statement {sid!r}: no uint8 column at the root"):
            continue
        check(set(np.unique(col).tolist()) <= {0, 1},
              f"statement {sid!r}: column holds values other than 0/1")
        count = int(col.sum(dtype=np.uint64))
        mean = count / trials  # correctly rounded, as count/trials in C
        check(float(np.mean(col, dtype=np.float64)) == mean,
              f"statement {sid!r}: numpy mean {np.mean(col)!r} != count/trials {mean!r}")
        check(c == count, f"statement {sid!r}: summary/count {c} != column sum {count}")
        check(p == mean, f"statement {sid!r}: summary/probability {p!r} != column mean {mean!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results")
    ap.add_argument("summary")
    ap.add_argument("--expect-store", choices=("none", "outputs", "paths"))
    a = ap.parse_args()
    try:
        info = check_h5py(a.results, a.expect_store)
    except OSError as e:
        print(f"FAIL: h5py cannot open {a.results}: {e}", file=sys.stderr)
        return 1
    if info["trials"] is not None:
        check_xarray(a.results, info)
        check_json(info, a.summary)
        check_labels(a.results, a.summary)
        if info["store"] != "none":
            check_columns(info)
    check_ncdump(a.results)
    if failures:
        for m in failures:
            print(f"FAIL: {a.results}: {m}", file=sys.stderr)
        return 1
    print(f"ok: {a.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
