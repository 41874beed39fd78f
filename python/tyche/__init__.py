"""tyche from Python: load a scenario, run it, get xarray Datasets back.

    import tyche
    s = tyche.load("models/article.json", set={"option.q": 0.05})
    r = s.run(trials=20000, seed=3, threads=2, store="paths")
    r.summary            # xarray.Dataset: the HDF5 file's /summary
    r.trials             # xarray.Dataset: its root per-trial variables (store outputs, paths)
    r.paths              # xarray.Dataset: its /paths (store paths)
    r.replay(17)         # one trial alone, as the run computed it
    r.to_hdf5("x.h5")    # the file `tyche run -o x.h5` writes

The numbers are the command's, bit for bit, for the same scenario, seed and
options (tests/python/test_api.py).  The Datasets are built in memory from
the library's own arrays (no file is written), with the names, units and
attributes of the HDF5 file (README "Outputs"); times stay numbers in
"days since START", as ``xr.open_dataset(..., decode_times=False)`` gives them
(``xr.decode_cf(ds)`` turns them into dates).

The run happens in C without the GIL, on ``threads`` threads; Ctrl-C stops it
within a block and raises KeyboardInterrupt; ``progress=True`` shows a tqdm
bar (``False`` none).  Bad input raises ValueError with the command's message.
"""
import json as _json
import os as _os

import numpy as _np
import xarray as _xr

from . import _tyche

__all__ = ["load", "Scenario", "Results", "version"]
version = _tyche.version


def _sets(set):
    """set= as the command's --set strings: a dict {"model.param": value} (a number, or a
    prior as a dict or JSON text) or a list of "model.param=VALUE" strings."""
    if set is None:
        return []
    if isinstance(set, dict):
        out = []
        for k, v in set.items():
            if isinstance(v, (dict, list)):
                v = _json.dumps(v)
            elif isinstance(v, float):
                v = repr(v)
            out.append(f"{k}={v}")
        return out
    if isinstance(set, str):
        return [set]
    return [str(x) for x in set]


def _observed(observed):
    if observed is None:
        return []
    if isinstance(observed, dict):
        out = []
        for k, v in observed.items():
            v = "false" if v is False else "unknown" if v is None else str(v)
            out.append(f"{k}={v}")
        return out
    if isinstance(observed, str):
        return [observed]
    return [str(x) for x in observed]


def load(scenario, set=None, as_of=None, observed=None, name=None):
    """A scenario from a path or from a dict (the JSON file's content).

    set: {"model.param": number or prior} or ["model.param=VALUE", ...] (the command's
    --set); as_of: "YYYY-MM-DD" (--as-of); observed: {"model.output": date, False or None}
    or ["model.output=VALUE", ...] (--observed).  Raises ValueError with the command's
    message ("<file>: <json path>: ..."), OSError when the file cannot be read."""
    return Scenario(scenario, set=set, as_of=as_of, observed=observed, name=name)


