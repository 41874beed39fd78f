#!/usr/bin/env bash
# What long runs add to the outputs: with --precision, each target and the
# half-width reached, per statement and for the run, in the JSON summary and
# in HDF5 /summary (and none of it in a plain run); the ranks beside the
# threads; and a shard's label (index, count, its trials) in both files,
# which a whole run does not carry.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

# (a) a target far out of reach: 131072 trials give a half-width near 1e-3
# (no -n: a --precision run takes its cap from --max-trials)
"$TYCHE" run "$scen" --precision 0.0001 --max-trials 131072 -q -o far.h5 2> far.err && ok || bad "run far"
# (b) one reached at the first check
"$TYCHE" run "$scen" --precision 0.05 --max-trials 131072 -q -o near.h5 && ok || bad "run near"
# a target on one statement only: the others have none (NaN target and
# half-width, and reached 1, so that all() of the column is the run's answer)
"$TYCHE" run "$scen" --precision P3_level=0.01 --max-trials 131072 -q -o one.h5 && ok || bad "run one target"
# (c) no target
"$TYCHE" run "$scen" -n 20000 -q -o plain.h5 && ok || bad "run plain"

$PY - <<'PY' && ok || bad "precision in the summaries"
import json, math, h5py
import xarray as xr

def check(stem, target, want):
    s = json.load(open(stem + ".json"))
    top = s["precision"]
    assert top["reached"] is want, (stem, top)
    assert top["max_trials"] == 131072, (stem, top)
    assert top["trials"] == s["trials"], (stem, top, s["trials"])
    # reached: it stopped at the first check (65536 trials); not: at the cap
    assert s["trials"] == (65536 if want else 131072), (stem, s["trials"])
    for sid, st in s["statements"].items():
        p = st["precision"]
        assert p["target"] == target, (stem, sid, p)
        assert p["reached"] is want, (stem, sid, p)
        assert (p["half_width"] <= target) is want, (stem, sid, p)
        # the half-width is that of the statement's own 95% interval
        half = (st["ci95"][1] - st["ci95"][0]) / 2
        assert math.isclose(p["half_width"], half, rel_tol=1e-12), (stem, sid, p, half)
    ids = list(s["statements"])
    with h5py.File(stem + ".h5", "r") as f:
        g = f["summary"]
        assert [x.decode() for x in g["statement"][()]] == ids
        assert g["precision_reached"].dtype == "uint8"
        assert g["precision_reached"][()].tolist() == [int(want)] * len(ids), g["precision_reached"][()]
        assert g["precision_target"][()].tolist() == [target] * len(ids)
        # cJSON prints 15 significant digits when they read back within its
        # tolerance, so the JSON's copy may differ in the last bit or two
        for i, h in zip(ids, g["precision_half_width"][()].tolist()):
            assert math.isclose(h, s["statements"][i]["precision"]["half_width"], rel_tol=1e-14), (i, h)
        assert int(g.attrs["precision_reached"]) == int(want)
        assert int(g.attrs["precision_max_trials"]) == 131072
        g_half_p1 = g["precision_half_width"][ids.index("P1")]
    with xr.open_dataset(stem + ".h5", engine="h5netcdf", group="summary") as ds:
        assert ds["precision_reached"].dims == ("statement",), ds["precision_reached"].dims
        assert ds["precision_half_width"].sel(statement="P1").item() == g_half_p1
        assert bool(ds.attrs["precision_reached"]) is want

check("far", 0.0001, False)
check("near", 0.05, True)

s = json.load(open("one.json"))
assert s["precision"]["reached"] is True and s["trials"] == 65536, (s["precision"], s["trials"])
assert [k for k, st in s["statements"].items() if "precision" in st] == ["P3_level"]
with h5py.File("one.h5", "r") as f:
    g = f["summary"]
    ids = [x.decode() for x in g["statement"][()]]
    k = ids.index("P3_level")
    t, h = g["precision_target"][()], g["precision_half_width"][()]
    assert t[k] == 0.01 and h[k] <= 0.01, (t, h)
    assert all(math.isnan(t[i]) and math.isnan(h[i]) for i in range(len(ids)) if i != k), (t, h)
    assert g["precision_reached"][()].tolist() == [1] * len(ids)
    assert int(g.attrs["precision_reached"]) == 1

s = json.load(open("plain.json"))
assert "precision" not in s, s.keys()
assert all("precision" not in st for st in s["statements"].values())
with h5py.File("plain.h5", "r") as f:
    g = f["summary"]
    extra = [k for k in list(g) + list(g.attrs) if k.startswith("precision")]
    assert not extra, extra
PY

# the new variables and attributes still read in every promised reader
# (h5py, xarray's h5netcdf and netcdf4 engines, ncdump)
for stem in far plain; do
  $PY "$TYCHE_SRC/tests/check_hdf5.py" $stem.h5 $stem.json --expect-store outputs && ok || bad "check_hdf5 $stem"
done

# (d) the runtime: threads per rank, and one rank without MPI
"$TYCHE" run "$scen" -n 20000 -t 2 -q -o t2.h5 && ok || bad "run -t 2"
$PY - <<'PY' && ok || bad "ranks beside threads"
import json, h5py
for stem in ("plain", "t2"):
    rt = json.load(open(stem + ".json"))["runtime"]
    assert rt["threads"] >= 1 and rt["ranks"] == 1, (stem, rt)
    with h5py.File(stem + ".h5", "r") as f:
        for where in (f, f["summary"]):
            assert int(where.attrs["ranks"]) == 1, (stem, where.name)
            assert int(where.attrs["threads"]) == rt["threads"], (stem, where.name)
assert json.load(open("t2.json"))["runtime"]["threads"] == 2
PY

# (e) a shard labels itself; a whole run does not
"$TYCHE" run "$scen" --shard 1/3 -n 30000 -q -o sh1.h5 && ok || bad "run --shard 1/3"
$PY - <<'PY' && ok || bad "shard label"
import json, h5py
s = json.load(open("sh1.json"))
sh = s["shard"]
assert sh["index"] == 1 and sh["count"] == 3, sh
assert sh["trials"] == s["trials"] and 0 < sh["trials"] < 30000, (sh, s["trials"])
assert sh["total_trials"] == 30000, sh
with h5py.File("sh1.h5", "r") as f:
    assert int(f.attrs["shard_index"]) == 1 and int(f.attrs["shard_count"]) == 3
    # the label agrees with the rows the shard holds
    t = f["trial"][()]
    assert t[0] == sh["first_trial"] and len(t) == sh["trials"], (t[0], len(t), sh)
for stem in ("plain", "far"):
    assert "shard" not in json.load(open(stem + ".json"))
    with h5py.File(stem + ".h5", "r") as f:
        assert "shard_index" not in f.attrs and "shard_count" not in f.attrs, stem
PY
# the labelled shards still merge into the whole run
"$TYCHE" run "$scen" --shard 0/3 -n 30000 -q -o sh0.h5 && "$TYCHE" run "$scen" --shard 2/3 -n 30000 -q -o sh2.h5 \
  && "$TYCHE" merge sh0.h5 sh1.h5 sh2.h5 -q -o merged.h5 && ok || bad "merge the labelled shards"
$PY - <<'PY' && ok || bad "a merge is not a shard"
import json, h5py
assert "shard" not in json.load(open("merged.json"))
with h5py.File("merged.h5", "r") as f:
    assert "shard_index" not in f.attrs and f.attrs["trials"] == 30000
PY
$PY "$TYCHE_SRC/tests/check_hdf5.py" sh1.h5 sh1.json --expect-store outputs && ok || bad "check_hdf5 shard"
finish
