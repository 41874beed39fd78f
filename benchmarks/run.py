#!/usr/bin/python3
"""tyche's benchmark suite on the article scenario: every figure the median of R runs (with
min and max), every ratio against a baseline measured in the same invocation.

    benchmarks/run.py [-n TRIALS] [-r RUNS] [--memory 6,7,8] [--markdown]

Measures: trials/s at 1 thread and at all threads with --store none and outputs (simulation
only, as tyche's summary reports it); the NumPy reference at the same trial count and the ratio
tyche (1 thread) / NumPy, the median of runs paired one after the other; the draws-only floor
(tyche_bench ... floor) and the ratio full trial / draws, paired likewise; the cost of writing (whole-command wall time with --store none, outputs, paths, and the
share of it not spent simulating); peak memory (/usr/bin/time -v) with --store none at 10^k
trials; thread scaling 2..N with parallel efficiency against 1 thread, runs paired.  Build first (scripts/build.sh build).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TYCHE = os.path.join(ROOT, "build", "tyche")
BENCH = os.path.join(ROOT, "build", "tyche_bench")
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


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("-r", type=int, default=5)
    ap.add_argument("--memory", default="6,7,8", help="powers of ten for the memory runs ('' for none)")
    a = ap.parse_args()
    cores = os.cpu_count()
    rows = []

    def row(what, values, unit, note=""):
        m, lo, hi = med(values)
        rows.append((what, m, lo, hi, unit, note))
        print(f"{what:<52} {m:>14,.0f} {lo:>14,.0f} {hi:>14,.0f} {unit:<8} {note}", flush=True)
        return m

    cpu = open("/proc/cpuinfo").read().split("model name")[1].split("\n")[0].strip(" :\t")
    print(f"machine: {cores} cores, {cpu}; {a.n:,} trials, median of {a.r} runs, "
          f"{time.strftime('%Y-%m-%d', time.gmtime())}")
    print(f"{'measure':<52} {'median':>14} {'min':>14} {'max':>14} unit")
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
            print(f"{'whole command, --store ' + store + ', all threads':<52} {m:>14.2f} {lo:>14.2f} "
                  f"{hi:>14.2f} s        not simulating: {100 * share:.0f}%", flush=True)
        # peak memory, --store none
        for k in [int(x) for x in a.memory.split(",") if x]:
            out = subprocess.run(["/usr/bin/time", "-v", TYCHE, "run", SCEN, "-n", str(10 ** k), "-q",
                                  "--store", "none", "-o", os.path.join(tmp, "m.h5")],
                                 capture_output=True, text=True, check=True).stderr
            kb = int(out.split("Maximum resident set size (kbytes):")[1].split()[0])
            print(f"{'peak memory, --store none, 10^' + str(k) + ' trials':<52} {kb / 1024:>14.1f} "
                  f"{'':>14} {'':>14} MiB", flush=True)
        # thread scaling: 1 thread and t threads measured in alternation, the efficiency
        # the median of the pairs' ratios (on a shared machine, load drifts between runs)
        for t in range(2, cores + 1):
            pairs = [(float(subprocess.check_output([BENCH, SCEN, str(a.n), "1"])),
                      float(subprocess.check_output([BENCH, SCEN, str(a.n), str(t)])))
                     for _ in range(a.r)]
            eff = statistics.median(b / (t * x) for x, b in pairs)
            m = statistics.median(b for _, b in pairs)
            print(f"{'scaling, ' + str(t) + ' threads':<52} {m:>14,.0f} {'':>14} {'':>14} trials/s "
                  f"efficiency {100 * eff:.0f}% (median of paired runs, min "
                  f"{100 * min(b / (t * x) for x, b in pairs):.0f}%)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
