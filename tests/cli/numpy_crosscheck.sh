#!/usr/bin/env bash
# Cross-check of the article scenario against the independent NumPy reference
# (benchmarks/reference/article_numpy.py, written from models/README.md, not from the
# C sources): every statement, the joint P1 & P2 & P3 and its pairs must agree
# within 4 combined standard errors sqrt(se_tyche^2 + se_numpy^2), with a
# floor of 1e-4 for tiny probabilities.  Both sides use fixed seeds, so the
# test is deterministic; the streams differ, so only the distributions agree.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
n=200000

"$TYCHE" run "$scen" -n $n --seed 1 -q --store none -o t.h5 && ok || bad "tyche run"
$PY "$TYCHE_SRC/benchmarks/reference/article_numpy.py" -n $n --seed 1 --scenario "$scen" \
  --json np.json > np.txt && ok || bad "NumPy reference run: $(cat np.txt)"

$PY - <<'PY' && ok || bad "tyche and the NumPy reference disagree (table above)"
import json, math
t = json.load(open("t.json"))
r = json.load(open("np.json"))
rows = [(k, t["statements"][k], r["statements"][k]) for k in r["statements"]]
rows.append(("&".join(r["joint"]["statements"]), t["joint"]["all"], r["joint"]["all"]))
rows += [(k, t["joint"]["pairs"][k], e) for k, e in r["joint"]["pairs"].items()]
assert {k for k, _, _ in rows} >= set(t["statements"]), "a tyche statement is missing"
print(f"{'statement':<20} {'tyche':>9} {'se':>8} {'numpy':>9} {'se':>8} {'diff/se':>8} {'tol':>8}")
fails = []
for k, a, b in rows:
    se = math.hypot(a["stderr"], b["stderr"])
    d = a["probability"] - b["probability"]
    tol = max(4 * se, 1e-4)
    flag = "" if abs(d) <= tol else "  <-- disagree"
    if flag:
        fails.append(k)
    z = d / se if se > 0 else 0.0
    print(f"{k:<20} {a['probability']:9.6f} {a['stderr']:8.6f} {b['probability']:9.6f} "
          f"{b['stderr']:8.6f} {z:+8.2f} {tol:8.6f}{flag}")
assert not fails, fails
PY
finish
