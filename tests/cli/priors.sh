#!/usr/bin/env bash
# The mixture, metalog and empirical priors in a scenario
# (tests/data/priors/scenario.json, whose CSV is relative to its own
# folder): describe prints them, and runs by mc, lhs and qmc draw each
# marginal from its prior: the empirical prior only the CSV's values, equally
# often; the mixture's CDF, computed here from its components, at the draws
# is uniform (in LHS exactly one draw per stratum of each replicate); the
# metalog's given quantiles hold; the point mass of a mixture keeps its
# share.  Copulas, the tornado and --set take them too.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/tests/data/priors/scenario.json"
csv="$TYCHE_SRC/tests/data/priors/data/sigma.csv"

"$TYCHE" describe "$scen" > d.txt && ok || bad "describe"
grep -qF 'mixture(0.7 normal(mean 0.6, sd 0.4); 0.3 normal(mean -0.2, sd 0.3))' d.txt && ok || bad "describe mixture: $(cat d.txt)"
grep -qF 'metalog(p10 0.1, p50 0.3, p90 0.9, min 0)' d.txt && ok || bad "describe metalog"
grep -qF 'empirical(data/sigma.csv, column sigma: 40 values' d.txt && ok || bad "describe empirical"
# from another folder: the CSV is found beside the scenario, not here
for smp in mc lhs qmc; do
  rep=(--replicates 10)
  [[ $smp == mc ]] && rep=()
  "$TYCHE" run "$scen" -n 20000 "${rep[@]}" --sampling $smp -t 2 -q -o $smp.h5 && ok || bad "run --sampling $smp"
done
$PY - "$csv" <<'PY' && ok || bad "the priors' draws"
import sys, csv, h5py, numpy as np
from scipy import stats
vals = np.array([float(r["sigma"]) for r in csv.DictReader(open(sys.argv[1]))])
def mix_cdf(x):
    return 0.7 * stats.norm.cdf(x, 0.6, 0.4) + 0.3 * stats.norm.cdf(x, -0.2, 0.3)
for smp in ("mc", "lhs", "qmc"):
    f = h5py.File(f"{smp}.h5")
    mu, sig, h0, q, bz = (f["option." + k][:] for k in ("mu", "sigma", "h0", "q", "beta_z"))
    n = len(mu)
    se = lambda p: 4 * np.sqrt(p * (1 - p) / n)
    # empirical: only the CSV's values, each about 1/40 of the draws
    assert np.isin(sig, vals).all(), smp
    assert abs(sig.mean() - vals.mean()) < 4 * vals.std() / np.sqrt(n), (smp, sig.mean(), vals.mean())
    # mixture: its CDF at the draws is uniform
    u = mix_cdf(mu)
    for p in (0.01, 0.1, 0.5, 0.9, 0.99):
        assert abs(np.mean(u <= p) - p) < se(p), (smp, p, np.mean(u <= p))
    if smp == "lhs":   # one draw per stratum of each replicate of 2000
        for r in range(10):
            s = np.floor(u[r * 2000:(r + 1) * 2000] * 2000).astype(int)
            assert sorted(s) == list(range(2000)), (smp, r)
    # metalog: its given quantiles (min 0: never below)
    assert (h0 > 0).all()
    for p, x in ((0.1, 0.1), (0.5, 0.3), (0.9, 0.9)):
        assert abs(np.mean(h0 <= x) - p) < se(p), (smp, p, np.mean(h0 <= x))
    assert ((bz > -1) & (bz < 1)).all()
    for p, x in ((0.1, 0.1), (0.5, 0.3), (0.9, 0.5)):
        assert abs(np.mean(bz <= x) - p) < se(p), (smp, p, np.mean(bz <= x))
    # the point mass at 0 holds its 0.2 (the beta component never gives 0)
    assert abs(np.mean(q == 0) - 0.2) < se(0.2), (smp, np.mean(q == 0))
PY

# a copula over the mixture and the metalog, a tornado, and --set
$PY - "$scen" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["models"][0]["params"]["sigma"]["file"] = sys.argv[1].rsplit("/", 1)[0] + "/data/sigma.csv"
s["correlations"] = [{"params": ["option.mu", "option.h0"], "rank": [[1, 0.6], [0.6, 1]]}]
json.dump(s, open("copula.json", "w"))
PY
"$TYCHE" run copula.json -n 20000 -q -o corr.h5 && ok || bad "run with a copula"
$PY - <<'PY' && ok || bad "copula over the new priors"
import h5py, numpy as np
from scipy import stats
f = h5py.File("corr.h5")
mu, h0 = f["option.mu"][:], f["option.h0"][:]
r = stats.spearmanr(mu, h0)[0]
assert abs(r - 0.6) < 4 * (1 - 0.36) / np.sqrt(len(mu)), r
u = 0.7 * stats.norm.cdf(mu, 0.6, 0.4) + 0.3 * stats.norm.cdf(mu, -0.2, 0.3)
assert abs(np.mean(u <= 0.25) - 0.25) < 4 * np.sqrt(0.25 * 0.75 / len(mu))
PY
"$TYCHE" tornado "$scen" -n 2000 -o tor.h5 > tor.txt && ok || bad "tornado"
grep -q "option.mu" tor.txt && grep -q "option.sigma" tor.txt && ok || bad "tornado rows: $(cat tor.txt)"
"$TYCHE" run "$scen" -n 2000 -q -o set.h5 \
  --set 'option.V0={"dist":"mixture","weights":[0.5,0.5],"components":[350,{"dist":"metalog","quantiles":{"p10":360,"p50":380,"p90":420},"min":300}]}' \
  && ok || bad "--set a mixture"
$PY - <<'PY' && ok || bad "--set mixture draws"
import h5py, numpy as np
v = h5py.File("set.h5")["option.V0"][:]
assert abs(np.mean(v == 350) - 0.5) < 4 * np.sqrt(0.25 / len(v)), np.mean(v == 350)
assert (v >= 300).all()
PY
finish