class Scenario:
    """A loaded, validated scenario (see load)."""

    def __init__(self, scenario, set=None, as_of=None, observed=None, name=None):
        kw = dict(set=_sets(set), as_of=as_of, observed=_observed(observed))
        if isinstance(scenario, dict):
            text = _json.dumps(scenario).encode()
            self._c = _tyche.Scenario(text=text, name=name or "<dict>", **kw)
        elif isinstance(scenario, (str, _os.PathLike)):
            self._c = _tyche.Scenario(path=_os.fspath(scenario), **kw)
        else:
            raise TypeError("load: a path or a dict")
        self._meta = self._c.meta()
        # tornado, sweep and sobol: the library loads the file once per run it makes
        self._file = _os.fspath(scenario) if not isinstance(scenario, dict) else None
        self._kw = kw

    @property
    def name(self):
        return self._meta["name"]

    def __repr__(self):
        m = self._meta
        return (f"<tyche.Scenario {m['name']!r} ({m['file']}): {len(m['params'])} parameters, "
                f"{len(m['outputs'])} outputs, {len(m['statements'])} statements>")

    def describe(self):
        """What `tyche describe` lists: the scenario, its parameters (with their priors),
        outputs, statements and path variables, as a dict of plain values."""
        m = dict(self._meta)
        m["paths"] = [dict(p, times=_np.frombuffer(p["times"], "<f8").copy()) for p in m["paths"]]
        m["start"], m["horizon"], m["as_of"] = (_date(m[k]) for k in ("start", "horizon", "as_of"))
        return m

    def run(self, trials=100000, seed=1, threads=0, store="outputs", sampling="mc",
            replicates=10, rng=None, progress=True):
        """Runs the scenario (`tyche run -n trials -s seed -t threads --store store
        --sampling sampling`); threads <= 0: all cores.  progress: True a tqdm bar,
        False none, or a callable(done, total).  Returns Results."""
        # the C layer takes unsigned numbers: a negative one would wrap, not be refused
        for k, x in (("trials", trials), ("seed", seed), ("replicates", replicates)):
            if int(x) < 0:
                raise ValueError(f"{k}: {x} is negative")
        cb = None
        bar = None
        if callable(progress):
            cb = progress
        elif progress:
            try:
                try:  # a notebook widget where Jupyter can show one, a text bar otherwise
                    import ipywidgets  # noqa: F401
                    from tqdm.auto import tqdm
                except ImportError:  # tqdm.auto would warn that it cannot draw the widget
                    from tqdm import tqdm
            except ImportError:  # no tqdm (python3-tqdm): no bar
                tqdm = None
            if tqdm is not None:
                bar = tqdm(total=int(trials), unit="trial", unit_scale=True, leave=False)

                def cb(done, total):
                    bar.total = total
                    bar.update(done - bar.n)
        try:
            c = self._c.run(trials=int(trials), seed=int(seed), threads=int(threads),
                            store=store, sampling=sampling, replicates=int(replicates),
                            rng=rng, progress=cb)
        finally:
            if bar is not None:
                bar.close()
        return Results(self, c)


    def _sens_file(self, what):
        if self._file is None:
            raise ValueError(f"{what}: needs a scenario loaded from a file (the library reads "
                             "it again for each run it makes)")
        return self._file

    def tornado(self, trials=20000, seed=1, threads=0, low=0.1, high=0.9):
        """`tyche tornado`: each uncertain parameter fixed at its low and high quantile,
        common random numbers.  A Dataset over (parameter, statement), as its HDF5 file."""
        raw = _tyche.tornado(self._sens_file("tornado"), trials=int(trials), seed=int(seed),
                             threads=int(threads), low=float(low), high=float(high), **self._kw)
        par, st = raw["parameter"], raw["statement"]
        f8 = lambda k, *shape: _np.frombuffer(raw[k], "<f8").copy().reshape(*shape)
        v = {"baseline": _var("statement", f8("baseline", len(st)), "1"),
             "low_value": _var("parameter", f8("low_value", len(par))),
             "high_value": _var("parameter", f8("high_value", len(par)))}
        for k in ("p_low", "p_high", "swing", "swing_se"):
            v[k] = _var(("parameter", "statement"), f8(k, len(par), len(st)), "1")
        return _xr.Dataset(v, coords={"parameter": _strs(par), "statement": _strs(st)},
                           attrs=self._sens_attrs("tornado"))

    def sweep(self, grid, trials=20000, seed=1, threads=0):
        """`tyche sweep --grid NAME=V1,V2,...`: grid {"model.param": [values]} (one axis
        each, in order).  A Dataset over (each parameter, statement), as its HDF5 file."""
        names = list(grid)
        values = [[float(x) for x in grid[k]] for k in names]
        raw = _tyche.sweep(self._sens_file("sweep"), trials=int(trials), seed=int(seed),
                           threads=int(threads), names=names, values=values, **self._kw)
        st = raw["statement"]
        shape = [len(x) for x in values] + [len(st)]
        dims = tuple(names) + ("statement",)
        v = {"baseline": _var("statement", _np.frombuffer(raw["baseline"], "<f8").copy(), "1")}
        for k in ("probability", "stderr", "diff", "diff_se"):
            v[k] = _var(dims, _np.frombuffer(raw[k], "<f8").copy().reshape(shape), "1")
        coords = {k: _np.array(x, dtype=_np.float64) for k, x in zip(names, values)}
        coords["statement"] = _strs(st)
        return _xr.Dataset(v, coords=coords, attrs=self._sens_attrs("sweep"))

    def sobol(self, base=4096, seed=1, threads=0, bootstrap=200, outputs=(), inner=128):
        """`tyche sobol`: first-order and total indices of every target (the statements,
        then `outputs`) over (target, parameter); with inner > 0 the probability view
        (p_...) over (statement, parameter).  As its HDF5 file."""
        raw = _tyche.sobol(self._sens_file("sobol"), base=int(base), seed=int(seed),
                           threads=int(threads), bootstrap=int(bootstrap),
                           outputs=[str(x) for x in outputs], inner=int(inner), **self._kw)
        tg, par = raw["target"], raw["parameter"]
        f8 = lambda k, *shape: _np.frombuffer(raw[k], "<f8").copy().reshape(*shape)
        names = ("first_order", "first_order_low", "first_order_high", "total", "total_low",
                 "total_high")
        v = {k: _var(("target", "parameter"), f8(k, len(tg), len(par)), "1") for k in names}
        v["remainder"] = _var("target", f8("remainder", len(tg)), "1")
        v["variance"] = _var("target", f8("variance", len(tg)))
        coords = {"target": _strs(tg), "parameter": _strs(par)}
        attrs = {"scenario": self._file, "kind": "sobol"}
        if "p_first_order" in raw:
            ns = raw["n_statements"]
            coords["statement"] = _strs(tg[:ns])
            for k in names:
                v["p_" + k] = _var(("statement", "parameter"), f8("p_" + k, ns, len(par)), "1")
            for k in ("p_remainder", "p_variance", "p_true_trials"):
                v[k] = _var("statement", f8(k, ns), "1")
            attrs["inner"] = float(raw["inner"])
        return _xr.Dataset(v, coords=coords, attrs=attrs)

    def _sens_attrs(self, kind):
        return {"scenario": self._file, "kind": kind, "tyche_version": version}


