#!/usr/bin/env bash
# tyche tornado and sweep: common random numbers make a parameter that does
# not enter a statement swing it by exactly zero; sweep points equal single
# runs with the same --set; a scenario without a common factor has no row Z; the HDF5 dimensions carry the parameters' names.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

"$TYCHE" tornado "$scen" -n 3000 -o tor.h5 > tor.txt && ok || bad "tornado"
grep -q "P1 (baseline" tor.txt && grep -q "swing" tor.txt && ok || bad "tornado table"
$PY - <<'PY' && ok || bad "tornado: swings"
import json, xarray as xr
t = json.load(open("tor.json"))
base = t["baseline"]
rows = {r["parameter"]: r for r in t["tornado"]}
assert "option.h0" in rows and "Z" in rows and "option.k_D" not in rows   # fixed ones are not varied
for name, r in rows.items():
    for sid in ("P1", "exercise_2027Q2"):
        if name.startswith("revenue.") or name.startswith("exclusivity."):
            s = r["statements"][sid]
            # exactly: the option model's random numbers are untouched by these parameters
            assert s["swing"] == 0 and s["p_low"] == base[sid] == s["p_high"], (name, sid, s)
    for sid in ("P3", "P3_level", "P3_q3", "P3_caused"):
        if name.startswith("option.") or name.startswith("exclusivity."):
            assert r["statements"][sid]["swing"] == 0, (name, sid)
# and the parameters that matter do move their statements
assert rows["option.q"]["statements"]["P1"]["swing"] > 0.005
assert rows["revenue.g_inf"]["statements"]["P3"]["swing"] > 0.01
ds = xr.open_dataset("tor.h5", engine="h5netcdf")
assert ds["swing"].dims == ("parameter", "statement")
assert float(ds["swing"].sel(parameter="revenue.a", statement="P1")) == 0.0
PY

# a swing's standard error is that of the trial-by-trial differences of its two runs
# (common random numbers): the same number from the two runs made with tyche run
lo=$($PY -c "import json; r=[r for r in json.load(open('tor.json'))['tornado'] if r['parameter']=='option.h0'][0]; print(repr(r['low']), repr(r['high']))")
read -r h0lo h0hi <<<"$lo"
"$TYCHE" run "$scen" -n 3000 -q -o lo.h5 --set option.h0=$h0lo && "$TYCHE" run "$scen" -n 3000 -q -o hi.h5 --set option.h0=$h0hi \
  && ok || bad "the tornado's two runs by hand"
$PY - <<'PY' && ok || bad "tornado: swing standard errors"
import json, h5py, numpy as np
t = json.load(open("tor.json"))
r = [r for r in t["tornado"] if r["parameter"] == "option.h0"][0]
lo, hi = h5py.File("lo.h5"), h5py.File("hi.h5")
for sid in ("P1", "exercise_2027Q2", "P2"):
    d = hi[sid][()].astype(float) - lo[sid][()].astype(float)
    s = r["statements"][sid]
    assert abs(d.mean() - s["swing"]) < 1e-12, (sid, d.mean(), s["swing"])
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert abs(se - s["swing_se"]) < 1e-12, (sid, se, s["swing_se"])
    # far below the two runs' errors combined, which ignores that they share their trials
    pl, ph = s["p_low"], s["p_high"]
    assert s["swing_se"] < np.sqrt((pl * (1 - pl) + ph * (1 - ph)) / len(d)), sid
# a parameter that changes nothing: exactly 0, error 0
rows_zero = [x for x in t["tornado"] if x["parameter"] == "revenue.a"]
assert rows_zero and rows_zero[0]["statements"]["P1"]["swing_se"] == 0.0
# rare statements are flagged (3000 trials: P1's 0.009 is about 28 true)
assert "P1" in t["rare"] and t["rare"]["P1"]["of_trials"] == 3000, t["rare"]
assert "exercise_2027Q2" not in t["rare"]
PY
grep -q "P1 (baseline .*): too rare for this sample" tor.txt && ok || bad "tornado: the rare flag in the table"

# a scenario without a common factor: no parameter Z to swing
"$TYCHE" tornado "$TYCHE_SRC/models/tests/ishigami.json" -n 2000 -o ish.h5 -q && ok || bad "tornado ishigami"
$PY - <<'PY' && ok || bad "tornado ishigami: no row Z"
import json
rows = [r["parameter"] for r in json.load(open("ish.json"))["tornado"]]
assert rows and "Z" not in rows and set(rows) == {"ish.x1", "ish.x2", "ish.x3"}, rows
PY

"$TYCHE" sweep "$scen" --grid option.q=0,0.1 --grid exclusivity.hx0=0.02,0.2,0.5 -n 3000 -o sw.h5 > sw.txt \
  && ok || bad "sweep"
"$TYCHE" run "$scen" -n 3000 -q -o one.h5 --set option.q=0.1 --set exclusivity.hx0=0.2 && ok || bad "single run"
$PY - <<'PY' && ok || bad "sweep: grid"
import json, xarray as xr
ds = xr.open_dataset("sw.h5", engine="h5netcdf")
assert ds["probability"].dims == ("option.q", "exclusivity.hx0", "statement"), ds["probability"].dims
assert list(ds["exclusivity.hx0"].values) == [0.02, 0.2, 0.5]
assert float(ds["probability"].sel({"option.q": 0.0}).sel(statement="P1").max()) == 0.0   # q = 0: no board change
one = json.load(open("one.json"))["statements"]
at = ds["probability"].sel({"option.q": 0.1, "exclusivity.hx0": 0.2})
for sid, s in one.items():
    assert float(at.sel(statement=sid)) == s["probability"], sid        # the same trials
# differences from the baseline run, with their common-random-number errors
base = json.load(open("sw.json"))["baseline"]
d = ds["diff"].sel({"option.q": 0.1, "exclusivity.hx0": 0.2})
for sid, s in one.items():
    assert abs(float(d.sel(statement=sid)) - (s["probability"] - base[sid])) < 1e-12, sid
assert (ds["diff_se"] >= 0).all() and float(ds["diff_se"].sel({"option.q": 0.1, "exclusivity.hx0": 0.2, "statement": "P3"})) == 0.0   # P3 is revenue's alone
p2 = ds["probability"].sel({"option.q": 0.0}).sel(statement="P2").values
assert p2[0] < p2[1] < p2[2], p2                                       # more deal hazard, likelier P2
xr.open_dataset("sw.h5", engine="netcdf4")
PY

for j in tor sw; do
  $PY "$TYCHE_SRC/scripts/plot.py" $j.json -o plots > /dev/null && ok || bad "plot $j"
done
[[ $(stat -c %s plots/tornado.png) -gt 10000 && $(stat -c %s plots/sweep.png) -gt 10000 ]] && ok || bad "plots"
expect_exit 2 '--grid: expected NAME=V1,V2' "$TYCHE" sweep "$scen" --grid option.q
expect_exit 2 '--grid option.q: expected up to' "$TYCHE" sweep "$scen" --grid option.q=0,x
expect_exit 2 'no parameter of that name' "$TYCHE" sweep "$scen" --grid option.qq=0,1 -n 100
expect_exit 2 '--set option.q' "$TYCHE" sweep "$scen" --grid option.q=0,2 -n 100
expect_exit 2 '--low: expected a quantile level' "$TYCHE" tornado "$scen" --low 1.5
expect_exit 2 'at least one --grid' "$TYCHE" sweep "$scen"
finish
