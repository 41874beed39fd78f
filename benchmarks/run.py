#!/usr/bin/python3
"""tyche's benchmark suite on the article scenario: every figure the median of R runs (with
min and max), every ratio against a baseline measured in the same invocation.

    benchmarks/run.py [-n TRIALS] [-r RUNS] [--memory 6,7,8] [--markdown] [--build DIR]
                      [--stream] [--stream-scale F] [--mpi-build DIR] [--dir DIR]

Measures: trials/s at 1 thread and at all threads with --store none and outputs (simulation
only, as tyche's summary reports it); the NumPy reference at the same trial count and the ratio
tyche (1 thread) / NumPy, the median of runs paired one after the other; the draws-only floor
(tyche_bench ... floor) and the ratio full trial / draws, paired likewise; the cost of writing (whole-command wall time with --store none, outputs, paths, and the
share of it not spent simulating); peak memory (/usr/bin/time -v) with --store none at 10^k
trials; thread scaling 2..N with parallel efficiency against 1 thread, runs paired.  Build first (scripts/build.sh build).

Streamed rows (--stream: that section alone; it is also the last of the full run), on the article
with -t 2, counts multiplied by --stream-scale for a quick run: peak memory with --store outputs
at 10^6, 10^7, 3x10^7 trials and --store paths at 10^5, 10^6, 10^7, and the ratio largest /
smallest per level (target <= 1.10: memory flat in the trial count); the whole command with
--store outputs against --store none at 10^7 trials, pairs alternated, with the bytes written,
the disk's own speed (dd of 1 GiB, conv=fsync, into the same folder) and the floor that speed
sets, max(none's time, bytes / disk speed) / none's time (target <= 1.15, unless the floor is
above it); mpirun -np 2 -t 1 against one process at -t 2 of the MPI build (--mpi-build, default
build-mpi; scripts/build.sh build-mpi -DTYCHE_MPI=ON), pairs alternated (target <= 1.10); the
time to read one column of 10^7 trials with h5py and xarray (engines h5netcdf and netcdf4 where
importable), median of 3, the file in the page cache.  Files go into a folder beside the
sources (--dir: on the same disk as the repository, not /dev/shm) and are deleted after.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYCHE = os.path.join(ROOT, "build", "tyche")
BENCH = os.path.join(ROOT, "build", "tyche_bench")
ROWS = []   # (measure, median, min, max, unit, note) of every figure printed, for --markdown
SCEN = os.path.join(ROOT, "models", "article.json")
NUMPY = os.path.join(ROOT, "benchmarks", "reference", "article_numpy.py")


def med(xs):
    return statistics.median(xs), min(xs), max(xs)


def tyche_run(tmp, n, threads, store):
    """(simulation trials/s, whole-command seconds)"""
    out = os.path.join(tmp, "b.h5")
    t0 = time.perf_counter()
    subprocess.run([TYCHE, "run", SCEN, "-n", str(n), "-t", str(threads), "-q", "--store", store,
                    "-o", out], check=True)
    wall = time.perf_counter() - t0
    s = json.load(open(os.path.join(tmp, "b.json")))
    return s["runtime"]["trials_per_second"], wall, s["runtime"]["seconds"]


def line(what, m, lo=None, hi=None, unit="", note="", fmt=",.0f"):
    """One row of the table, printed as the others are and kept for --markdown."""
    cell = lambda x: f"{x:>14{fmt}}" if x is not None else f"{'':>14}"
    print(f"{what:<52} {cell(m)} {cell(lo)} {cell(hi)} {unit:<8} {note}".rstrip(), flush=True)
    ROWS.append((what, format(m, fmt), "" if lo is None else format(lo, fmt),
                 "" if hi is None else format(hi, fmt), unit, note))


def peak_rss_mib(cmd, env=None):
    """(peak resident memory in MiB (/usr/bin/time -v) of a command, None and its last line of
    stderr where it failed: a binary that keeps the rows in memory refuses a run they would
    not fit)"""
    r = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        return None, ([x for x in r.stderr.splitlines() if x.startswith("tyche")] or [r.stderr])[-1][:120]
    return int(r.stderr.split("Maximum resident set size (kbytes):")[1].split()[0]) / 1024, ""


def file_bytes(h5):
    js = h5[:-3] + ".json"
    return os.path.getsize(h5) + (os.path.getsize(js) if os.path.exists(js) else 0)


def rm_result(h5):
    for p in (h5, h5[:-3] + ".json"):
        if os.path.exists(p):
            os.unlink(p)


def timed(cmd, env=None):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def alternated(r, first, second):
    """r pairs (first(), second()), the order swapped every other pair: on a shared machine
    the load drifts, a pair's ratio sees the same load"""
    pairs = []
    for i in range(r):
        if i % 2 == 0:
            a = first()
            b = second()
        else:
            b = second()
            a = first()
        pairs.append((a, b))
    return pairs


