"""Reads a tyche results file (HDF5, the layout in README.md "Outputs") into xarray and pandas.

    import sys; sys.path.insert(0, "scripts/python")    # from the repository root
    from tyche_results import open_results
    r = open_results("results/article.h5"); r.statements  # also r.outputs, r.trials, ...

r.outputs has one row per output: `time` (True for an event time), mean, sd, p01 ... p99,
missing_fraction, n.  An event time's mean and quantiles are dates there (pandas Timestamp; NaT
where no trial had the event), its sd stays a spread in days; r.outputs_days is the same table
with every number a float as the file stores it (event times in days since attrs["start"]).

Works at every store level (`trials` and `paths` are None when not stored) and relies on the
documented layout only, so files merged from several runs read the same. Per-trial data stay
lazy (read when used); `r.close()` or `with open_results(...) as r:` releases the file.
A shard of a job array (`tyche run --shard I/N`) holds only part of a run: open_results refuses
it with ShardError (a ValueError) saying to join the shards with `tyche merge` first.
Use /usr/bin/python3: it is the Python that sees Debian's xarray, h5netcdf and pandas.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from dataclasses import dataclass, field

import h5netcdf
import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["Results", "Joint", "ShardError", "open_results", "shard_of", "shard_message"]

# Event times that never happened are NaN; xarray decodes them to NaT correctly but numpy
# warns about the NaN-to-integer cast on the way.
warnings.filterwarnings("ignore", "invalid value encountered in cast", RuntimeWarning,
                        r"xarray\.coding\.times")

ENGINE = "h5netcdf"


@dataclass
class Joint:
    """The joint view of the summary: the statements named by the scenario's `joint`."""
    statements: list[str]
    probability: pd.DataFrame        # P(A and B); the diagonal is P(A)
    correlation: pd.DataFrame        # phi coefficient of the 0/1 indicators
    correlation_stderr: pd.DataFrame
    all: pd.Series                   # P(all together): probability, stderr, ci95_low, ci95_high


@dataclass
class Results:
    """One results file: the summary always, per-trial data when the run stored them."""
    path: str
    attrs: dict                      # root attributes (provenance), as Python values
    scenario: dict | None            # attrs["scenario_text"] parsed (None if absent)
    summary: xr.Dataset              # the /summary group, in memory
    trials: xr.Dataset | None        # root group on dim `trial` (store outputs, paths)
    paths: xr.Dataset | None         # /paths group (store paths)
    statements: pd.DataFrame         # by id: text, group, probability, stderr, ci95_low, ...
    outputs: pd.DataFrame            # by output: time, mean, sd, p01 ... p99, missing_fraction, n
    outputs_days: pd.DataFrame       # the same, every number a float (times in days since start)
    incidence: pd.DataFrame          # month-end dates x event: P(event by the end of that day)
    incidence_stderr: pd.DataFrame
    joint: Joint
    _open: list = field(default_factory=list, repr=False)

    def __repr__(self):
        a = self.attrs
        stored = [k for k in ("trials", "paths") if getattr(self, k) is not None]
        return (f"<tyche results {self.path}: scenario {a.get('scenario')}, seed {a.get('seed')}, "
                f"{a.get('trials')} trials, {len(self.statements)} statements, "
                f"{len(self.outputs)} outputs; stored: {', '.join(stored) or 'summary only'}>")

    def close(self):
        for ds in self._open:
            ds.close()
        self._open.clear()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _py(v):
    """An attribute value as plain Python (numpy scalars and arrays, bytes)."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray):
        return v.item() if v.size == 1 else v.tolist()
    if isinstance(v, np.generic):
        return v.item()
    return v


def _strings(values):
    return [_py(v) for v in np.asarray(values).ravel()]


def _statements(s: xr.Dataset) -> pd.DataFrame:
    ids = pd.Index(_strings(s["statement"].values), name="id")
    df = pd.DataFrame(index=ids)
    df["text"] = _strings(s["statement_text"].values)
    df["group"] = _strings(s["statement_group"].values)
    for col in ("probability", "stderr", "ci95_low", "ci95_high", "count"):
        if col in s:
            df[col] = s[col].values
    return df


def _outputs(s: xr.Dataset, start) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The outputs table twice: with dates, and with every number as stored (see open_results).
    The event times are the outputs on the summary's `event` axis (the file keeps no units in
    /summary); they are in days since the root attribute `start`."""
    names = pd.Index(_strings(s["output"].values), name="output")
    events = set(_strings(s["event"].values)) if "event" in s else set()
    df = pd.DataFrame(index=names)
    df["time"] = [n in events for n in names]
    df["mean"] = s["mean"].values
    df["sd"] = s["sd"].values
    qs = s["quantiles"].transpose("output", "quantile").values
    for j, q in enumerate(s["quantile"].values):
        df[f"p{round(float(q) * 100):02d}"] = qs[:, j]
    df["missing_fraction"] = s["missing_fraction"].values
    if "n" in s:
        df["n"] = s["n"].values
    dated = df.copy()
    at = ["mean"] + [c for c in df.columns if re.fullmatch(r"p\d\d", c)]
    if df["time"].any():
        if start is None:
            raise OSError("the file has event times but no root attribute 'start' to date them")
        t0 = pd.Timestamp(start)
        for c in at:
            dated[c] = dated[c].astype(object)
            for n in names[df["time"].values]:
                days = df.at[n, c]
                dated.at[n, c] = pd.NaT if np.isnan(days) else t0 + pd.to_timedelta(days, "D")
    return dated, df


