#!/usr/bin/env bash
# Sobol indices: the Ishigami function's analytic first-order and total
# indices lie within the bootstrap intervals; a parameter without effect
# has a total index of exactly zero; a scenario without a common factor has
# no row Z; the article runs; bad requests exit 2.
source "$(dirname "$0")/common.bash"
"$TYCHE" sobol "$TYCHE_SRC/models/tests/ishigami.json" --base 20000 --target ish.y -o ish.h5 > ish.txt \
  && ok || bad "sobol ishigami"
$PY - <<'PY' && ok || bad "Ishigami indices"
import json, math
t = json.load(open("ish.json"))["targets"]["ish.y"]["parameters"]
a, b, pi = 7.0, 0.1, math.pi
V = a * a / 8 + b * pi ** 4 / 5 + b * b * pi ** 8 / 18 + 0.5
V1 = 0.5 * (1 + b * pi ** 4 / 5) ** 2
VT3 = 8 * b * b * pi ** 8 / 225
want = {"ish.x1": (V1 / V, (V1 + VT3) / V), "ish.x2": (a * a / 8 / V, a * a / 8 / V),
        "ish.x3": (0.0, VT3 / V)}
for p, (s1, st) in want.items():
    f, tt = t[p]["first"], t[p]["total"]
    assert f[1] <= s1 <= f[2], (p, "first", s1, f)
    assert tt[1] <= st <= tt[2], (p, "total", st, tt)
# the scenario has no common factor, so no parameter Z (nor its row)
assert "Z" not in t and sorted(t) == ["ish.x1", "ish.x2", "ish.x3"], sorted(t)
PY
"$TYCHE" sobol "$TYCHE_SRC/models/article.json" --base 400 --target revenue.slowdown_pp -o art.h5 -q && ok || bad "sobol article"
$PY - <<'PY' && ok || bad "sobol HDF5"
import xarray as xr, json
ds = xr.open_dataset("art.h5", engine="h5netcdf")
assert ds["total"].dims == ("target", "parameter")
assert "revenue.slowdown_pp" in list(ds["target"].values) and "P1" in list(ds["target"].values)
# revenue parameters do not touch P1: total index exactly zero (shared noise, same rows)
assert float(ds["total"].sel(target="P1", parameter="revenue.g_inf")) == 0.0
# the probability view: (statement, parameter), the same exact zero (a row's points share
# their inner trials), and P1's probability moved by the option's parameters, not revenue's
assert ds["p_total"].dims == ("statement", "parameter"), ds["p_total"].dims
assert float(ds["p_total"].sel(statement="P1", parameter="revenue.g_inf")) == 0.0
assert float(ds["p_first_order"].sel(statement="P1", parameter="revenue.g_inf")) == 0.0
assert float(ds["p_total"].sel(statement="P1", parameter="option.q")) > 0.3
assert float(ds["p_total"].sel(statement="P3", parameter="revenue.g_inf")) > 0.3
j = json.load(open("art.json"))
assert j["inner"] == 128 and "probability" in j["targets"]["P1"] and "probability" not in j["targets"]["revenue.slowdown_pp"]
pv = j["targets"]["P1"]["probability"]
assert pv["rare"] is False and pv["of_trials"] == 2 * 400 * 128, pv["of_trials"]
xr.open_dataset("art.h5", engine="netcdf4")
PY
$PY "$TYCHE_SRC/scripts/plot.py" ish.json -o plots > /dev/null && [[ $(stat -c %s plots/sobol.png) -gt 10000 ]] \
  && ok || bad "sobol plot"
expect_exit 2 '--target exclusivity.window_months: has missing values' "$TYCHE" sobol "$TYCHE_SRC/models/article.json" --base 200 --target exclusivity.window_months -q
expect_exit 2 '--target: no output named' "$TYCHE" sobol "$TYCHE_SRC/models/article.json" --base 200 --target nope -q
expect_exit 2 'sobol: model revenue is calibrated' "$TYCHE" sobol "$TYCHE_SRC/models/revenue_calibrated.json" --base 200 -q
expect_exit 2 '--base: expected 100' "$TYCHE" sobol "$TYCHE_SRC/models/article.json" --base 5
expect_exit 2 '--inner: expected 0 (no probability view) or at least 2' "$TYCHE" sobol "$TYCHE_SRC/models/article.json" --inner 1
finish
