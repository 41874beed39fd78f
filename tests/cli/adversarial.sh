#!/usr/bin/env bash
# Adversarial scenarios: hazards of 0, 1e-300 and 1e300 (and 1e308, whose
# sum overflows), priors at the edge of validity, dates out of order, a
# horizon of one day, 10^5 statements, rules nested 10 to 100000 deep, and
# trial counts of 0, 1 and more than memory or the block arithmetic holds.
# Each case either runs promptly (every run under `timeout 60`) with finite
# results held to a closed form where there is one, or is refused with exit
# status 2 and a message naming the JSON path or the flag, leaving nothing
# behind.  About 35 s in the release build on this project's 2-core machine.
source "$(dirname "$0")/common.bash"
opt="$TYCHE_SRC/models/option.json"
art="$TYCHE_SRC/models/article.json"

mutate() { mutate_json "$@"; }

# check_json SUMMARY [PYTHON]: the summary parses strictly (a NaN or
# Infinity token is an error), every number in it is finite (missing ones
# are null), every statement's probability lies in [0, 1]; then PYTHON runs
# with d (the summary), p (id -> probability), n (trials) and near(x, want):
# x within 4.5 binomial standard errors of want.
check_json() {
  $PY - "$@" <<'PY'
import json, math, sys
def refuse(c): raise ValueError("non-JSON number " + c)
d = json.load(open(sys.argv[1]), parse_constant=refuse)
def walk(x, where):
    if isinstance(x, float): assert math.isfinite(x), where
    elif isinstance(x, dict): [walk(v, where + "." + k) for k, v in x.items()]
    elif isinstance(x, list): [walk(v, where + "[%d]" % i) for i, v in enumerate(x)]
walk(d, "summary")
p = {k: v["probability"] for k, v in d["statements"].items()}
for k, v in p.items():
    assert isinstance(v, (int, float)) and 0 <= v <= 1, (k, v)
n = d["trials"]
def near(x, want):
    return abs(x - want) <= 4.5 * math.sqrt(want * (1 - want) / n) + 1e-12
if len(sys.argv) > 2:
    exec(sys.argv[2])
PY
}

# check_h5 FILE PYTHON: PYTHON runs with f (the h5py file) and np.
check_h5() {
  $PY - "$1" "$2" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    exec(sys.argv[2])
PY
}

# run_ok NAME PYTHON [ARGS...]: runs NAME.json (results NAME.out.h5 and
# NAME.out.json) within 60 s, then check_json with PYTHON.
run_ok() {
  local name=$1 checks=$2 rc=0
  shift 2
  timeout 60 "$TYCHE" run "$name.json" -q -o "$name.out.h5" "$@" </dev/null 2>err.txt || rc=$?
  if [[ $rc -ne 0 ]]; then
    bad "$name: exit $rc, wanted 0 (124: over 60 s): $(cat err.txt)"
  elif ! check_json "$name.out.json" "$checks" 2>py.txt; then
    bad "$name: $(tail -n 3 py.txt)"
  else
    ok
  fi
}

# refused NAME FRAGMENT [ARGS...]: exit 2, a message naming NAME.json and
# holding FRAGMENT, nothing written.
refused() {
  local name=$1 frag=$2
  shift 2
  expect_exit 2 "$frag" timeout 60 "$TYCHE" run "$name.json" -n 100 -q -o "$name.out.h5" "$@"
  grep -qF "$name.json: " err.txt && ok || bad "$name: the message does not name the file: $(cat err.txt)"
  [[ ! -e "$name.out.h5" && ! -e "$name.out.json" ]] && ok || bad "$name: refused, but left output"
}