def _incidence(s: xr.Dataset, var: str) -> pd.DataFrame:
    # `month` holds month boundaries (an instant: the end of the month's last day), decoded
    # to the midnight after it; label each row by that last day, as the JSON summary does.
    ends = (pd.DatetimeIndex(s["month"].values) - pd.Timedelta(1, "ns")).normalize()
    return pd.DataFrame(s[var].transpose("month", "event").values,
                        index=pd.DatetimeIndex(ends, name="date"),
                        columns=pd.Index(_strings(s["event"].values), name="event"))


def _joint(s: xr.Dataset) -> Joint:
    ids = _strings(s["joint_a"].values)

    def square(var):
        return pd.DataFrame(s[var].transpose("joint_a", "joint_b").values,
                            index=pd.Index(ids, name="a"), columns=pd.Index(ids, name="b"))

    every = pd.Series({k: float(s[f"joint_all_{k}"]) if f"joint_all_{k}" in s else np.nan
                       for k in ("probability", "stderr", "ci95_low", "ci95_high")})
    return Joint(ids, square("joint_pair_probability"), square("joint_correlation"),
                 square("joint_correlation_stderr"), every)


IDX, CNT = "shard_index", "shard_count"  # root attributes of a shard (and of its /partial)


class ShardError(ValueError):
    """The file is one shard of a job array (tyche run --shard I/N), not a whole run; path and
    shard ((index, count), either None when unknown) say which."""

    def __init__(self, path, shard):
        super().__init__(shard_message(path, shard))
        self.path, self.shard = path, shard


def _shard_number(v):
    try:
        v = _py(v)
        return int(v) if float(v) == int(v) and int(v) >= 0 else None
    except (TypeError, ValueError, OverflowError):
        return None


def _shard_pair(d):
    """(index, count) from a mapping with them (index < count), else None."""
    index, count = _shard_number(d.get(IDX)), _shard_number(d.get(CNT))
    return (index, count) if index is not None and count and index < count else None


def shard_of(attrs, partial_attrs=None, has_partial=False):
    """Whether a results file, or a summary JSON, is one shard of a job array: its (index,
    count), or (None, None) for a shard whose numbers cannot be read; None for a whole run
    (an ordinary or a merged one: `tyche merge` writes neither /partial nor shard numbers).

    attrs: the file's root attributes (shard_index, shard_count) or the parsed summary JSON
    (its "shard": {"index": I, "count": N}); partial_attrs, has_partial: its /partial group."""
    if "shard" in attrs:  # a summary JSON
        sh = attrs["shard"]
        if sh is None:
            return None
        pair = isinstance(sh, dict) and _shard_pair({IDX: sh.get("index"), CNT: sh.get("count")})
        return pair or (None, None)
    marked = (CNT in attrs and _shard_number(attrs[CNT]) != 0) or (IDX in attrs and CNT not in attrs)
    if not (has_partial or marked):
        return None
    return _shard_pair(attrs) or _shard_pair(partial_attrs or {}) or (None, None)


def _shard_glob(path, index):
    """part-1.h5 -> part-*.h5: the shards' names, when the index is the name's only run of
    digits equal to it; else None."""
    if index is None:
        return None
    stem = os.path.splitext(os.path.basename(path))[0]
    runs = [m for m in re.finditer(r"\d+", stem) if int(m.group()) == index]
    if len(runs) != 1:
        return None
    m = runs[0]
    return os.path.join(os.path.dirname(path), stem[:m.start()] + "*" + stem[m.end():] + ".h5")


def shard_message(path, shard, then="open"):
    """What to say about a shard: which one it is, and to merge the shards first."""
    index, count = shard
    what = f"shard {index}/{count}" if index is not None else "a shard"
    parts = _shard_glob(path, index) or "PART*.h5"
    return (f"{path}: this is {what} of a job array (tyche run --shard), not a whole run: "
            f"join the shards with tyche merge {parts} -o FILE.h5, then {then} FILE.h5")


def open_results(path) -> Results:
    """Opens a tyche results file; raises OSError when it cannot be read as one, and
    ShardError (a ValueError) for one shard of a job array (merge the shards first)."""
    path = str(path)
    with h5netcdf.File(path, "r") as f:
        groups = set(f.groups)
        attrs = {k: _py(v) for k, v in f.attrs.items()}
        partial = {}
        if "partial" in groups:
            try:
                partial = {k: _py(v) for k, v in f.groups["partial"].attrs.items()}
            except Exception:  # a damaged /partial: still a shard, its numbers unknown
                partial = {}
    shard = shard_of(attrs, partial, "partial" in groups)
    if shard is not None:
        raise ShardError(path, shard)
    if "summary" not in groups:
        raise OSError(f"{path}: no 'summary' group: not a tyche results file")
    scenario = json.loads(attrs["scenario_text"]) if "scenario_text" in attrs else None

    with xr.open_dataset(path, engine=ENGINE, group="summary") as ds:
        summary = ds.load()

    outputs, outputs_days = _outputs(summary, attrs.get("start"))
    opened = []
    root = xr.open_dataset(path, engine=ENGINE)
    if "trial" in root.dims:
        trials = root
        opened.append(root)
    else:
        trials = None
        root.close()
    paths = None
    if "paths" in groups:
        paths = xr.open_dataset(path, engine=ENGINE, group="paths")
        opened.append(paths)

    return Results(path=path, attrs=attrs, scenario=scenario, summary=summary, trials=trials,
                   paths=paths, statements=_statements(summary), outputs=outputs,
                   outputs_days=outputs_days,
                   incidence=_incidence(summary, "incidence"),
                   incidence_stderr=_incidence(summary, "incidence_stderr"),
                   joint=_joint(summary), _open=opened)
