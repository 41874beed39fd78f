#!/usr/bin/env bash
# tyche backtest end to end on the article's revenue model: the table, the
# JSON keys, the HDF5 (origin x step) in xarray, the PNG, and bad flags.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

"$TYCHE" backtest "$scen" --model revenue --origins FY2025Q1..FY2025Q4 --horizon 2 -n 500 -o bt.h5 > bt.txt \
  && ok || bad "backtest run"
grep -q "coverage 80%" bt.txt && grep -q "FY2025Q2" bt.txt && ok || bad "backtest table"
# the baselines beside the model, on the same pairs: a row each with a skill and its se
grep -Eq "^model +[0-9.]+ \+- +[0-9.]+ " bt.txt && grep -Eq "^random walk( +[0-9.]+ \+- +[0-9.]+){3} +[0-9.]+ +-?[0-9.]+ \+- +[0-9.]+  \(n = 8\)" bt.txt \
  && grep -Eq "^last growth( +[0-9.]+ \+- +[0-9.]+){3} +[0-9.]+ +-?[0-9.]+ \+- +[0-9.]+  \(n = 8\)" bt.txt \
  && grep -q "model's skill" bt.txt && ok || bad "backtest table: baselines"
$PY - <<'PY' && ok || bad "backtest outputs"
import json, xarray as xr
b = json.load(open("bt.json"))
assert set(b) >= {"coverage", "crps", "pit", "origins", "by_horizon"}, set(b)
assert [o["origin"] for o in b["origins"]] == ["FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4"]
assert len(b["pit"]) == 8 and all(0 <= p <= 1 for p in b["pit"])
assert set(b["coverage"]) == {"50", "80", "95"} and b["crps"] > 0
step = b["origins"][0]["steps"][0]
assert step["quarter"] == "FY2025Q2" and step["actual"] == 26.3      # from the data file
q = step["quantiles"]
assert q["p2.5"] <= q["p50"] <= q["p97.5"]
ds = xr.open_dataset("bt.h5", engine="h5netcdf")
assert ds["pit"].dims == ("origin", "step") and list(ds["origin"].values) == ["FY2025Q1", "FY2025Q2", "FY2025Q3", "FY2025Q4"]
assert abs(float(ds["actual"].sel(origin="FY2025Q1", step=1)) - 26.3) < 1e-12
xr.open_dataset("bt.h5", engine="netcdf4")

# the baselines, recomputed here from the data file: the history up to each origin, its
# log-growths' mean m and sd s; lognormal predictives scored by the closed form
import csv, math
import numpy as np
from scipy import stats
import os
rows = list(csv.DictReader(open(os.environ["TYCHE_SRC"] + "/models/data/nvidia_data_center_revenue.csv")))
v = {r["fiscal_quarter"]: float(r["data_center_usd_b"]) for r in rows}
qs = [r["fiscal_quarter"] for r in rows]
assert set(b["baselines"]) == {"random_walk", "last_growth"}, b["baselines"].keys()
def lncrps(mu, sd, y):
    z = (math.log(y) - mu) / sd
    return y * (2 * stats.norm.cdf(z) - 1) - 2 * math.exp(mu + sd * sd / 2) * (
        stats.norm.cdf(z - sd) + stats.norm.cdf(sd / math.sqrt(2)) - 1)
sums = {"model": 0, "random_walk": 0, "last_growth": 0}
for o in b["origins"]:
    io = qs.index(o["origin"])
    d = np.diff(np.log([v[q] for q in qs[:io + 1]]))
    n, m, s = len(d), d.mean(), d.std(ddof=1)
    for st in o["steps"]:
        h, y, last = st["h"], st["actual"], math.log(v[qs[io]])
        want = {"random_walk": (last + h * m, s * math.sqrt(h + h * h / n)),
                "last_growth": (last + h * d[-1], s * math.sqrt(h))}
        sums["model"] += st["crps"]
        for k, (mu, sd) in want.items():
            got = st["baselines"][k]
            assert abs(got["crps"] - lncrps(mu, sd, y)) < 1e-9 * y, (k, o["origin"], h, got)
            assert abs(got["quantiles"]["p50"] - math.exp(mu)) < 1e-9 * y
            assert abs(got["pit"] - stats.norm.cdf((math.log(y) - mu) / sd)) < 1e-12
            assert got["covered"]["80"] == (got["quantiles"]["p10"] <= y <= got["quantiles"]["p90"])
            sums[k] += got["crps"]
for k in ("random_walk", "last_growth"):
    x = b["baselines"][k]
    assert set(x) >= {"label", "coverage", "crps", "skill", "skill_se", "n", "n_pairs", "by_horizon"}, x.keys()
    assert x["n"] == 8 and x["n_pairs"] == 8 and len(x["by_horizon"]) == 2
    assert abs(x["crps"] - sums[k] / 8) < 1e-9, (k, x["crps"], sums[k] / 8)
    assert abs(x["skill"] - (1 - sums["model"] / sums[k])) < 1e-9
    assert x["skill_se"] > 0
    assert abs(ds.attrs[k + "_skill"] - x["skill"]) < 1e-12 and abs(ds.attrs[k + "_crps"] - x["crps"]) < 1e-12
    assert abs(ds.attrs[k + "_coverage_80"] - x["coverage"]["80"]) < 1e-12
    assert ds[k + "_crps"].dims == ("origin", "step")
    assert abs(float(ds[k + "_crps"].sel(origin="FY2025Q1", step=1)) - b["origins"][0]["steps"][0]["baselines"][k]["crps"]) < 1e-12
PY
$PY "$TYCHE_SRC/scripts/plot.py" bt.json -o plots > /dev/null && [[ $(stat -c %s plots/backtest.png) -gt 10000 ]] \
  && ok || bad "backtest plot"

# --set of another model's parameter does not stop a backtest of this one
"$TYCHE" backtest "$scen" --model revenue --origins FY2025Q1..FY2025Q2 -n 300 -q -o bt2.h5 --set option.q=0.1 \
  && ok || bad "backtest with --set of another model"
expect_exit 2 '--model: ' "$TYCHE" backtest "$scen" --model option -q
expect_exit 2 '--model NAME is required' "$TYCHE" backtest "$scen"
expect_exit 2 '--origins: "FY2025Q9" is not a quarter' "$TYCHE" backtest "$scen" --model revenue --origins FY2025Q9..FY2026Q1
expect_exit 2 '--origins: must run forward' "$TYCHE" backtest "$scen" --model revenue --origins FY2026Q1..FY2025Q1
expect_exit 2 '--horizon: expected 1 to 40' "$TYCHE" backtest "$scen" --model revenue --horizon 0
expect_exit 2 '--as-of: a backtest sets' "$TYCHE" backtest "$scen" --model revenue --as-of 2026-01-01
finish
