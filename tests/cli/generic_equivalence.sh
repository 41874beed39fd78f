#!/usr/bin/env bash
# The generic `event` kind is right (issue 17):
#  1. models/tests/exclusivity_generic.json (exclusivity_window and the same
#     model as an event, reading the same option's exercise) and
#     models/tests/option_generic.json (option_exercise with beta_v = 0 and
#     the same option as an event with a follow-on) at 10^6 trials: every
#     statement ID and its ID_generic agree within 4 combined standard
#     errors, sqrt(se1^2 + se2^2) (independent streams: the two models draw
#     their parameters and events apart; shared Z and inputs only make the
#     difference smaller than that); and the same as of a later date with
#     the same observations on both twins;
#  2. models/tests/event_closed_generic.json at 10^6 trials: every statement
#     within 4 standard errors of its closed form (computed here: constant
#     hazard 1 - exp(-h t), Weibull 1 - exp(-r t^k), competing shares
#     h1 / (h1 + h2), piecewise rates with an end date, a step at another
#     event, log-linear terms in a parameter and in the common factor by
#     quadrature, follow-ons after fixed, Gamma, exponential and lognormal
#     delays, piecewise rates under a Weibull shape);
#  3. determinism: -t 1 and -t 2, and the base vector path and the default
#     one, give the same per-trial datasets byte for byte, an as-of run with
#     observed event times included (an observed cause fixes the event);
#  4. the check can fail: with one prior of the generic model perturbed
#     (option_ev's h0 median 0.3 -> 0.31, exclusivity_ev's beta_xe mean
#     1.0 -> 1.15) some pair is more than 4 standard errors apart.
source "$(dirname "$0")/common.bash"
$PY -c 'import scipy, h5py' 2>/dev/null || { echo "skipped: $PY has no scipy or h5py"; exit 77; }
tests="$TYCHE_SRC/models/tests"
N=1000000

run() { "$TYCHE" run "$1" -n $N -s 17 -t 2 -q --store none -o "$2.h5"; }

# pairs FILE.json MODE: MODE all (every pair within 4 SE: exit 0) or any
# (some pair beyond 4 SE: exit 0); prints each pair's z
pairs() {
  $PY - "$1" "$2" <<'PY'
import json, math, sys
d = json.load(open(sys.argv[1]))["statements"]
worst, n = 0.0, 0
for k, g in d.items():
    if not k.endswith("_generic"):
        continue
    b = d[k[: -len("_generic")]]
    diff, se = g["probability"] - b["probability"], math.hypot(g["stderr"], b["stderr"])
    z = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)  # both certain: equal
    print(f"  {k[:-8]:24s} built-in {b['probability']:.5f} generic {g['probability']:.5f} z {z:+.2f}")
    worst, n = max(worst, abs(z)), n + 1
assert n > 0, "no ID/ID_generic pairs"
ok = worst <= 4 if sys.argv[2] == "all" else worst > 4
sys.exit(0 if ok else 1)
PY
}

for f in exclusivity_generic option_generic; do
  run "$tests/$f.json" $f && ok || bad "$f: run"
  echo "$f ($N trials):"
  pairs $f.json all && ok || bad "$f: a statement and its generic twin differ by more than 4 SE"
done

# the same as of 2026-10-01, the same observations on both twins: the
# option exercised on 2026-08-01 (the deal's step from an observed input) and
# no deal or block yet; no exercise yet in the option's pair (the trials
# that contradict them are redrawn, so the parameters are updated too)
$PY - "$tests" <<'PY'
import json, sys
s = json.load(open(sys.argv[1] + "/exclusivity_generic.json"))
s["as_of"] = "2026-10-01"
s["observed"] = {"option.exercise_time": "2026-08-01", "exclusivity.deal_time": False,
                 "exclusivity.blocked_time": False, "exclusivity_ev.deal_time": False,
                 "exclusivity_ev.blocked_time": False, "option.board_time": "unknown"}
