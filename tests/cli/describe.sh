#!/usr/bin/env bash
# tyche describe says what each parameter is drawn from: a calibrated
# parameter's posterior (not its prior), with the posterior's 5/50/95%
# values, which a run's stored parameters match within Monte Carlo error;
# the HDF5 "prior" attribute says the same.  A scenario without a common
# factor has no parameter Z.
source "$(dirname "$0")/common.bash"
cal="$TYCHE_SRC/models/revenue_calibrated.json"
"$TYCHE" describe "$cal" > d.txt && ok || bad "describe revenue_calibrated"
grep -qF 'revenue.g_inf            per quarter    posterior given the data (prior normal(mean 0.04, sd 0.03))' d.txt \
  && ok || bad "describe names the posterior: $(grep g_inf d.txt)"
"$TYCHE" run "$cal" -n 20000 -s 3 -t 2 --store outputs -o cal.h5 -q && ok || bad "run revenue_calibrated"
$PY - <<'PY' && ok || bad "describe's posterior quantiles are the run's"
import h5py, numpy as np, math
rows = {}
for line in open("d.txt"):
    f = line.split()
    if f and f[0].startswith("revenue.") and "posterior" in line:
        rows[f[0]] = [float(v) for v in f[-3:]]
assert set(rows) == {"revenue.g_inf", "revenue.phi", "revenue.sigma_g"}, rows
with h5py.File("cal.h5") as h:
    for name, q in rows.items():
        x = h[name][...]
        a = h[name].attrs["prior"]
        a = a.decode() if isinstance(a, bytes) else a
        assert a.startswith("posterior given the data (prior "), (name, a)
        # the run's share of draws below each of describe's quantiles is
        # the quantile's probability, within 4 standard errors of both samples
        for p, v in zip((0.05, 0.50, 0.95), q):
            F = float(np.mean(x <= v))
            se = math.sqrt(p * (1 - p) * (1 / len(x) + 1 / 20000))
            assert abs(F - p) < 4 * se + 1e-4, (name, p, v, F, se)
    # a parameter drawn from its prior keeps its prior as the attribute
    a = h["revenue.s_max"].attrs["prior"]
    a = a.decode() if isinstance(a, bytes) else a
    assert a == "beta(a 6, b 4)", a
PY

# no common factor: no parameter Z, described or stored
ish="$TYCHE_SRC/models/tests/ishigami.json"
"$TYCHE" describe "$ish" > i.txt && grep -q '^ish.x3 ' i.txt && ok || bad "describe ishigami"
! grep -q '^Z ' i.txt && ok || bad "describe ishigami shows a Z: $(grep '^Z ' i.txt)"
"$TYCHE" run "$ish" -n 500 --store outputs -o ish.h5 -q && ok || bad "run ishigami"
$PY - <<'PY' && ok || bad "ishigami stores no Z"
import h5py
with h5py.File("ish.h5") as h:
    assert "ish.x1" in h and "Z" not in h, list(h)
PY
finish
