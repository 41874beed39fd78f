#!/usr/bin/env bash
# The formula kind and statements with expressions (models/tests/formula.json):
# closed-form answers (the mean of a + b x under normal priors, a lognormal
# draw's mean, P(normal > 1.645), an exponential time's mean, and under
# as-of its memoryless tail), every trial's outputs and statements against
# the same arithmetic in numpy, the same bytes for any thread count and
# vector path, a replayed trial, and bad input refused with exit 2, the
# JSON path and the character.
source "$(dirname "$0")/common.bash"
unset TYCHE_VECTOR   # the caller's choice would hide the default
scen="$TYCHE_SRC/models/tests/formula.json"
cp "$scen" formula.json
$PY -c 'import h5py' 2>/dev/null || { echo "skipped: $PY has no h5py"; exit 77; }

N=100000
"$TYCHE" run formula.json -n $N -s 11 -t 2 -q -o f.h5 && ok || bad "run"

# ---- closed forms, within 4 standard errors --------------------------------
$PY - $N <<'PY' && ok || bad "closed forms"
import json, math, sys
N = int(sys.argv[1])
s = json.load(open("f.json"))
out, st = s["outputs"], s["statements"]
def near(name, got, want, sd, k=4):
    se = sd / math.sqrt(N)
    assert abs(got - want) <= k * se, f"{name}: {got} vs {want} (4 se = {4 * se})"
# y = a + b x, a ~ N(1, 0.5), b ~ N(2, 0.1), x ~ N(3, 0.25) independent:
# E y = 1 + 2 * 3, Var y = 0.25 + E[b^2] E[x^2] - (E b E x)^2
var_y = 0.25 + (4 + 0.01) * (9 + 0.0625) - 36
near("lin.y mean", out["lin.y"]["mean"], 7, math.sqrt(var_y))
assert abs(out["lin.y"]["sd"] ** 2 / var_y - 1) < 0.03, (out["lin.y"]["sd"] ** 2, var_y)
assert out["lin.y"]["units"] == "USD billions", out["lin.y"]
# w = lognormal(median 2, sdlog 0.5): mean 2 e^{s^2/2}, var m^2 e^{s^2} (e^{s^2} - 1)
m, s2 = 2.0, 0.25
near("lin.w mean", out["lin.w"]["mean"], m * math.exp(s2 / 2), m * math.sqrt(math.exp(s2) * (math.exp(s2) - 1)))
# the common factor by its scenario name: zz = 2 Z
near("lin.zz mean", out["lin.zz"]["mean"], 0, 2)
# an input from another model: v = lin.y + 1
near("next.v mean", out["next.v"]["mean"], 8, math.sqrt(var_y))
# a time: 30 + exponential(rate 1/10) days
assert out["next.t"]["kind"] == "event time", out["next.t"]
near("next.t mean", out["next.t"]["mean"], 40, 10)
# P(normal(0, 1) > 1.645) = 1 - Phi(1.645)
p = 0.5 * math.erfc(1.645 / math.sqrt(2))
near("tail", st["tail"]["probability"], p, math.sqrt(p * (1 - p)))
assert st["tail"]["rule"] == "lin.g > 1.645", st["tail"]["rule"]
# a time after the horizon is never (+inf): missing in the summary, > 1000 days
assert out["next.late"]["missing_fraction"] == 1 and out["next.late"]["mean"] is None, out["next.late"]
assert st["never"]["probability"] == 1, st["never"]
PY

# ---- every trial: the same arithmetic in numpy ------------------------------
$PY <<'PY' && ok || bad "per-trial outputs and statements"
import h5py, numpy as np
f = h5py.File("f.h5")
g = lambda k: f[k][()]
a, b, x, Z, c = g("lin.a"), g("lin.b"), g("lin.x"), g("Z"), g("next.c")
y = g("lin.y")
assert np.array_equal(y, a + b * x), "lin.y != a + b x"
assert np.array_equal(g("lin.zz"), Z * 2 + y - y), "lin.zz != Z * 2 + y - y"
assert np.array_equal(g("next.v"), y + c), "next.v != lin.y + c"
t = g("next.t")
assert np.all(t > 30) and np.all(np.isfinite(t)), "next.t"
assert np.array_equal(g("tail").astype(bool), g("lin.g") > 1.645), "tail"
assert np.array_equal(g("two").astype(bool), t - 4 * y > 10), "two"
assert np.array_equal(g("mixed").astype(bool), (y > 7) & (t <= 40)), "mixed"
w = g("lin.w")
assert np.all(w > 0), "lin.w"
PY

# ---- the same bytes for any thread count and vector path; replay -----------
"$TYCHE" run formula.json -n 20000 -s 5 -t 1 -q -o t1.h5 && ok || bad "run -t 1"
"$TYCHE" run formula.json -n 20000 -s 5 -t 2 -q -o t2.h5 && ok || bad "run -t 2"
same_results t1.h5 t2.h5 && ok || bad "-t 1 and -t 2 differ"
base=sse2
[[ $(uname -m) == x86_64 ]] || base=purec
mkdir -p v && cp formula.json v/
TYCHE_VECTOR=$base "$TYCHE" run v/formula.json -n 20000 -s 5 -t 2 -q -o v/t2.h5 && ok || bad "run $base"
same_results t2.h5 v/t2.h5 && ok || bad "TYCHE_VECTOR=$base and the default differ"
"$TYCHE" replay formula.json --trial 4321 -n 20000 -s 5 > r.txt && ok || bad "replay"
$PY <<'PY' && ok || bad "replay != stored trial"
import h5py
f = h5py.File("t1.h5")
vals = {l.split()[0]: l.split()[1] for l in open("r.txt") if l.startswith("  ") and len(l.split()) > 1}
got = [k for k in vals if k in f]
assert len(got) >= 13, got
for k in got:
    v, want = vals[k], f[k][4321]
    if v in ("true", "false"):
        assert (v == "true") == bool(want), (k, v, want)
    else:   # the file keeps an event that never happens (inf) as missing (NaN)
        assert float(v) == want or (v == "inf" and want != want), (k, v, want)