# ---- 1. hazards of 0, 1e-300, 1e300 -----------------------------------------
# Accepted, not refused: a hazard's domain is [0, inf), 0 is a valid "never"
# and a huge rate a valid "at once" (the walk fires at the interval's start
# when the rate is infinite, just after it when huge and finite, and adds
# nothing when it is 0 or NaN, so it cannot loop).  Closed forms: with rate
# h the event is by day D with probability 1 - exp(-h D / 365.25), so 0 for
# h = 0 and for 1e-300 (1 - exp(-1e-297), no trial can see it), and exactly
# 1 for 1e300 on any date from the start on (the start day itself too).
day0='s["statements"].append({"id": "by_start", "text": "exercised on the first day", "rule": {"event": "option.exercise_time", "by": s["start"]}})'
for h in 0 1e-300 1e300; do
  mutate "$opt" "h0_$h" "s['models'][0]['params']['h0'] = $h; $day0"
  want=$([[ $h == 1e300 ]] && echo 1 || echo 0)
  run_ok "h0_$h" "assert p['exercise_by_2027Q2'] == $want and p['by_start'] == $want, p
assert $want == 1 or p['P1'] == 0, p" -n 2000
done
# ... and as priors: a point mass at 0 or 1e300 (half each), a lognormal
# centred on 1e300 or 1e-300, a lognormal so wide that its draws are 0 or
# +inf (half each), a gamma whose draws all underflow to 0
while read -r name prior want; do
  mutate "$opt" "h0p_$name" "s['models'][0]['params']['h0'] = json.loads('$prior'); $day0"
  run_ok "h0p_$name" "assert $want, p" -n 2000
done <<'EOF'
discrete {"dist":"discrete","values":[0,1e300],"weights":[0.5,0.5]} near(p['by_start'],0.5)and(p['by_start']==p['exercise_by_2027Q2'])
lnhuge {"dist":"lognormal","median":1e300,"sdlog":1} p['by_start']==1
lntiny {"dist":"lognormal","median":1e-300,"sdlog":1} p['exercise_by_2027Q2']==0
lnwide {"dist":"lognormal","median":0.3,"sdlog":1e300} near(p['by_start'],0.5)and(p['by_start']==p['exercise_by_2027Q2'])
gamma0 {"dist":"gamma","shape":1e-300,"mean":0.3} p['exercise_by_2027Q2']==0
EOF
check_h5 h0p_lnwide.out.h5 'h = f["option.h0"][:]; assert not np.isnan(h).any() and set(np.unique(h)) <= {0.0, np.inf}, np.unique(h)' && ok || bad "h0p_lnwide: h0 draws"

# The exclusivity deal against a blocking event (competing risks): with
# constant rates the deal wins with probability hx / (hx + hb); the loadings
# are fixed at 0 so the rates are hx0 and hb themselves.  1e308 + 1e308
# overflows: before the fix every share was rate / inf = 0 and the block
# always won (deal probability 0 instead of 1/2).
mutate "$art" ex_base 's["models"] = s["models"][:2]
s["statements"] = [x for x in s["statements"] if x["id"] in ("P1", "P2", "exercise_2027Q2", "deal_by_2027-10-20")]
s["joint"] = ["P1", "P2"]
s["models"][1]["params"].update(beta_xz=0, beta_xe=0)
s["statements"].append({"id": "blocked", "text": "blocked by the horizon", "rule": {"event": "exclusivity.blocked_time", "by": s["horizon"]}})'
while read -r hx hb want_deal; do
  name="ex_${hx}_$hb"
  mutate ex_base.json "$name" "s['models'][1]['params'].update(hx0=$hx, hb=$hb)"
  if [[ $want_deal == half ]]; then
    run_ok "$name" "d_ = p['deal_by_2027-10-20']; assert near(d_, 0.5) and d_ + p['blocked'] == 1, p" -n 4000
  else
    run_ok "$name" "assert p['deal_by_2027-10-20'] == $want_deal, p
assert p['blocked'] == ($hb > 1 and $want_deal == 0), p" -n 4000
  fi
done <<'EOF'
0 0 0
1e-300 0 0
1e300 0 1
1e300 1e-300 1
0 1e300 0
1e300 1e300 half
1e308 1e308 half
1.7e308 1.7e308 half
EOF

