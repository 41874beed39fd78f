#!/usr/bin/env bash
# The article scenario end to end: the grouped table, every statement, the
# revenue paths with quarter names as a coordinate, --set and --as-of, and
# their errors.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

"$TYCHE" run "$scen" -n 20000 --store paths -o art.h5 > table.txt && ok || bad "article run"
for s in P1 P2 P3 P3_level P3_q3 P3_caused exercise_2027Q2 deal_by_2027-10-20; do
  grep -q "^  $s " table.txt && ok || bad "table lacks $s"
done
for g in "[predictions]" "[readings of P3]" "[helpers]" "[joint]" "P1 & P2 & P3"; do
  grep -qF "$g" table.txt && ok || bad "table lacks $g"
done
$PY - <<'PY' && ok || bad "article HDF5 / summary"
import json, xarray as xr
s = json.load(open("art.json"))
assert set(s["statements"]) == {"P1", "P2", "P3", "P3_level", "P3_q3", "P3_caused",
                                "exercise_2027Q2", "deal_by_2027-10-20"}
assert s["joint"]["statements"] == ["P1", "P2", "P3"]
assert "P1&P2" in s["joint"]["pairs"] and len(s["joint"]["correlation"]) == 3
p = xr.open_dataset("art.h5", engine="h5netcdf", group="paths")
q = [str(x) for x in p["revenue.quarter"].values]
assert q[0] == "FY2023Q1" and q[-1] == "FY2028Q4" and "FY2027Q1" in q, q
rev = p["revenue.revenue"].sel({"revenue.quarter": "FY2026Q4"})
assert float(rev.min()) == float(rev.max()) == 62.3    # history: the same in every trial
cf = p["revenue.revenue_cf"].sel({"revenue.quarter": "FY2028Q4"})
act = p["revenue.revenue"].sel({"revenue.quarter": "FY2028Q4"})
assert float((act <= cf).mean()) == 1.0                # displacement only removes revenue
print("article outputs ok")
PY

# --set: a number or a prior, shown by describe and in the table
"$TYCHE" run "$scen" -n 20000 -q -o q1.h5 --set option.q=1 --set option.m_D=0.5 && ok || bad "--set run"
$PY -c "
import json
a = json.load(open('art.json'))['statements']['P1']['probability']
b = json.load(open('q1.json'))['statements']['P1']['probability']
assert b > 5 * a, (a, b)
" && ok || bad "--set option.q=1 did not raise P1"
"$TYCHE" describe "$scen" --set 'exclusivity.hx0={"dist": "gamma", "shape": 2, "mean": 0.1}' > d.txt \
  && grep -q 'exclusivity.hx0 \*' d.txt && grep -q 'gamma' d.txt && ok || bad "describe --set"
expect_exit 2 '--set option.h1: no parameter of that name' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --set option.h1=3
expect_exit 2 '--set option.h0: "abc" is neither a number nor a prior' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --set option.h0=abc
expect_exit 2 '--set option.h0.sdlog' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --set 'option.h0={"dist": "lognormal", "median": 1, "sdlog": -1}'
expect_exit 2 '--set option.q' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --set option.q=2
expect_exit 2 'expected NAME=VALUE' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --set option.q

# --as-of: later history, and its errors
# a later as-of date must say what each event that could have happened by then did
# (the issue: P1 stayed 0.00945 as of any date while 5% of trials exercised before it)
expect_exit 2 "--as-of 2026-06-01 is after the start 2026-04-20, and these events could have happened in between" \
  "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-06-01
expect_exit 2 ": option.exercise_time, option.board_time, exclusivity.deal_time" "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-06-01
expect_exit 2 "this event could have happened in between: say what it did by then" \
  "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-06-01 --observed option.exercise_time=false
expect_exit 2 "--observed option.deal_time: no event time named" \
  "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-06-01 --observed option.deal_time=false
expect_exit 2 "--observed option.exercise_time: an observed event must fall between start and as_of" \
  "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-06-01 --observed option.exercise_time=2026-07-01
obs=(--observed option.exercise_time=false --observed exclusivity.deal_time=unknown)
"$TYCHE" run "$scen" -n 5000 -q -o asof.h5 --as-of 2026-06-01 "${obs[@]}" --store paths && ok || bad "--as-of run"
# "false" conditions on it: no trial exercises before the as-of date
$PY - <<'PY' && ok || bad "--as-of with --observed: the exercise is conditioned on"
import h5py, json
f = h5py.File("asof.h5", "r")
t = f["option.exercise_time"][:]
t = t[t == t]   # never: NaN
assert len(t) > 100, len(t)
assert (t >= (42 + 0.0)).all(), t.min()   # 2026-06-01 is day 42 after 2026-04-20
j = json.load(open("asof.json"))
assert j["scenario"]["as_of"] == "2026-06-01"
PY
# the --observed values are part of a shard's identity: the same merge, other ones refused
"$TYCHE" run "$scen" -n 6000 -q -o sh0.h5 --as-of 2026-06-01 "${obs[@]}" --shard 0/2 &&
  "$TYCHE" run "$scen" -n 6000 -q -o sh1.h5 --as-of 2026-06-01 "${obs[@]}" --shard 1/2 &&
  "$TYCHE" merge sh0.h5 sh1.h5 -o shm.h5 -q && ok || bad "--observed shards merge"
"$TYCHE" run "$scen" -n 6000 -q -o sh2.h5 --as-of 2026-06-01 --observed option.exercise_time=false \
  --observed exclusivity.deal_time=false --shard 1/2 || bad "--observed shard 2"
expect_exit 2 "sh2.h5: not a shard of the same run as sh0.h5 (different --observed values)" "$TYCHE" merge sh0.h5 sh2.h5 -o x.h5 -q
$PY -c "
import h5py
f = h5py.File('asof.h5', 'r')
assert f.attrs['as_of'] in (b'2026-06-01', '2026-06-01'), f.attrs['as_of']
" && ok || bad "as_of attribute"
expect_exit 2 '--as-of: "2026-13-01" is not a calendar date' "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2026-13-01
expect_exit 2 "--as-of 2025-01-01: must lie between the scenario's start" "$TYCHE" run "$scen" -n 10 -q -o x.h5 --as-of 2025-01-01
[[ -z "$(ls | grep -E '^x\.' || true)" ]] && ok || bad "a failed run left output"

# observed events: the acceptance rate is reported
$PY - "$scen" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["as_of"] = "2026-10-01"
s["observed"] = {"option.exercise_time": False, "exclusivity.deal_time": "unknown"}
for m in s["models"]:
    if m["kind"] == "revenue_slowdown":
        m["settings"]["data"] = sys.argv[1].rsplit("/", 1)[0] + "/" + m["settings"]["data"]
json.dump(s, open("observed.json", "w"))
PY
"$TYCHE" run observed.json -n 5000 -o obs.h5 > obs.txt && grep -q "acceptance rate" obs.txt && ok || bad "acceptance rate"
"$TYCHE" replay observed.json --trial 17 | grep -q "accepted after" && ok || bad "replay as-of"
finish
