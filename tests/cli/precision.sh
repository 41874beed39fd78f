#!/usr/bin/env bash
# Precision-based stopping: the run stops when every statement's 95%
# interval is within the target, at the same trial count for 1, 2 and 3
# threads, and the per-trial file holds exactly those trials.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
for t in 1 2 3; do
  "$TYCHE" run "$scen" --precision 0.004 --precision P3_level=0.003 -t $t -q -o p$t.h5 && ok || bad "run -t $t"
done
$PY - <<'PY' && ok || bad "precision"
import json, h5py
s = [json.load(open(f"p{t}.json")) for t in (1, 2, 3)]
n = s[0]["trials"]
assert n % 65536 == 0 and 65536 <= n < 10_000_000, n
assert all(x["trials"] == n for x in s), [x["trials"] for x in s]
for sid, st in s[0]["statements"].items():
    half = (st["ci95"][1] - st["ci95"][0]) / 2
    assert half <= (0.003 if sid == "P3_level" else 0.004) + 1e-15, (sid, half)
with h5py.File("p2.h5") as f:
    assert f["P1"].shape == (n,) and f.attrs["trials"] == n
    # it did not stop later than it had to: one check earlier, a target was missed
    m, z = n - 65536, 1.959963984540054
    def half(k):
        p = k / m
        return z * (p * (1 - p) / m + z * z / (4 * m * m)) ** 0.5 / (1 + z * z / m)
    assert m == 0 or any(half(int(f[sid][:m].sum())) > (0.003 if sid == "P3_level" else 0.004)
                         for sid in s[0]["statements"])
assert s[1]["statements"] == s[0]["statements"] == s[2]["statements"]
PY
expect_exit 2 '--precision: expected a half-width' "$TYCHE" run "$scen" --precision 0 -q -o x.h5
expect_exit 2 '--precision P9=0.01: no statement' "$TYCHE" run "$scen" --precision P9=0.01 -q -o x.h5
finish