# ---- 2. priors at the edge of validity --------------------------------------
# Refused where the prior is impossible or cannot be sampled (exit 2, the
# parameter's path); otherwise the summary's numbers are finite and each
# parameter's draws are what the prior's limit says: never NaN, though a
# prior so wide that exp() overflows draws +inf (a valid "at once" rate).
mutate "$opt" prior_base "$day0"
refuse_prior() { # NAME PARAM PRIOR FRAGMENT
  mutate prior_base.json "$1" "s['models'][0]['params']['$2'] = json.loads('$3')"
  refused "$1" "models[0].params.$2$4"
}
# mean 1e-300 times concentration 1e-300 is 0: no beta
refuse_prior beta_zero q '{"dist":"beta","mean":1e-300,"concentration":1e-300}' '.a: must be > 0'
# shapes so small that GSL's sampler overflows (every draw was NaN before)
refuse_prior beta_subnormal q '{"dist":"beta","a":1e-310,"b":1e-310}' '.a: must be at least 1e-300'
refuse_prior beta_mean1 q '{"dist":"beta","mean":0.999999999999,"concentration":1e-300}' '.a: must be at least 1e-300'
refuse_prior beta_b_subnormal q '{"dist":"beta","a":1,"b":1e-310}' '.b: must be at least 1e-300'
refuse_prior uniform_point h0 '{"dist":"uniform","min":0.3,"max":0.3}' '.min: must be < max'
refuse_prior normal_sd0 mu '{"dist":"normal","mean":0.6,"sd":0}' '.sd: must be > 0'
refuse_prior ln_equal_q h0 '{"dist":"lognormal","p05":0.3,"p95":0.3}' '.p05: must be < p95'
refuse_prior ln_sdlog0 h0 '{"dist":"lognormal","median":0.3,"sdlog":0}' '.sdlog: must be > 0'
refuse_prior tn_point h0 '{"dist":"truncnormal","mean":0.3,"sd":1,"min":0.3,"max":0.3}' '.min: must be < max'
refuse_prior tri_point h0 '{"dist":"triangular","min":0.3,"mode":0.3,"max":0.3}' '.min: must be < max'

run_prior() { # NAME PARAM PRIOR PYTHON-ON-THE-DRAWS (x; assert)
  mutate prior_base.json "$1" "s['models'][0]['params']['$2'] = json.loads('$3')"
  run_ok "$1" "" -n 2000
  [[ -e "$1.out.h5" ]] || return 0
  check_h5 "$1.out.h5" "x = f['option.$2'][:]
assert not np.isnan(x).any(), 'NaN draws'
$4" 2>py.txt && ok || bad "$1: draws of $2: $(tail -n 2 py.txt)"
}
run_prior beta_mean0 q '{"dist":"beta","mean":1e-300,"concentration":1}' 'assert (x < 1e-100).all()'
run_prior beta_mean0_huge q '{"dist":"beta","mean":1e-300,"concentration":1e300}' 'assert (x < 1e-250).all()'
run_prior beta_mean1_huge q '{"dist":"beta","mean":0.999999999999,"concentration":1e300}' 'assert (abs(x - 0.999999999999) < 1e-9).all()'
run_prior beta_half_huge q '{"dist":"beta","mean":0.5,"concentration":1e308}' 'assert (abs(x - 0.5) < 1e-9).all()'
# beta(1e-300, 1e-300) is a fair coin between 0 and 1
run_prior beta_tiny q '{"dist":"beta","a":1e-300,"b":1e-300}' 'assert ((x == 0) | (x == 1)).all() and abs((x == 1).mean() - 0.5) < 0.05'
# the median, to the ulp of the vector exp (SLEEF's, 1 ulp): exp(log(0.3)) need not be 0.3 exactly
run_prior ln_sdlog_tiny h0 '{"dist":"lognormal","median":0.3,"sdlog":1e-300}' 'assert (abs(x - 0.3) <= 2 * np.spacing(0.3)).all()'
run_prior ln_quantiles h0 '{"dist":"lognormal","p05":1e-300,"p95":1e300}' 'assert (x >= 0).all()'
run_prior ln_close_q h0 '{"dist":"lognormal","p05":0.3,"p95":0.30000000000000004}' 'assert (abs(x - 0.3) < 1e-15).all()'
run_prior gamma_huge h0 '{"dist":"gamma","shape":1e300,"mean":0.3}' 'assert (abs(x - 0.3) < 1e-12).all()'
run_prior tn_narrow h0 '{"dist":"truncnormal","mean":0.3,"sd":1e-300,"min":0}' 'assert (abs(x - 0.3) < 1e-15).all()'
run_prior tn_far h0 '{"dist":"truncnormal","mean":0,"sd":1,"min":1e6}' 'assert (x >= 1e6).all() and (x < 1e6 + 1e-3).all()'
run_prior sigma_wide sigma '{"dist":"lognormal","median":0.45,"sdlog":1e300}' 'assert set(np.unique(x)) <= {0.0, np.inf}'
# the revenue model's priors pushed out too: revenue overflows to inf or 0,
# which the summary counts as missing, never as a number
mutate "$art" rev_wide "s['models'][2]['settings']['data'] = '$TYCHE_SRC/models/data/nvidia_data_center_revenue.csv'
s['models'][2]['params']['sigma_g'] = {'dist': 'lognormal', 'median': 0.06, 'sdlog': 1e300}
s['models'][2]['params']['g_inf'] = {'dist': 'normal', 'mean': 0.04, 'sd': 1e300}"
run_ok rev_wide "assert d['outputs']['revenue.qoq_growth']['missing_fraction'] > 0.5" -n 1000