def _var(dims, data, units=None):
    """A variable as tyche_h5_put writes it: units (when given) and a NaN _FillValue."""
    return _xr.Variable(dims, data, {"units": units} if units else {},
                        encoding={"_FillValue": _np.nan})


def _date(days):
    return str(_np.datetime64(int(days), "D"))


def _strs(xs):
    return _np.array(xs, dtype=object)


class Results:
    """The results of one run: summary, per-trial Datasets, replay, to_hdf5."""

    def __init__(self, scenario, c):
        self.scenario = scenario
        self._c = c
        self.info = c.info()
        self._summary = self._trials = self._paths = None

    def __repr__(self):
        i = self.info
        return (f"<tyche.Results {self.scenario.name!r}: {i['trials']:,} trials, "
                f"seed {i['seed']}, store {i['store']}, sampling {i['sampling']}>")

    # -- provenance, as the file's root attributes
    def _attrs(self):
        m, i = self.scenario._meta, self.info
        return {"title": f"tyche results: {m['title']}", "tyche_version": m["version"],
                "scenario": m["name"], "scenario_file": m["file"], "scenario_text": m["text"],
                "seed": i["seed"],
                "generator": i["generator"], "trials": i["trials"], "threads": i["threads"],
                "ranks": i["ranks"], "store": i["store"], "sampling": i["sampling"],
                "replicates": i["replicates"], "block_trials": _tyche.block_trials,
                "start": _date(m["start"]), "horizon": _date(m["horizon"]),
                "as_of": _date(m["as_of"]), "seconds": i["seconds"], "attempts": i["attempts"]}

    @property
    def summary(self):
        """The HDF5 file's /summary as a Dataset (statement, output, quantile, event,
        month, joint_a, joint_b)."""
        if self._summary is None:
            self._summary = self._make_summary()
        return self._summary

    def _make_summary(self):
        m, raw = self.scenario._meta, self._c.summary()
        f8 = lambda k: _np.frombuffer(raw[k], "<f8").copy()
        u8 = lambda k: _np.frombuffer(raw[k], "<u8").copy()
        st = [s["id"] for s in m["statements"]]
        outs = [o["name"] for o in m["outputs"]]
        events = [o["name"] for o in m["outputs"] if o["type"] == "time"]
        joint = [st[k] for k in m["joint"]]
        nm = len(raw["month"]) // 8
        v = {"statement_text": ("statement", _strs([s["text"] for s in m["statements"]])),
             "statement_group": ("statement", _strs([s["group"] for s in m["statements"]]))}
        for k in ("probability", "stderr", "ci95_low", "ci95_high"):
            v[k] = ("statement", f8(k))
        v["count"] = ("statement", u8("count"))
        if "stderr_replicates" in raw:
            v["stderr_replicates"] = ("statement", f8("stderr_replicates"))
        for k in ("mean", "sd", "missing_fraction"):
            v[k] = ("output", f8(k))
        v["n"] = ("output", u8("n"))
        v["quantiles"] = (("output", "quantile"), f8("quantiles").reshape(len(outs), 9))
        for k in ("incidence", "incidence_stderr"):
            v[k] = (("event", "month"), f8(k).reshape(len(events), nm))
        for k in ("joint_pair_probability", "joint_correlation", "joint_correlation_stderr"):
            v[k] = (("joint_a", "joint_b"), f8(k).reshape(len(joint), len(joint)))
        for k in ("joint_all_probability", "joint_all_stderr", "joint_all_ci95_low",
                  "joint_all_ci95_high"):
            v[k] = ((), _np.float64(raw[k]))
        month = _xr.Variable("month", f8("month"),
                             {"units": f"days since {_date(m['start'])}",
                              "long_name": "month boundary"})
        coords = {"statement": _strs(st), "output": _strs(outs), "quantile": f8("quantile"),
                  "event": _strs(events), "month": month, "joint_a": _strs(joint),
                  "joint_b": _strs(joint)}
        i = self.info
        attrs = {"seconds": i["seconds"],
                 "trials_per_second": i["trials"] / i["seconds"] if i["seconds"] > 0 else _np.nan,
                 "threads": i["threads"], "ranks": i["ranks"]}
        return _xr.Dataset(v, coords=coords, attrs=attrs)

    @property
    def trials(self):
        """The per-trial variables of the file's root (store outputs or paths): one per
        parameter, output and statement, over `trial`; None under store none."""
        if self._trials is None and self.info["store"] != "none":
            self._trials = self._make_trials()
        return self._trials

    def _make_trials(self):
        m = self.scenario._meta
        n = self.info["trials"]
        v = {}
        for k, p in enumerate(m["params"]):
            a = {"units": p["units"]}
            if p["description"]:
                a["description"] = p["description"]
            a["prior"] = p["prior"]
            v[p["name"]] = ("trial", _np.frombuffer(self._c.column(0, k), "<f8"), a)
        for k, o in enumerate(m["outputs"]):
            a = {"units": o["units"]}
            if o["description"]:
                a["description"] = o["description"]
            # an event that did not happen: +inf in the engine, NaN (the _FillValue) in the
            # file, as here
            x = _np.frombuffer(self._c.column(1, k), "<f8").copy()
            x[_np.isinf(x)] = _np.nan
            v[o["name"]] = _xr.Variable("trial", x, a, encoding={"_FillValue": _np.nan})
        for k, s in enumerate(m["statements"]):
            v[s["id"]] = ("trial", _np.frombuffer(self._c.column(2, k), "u1"),
                          {"long_name": s["text"], "rule": s["rule"], "group": s["group"]})
        trial = _xr.Variable("trial", _np.arange(n, dtype=_np.int64), {"long_name": "trial index"})
        return _xr.Dataset(v, coords={"trial": trial}, attrs=self._attrs())

    @property
    def paths(self):
        """The file's /paths (store paths): per model a point dimension ("option.month",
        "revenue.quarter") with its "..._time", and each path variable over trial x point."""
        if self._paths is None and self.info["store"] == "paths":
            self._paths = self._make_paths()
        return self._paths

    def _make_paths(self):
        m = self.scenario._meta
        n = self.info["trials"]
        start = _date(m["start"])
        v, coords = {}, {"trial": _xr.Variable("trial", _np.arange(n, dtype=_np.int64),
                                               {"long_name": "trial index"})}
        for k, p in enumerate(m["paths"]):
            model = p["name"].split(".")[0]
            dim = f"{model}.{p['dim']}"
            times = _np.frombuffer(p["times"], "<f8").copy()
            if dim not in coords:
                units = f"days since {start}"
                if p["dim"] == "month":
                    coords[dim] = _xr.Variable(dim, times, {"units": units,
                                                            "long_name": "date of the point"})
                else:
                    coords[dim] = _xr.Variable(dim, _strs(p["labels"]))
                coords[f"{dim}_time"] = _xr.Variable(dim, times, {"units": units})
            data = _np.frombuffer(self._c.column(3, k), "<f8").reshape(n, len(times))
            a = {"units": p["units"]}
            if f"{dim}_time" in coords:
                a["coordinates"] = f"{dim}_time"
            v[p["name"]] = (("trial", dim), data, a)
        return _xr.Dataset(v, coords=coords)

    def replay(self, trial):
        """Trial `trial` simulated alone (`tyche replay`): a dict of its parameters,
        outputs, statements (each name -> value), paths (name -> array) and redraws."""
        m = self.scenario._meta
        raw = self._c.replay(int(trial))
        par = _np.frombuffer(raw["params"], "<f8")
        out = _np.frombuffer(raw["outputs"], "<f8").copy()
        out[_np.isinf(out)] = _np.nan  # did not happen: NaN, as in Results.trials
        stm = _np.frombuffer(raw["statements"], "u1")
        res = {"trial": int(trial), "redraws": raw["redraws"],
               "params": {p["name"]: float(x) for p, x in zip(m["params"], par)},
               "outputs": {o["name"]: float(x) for o, x in zip(m["outputs"], out)},
               "statements": {s["id"]: bool(x) for s, x in zip(m["statements"], stm)},
               "paths": {}}
        pv = _np.frombuffer(raw["paths"], "<f8")
        at = 0
        for p in m["paths"]:
            k = len(p["labels"])
            if pv.size:
                res["paths"][p["name"]] = pv[at:at + k].copy()
            at += k
        return res

    def summary_json(self):
        """The JSON summary the command writes beside the file, as a dict."""
        return _json.loads(self._c.summary_json())

    def to_hdf5(self, path, compress=0, command_line=None):
        """Writes the HDF5 file `tyche run -o path` writes (temporary name, fsync, rename)."""
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._c.to_hdf5(_os.fspath(path), command_line=command_line or "python: tyche",
                        created_utc=now, compress=int(compress))
        return path