json.dump(s, open("exclusivity_asof.json", "w"))
s = json.load(open(sys.argv[1] + "/option_generic.json"))
s["as_of"] = "2026-10-01"
s["observed"] = {"option.exercise_time": False, "option_ev.time": False}
json.dump(s, open("option_asof.json", "w"))
PY
for f in exclusivity_asof option_asof; do
  run $f.json ${f}_run && ok || bad "$f: run"
  echo "$f ($N trials):"
  pairs ${f}_run.json all && ok || bad "$f: a statement and its generic twin differ by more than 4 SE"
done

# ---- closed forms --------------------------------------------------------
run "$tests/event_closed_generic.json" closed && ok || bad "event_closed_generic: run"
$PY - closed.json <<'PY' && ok || bad "event_closed_generic: a statement is more than 4 SE from its closed form"
import json, math, sys
from datetime import date
from scipy import integrate, stats
d = json.load(open(sys.argv[1]))["statements"]
Y = 365.25
start = date(2026, 1, 1)
def t(s):  # "by s": the end of that day, days since start
    return (date.fromisoformat(s) - start).days + 1.0
T = t("2027-12-31")
F = lambda h, x: 1 - math.exp(-h * x / Y)
def piece(x):
    e1, e2, u = t("2026-06-30"), t("2027-03-31"), t("2027-09-30")
    x = min(x, u)
    H = 0.2 * min(x, e1) + 1.0 * max(0.0, min(x, e2) - e1) + 0.1 * max(0.0, x - e2)
    return 1 - math.exp(-H / Y)
def step(x):  # hazard 0.3, times 3 after const's Exp(0.5) event at s
    hs, h = 0.5 / Y, 0.3 / Y
    surv = math.exp(-(hs + h) * x)
    surv += integrate.quad(lambda s: hs * math.exp(-hs * s - h * s - 3 * h * (x - s)), 0, x)[0]
    return 1 - surv
def lp(x):
    return integrate.quad(lambda v: 1 - math.exp(-0.2 * math.exp(1.5 * v) * x / Y), 0, 1)[0]
def zz(x):
    return integrate.quad(lambda z: stats.norm.pdf(z) * (1 - math.exp(-0.3 * math.exp(0.7 * z) * (x / Y) ** 0.7)),
                          -12, 12)[0]
def folg(x):  # cause a (0.5 of 0.75) then, with p 0.7, a Gamma(2, mean 4 months) delay
    ha, hb = 0.5 / Y, 0.25 / Y
    D = stats.gamma(2, scale=(4 / 2) * Y / 12)
    return 0.7 * integrate.quad(lambda s: ha * math.exp(-(ha + hb) * s) * D.cdf(x - s), 0, x)[0]
def after(h, D, x):  # an Exp(h) event, then surely a delay D (a scipy distribution, days)
    h = h / Y
    return integrate.quad(lambda s: h * math.exp(-h * s) * D.cdf(x - s), 0, x)[0]
def pww(x):  # rate 0.3 to the end of 2026, 0.9 after, on the cumulative hazard (t/1y)^1.5
    e1 = t("2026-12-31")
    H = 0.3 * (min(x, e1) / Y) ** 1.5 + 0.9 * max(0.0, (x / Y) ** 1.5 - (e1 / Y) ** 1.5)
    return 1 - math.exp(-H)
exact = {
    "const_2026": F(0.5, t("2026-12-31")),
    "const_2027": F(0.5, T),
    "weib_2026-06": 1 - math.exp(-0.4 * (t("2026-06-30") / Y) ** 2.5),
    "weib_2027": 1 - math.exp(-0.4 * (T / Y) ** 2.5),
    "comp_a": 0.3 / 0.9 * F(0.9, T),
    "comp_b_2026": 0.6 / 0.9 * F(0.9, t("2026-12-31")),
    "comp_any_2026": F(0.9, t("2026-12-31")),
    "piece_2026": piece(t("2026-12-31")),
    "piece_2027": piece(T),
    "step_2027": step(T),
    "lp_2027": lp(T),
    "zz_2026": zz(t("2026-12-31")),
    "fol_2027": 0.4 * F(0.8, T - 3 * Y / 12),
    "folg_2027": folg(T),
    "fole_2026": after(0.6, stats.expon(scale=2 * Y / 12), t("2026-12-31")),
    "foll_2027": 0.5 * after(0.6, stats.lognorm(0.5, scale=20 * 7.0), T),
    "pww_2026-06": pww(t("2026-06-30")),
    "pww_2027-06": pww(t("2027-06-30")),
}
assert set(exact) == set(d), f"statements without a closed form here: {set(d) ^ set(exact)}"
worst = 0.0
print("event_closed_generic:")
for k, p in exact.items():
    z = (d[k]["probability"] - p) / d[k]["stderr"]
    print(f"  {k:16s} run {d[k]['probability']:.5f} exact {p:.5f} z {z:+.2f}")
    worst = max(worst, abs(z))