# ---- 3. dates out of order --------------------------------------------------
mutate "$opt" start_after 's["start"] = "2028-02-01"'
refused start_after 'horizon: must not be before start'
mutate "$opt" asof_before 's["as_of"] = "2026-04-19"'
refused asof_before "as_of 2026-04-19: must lie between the scenario's start 2026-04-20 and horizon"
mutate "$opt" asof_after 's["as_of"] = "2028-02-01"'
refused asof_after "as_of 2028-02-01: must lie between the scenario's start"
expect_exit 2 "--as-of 2026-01-01: must lie between the scenario's start" "$TYCHE" run "$opt" -n 100 -q -o flag.h5 --as-of 2026-01-01
# a statement's date outside [start, horizon] gave a silent answer before:
# "by" the day before start counted an event at time 0, "by" a date after
# the horizon undercounted (later events are never simulated)
mutate "$opt" by_before 's["statements"][1]["rule"]["by"] = "2026-04-19"'
refused by_before 'statements[1].rule.by: 2026-04-19 is before the simulated period (start 2026-04-20 to horizon 2028-01-31)'
mutate "$opt" nested_before 's["statements"][0]["rule"]["all"][1]["by"] = "2020-01-01"'
refused nested_before 'statements[0].rule.all[1].by: 2020-01-01 is before'
mutate "$opt" by_after 's["statements"][1]["rule"]["by"] = "2028-02-01"'
refused by_after 'statements[1].rule.by: 2028-02-01 is after'
mutate "$opt" after_after 's["statements"][1]["rule"] = {"event": "option.exercise_time", "after": "2030-01-01"}'
refused after_after 'statements[1].rule.after: 2030-01-01 is after'
mutate "$opt" deadline_before 's["models"][0]["settings"]["deadline"] = "2026-04-19"'
refused deadline_before 'models[0].settings.deadline: must lie between'
mutate "$opt" observed_before 's["as_of"] = "2026-06-01"; s["observed"] = {"option.exercise_time": "2026-04-01"}'
refused observed_before 'observed.option.exercise_time: an observed event must fall between start and as_of'