def ratio_line(what, pairs, target):
    """the median of the pairs' ratios b / a, with min and max, against a target"""
    q = [b / a for a, b in pairs]
    m = statistics.median(q)
    line(what, m, min(q), max(q), "ratio", f"target <= {target:.2f}: {'met' if m <= target else 'NOT met'}",
         fmt=".3f")
    return m


def disk_speed(folder, mib=1024):
    """the folder's disk's sequential write speed, bytes/s: dd of MIB MiB, conv=fsync"""
    path = os.path.join(folder, "dd.bin")
    t0 = time.perf_counter()
    subprocess.run(["dd", "if=/dev/zero", f"of={path}", "bs=1M", f"count={mib}", "conv=fsync"],
                   check=True, capture_output=True)
    secs = time.perf_counter() - t0
    os.unlink(path)
    return mib * 1048576 / secs


def stream_section(a, tyche, mpi_tyche):
    """Streamed per-trial rows: flat memory, the cost of writing, MPI, reading a column."""
    def n_of(base):
        return max(2048, int(round(base * a.stream_scale)))

    def run_cmd(n, store, out, threads=2, binary=tyche):
        return [binary, "run", SCEN, "-n", str(n), "-t", str(threads), "-q", "--store", store, "-o", out]

    with tempfile.TemporaryDirectory(prefix="build-bench-", dir=a.dir) as tmp:
        out = os.path.join(tmp, "s.h5")
        print(f"streamed rows: files in {tmp}; counts x {a.stream_scale:g}", flush=True)
        # peak memory at growing trial counts, per store level: flat is the target
        for store, bases in (("outputs", (1e6, 1e7, 3e7)), ("paths", (1e5, 1e6, 1e7))):
            peaks = []
            for base in bases:
                n = n_of(base)
                mib, why = peak_rss_mib(run_cmd(n, store, out))
                if mib is None:
                    print(f"peak memory, --store {store}, {n:,} trials: failed: {why}", flush=True)
                    continue
                size = file_bytes(out)
                rm_result(out)
                peaks.append(mib)
                line(f"peak memory, --store {store}, {n:,} trials", mib, unit="MiB",
                     note=f"file {size / 1e6:,.0f} MB", fmt=".1f")
            if len(peaks) < 2:
                continue
            rt = max(peaks) / min(peaks)
            line(f"peak memory largest / smallest, --store {store}", rt, unit="ratio",
                 note=f"target <= 1.10: {'met' if rt <= 1.10 else 'NOT met'}", fmt=".3f")
        # the whole command, outputs against none, pairs alternated; the disk's own speed
        n = n_of(1e7)
        none_out = os.path.join(tmp, "none.h5")
        sizes, sims = [], []

        def outputs_run():
            rm_result(out)
            w = timed(run_cmd(n, "outputs", out))
            sizes.append(file_bytes(out))
            sims.append(json.load(open(out[:-3] + ".json"))["runtime"]["seconds"])
            return w

        def none_run():
            rm_result(none_out)
            return timed(run_cmd(n, "none", none_out))
        speed = disk_speed(tmp)
        pairs = alternated(a.r, none_run, outputs_run)
        speed = min(speed, disk_speed(tmp))   # before and after: the slower
        nones = [x for x, _ in pairs]
        outs = [y for _, y in pairs]
        line(f"whole command -t 2, --store none, {n:,} trials", statistics.median(nones), min(nones),
             max(nones), "s", fmt=".2f")
        line(f"whole command -t 2, --store outputs, {n:,} trials", statistics.median(outs), min(outs),
             max(outs), "s", f"simulating {statistics.median(sims):.2f} s (its summary)", fmt=".2f")
        ratio_line("  ratio outputs / none (median of alternated pairs)", pairs, 1.15)
        written = statistics.median(sizes)
        line("  bytes written, --store outputs", written / 1e6, unit="MB", fmt=",.0f")
        line("  disk sequential write (dd 1 GiB, conv=fsync)", speed / 1e6, unit="MB/s",
             note="the slower of one before and one after", fmt=",.0f")
        none_m = statistics.median(nones)
        floor = max(none_m, written / speed) / none_m
        line("  floor: max(none's time, bytes / disk speed) / none's", floor, unit="ratio",
             note=f"bytes / disk speed {written / speed:.2f} s", fmt=".3f")
        # one column of the run's file, read whole: h5py, xarray's engines
        col = "option.exercise_time"

        def read_h5py():
            import h5py
            with h5py.File(out, "r") as f:
                return f[col][:]

        def read_xr(engine):
            def read():
                import xarray as xr
                # its default decoding, times into datetime64 (a never, NaN, warns: hushed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    with xr.open_dataset(out, engine=engine) as ds:
                        return ds[col].values
            return read
        readers = [("h5py", read_h5py)]
        for engine, module in (("h5netcdf", "h5netcdf"), ("netcdf4", "netCDF4")):
            try:
                __import__("xarray")
                __import__(module)
                readers.append((f"xarray {engine}", read_xr(engine)))
            except ImportError:
                print(f"  xarray engine {engine}: not importable, skipped", flush=True)
        for name, read in readers:
            v = read()   # once to import and to have the file in the page cache
            assert v.shape == (n,), (name, v.shape)
            ts = []
            for _ in range(3):
                t0 = time.perf_counter()
                read()
                ts.append(time.perf_counter() - t0)
            line(f"read one column, {n:,} trials: {name}", statistics.median(ts), min(ts), max(ts), "s",
                 f"{col}; median of 3, the file in the page cache", fmt=".3f")
        rm_result(out)
        rm_result(none_out)
        # MPI: two ranks of one thread against one process of two threads, the same binary
        if shutil.which("mpirun") is None or not os.access(mpi_tyche, os.X_OK):
            print(f"  MPI: skipped (mpirun {'found' if shutil.which('mpirun') else 'missing'}, "
                  f"{mpi_tyche} {'found' if os.path.exists(mpi_tyche) else 'missing'}: "
                  f"scripts/build.sh build-mpi -DTYCHE_MPI=ON)", flush=True)
            return
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        mpi_out = os.path.join(tmp, "mpi.h5")

        def plain():
            rm_result(out)
            return timed(run_cmd(n, "outputs", out, 2, mpi_tyche), env)

        def ranks():
            rm_result(mpi_out)
            return timed(["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2"]
                         + run_cmd(n, "outputs", mpi_out, 1, mpi_tyche), env)
        pairs = alternated(a.r, plain, ranks)
        ps, ms = [x for x, _ in pairs], [y for _, y in pairs]
        line(f"MPI, one process -t 2, outputs, {n:,} trials", statistics.median(ps), min(ps), max(ps),
             "s", fmt=".2f")
        line(f"MPI, mpirun -np 2 -t 1, outputs, {n:,} trials", statistics.median(ms), min(ms), max(ms),
             "s", fmt=".2f")
        ratio_line("  ratio mpirun / one process (alternated pairs)", pairs, 1.10)
        rm_result(out)
        rm_result(mpi_out)


