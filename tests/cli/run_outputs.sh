#!/usr/bin/env bash
# End to end: `tyche run` at 1, 2 and 3 threads gives byte-identical
# per-trial datasets and the same summary; replay prints the stored trial;
# the files open in h5py, xarray (h5netcdf, netcdf4) and ncdump at every
# store level.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/option.json"
n=9000

for t in 1 2 3; do
  "$TYCHE" run "$scen" -n $n -s 77 -t $t --store paths -q -o t$t.h5 && ok || bad "run -t $t"
done
$PY - <<'PY' && ok || bad "per-trial datasets differ between thread counts"
import h5py, json, sys
def raw(v):
    # variable-length strings come back as objects: compare their values
    return v.tolist() if getattr(v, "dtype", None) is not None and v.dtype.kind == "O" else (
        v.tobytes() if hasattr(v, "tobytes") else v)
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("summary"):
                out[name] = raw(obj[()])
        f.visititems(visit)
        # and the summary datasets too, except timings
        for k, v in f["summary"].items():
            out["summary/" + k] = raw(v[()])
    return out
a = datasets("t1.h5")
assert len(a) > 10, sorted(a)
for other in ("t2.h5", "t3.h5"):
    b = datasets(other)
    assert a.keys() == b.keys(), (a.keys() ^ b.keys())
    diff = [k for k in a if a[k] != b[k]]
    assert not diff, f"{other}: {diff}"
s = [json.load(open(f"t{t}.json")) for t in (1, 2, 3)]
for x in s[1:]:
    for key in ("statements", "outputs", "events", "joint"):
        assert x[key] == s[0][key], key
print("identical across 1, 2, 3 threads")
PY

# replay of trial 4321 equals the stored row, to the last bit (%.17g round-trips)
"$TYCHE" replay "$scen" --trial 4321 -s 77 > replay.txt && ok || bad "replay"
$PY - <<'PY' && ok || bad "replay differs from the stored trial"
import h5py, math
vals = {}
for line in open("replay.txt"):
    parts = line.split()
    if len(parts) >= 2 and "." in parts[0] or (len(parts) >= 2 and parts[0] in ("Z", "P1", "exercise_by_2027Q2")):
        vals[parts[0]] = parts[1]
with h5py.File("t2.h5", "r") as f:
    checked = 0
    for name, txt in vals.items():
        if name not in f:
            continue
        stored = f[name][4321]
        if txt in ("true", "false"):
            assert int(stored) == (txt == "true"), name
        else:
            x = float(txt)
            assert (math.isinf(x) and math.isnan(stored)) or x == stored or (math.isnan(x) and math.isnan(stored)), (name, x, stored)
        checked += 1
    assert checked >= 12, checked
PY

for store in none outputs paths; do
  "$TYCHE" run "$scen" -n 3000 -q --store $store -o s_$store.h5 --compress 4 && ok || bad "store $store"
  $PY "$TYCHE_SRC/tests/check_hdf5.py" s_$store.h5 s_$store.json --expect-store $store \
    && ok || bad "check_hdf5 store $store"
done
# one trial and a one-block run
"$TYCHE" run "$scen" -n 1 -q -o one.h5 && $PY "$TYCHE_SRC/tests/check_hdf5.py" one.h5 one.json \
  --expect-store outputs && ok || bad "a run of one trial"

# the summary's documented keys
$PY - <<'PY' && ok || bad "summary keys"
import json
s = json.load(open("s_outputs.json"))
for k in ("scenario", "seed", "trials", "statements", "outputs", "events", "joint", "runtime"):
    assert k in s, k
p1 = s["statements"]["P1"]
for k in ("text", "probability", "stderr", "ci95"):
    assert k in p1, k
assert p1["ci95"][0] <= p1["probability"] <= p1["ci95"][1]
o = s["outputs"]["option.valuation_at_deadline"]
assert set(o["quantiles"]) == {"p01", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "p99"}
assert "missing_fraction" in o and "mean" in o and "sd" in o
assert len(s["events"]["option.exercise_time"]["cumulative_incidence"]) > 12
assert set(s["runtime"]) >= {"seconds", "trials_per_second", "threads"}
assert s["scenario"]["name"] == "option" and s["seed"] == 1
PY

# the progress bar: drawn on a terminal (a pty from script(1)), never into a pipe
if command -v script >/dev/null; then
  script -qec "'$TYCHE' run '$scen' -n 400000 -o pty.h5 --store none" /dev/null > pty.txt 2>&1 || true
  grep -q "trials/s" pty.txt && grep -q "s left" pty.txt && ok || bad "no progress bar on a terminal: $(head -c 300 pty.txt)"
fi
"$TYCHE" run "$scen" -n 400000 -o nopty.h5 --store none 2> nopty.err > /dev/null
[[ ! -s nopty.err ]] && ok || bad "progress bar drawn into a pipe"

# the table and the version
"$TYCHE" run "$scen" -n 2000 -o tbl.h5 > table.txt && grep -q "P1" table.txt && grep -q "95% CI" table.txt \
  && ok || bad "table"
[[ ! -s err.txt ]] || true
# A statement never true (q = 0: no board seat, so P1 never holds): the table's
# Wilson upper bound (3.84e-05) is not 0.0000 but the JSON's ci95 high to the printed
# digits; the lower bound 0; P and +-se right-aligned under their headings.
"$TYCHE" run "$scen" -n 100000 --set option.q=0 -o never.h5 > never.txt && ok || bad "run --set option.q=0"
$PY - <<'PY' && ok || bad "never-true statement's line: $(grep -E 'P1|statement' never.txt)"
import json, re
s = json.load(open("never.json"))["statements"]["P1"]
assert s["count"] == 0 and s["probability"] == 0 and s["ci95"][1] > 0, s
lines = open("never.txt").read().splitlines()
head = next(l for l in lines if "95% CI (Wilson)" in l)
row = next(l for l in lines if l.startswith("  P1 "))
m = re.search(r"(\S+) +(\S+)  \[(\S+), (\S+)\]$", row)
assert m, row
p, se, lo, hi = m.groups()
assert float(hi) > 0 and hi == "%.1e" % s["ci95"][1], (hi, s["ci95"])
assert float(p) == 0 and float(se) == 0 and float(lo) == 0, row
# P and +-se end where their headings do
assert row.index(p) + len(p) == head.index(" P ") + 2, (row, head)
assert row.index(se, row.index(p) + len(p)) + len(se) == head.index("+-se") + 4, (row, head)
PY
"$TYCHE" --version | grep -qE '^tyche [0-9]+\.[0-9]+\.[0-9]+' && ok || bad "--version"
for c in run describe replay; do "$TYCHE" $c --help | grep -q "usage: tyche $c" && ok || bad "$c --help"; done
"$TYCHE" describe "$scen" > describe.txt && grep -q "option.h0" describe.txt && grep -q "lognormal" describe.txt \
  && ok || bad "describe"
finish