# ---- 4. a horizon of one day ------------------------------------------------
# h0 = 36.525 a year (0.1 a day), no loadings: P(exercise by day D) =
# 1 - exp(-0.1 (D - start + 1)); the valuation is read on the last day.
one_day() { # NAME HORIZON
  mutate "$opt" "$1" "s['horizon'] = '$2'; s['models'][0]['settings']['deadline'] = '$2'
s['models'][0]['params'].update(h0=36.525, beta_v=0, beta_z=0)
s['statements'] = [{'id': 'd0', 'text': 'day 0', 'rule': {'event': 'option.exercise_time', 'by': s['start']}},
  {'id': 'dh', 'text': 'horizon', 'rule': {'event': 'option.exercise_time', 'by': '$2'}},
  {'id': 'v', 'text': 'valued', 'rule': {'value': 'option.valuation_at_deadline', '>': 0}},
  {'id': 'both', 'text': 'both', 'rule': {'all': [{'statement': 'd0'}, {'not': {'event': 'option.board_time', 'after': '$2'}}]}}]"
}
one_day one_day 2026-04-20
run_ok one_day "import math
assert near(p['d0'], 1 - math.exp(-0.1)) and p['dh'] == p['d0'] and p['v'] == 1, p
assert p['both'] <= p['d0'], p
assert d['events']['option.exercise_time']['dates'] == ['2026-04-20'], d['events']
assert d['outputs']['option.valuation_at_deadline']['missing_fraction'] == 0" -n 20000
one_day two_days 2026-04-21
run_ok two_days "import math
assert near(p['d0'], 1 - math.exp(-0.1)) and near(p['dh'], 1 - math.exp(-0.2)), p" -n 20000

# ---- 5. 10^5 statements -----------------------------------------------------
# --store none keeps no per-trial columns: loading, running and writing the
# summary take about 2 s here (200 trials; the 12 MB scenario parses in
# 0.4 s, each trial evaluates every statement, ~10 ms a trial), the checks
# 3 s more.  Statements on the same date have the same probability.
$PY - "$opt" many.json 100000 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["statements"] = [{"id": "s%d" % i, "text": "t",
                    "rule": {"event": "option.exercise_time", "by": "2026-%02d-%02d" % (5 + i % 8, 1 + i % 28)}}
                   for i in range(int(sys.argv[3]))]
open(sys.argv[2], "w").write(json.dumps(s))
PY
t0=$SECONDS
run_ok many "assert len(p) == 100000 and list(p)[-1] == 's99999'
by = {}
for i in range(100000): by.setdefault(i % 56, set()).add(p['s%d' % i])
assert all(len(v) == 1 for v in by.values())" -n 200 --store none
echo "10^5 statements, --store none, 200 trials: $((SECONDS - t0)) s (with the checks)"
check_h5 many.out.h5 'assert f["summary/statement"].shape == (100000,) and "s99999" not in f' && ok || bad "many: summary/statement"
# --store outputs writes one dataset per statement.  Attaching each to the
# `trial` dimension with H5DSattach_scale rewrote the dimension's whole list
# of variables every time: 20000 statements took 24 s instead of 4, and
# 10^5 ran 5 minutes and failed ("cannot attach dimension 0 of s65519").
# Past that count, with one trial (the cost is per dataset): about 18 s here.
$PY - "$opt" many66k.json 65600 <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["statements"] = [{"id": "s%d" % i, "text": "t", "rule": {"event": "option.exercise_time", "by": "2026-05-01"}}
                   for i in range(int(sys.argv[3]))]
open(sys.argv[2], "w").write(json.dumps(s))
PY
t0=$SECONDS
run_ok many66k "assert len(p) == 65600" -n 1
echo "65600 statements, --store outputs, 1 trial: $((SECONDS - t0)) s"
check_h5 many66k.out.h5 'refs = f["trial"].attrs.get_id("REFERENCE_LIST").shape
assert refs == (10 + 3 + 65600,), refs
assert f["s65599"].dims[0][0].name == "/trial" and f["s65599"].shape == (1,)
assert h5py.h5ds.is_attached(f["s65599"].id, f["trial"].id, 0)' && ok || bad "many66k: dimension scales"
rm -f many*.h5 many*.json

