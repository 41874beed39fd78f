"""The Python API (python/tyche) against the command: the same numbers, names and attributes
as its HDF5 file, the same error messages, threads, Ctrl-C and progress.

Needs TYCHE (the built command) and PYTHONPATH=<build>/python (tests/CMakeLists.txt sets both
for the ctest `py_api`)."""
import json
import os
import signal
import subprocess
import threading
import time

import h5py
import numpy as np
import pytest

import tyche

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TYCHE = os.environ.get("TYCHE", os.path.join(SRC, "build", "tyche"))
ARTICLE = os.path.join(SRC, "models", "article.json")
SKIP_ATTRS = {"CLASS", "NAME", "DIMENSION_LIST", "REFERENCE_LIST"}
# provenance that differs between two runs of the same thing (or names the writer)
VARYING = {"seconds", "trials_per_second", "command_line", "created_utc"}


def command(*args, cwd):
    return subprocess.run([TYCHE, *args], cwd=cwd, capture_output=True, text=True)


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "O" or b.dtype.kind == "O":
        dec = lambda x: [v.decode() if isinstance(v, bytes) else v for v in np.ravel(x)]
        return a.shape == b.shape and dec(a) == dec(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def attrs_of(h):
    return {k: v for k, v in h.attrs.items() if k not in SKIP_ATTRS and k not in VARYING}


def same_attr(a, b):
    if isinstance(a, bytes):
        a = a.decode()
    if isinstance(a, np.ndarray) and a.size == 1:
        a = a.reshape(())[()]
    if isinstance(a, np.generic):
        a = a.item()
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    return a == b


def check_group(g, ds, where):
    """Every dataset of HDF5 group g is a variable of Dataset ds with the same bits and
    attributes, and ds has nothing more."""
    names = {k for k, v in g.items() if isinstance(v, h5py.Dataset)}
    assert names == set(ds.variables), (where, names ^ set(ds.variables))
    for k in names:
        h, v = g[k], ds[k]
        assert same_bits(h[()], v.values), (where, k)
        want = attrs_of(h)
        got = {a: x for a, x in v.attrs.items() if a not in VARYING}
        if "_FillValue" in v.encoding:
            got["_FillValue"] = v.encoding["_FillValue"]
        assert set(want) == set(got), (where, k, set(want) ^ set(got))
        for a in want:
            assert same_attr(want[a], got[a]), (where, k, a, want[a], got[a])
        if h.ndim and h.attrs.get("CLASS") != b"DIMENSION_SCALE":
            assert list(v.dims) == [d for d in _dims(h)], (where, k, v.dims, _dims(h))


def _dims(h):
    out = []
    for i, lst in enumerate(h.dims):
        out.append(lst[0].name.split("/")[-1] if len(lst) else f"dim{i}")
    return out


@pytest.fixture(scope="module")
def work(tmp_path_factory):
    return tmp_path_factory.mktemp("py")


@pytest.mark.parametrize("store,sampling", [("paths", "mc"), ("outputs", "lhs")])
def test_same_as_command(work, store, sampling):
    out = work / f"cmd_{store}_{sampling}.h5"
    c = command("run", ARTICLE, "-n", "20000", "-s", "3", "-t", "2", "--store", store,
                "--sampling", sampling, "-q", "-o", str(out), cwd=work)
    assert c.returncode == 0, c.stderr
    r = tyche.load(ARTICLE).run(20000, seed=3, threads=2, store=store, sampling=sampling,
                                progress=False)
    with h5py.File(out) as f:
        check_group(f, r.trials, "/")
        check_group(f["summary"], r.summary, "/summary")
        if store == "paths":
            check_group(f["paths"], r.paths, "/paths")
        else:
            assert "paths" not in f and r.paths is None
        # the file's root attributes: the Dataset's are the same (less the build's own
        # stream_version and vector_path, and what varies from run to run)
        for k, v in r.trials.attrs.items():
            if k not in VARYING:
                assert same_attr(f.attrs[k], v), (k, f.attrs[k], v)
        sa = dict(f["summary"].attrs)
        assert sa["threads"] == r.summary.attrs["threads"]
        assert sa["ranks"] == r.summary.attrs["ranks"]
    # to_hdf5 writes the command's file: the same datasets, bit for bit
    mine = work / f"api_{store}_{sampling}.h5"
    r.to_hdf5(mine)
    with h5py.File(out) as a, h5py.File(mine) as b:
        items = []
        a.visititems(lambda n, o: items.append(n) if isinstance(o, h5py.Dataset) else None)
        other = []
        b.visititems(lambda n, o: other.append(n) if isinstance(o, h5py.Dataset) else None)
        assert items == other
        for n in items:
            assert same_bits(a[n][()], b[n][()]), n
    # the JSON summary: the command's numbers
    cj = json.load(open(out.with_suffix(".json")))
    mj = r.summary_json()
    assert cj["statements"] == mj["statements"] and cj["outputs"] == mj["outputs"]
    assert cj["events"] == mj["events"] and cj["joint"] == mj["joint"]


def test_replay_is_the_run(work):
    r = tyche.load(ARTICLE).run(5000, seed=3, threads=2, store="paths", progress=False)
    for t in (0, 2047, 2048, 4999):
        one = r.replay(t)
        for k, v in one["params"].items():
            assert same_bits(np.float64(v), r.trials[k].values[t]), (t, k)
        for k, v in one["outputs"].items():
            assert same_bits(np.float64(v), r.trials[k].values[t]), (t, k)
        for k, v in one["statements"].items():
            assert v == bool(r.trials[k].values[t]), (t, k)
        for k, v in one["paths"].items():
            assert same_bits(v, r.paths[k].values[t]), (t, k)


def test_threads_same_numbers():
    s = tyche.load(ARTICLE)
    a = s.run(30000, seed=5, threads=1, progress=False)
    b = s.run(30000, seed=5, threads=2, progress=False)
    assert a.info["threads"] == 1 and b.info["threads"] == 2
    for k in a.trials.data_vars:
        assert same_bits(a.trials[k].values, b.trials[k].values), k
    for k in a.summary.data_vars:
        assert same_bits(a.summary[k].values, b.summary[k].values), k


def test_dict_set_as_of_observed(work):
    text = json.load(open(ARTICLE))
    # name: the file it stands for (messages, and where its relative data files are)
    a = tyche.load(text, name=ARTICLE, set={"option.q": 0.2}).run(4000, seed=2, progress=False)
    b = tyche.load(ARTICLE, set=["option.q=0.2"]).run(4000, seed=2, progress=False)
    assert np.all(a.trials["option.q"].values == 0.2)
    assert same_bits(a.summary["probability"].values, b.summary["probability"].values)
    # --as-of and --observed as the command takes them
    out = work / "asof.h5"
    c = command("run", ARTICLE, "-n", "4000", "-s", "2", "-q", "--as-of", "2026-10-01",
                "--observed", "option.exercise_time=false", "--observed",
                "exclusivity.deal_time=unknown", "-o", str(out), cwd=work)
    assert c.returncode == 0, c.stderr
    r = tyche.load(ARTICLE, as_of="2026-10-01",
                   observed={"option.exercise_time": False,
                             "exclusivity.deal_time": None}).run(4000, seed=2, progress=False)
    with h5py.File(out) as f:
        check_group(f["summary"], r.summary, "/summary")
        assert f.attrs["as_of"] == r.trials.attrs["as_of"] == "2026-10-01"


def _bad_prior(work):
    text = json.load(open(ARTICLE))
    models = text["models"]
    m = models["option"] if isinstance(models, dict) else models[0]
    params = m["params"]
    params["h0"] = {"dist": "lognormal", "median": -1, "sdlog": 0.8}
    path = work / "bad.json"
    path.write_text(json.dumps(text))
    return path


def test_errors_are_the_commands(work):
    bad = _bad_prior(work)
    c = command("run", str(bad), "-n", "100", "-q", "-o", str(work / "bad.h5"), cwd=work)
    assert c.returncode == 2
    msg = c.stderr.strip().splitlines()[0].removeprefix("tyche: ")
    with pytest.raises(ValueError) as e:
        tyche.load(bad)
    assert str(e.value) == msg and "bad.json: " in msg
    # the same file from a dict: the same JSON path
    with pytest.raises(ValueError) as e:
        tyche.load(json.load(open(bad)), name=str(bad))
    assert str(e.value) == msg
    # a bad --set
    c = command("run", ARTICLE, "-n", "100", "-q", "--set", "option.nope=1", cwd=work)
    assert c.returncode == 2
    msg = c.stderr.strip().splitlines()[0].removeprefix("tyche: ")
    with pytest.raises(ValueError) as e:
        tyche.load(ARTICLE, set={"option.nope": 1})
    assert str(e.value) == msg
    # a missing file: bad input to the command (exit 2), so ValueError here
    c = command("run", str(work / "missing.json"), "-n", "100", "-q", cwd=work)
    assert c.returncode == 2
    msg = c.stderr.strip().splitlines()[0].removeprefix("tyche: ")
    with pytest.raises(ValueError) as e:
        tyche.load(work / "missing.json")
    assert str(e.value) == msg
    # bad run options
    s = tyche.load(ARTICLE)
    with pytest.raises(ValueError):
        s.run(100, store="everything", progress=False)
    with pytest.raises(ValueError):
        s.run(0, progress=False)
    with pytest.raises(ValueError, match="negative"):
        s.run(-1, progress=False)
    with pytest.raises(ValueError):
        s.run(100, sampling="lhs", replicates=3, progress=False)  # 100 % 3 != 0, as the command
    with pytest.raises(TypeError):
        tyche.load(42)
    assert s.run(100, progress=False).info["trials"] == 100  # still usable


def test_interrupt_stops_and_leaves_it_usable():
    s = tyche.load(ARTICLE)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            s.run(200_000_000, seed=1, threads=2, store="none", progress=False)
    finally:
        timer.cancel()
    took = time.monotonic() - t0
    assert took < 10, took  # 200M trials take minutes: it stopped
    r = s.run(3000, seed=1, progress=False)
    assert r.info["trials"] == 3000


@pytest.mark.parametrize("what", ["tornado", "sweep", "sobol"])
def test_interrupt_stops_an_analysis(what):
    s = tyche.load(ARTICLE)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            if what == "tornado":
                s.tornado(trials=20_000_000, threads=2)
            elif what == "sweep":
                s.sweep({"option.q": [0.0, 0.05, 0.1]}, trials=20_000_000, threads=2)
            else:
                s.sobol(base=1_000_000, threads=2)
    finally:
        timer.cancel()
    took = time.monotonic() - t0
    assert took < 10, took  # each takes minutes: it stopped
    assert float(s.tornado(trials=2000, threads=2)["baseline"].sel(statement="P1")) >= 0


def test_progress():
    s = tyche.load(ARTICLE)
    seen = []
    s.run(300_000, seed=1, threads=2, store="none", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1] == (300_000, 300_000)
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    s.run(1000, progress=False)  # no bar, no callback
    s.run(1000, progress=True)   # the tqdm bar


def test_progress_error_stops_the_run():
    s = tyche.load(ARTICLE)

    def boom(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        s.run(50_000_000, threads=2, store="none", progress=boom)


def test_describe():
    d = tyche.load(ARTICLE, set={"option.q": 0.1}).describe()
    assert d["name"] == "article" and d["start"] == "2026-04-20"
    q = next(p for p in d["params"] if p["name"] == "option.q")
    assert q["overridden"] and q["prior"] == "fixed 0.1"
    assert [s["id"] for s in d["statements"]][:3] == ["P1", "P2", "P3"]


def _check_file(path, ds, where):
    with h5py.File(path) as f:
        check_group(f, ds, where)
        for k, v in f.attrs.items():
            assert same_attr(v, ds.attrs[k]), (where, k, v, ds.attrs.get(k))
        assert set(f.attrs) == set(ds.attrs), (where, set(f.attrs) ^ set(ds.attrs))


def test_tornado_sweep_sobol_are_the_commands(work):
    s = tyche.load(ARTICLE, set={"option.mu": 0.5})
    sets = ["--set", "option.mu=0.5"]
    c = command("tornado", ARTICLE, "-n", "4000", "-s", "4", *sets, "-q",
                "-o", str(work / "t.h5"), cwd=work)
    assert c.returncode == 0, c.stderr
    t = s.tornado(trials=4000, seed=4)
    _check_file(work / "t.h5", t, "tornado")
    assert float(t["swing"].sel(parameter="option.q", statement="P3")) == 0  # CRN: not in P3
    c = command("sweep", ARTICLE, "-n", "3000", "-s", "4", *sets, "--grid", "option.q=0.01,0.2",
                "--grid", "option.h0=0.2,0.3,0.5", "-q", "-o", str(work / "w.h5"), cwd=work)
    assert c.returncode == 0, c.stderr
    w = s.sweep({"option.q": [0.01, 0.2], "option.h0": [0.2, 0.3, 0.5]}, trials=3000, seed=4)
    _check_file(work / "w.h5", w, "sweep")
    assert w["probability"].dims == ("option.q", "option.h0", "statement")
    c = command("sobol", ARTICLE, "--base", "256", "--inner", "8", "--bootstrap", "20", "-s", "4",
                "--target", "revenue.slowdown_pp", *sets, "-q", "-o", str(work / "s.h5"), cwd=work)
    assert c.returncode == 0, c.stderr
    o = s.sobol(base=256, inner=8, bootstrap=20, seed=4, outputs=["revenue.slowdown_pp"])
    _check_file(work / "s.h5", o, "sobol")
    with pytest.raises(ValueError, match="needs a scenario loaded from a file"):
        tyche.load(json.load(open(ARTICLE)), name=ARTICLE).tornado(trials=100)
    with pytest.raises(ValueError):
        s.sweep({"option.nope": [1.0]}, trials=100)


def test_gil_released_while_trials_run():
    s = tyche.load(ARTICLE)
    ticks = [0]
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks[0] += 1

    th = threading.Thread(target=count)
    th.start()
    try:
        before = ticks[0]
        t0 = time.monotonic()
        r = s.run(2_000_000, seed=1, threads=2, store="none", progress=False)
        took = time.monotonic() - t0
        during = ticks[0] - before
    finally:
        stop.set()
        th.join()
    # a Python thread holding the GIL would get nothing done while the run held it; it counts
    # freely (millions a second) when the run has let go
    assert r.info["trials"] == 2_000_000 and took > 0.2, took
    assert during > 100_000 * took, (during, took)


def _rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def test_no_leak_on_error_paths(work):
    bad = _bad_prior(work)
    s = tyche.load(ARTICLE)

    def once():
        for thunk in (lambda: tyche.load(bad), lambda: tyche.load(ARTICLE, set=["option.nope=1"]),
                      lambda: s.run(0, progress=False), lambda: s.run(10, store="x"),
                      lambda: s.sweep({"option.nope": [1.0]}, trials=10)):
            with pytest.raises(ValueError):
                thunk()
        r = s.run(2048, progress=False, store="paths")
        r.summary, r.trials, r.paths, r.replay(3)

    for _ in range(30):
        once()
    base = _rss_kib()
    for _ in range(300):
        once()
    grew = _rss_kib() - base
    assert grew < 8 * 1024, f"{grew} KiB more after 300 rounds"


@pytest.mark.parametrize("flags,kw", [
    (["--as-of", "2026-13-01"], dict(as_of="2026-13-01")),
    (["--observed", "option.nope=false"], dict(observed={"option.nope": False})),
    (["--set", "option.h0={\"dist\": \"lognormal\", \"median\": 0.3}"],
     dict(set={"option.h0": {"dist": "lognormal", "median": 0.3}})),
])
def test_bad_options_are_the_commands(work, flags, kw):
    c = command("run", ARTICLE, "-n", "10", "-q", *flags, "-o", str(work / "z.h5"), cwd=work)
    assert c.returncode == 2
    msg = next(l for l in c.stderr.splitlines() if l.startswith("tyche: ")).removeprefix("tyche: ")
    with pytest.raises(ValueError) as e:
        tyche.load(ARTICLE, **kw)
    assert str(e.value) == msg
