#!/usr/bin/env bash
# tyche score against hand-computed Brier, log and baseline scores; bad
# outcome files (and outcomes resolved before the scenario's start) refused
# with exit 2; the forecast log (--log) appends one
# line per run whose scenario hash is the SHA-256 of the scenario file.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/option.json"

cat > summary.json <<'J'
{"scenario": {"name": "x"}, "trials": 1000, "statements": {
  "A": {"probability": 0.2, "text": "a"}, "B": {"probability": 0.9, "text": "b"},
  "C": {"probability": 0.5, "text": "c"}, "D": {"probability": 0.0, "text": "d"},
  "E": {"probability": 0.7, "text": "e"}}}
J
cat > outcomes.json <<'J'
{"scenario": "x", "outcomes": {
  "A": {"outcome": false, "resolved": "2027-06-30"}, "B": {"outcome": true, "resolved": "2027-10-20"},
  "C": {"outcome": true, "resolved": "2027-10-20"}, "D": {"outcome": true, "resolved": "2028-02-26"}}}
J
"$TYCHE" score summary.json outcomes.json --summary scores.json > table.txt && ok || bad "score"
grep -q "not yet resolved: E" table.txt && ok || bad "unresolved E not listed: $(cat table.txt)"
$PY - <<'PY' && ok || bad "scores differ from the hand computation"
import json, math
s = json.load(open("scores.json"))
# by hand: Brier (p - o)^2; log ln p_o; baseline 100 log2(p_o / 0.5); D's p = 0 is
# clamped to 1 / (2 * 1000 trials) = 0.0005
want = {"A": (0.04, math.log(0.8), 100 * math.log2(1.6)),
        "B": (0.01, math.log(0.9), 100 * math.log2(1.8)),
        "C": (0.25, math.log(0.5), 0.0),
        "D": (1.0, math.log(0.0005), 100 * math.log2(0.001))}
for k, (b, l, m) in want.items():
    r = s["statements"][k]
    assert abs(r["brier"] - b) < 1e-12 and abs(r["log_score"] - l) < 1e-12 and abs(r["baseline_score"] - m) < 1e-9, (k, r)
o = s["overall"]
assert o["resolved"] == 4 and s["unresolved"] == ["E"]
assert abs(o["brier"] - sum(v[0] for v in want.values()) / 4) < 1e-12
assert abs(o["log_score"] - sum(v[1] for v in want.values()) / 4) < 1e-12
assert abs(o["baseline_score"] - sum(v[2] for v in want.values()) / 4) < 1e-9
PY

bad_outcomes() { # NAME JSON FRAGMENT
  printf '%s' "$2" > "$1.json"
  expect_exit 2 "$3" "$TYCHE" score summary.json "$1.json"
}
bad_outcomes malformed '{"outcomes": {"A": }' 'malformed.json: line 1: malformed JSON'
bad_outcomes unknown_id '{"outcomes": {"Z": {"outcome": true, "resolved": "2027-01-01"}}}' 'outcomes.Z: summary.json has no statement "Z"'
bad_outcomes not_bool '{"outcomes": {"A": {"outcome": "yes", "resolved": "2027-01-01"}}}' 'outcomes.A.outcome: expected true or false'
bad_outcomes bad_date '{"outcomes": {"A": {"outcome": true, "resolved": "2027-02-30"}}}' 'outcomes.A.resolved: "2027-02-30" is not a calendar date'
bad_outcomes no_date '{"outcomes": {"A": {"outcome": true}}}' 'outcomes.A: missing key "resolved"'
bad_outcomes extra_key '{"outcomes": {}, "outcome": {}}' 'unknown key "outcome"'
bad_outcomes wrong_scenario '{"scenario": "y", "outcomes": {}}' 'scenario: "y" but summary.json forecasts "x"'
bad_outcomes not_object '[1]' 'expected an object with "outcomes"'
# an outcome resolved before the scenario's start (the summary's scenario.start)
$PY -c 'import json; s = json.load(open("summary.json")); s["scenario"]["start"] = "2026-04-20"; json.dump(s, open("started.json", "w"))'
printf '%s' '{"outcomes": {"A": {"outcome": true, "resolved": "2026-04-19"}}}' > early.json
expect_exit 2 'early.json: outcomes.A.resolved: 2026-04-19 is before the scenario'"'"'s start 2026-04-20 (started.json)' \
  "$TYCHE" score started.json early.json
printf '%s' '{"outcomes": {"A": {"outcome": true, "resolved": "2026-04-20"}}}' > on_start.json
"$TYCHE" score started.json on_start.json > /dev/null && ok || bad "an outcome resolved on the start day is scored"
expect_exit 2 'missing.json: cannot open' "$TYCHE" score summary.json missing.json
expect_exit 2 'expected SUMMARY.json OUTCOMES.json' "$TYCHE" score summary.json

# the forecast log
"$TYCHE" run "$scen" -n 2000 -q -o a.h5 --log forecasts.jsonl && ok || bad "run --log"
"$TYCHE" run "$scen" -n 2000 -q -o b.h5 --log forecasts.jsonl --as-of 2026-09-01 \
  --observed option.exercise_time=false -s 2 && ok || bad "run --log 2"
$PY - "$scen" <<'PY' && ok || bad "forecast log"
import hashlib, json, sys
lines = [json.loads(l) for l in open("forecasts.jsonl")]
assert len(lines) == 2, lines
h = hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest()
assert all(l["scenario_sha256"] == h for l in lines), (h, lines[0]["scenario_sha256"])
assert [l["as_of"] for l in lines] == ["2026-04-20", "2026-09-01"] and [l["seed"] for l in lines] == [1, 2]
s = json.load(open("a.json"))
for k, v in s["statements"].items(): # the log's numbers are the summary's, exactly
    assert lines[0]["statements"][k] == [v["probability"], v["stderr"]], (k, lines[0]["statements"][k], v)
PY
# Numbers in the shortest spelling that reads back: no 0.0094500000000000001
# where 0.00945 is the same double (the log once wrote %.17g, the summary
# cJSON's %1.17g whenever %1.15g would not do).
$PY - forecasts.jsonl a.json <<'PY' && ok || bad "numbers not in their shortest spelling"
import json, re, sys
def digits(t): # significant digits of a number's spelling
    m = t.lower().split("e")[0].lstrip("-").replace(".", "").lstrip("0")
    return len(m.rstrip("0")) if "." not in t and "e" not in t.lower() else len(m)
n = 0
for f in sys.argv[1:]:
    for line in open(f).read().split("\n") if f.endswith(".jsonl") else [open(f).read()]:
        if not line.strip():
            continue
        toks = []
        json.loads(line, parse_float=lambda t: toks.append(t) or float(t))
        for t in toks:
            n += 1
            # Python's repr is the shortest spelling that reads back to the double
            assert digits(t) <= max(digits(repr(float(t))), 1), (f, t, repr(float(t)))
            assert float(t) == float(repr(float(t)))
assert n > 20, n
PY
# the log drawn over as-of dates
$PY "$TYCHE_SRC/scripts/plot.py" forecasts.jsonl -o plots > plots.txt && [[ $(stat -c %s plots/forecast_log.png) -gt 10000 ]] \
  && ok || bad "forecast log plot"
finish