# ---- 6. deeply nested rules -------------------------------------------------
# Compiled by recursion bounded by cJSON's nesting limit (1000 levels of
# arrays and objects), evaluated without recursion.  Up to the limit they
# run (an even number of "not"s is the plain event, an odd one its
# complement, "all" of one is itself, "any" with the board change, which
# needs the exercise, is the exercise); past it the file is refused with a
# message that says so (it said "malformed JSON" at a well-formed bracket).
deep() { # NAME KIND DEPTH
  $PY - "$opt" "$1.json" "$2" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
kind, depth = sys.argv[3], int(sys.argv[4])
core = json.dumps({"event": "option.exercise_time", "by": "2027-06-30"})
other = json.dumps({"event": "option.board_time", "by": "2027-06-30"})
rule = {"not": '{"not": ' * depth + core + "}" * depth,
        "all": '{"all": [' * depth + core + "]}" * depth,
        "any": '{"any": [' * depth + core + (", " + other + "]}") * depth}[kind]
s["statements"].append({"id": "deep", "text": "deep", "rule": "RULE"})
open(sys.argv[2], "w").write(json.dumps(s).replace('"RULE"', rule))
PY
}
for spec in "not 10 =" "not 11 1-" "all 10 =" "any 10 =" "not 900 =" "not 901 1-" "all 450 =" "any 450 ="; do
  read -r kind depth rel <<<"$spec"
  deep "deep_${kind}_$depth" "$kind" "$depth"
  if [[ $rel == "=" ]]; then want="p['exercise_by_2027Q2']"; else want="1 - p['exercise_by_2027Q2']"; fi
  run_ok "deep_${kind}_$depth" "assert abs(p['deep'] - ($want)) < 1e-12, p" -n 2000
done
for spec in "not 1000" "all 1000" "not 100000" "any 100000"; do
  read -r kind depth <<<"$spec"
  deep "deep_${kind}_$depth" "$kind" "$depth"
  refused "deep_${kind}_$depth" "nested more than 1000 levels deep"
done

# ---- 7. trial counts --------------------------------------------------------
# -n 0 is refused by the command's flag parser; 1 trial gives a summary in
# strict JSON (an sd or a correlation of one trial is null, not NaN); more
# trials than memory holds are refused before any work, with the size; more
# than 2^53 are refused whatever the store (before: --store none with
# -n 2^64-1 wrapped the block count and crashed).
expect_exit 2 '-n: expected a whole number of trials from 1 to 2^53' "$TYCHE" run "$opt" -n 0 -q -o n0.h5
[[ ! -e n0.h5 ]] && ok || bad "-n 0 left output"
cp "$art" n1.json
sed -i "s#\"data/nvidia#\"$TYCHE_SRC/models/data/nvidia#" n1.json
run_ok n1 "assert n == 1 and all(v in (0, 1) for v in p.values()), p
assert d['outputs']['option.valuation_at_deadline']['sd'] is None
assert d['joint']['correlation'][0][1] is None and d['joint']['all']['stderr'] == 0" -n 1
check_h5 n1.out.h5 'assert f["trial"].shape == (1,) and f["P1"].shape == (1,)' && ok || bad "n1: HDF5"
expect_exit 2 'the file needs' "$TYCHE" run "$opt" -n 4000000000000 -q -o big.h5
grep -qE 'needs [0-9.e+]+ GB and .* has [0-9.e+]+ GB free' err.txt && ok || bad "the refusal lacks the sizes: $(cat err.txt)"
expect_exit 2 '-n: expected a whole number of trials from 1 to 2^53, got "18446744073709551615"' timeout 60 "$TYCHE" run "$opt" -n 18446744073709551615 -q -o huge.h5 --store none
expect_exit 2 '-n: expected a whole number of trials from 1 to 2^53, got "9007199254740993"' timeout 60 "$TYCHE" run "$opt" -n 9007199254740993 -q -o huge.h5 --store none
expect_exit 2 '-n: expected a whole number of trials from 1 to 2^53' timeout 60 "$TYCHE" run "$opt" -n 18446744073709551615 -q -o huge.h5 --checkpoint ckhuge
[[ ! -e ckhuge ]] && ok || bad "a refused checkpointed run left its folder"
[[ -z "$(ls | grep -E '^(big|huge|n0)\.' || true)" ]] && ok || bad "a refused run left output: $(ls)"
finish
