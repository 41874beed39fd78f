#!/usr/bin/env bash
# Rank-correlated priors (Gaussian copula): the achieved Spearman
# correlations match the matrix, each marginal is still its prior, the
# results do not depend on the thread count, and bad matrices are refused.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

# corr NAME MATRIX: the article with a correlation group over three parameters
corr() {
  $PY - "$scen" "$1.json" "$2" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for m in s["models"]:
    if m["kind"] == "revenue_slowdown":
        m["settings"]["data"] = sys.argv[1].rsplit("/", 1)[0] + "/" + m["settings"]["data"]
s["correlations"] = [{"params": ["option.h0", "exclusivity.hx0", "revenue.g_inf"], "rank": json.loads(sys.argv[3])}]
json.dump(s, open(sys.argv[2], "w"))
PY
}
corr good '[[1, 0.6, -0.3], [0.6, 1, 0], [-0.3, 0, 1]]'
for t in 1 2; do "$TYCHE" run good.json -n 40000 -t $t -q -o c$t.h5 && ok || bad "run -t $t"; done
$PY - <<'PY' && ok || bad "achieved correlations / marginals"
import h5py, numpy as np
from scipy import stats
f = h5py.File("c1.h5")
h0, hx, g = f["option.h0"][:], f["exclusivity.hx0"][:], f["revenue.g_inf"][:]
n = len(h0)
for a, b, want in ((h0, hx, 0.6), (h0, g, -0.3), (hx, g, 0.0)):
    r = stats.spearmanr(a, b)[0]
    # sd of Spearman's rho is about (1 - rho^2) / sqrt(n): 4 of them
    assert abs(r - want) < 4 * (1 - want * want) / np.sqrt(n) + 1e-3, (r, want)
# the marginals are the priors: lognormal(median 0.3, sdlog 0.8), normal(0.09, 0.05)
assert stats.kstest(h0, stats.lognorm(s=0.8, scale=0.3).cdf).pvalue > 1e-4
assert stats.kstest(g, stats.norm(0.09, 0.05).cdf).pvalue > 1e-4
# uncorrelated parameters stay uncorrelated
assert abs(stats.spearmanr(h0, f["option.mu"][:])[0]) < 4 / np.sqrt(n)
f2 = h5py.File("c2.h5")
for k in ("option.h0", "exclusivity.hx0", "revenue.g_inf", "P1", "P3"):
    assert f[k][:].tobytes() == f2[k][:].tobytes(), k
PY
corr notpd '[[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]]'
expect_exit 2 'correlations[0].rank: not positive definite' "$TYCHE" run notpd.json -n 10 -q -o x.h5
corr asym '[[1, 0.5, 0], [0.4, 1, 0], [0, 0, 1]]'
expect_exit 2 'correlations[0].rank: not symmetric' "$TYCHE" run asym.json -n 10 -q -o x.h5
corr diag '[[1, 0.5, 0], [0.5, 0.9, 0], [0, 0, 1]]'
expect_exit 2 'correlations[0].rank[1][1]: the diagonal must be 1' "$TYCHE" run diag.json -n 10 -q -o x.h5
corr shape '[[1, 0.5], [0.5, 1]]'
expect_exit 2 'correlations[0].rank: expected a 3 x 3 matrix' "$TYCHE" run shape.json -n 10 -q -o x.h5
sed 's/"option.h0"/"option.h9"/' good.json > unknown.json
expect_exit 2 'correlations[0].params[0]: no parameter named "option.h9"' "$TYCHE" run unknown.json -n 10 -q -o x.h5
finish