def markdown():
    print("\n| measure | median | min | max | unit | note |\n|---|---:|---:|---:|---|---|")
    for r in ROWS:
        print("| " + " | ".join(str(x).strip().replace("|", "\\|") for x in r) + " |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--memory", default="6,7,8", help="powers of ten for the memory runs ('' for none)")
    ap.add_argument("--markdown", action="store_true", help="also print the figures as a markdown table")
    ap.add_argument("--build", default="build", help="the build folder (default build)")
    ap.add_argument("--stream", action="store_true", help="the streamed-rows section alone")
    ap.add_argument("--no-stream", action="store_true",
                    help="the full run without its streamed-rows section (for quick before/after pairs)")
    ap.add_argument("--stream-scale", type=float, default=1.0,
                    help="multiply the streamed-rows section's trial counts (0.1 for a quick run)")
    ap.add_argument("--mpi-build", default="build-mpi", help="the MPI build folder (default build-mpi)")
    ap.add_argument("--dir", default=ROOT, help="the folder for the streamed section's files "
                    "(default: the repository's, the disk it is on)")
    a = ap.parse_args()
    global TYCHE, BENCH
    TYCHE = os.path.join(ROOT, a.build, "tyche")
    BENCH = os.path.join(ROOT, a.build, "tyche_bench")
    mpi_tyche = os.path.join(ROOT, a.mpi_build, "tyche")
    cores = os.cpu_count()
    rows = []

    def row(what, values, unit, note=""):
        m, lo, hi = med(values)
        rows.append((what, m, lo, hi, unit, note))
        line(what, m, lo, hi, unit, note)
        return m

    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t")
    print(f"machine: {cores} cores, {cpu}; {a.n:,} trials, median of {a.r} runs, "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}")
    print(f"{'measure':<52} {'median':>14} {'min':>14} {'max':>14} unit")
    if a.stream:
        stream_section(a, TYCHE, mpi_tyche)
        if a.markdown:
            markdown()
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        rates = {}
        for store in ("none", "outputs"):
            for t in sorted({1, cores}):
                runs = [tyche_run(tmp, a.n, t, store) for _ in range(a.r)]
                rates[(store, t)] = row(f"tyche, --store {store}, {t} thread(s)", [x[0] for x in runs],
                                        "trials/s")
        # NumPy reference, same trial count, each run paired with a tyche run (1 thread,
        # --store none) made just before it: on a shared machine the load drifts between
        # minutes, so the ratio is the median of the pairs' ratios
        def numpy_rate(i):
            j = os.path.join(tmp, "np.json")
            subprocess.run(["/usr/bin/python3", NUMPY, "-n", str(a.n), "--seed", str(i + 1), "--json", j],
                           check=True, stdout=subprocess.DEVNULL)
            d = json.load(open(j))
            return d["trials"] / d["seconds"]
        pairs = [(tyche_run(tmp, a.n, 1, "none")[0], numpy_rate(i)) for i in range(a.r)]
        npm = row("NumPy reference (benchmarks/reference)", [y for _, y in pairs], "trials/s")
        print(f"  ratio tyche (1 thread, --store none) / NumPy: median of paired runs "
              f"{statistics.median(x / y for x, y in pairs):.2f} (min {min(x / y for x, y in pairs):.2f}, "
              f"max {max(x / y for x, y in pairs):.2f}); of the medians {rates[('none', 1)] / npm:.2f}")
        # the floor: the same draws, nothing else (paired the same way)
        fl = [(float(subprocess.check_output([BENCH, SCEN, str(a.n), "1"])),
               float(subprocess.check_output([BENCH, SCEN, str(a.n), "1", "floor"]))) for _ in range(a.r)]
        fm = row("tyche_bench: full trial, 1 thread", [x for x, _ in fl], "trials/s")
        lm = row("tyche_bench: draws only (floor), 1 thread", [y for _, y in fl], "trials/s")
        print(f"  ratio full trial / draws alone (time per trial): median of paired runs "
              f"{statistics.median(y / x for x, y in fl):.2f}; of the medians {lm / fm:.2f}")
        # the cost of writing
        for store in ("none", "outputs", "paths"):
            runs = [tyche_run(tmp, a.n, cores, store) for _ in range(a.r)]
            walls = [x[1] for x in runs]
            share = statistics.median([(x[1] - x[2]) / x[1] for x in runs])
            m, lo, hi = med(walls)
            line(f"whole command, --store {store}, all threads", m, lo, hi, "s",
                 f"not simulating: {100 * share:.0f}%", fmt=".2f")
        # peak memory, --store none
        for k in [int(x) for x in a.memory.split(",") if x]:
            out = subprocess.run(["/usr/bin/time", "-v", TYCHE, "run", SCEN, "-n", str(10 ** k), "-q",
                                  "--store", "none", "-o", os.path.join(tmp, "m.h5")],
                                 capture_output=True, text=True, check=True).stderr
            kb = int(out.split("Maximum resident set size (kbytes):")[1].split()[0])
            line(f"peak memory, --store none, 10^{k} trials", kb / 1024, unit="MiB", fmt=".1f")
        # thread scaling: 1 thread and t threads measured in alternation, the efficiency
        # the median of the pairs' ratios (on a shared machine, load drifts between runs)
        for t in range(2, cores + 1):
            pairs = [(float(subprocess.check_output([BENCH, SCEN, str(a.n), "1"])),
                      float(subprocess.check_output([BENCH, SCEN, str(a.n), str(t)])))
                     for _ in range(a.r)]
            eff = statistics.median(b / (t * x) for x, b in pairs)
            m = statistics.median(b for _, b in pairs)
            line(f"scaling, {t} threads", m, unit="trials/s",
                 note=f"efficiency {100 * eff:.0f}% (median of paired runs, min "
                      f"{100 * min(b / (t * x) for x, b in pairs):.0f}%)")
        if not a.no_stream:
            stream_section(a, TYCHE, mpi_tyche)
    if a.markdown:
        markdown()


if __name__ == "__main__":
    sys.exit(main())