PY

# ---- as-of: an observed time is used as is; a non-event redraws ------------
mutate_json formula.json fixed \
  's["as_of"] = "2026-02-01"; s["observed"] = {"next.t": "2026-01-10", "next.late": "unknown"}'
"$TYCHE" run fixed.json -n 2000 -s 3 -q -o fixed_run.h5 && ok || bad "run with an observed time"
$PY -c '
import h5py, numpy as np
t = h5py.File("fixed_run.h5")["next.t"][()]
assert np.all(t == 9.5), t[:5]   # midday of 2026-01-10, days since 2026-01-01
' && ok || bad "the observed time is not used as is"
# not by 2026-02-15 (day 45): 30 + Exp(mean 10) given > 45 is 45 + Exp(mean 10)
mutate_json formula.json notyet \
  's["as_of"] = "2026-02-15"; s["observed"] = {"next.t": False, "next.late": "unknown"}'
"$TYCHE" run notyet.json -n 20000 -s 3 -q -o notyet_run.h5 && ok || bad "run with a non-event"
$PY -c '
import h5py, math, numpy as np
t = h5py.File("notyet_run.h5")["next.t"][()]
assert np.all(t > 45), t.min()
assert abs(t.mean() - 55) < 4 * 10 / math.sqrt(len(t)), t.mean()
' && ok || bad "a non-event's redraws"

# ---- bad input: exit 2, the file, the JSON path and the character -----------
check() { # check NAME FRAGMENT
  expect_exit 2 "$1.json: $2" "$TYCHE" run "$1.json" -n 100 -q -o "$1.h5"
  [[ ! -e "$1.h5" ]] || bad "$1: left $1.h5 behind"
}
m() { mutate_json formula.json "$@"; }
y='s["models"][0]["settings"]["outputs"]["y"]'
m unknown "$y"'["expr"] = "a + bb * x"'
check unknown 'models[0].settings.outputs.y.expr: at character 5: unknown name "bb" (known: a, b, x, Z'
m paren "$y"'["expr"] = "(a + b * x"'
check paren 'models[0].settings.outputs.y.expr: at character 11: expected ")"'
m arity 's["models"][0]["settings"]["outputs"]["g"]["expr"] = "normal(0)"'
check arity 'models[0].settings.outputs.g.expr: at character 1: normal takes 2 arguments, got 1'
m short 's["models"][1]["settings"]["outputs"]["v"] = "lin.y + cc"'
check short 'models[1].settings.outputs.v: at character 9: unknown name "cc"'
m later 's["models"][0]["settings"]["outputs"]["y"]["expr"] = "next.v + a"'
check later 'models[0].settings.outputs.y.expr: at character 1: "next.v" is not an output of a model listed before this one'
m itself 's["models"][0]["settings"]["outputs"]["zz"] = "zz + 1"'
check itself 'models[0].settings.outputs.zz: at character 1: "zz" is this output itself'
m stmt 's["statements"][1]["rule"]["expr"] = "next.t - 4 * lin.yy > 10"'
check stmt 'statements[1].rule.expr: at character 14: unknown name "lin.yy" (known: lin.y'
m nested 's["statements"][2]["rule"]["all"][1]["expr"] = "next.t <= "'
check nested 'statements[2].rule.all[1].expr: at character 11: expected a number, a name or "("'
m stmt_draw 's["statements"][0]["rule"]["expr"] = "lin.g > normal(0, 1)"'
check stmt_draw 'statements[0].rule.expr: at character 9: normal is a random draw, which only a formula model may take'
m no_common 'del s["common_factor"]'
check no_common 'models[0].settings.outputs.zz: at character 1: unknown name "Z"'
m keyword 's["models"][0]["params"]["exp"] = 1'
check keyword 'models[0].params.exp: the parameter'"'"'s name is a keyword or a function'
m inputs 's["models"][1]["inputs"] = {"lin.y": "lin.y"}'
check inputs 'models[1].inputs: a formula names the outputs it reads in its expressions'
m type "$y"'["type"] = "date"'
check type 'models[0].settings.outputs.y.type: "date" is not "value" or "time"'
m no_outputs 's["models"][0]["settings"] = {}'
check no_outputs 'models[0].settings: missing key "outputs"'
m clash 's["models"][0]["settings"]["outputs"]["a"] = "1"'
check clash 'models[0].settings.outputs.a: "a" is already the name of a parameter'
printf '%s' '{"name": "d", "start": "2026-01-01", "horizon": "2026-12-31", "models": [{"name": "m", "kind": "formula", "settings": {"outputs": {"y": "1", "y": "2"}}}], "statements": []}' > twice.json
check twice 'models[0].settings.outputs: duplicate key "y"'
m chain "$y"'["expr"] = "a < b < x"'
check chain 'models[0].settings.outputs.y.expr: at character 7: comparisons do not chain'

finish