sys.exit(0 if worst <= 4 else 1)
PY

# ---- determinism: threads and vector paths ------------------------------
[[ $(uname -m) == x86_64 ]] && base=sse2 || base=purec
$PY - "$tests/exclusivity_generic.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
# as of 2026-10-01: the option exercised on 2026-08-01, the generic model's
# block seen on 2026-09-01, the built-in one's deal not made yet
s["as_of"] = "2026-10-01"
s["observed"] = {"option.exercise_time": "2026-08-01", "exclusivity_ev.blocked_time": "2026-09-01",
                 "exclusivity.deal_time": False, "exclusivity.blocked_time": "unknown",
                 "option.board_time": "unknown"}
s["statements"] += [
    {"id": "ev_blocked", "text": "the observed block is the cause", "rule": {"value": "exclusivity_ev.cause", "==": 2}},
    {"id": "ev_deal", "text": "no deal after the block", "rule": {"event": "exclusivity_ev.deal_time", "by": "2028-01-31"}}]
json.dump(s, open("asof.json", "w"))
PY
for f in "$tests/exclusivity_generic.json" "$tests/option_generic.json" "$tests/event_closed_generic.json" asof.json; do
  b=$(basename "$f" .json)
  "$TYCHE" run "$f" -n 20000 -s 5 -q -t 1 -o d1_$b.h5 && "$TYCHE" run "$f" -n 20000 -s 5 -q -t 2 -o d2_$b.h5 &&
    TYCHE_VECTOR=$base "$TYCHE" run "$f" -n 20000 -s 5 -q -t 2 -o db_$b.h5 && ok || bad "$b: determinism runs"
  same_results d1_$b.h5 d2_$b.h5 && ok || bad "$b: -t 1 and -t 2 differ"
  same_results d2_$b.h5 db_$b.h5 && ok || bad "$b: TYCHE_VECTOR=$base and the default path differ"
done
$PY - d2_asof.json <<'PY' && ok || bad "as-of: an observed cause did not fix the event"
import json, sys
d = json.load(open(sys.argv[1]))["statements"]
assert d["ev_blocked"]["probability"] == 1.0 and d["ev_deal"]["probability"] == 0.0, d
PY

# ---- the check has teeth: one prior moved a little is caught -------------
mutate_json "$tests/option_generic.json" opt_perturbed \
  'm = [m for m in s["models"] if m["name"] == "option_ev"][0]; m["params"]["h0"]["median"] = 0.31'
run opt_perturbed.json opt_perturbed_run && ok || bad "perturbed option: run"
echo "option_generic with option_ev's h0 median 0.31 (should fail):"
pairs opt_perturbed_run.json any && ok || bad "h0 median 0.3 -> 0.31 went unnoticed"
mutate_json "$tests/exclusivity_generic.json" exc_perturbed \
  'm = [m for m in s["models"] if m["name"] == "exclusivity_ev"][0]; m["params"]["beta_xe"]["mean"] = 1.15'
run exc_perturbed.json exc_perturbed_run && ok || bad "perturbed exclusivity: run"
echo "exclusivity_generic with exclusivity_ev's beta_xe mean 1.15 (should fail):"
pairs exc_perturbed_run.json any && ok || bad "beta_xe mean 1.0 -> 1.15 went unnoticed"
finish
