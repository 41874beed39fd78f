#!/usr/bin/env bash
# Latin hypercube and randomized Sobol sampling: each LHS replicate puts
# exactly one trial in each stratum of every parameter; both reduce the
# variance of a smooth output's mean against plain Monte Carlo (revenue at
# the target with no process noise); results do not depend on the thread
# count; replay reproduces a design's trial.
source "$(dirname "$0")/common.bash"
$PY - "$TYCHE_SRC/models/article.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
rev = [m for m in s["models"] if m["kind"] == "revenue_slowdown"][0]
rev["settings"]["data"] = sys.argv[1].rsplit("/", 1)[0] + "/" + rev["settings"]["data"]
rev["params"]["sigma_g"] = 0        # no process noise: revenue is a smooth function of the parameters
s["models"] = [rev]
s["statements"] = [st for st in s["statements"] if st["id"] in ("P3", "P3_level")]
s["joint"] = ["P3", "P3_level"]
json.dump(s, open("smooth.json", "w"))
PY
for smp in mc lhs qmc; do
  rep=(--replicates 20)
  [[ $smp == mc ]] && rep=()   # plain MC takes no replicates (refused: it would do nothing)
  for t in 1 2; do
    "$TYCHE" run smooth.json -n 20000 "${rep[@]}" --sampling $smp -t $t -q -o ${smp}$t.h5 && ok || bad "$smp -t $t"
  done
done
$PY - <<'PY' && ok || bad "sampling"
import h5py, numpy as np
var = {}
for smp in ("mc", "lhs", "qmc"):
    f, f2 = h5py.File(f"{smp}1.h5"), h5py.File(f"{smp}2.h5")
    for k in ("revenue.phi", "revenue.revenue", "P3"):
        assert f[k][:].tobytes() == f2[k][:].tobytes(), (smp, k)     # any thread count
    rev = f["revenue.revenue"][:].reshape(20, 1000)                  # 20 replicates of 1000
    var[smp] = rev.mean(axis=1).var(ddof=1)
    if smp == "lhs":
        # phi ~ uniform(0.3, 0.8): each replicate hits each of its 1000 strata once
        u = (f["revenue.phi"][:].reshape(20, 1000) - 0.3) / 0.5
        for r in range(20):
            assert sorted(np.floor(u[r] * 1000).astype(int)) == list(range(1000)), r
    assert f.attrs["sampling"] in (smp, smp.encode())
    assert ("stderr_replicates" in f["summary"]) == (smp != "mc")
print({k: f"{v:.3g}" for k, v in var.items()})
# variance of the replicate means: with 20 replicates its estimate is within a factor ~2 at
# 95%, so a factor 4 is a clear reduction, not noise
assert var["lhs"] < var["mc"] / 4, var
assert var["qmc"] < var["mc"] / 4, var
PY
"$TYCHE" run smooth.json -n 20000 --replicates 20 --sampling lhs -q -o lhs.h5 --store outputs && ok || bad "lhs run"
"$TYCHE" replay smooth.json --trial 12345 --sampling lhs -n 20000 --replicates 20 > replay.txt && ok || bad "replay lhs"
$PY - <<'PY' && ok || bad "lhs replay equals the stored trial"
import h5py
f = h5py.File("lhs.h5")
vals = {l.split()[0]: l.split()[1] for l in open("replay.txt") if l.startswith("  revenue.")}
assert len(vals) > 5
for k, v in vals.items():
    if k in f:
        assert float(v) == f[k][12345], (k, v, f[k][12345])
PY
expect_exit 2 '--replicates: LHS and QMC need' "$TYCHE" run smooth.json -n 1001 --sampling lhs -q -o x.h5
expect_exit 2 '--sampling: expected mc, lhs or qmc' "$TYCHE" run smooth.json --sampling sobol -q -o x.h5
finish
