#!/usr/bin/env bash
# tyche backtest end to end on the article's revenue model: the table, the
# JSON keys, the HDF5 (origin x step) in xarray, the PNG, and bad flags.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

"$TYCHE" backtest "$scen" --model revenue --origins FY2025Q1..FY2025Q4 --horizon 2 -n 500 -o bt.h5 > bt.txt \
  && ok || bad "backtest run"
grep -q "coverage 80%" bt.txt && grep -q "FY2025Q2" bt.txt && ok || bad "backtest table"
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
