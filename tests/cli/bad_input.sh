#!/usr/bin/env bash
# Every class of bad input: exit status 2, one message naming the file and
# the JSON path (or the flag), and no output left behind.
source "$(dirname "$0")/common.bash"
base="$TYCHE_SRC/models/option.json"

# mutate NAME PYTHON-STATEMENT: NAME.json, option.json changed by the statement
mutate() { mutate_json "$base" "$@"; }

check() { # check NAME FRAGMENT
  expect_exit 2 "$1.json: $2" "$TYCHE" run "$1.json" -n 100 -q -o "$1.h5"
  if [[ -e "$1.h5" || -e "$1.json.part" || -n "$(ls | grep -E '\.(h5|tmp|part)' || true)" ]]; then
    bad "$1: left output behind: $(ls)"
  fi
}

printf '{"name": "x", "start": "2026-04-20",,}' > malformed.json
check malformed "line 1, column 38: malformed JSON"
printf '' > empty.json
check empty "line 1, column 1: malformed JSON"
printf '[1, 2]' > array.json
check array "the scenario must be a JSON object"

mutate unknown_top 's["horizn"] = "2028-01-01"'
check unknown_top 'unknown key "horizn"'
mutate unknown_model_key 's["models"][0]["parms"] = {}'
check unknown_model_key 'models[0]: unknown key "parms"'
mutate unknown_param 's["models"][0]["params"]["h1"] = 0.3'
check unknown_param 'models[0].params: unknown parameter "h1"'
mutate missing_param 'del s["models"][0]["params"]["h0"]'
check missing_param 'models[0].params: missing parameter "h0"'
mutate prior_key 's["models"][0]["params"]["h0"] = {"dist": "lognormal", "medain": 0.3, "sdlog": 0.8}'
check prior_key 'models[0].params.h0'
mutate wrong_type 's["models"][0]["params"]["h0"]["median"] = "0.3"'
check wrong_type 'models[0].params.h0.median'
mutate sd_zero 's["models"][0]["params"]["mu"]["sd"] = 0'
check sd_zero 'models[0].params.mu.sd'
mutate median_neg 's["models"][0]["params"]["h0"]["median"] = -1'
check median_neg 'models[0].params.h0.median'
mutate beta_a 's["models"][0]["params"]["q"]["a"] = 0'
check beta_a 'models[0].params.q.a'
mutate quantiles 's["models"][0]["params"]["h0"] = {"dist": "lognormal", "p05": 0.5, "p95": 0.2}'
check quantiles 'models[0].params.h0'
mutate weights 's["models"][0]["params"]["k_D"] = {"dist": "discrete", "values": [1, 2], "weights": [0.5, 0.4]}'
check weights 'models[0].params.k_D.weights'
mutate unknown_dist 's["models"][0]["params"]["h0"] = {"dist": "lognorm", "median": 0.3, "sdlog": 0.8}'
check unknown_dist 'models[0].params.h0.dist'
mutate domain 's["models"][0]["params"]["sigma"] = {"dist": "normal", "mean": 0.45, "sd": 0.1}'
check domain 'models[0].params.sigma'
# JSON has no NaN or Infinity: 1e999 overflows to infinity and must be refused
sed 's/"k_D": 2/"k_D": 1e999/' "$base" > infinite.json
check infinite 'models[0].params.k_D'
sed 's/"k_D": 2/"k_D": NaN/' "$base" > nan.json
check nan "line 23, column 16: malformed JSON"
mutate unknown_kind 's["models"][0]["kind"] = "option_exorcise"'
check unknown_kind 'models[0].kind: unknown model kind "option_exorcise"'
mutate bad_output 's["statements"][0]["rule"]["all"][1]["event"] = "option.bored_time"'
check bad_output 'statements[0].rule.all[1].event: no output named "option.bored_time"'
mutate bad_date 's["start"] = "2026-02-30"'
check bad_date 'start: "2026-02-30" is not a calendar date'
mutate order 's["horizon"] = "2025-01-01"'
check order 'horizon: must not be before start'
mutate deadline 's["models"][0]["settings"]["deadline"] = "2030-01-01"'
check deadline 'models[0].settings.deadline'
mutate dup_id 's["statements"][1]["id"] = "P1"'
check dup_id 'statements[1].id: "P1" is already used'
mutate joint 's["joint"] = ["P1", "P9"]'
check joint 'joint[1]: no statement has id "P9"'

# an as-of outside the scenario's dates: the message gives both dates
mutate asof_late 's["as_of"] = "2030-01-01"'
check asof_late "as_of 2030-01-01: must lie between the scenario's start 2026-04-20 and horizon 2028-01-31"
expect_exit 2 "--as-of 2030-01-01: must lie between the scenario's start 2026-04-20 and horizon 2028-01-31" \
  "$TYCHE" run "$base" -n 10 -q -o x.h5 --as-of 2030-01-01
# a data file that cannot be opened: the scenario file and JSON path that name it, and why
mkdir -p bad/data
mutate_json "$TYCHE_SRC/models/revenue_calibrated.json" bad/missing_data \
  's["models"][0]["settings"]["data"] = "data/missing.csv"'
expect_exit 2 'bad/missing_data.json: models[0].settings.data: cannot open the data file bad/data/missing.csv: No such file or directory' \
  "$TYCHE" run bad/missing_data.json -n 10 -q -o x.h5
# a calibrated parameter whose prior has no finite variance (a Student-t of df <= 2):
# the conjugate prior is matched by moments, so the run is refused, saying why
cp "$TYCHE_SRC"/models/data/*.csv bad/data/
mutate_json "$TYCHE_SRC/models/revenue_calibrated.json" bad/studentt_calib \
  's["models"][0]["params"]["g_inf"] = {"dist": "studentt", "location": 0.02, "scale": 0.01, "df": 1.5}'
expect_exit 2 'models[0].settings.calibration: calibration matches the priors of g_inf, phi and sigma_g by their mean and variance' \
  "$TYCHE" run bad/studentt_calib.json -n 10 -q -o x.h5
grep -q "a studentt needs df > 2" err.txt && ok || bad "the calibration refusal does not name the Student-t's df: $(cat err.txt)"

# bad flags: exit 2, the flag named
expect_exit 2 '-n: expected a whole number' "$TYCHE" run "$base" -n 1e6
expect_exit 2 '-n: expected a whole number' "$TYCHE" run "$base" -n 0
expect_exit 2 '-t: expected a thread count' "$TYCHE" run "$base" -t 0
expect_exit 2 '--store: expected none, outputs or paths' "$TYCHE" run "$base" --store all
expect_exit 2 '--rng: unknown generator "nope"' "$TYCHE" run "$base" --rng nope -o x.h5
expect_exit 2 'unknown option "--bogus"' "$TYCHE" run "$base" --bogus
expect_exit 2 'cannot open the scenario file' "$TYCHE" run missing.json
expect_exit 2 'unknown command "fly"' "$TYCHE" fly
expect_exit 2 '--trial N is required' "$TYCHE" replay "$base"
[[ -z "$(ls | grep -E '\.h5' || true)" ]] && ok || bad "a flag error left output: $(ls)"

# --store outputs larger than the disk's free space is refused before the first trial, with
# both sizes (rows are streamed to the file, so memory is no longer the limit)
expect_exit 2 'GB free; use --store none' "$TYCHE" run "$base" -n 18000000000000 -o big.h5 -q

# a result never overwrites the scenario: x.json next to -o x.h5
cp "$base" same.json
expect_exit 2 '"same.json" is the scenario file' "$TYCHE" run same.json -n 10 -q -o same.h5
cmp -s same.json "$base" && ok || bad "the scenario was overwritten"

# reserved names would collide with the HDF5 layout's own groups
mutate reserved_id 's["statements"][1]["id"] = "summary"'
check reserved_id 'statements[1].id: "summary" is a reserved name'
mutate reserved_cf 's["common_factor"]["name"] = "paths"'
check reserved_cf 'common_factor.name: "paths" is a reserved name'
# a --set value must be JSON as a whole
expect_exit 2 '--set option.q: "0.2abc" is neither' "$TYCHE" run "$base" -n 10 -q -o x.h5 --set option.q=0.2abc
expect_exit 2 '--set option.q: "0.5,0.9" is neither' "$TYCHE" run "$base" -n 10 -q -o x.h5 --set option.q=0.5,0.9
# a trial count whose store size would overflow 64 bits is refused, not wrapped
expect_exit 2 'GB free; use --store none' "$TYCHE" run "$base" -n 4503599627370496 -q -o x.h5
# other commands and --log do not overwrite the scenario either
cp "$base" same2.json
expect_exit 2 '"same2.json" is the scenario file' "$TYCHE" tornado same2.json -n 100 -q -o same2.h5
expect_exit 2 '--log: "same2.json" is the scenario file' "$TYCHE" run same2.json -n 10 -q -o s3.h5 --log same2.json
cmp -s same2.json "$base" && ok || bad "the scenario was overwritten by tornado or --log"
expect_exit 1 '/nonexistent/x.json: cannot write' "$TYCHE" sobol "$base" --base 200 -q -o fresh.h5 --summary /nonexistent/x.json
[[ ! -e fresh.h5 ]] && ok || bad "a failed sobol left its HDF5 file"

# the mixture, metalog and empirical priors: each message names the JSON path
mutate mix_sd 's["models"][0]["params"]["mu"] = {"dist": "mixture", "weights": [0.5, 0.5], "components": [0.1, {"dist": "normal", "mean": 0, "sd": 0}]}'
check mix_sd 'models[0].params.mu.components[1].sd: must be > 0'
mutate mix_sum 's["models"][0]["params"]["mu"] = {"dist": "mixture", "weights": [0.5, 0.4], "components": [0.1, 0.2]}'
check mix_sum 'models[0].params.mu.weights: must sum to 1 (they sum to 0.9)'
mutate metalog_bad 's["models"][0]["params"]["h0"] = {"dist": "metalog", "quantiles": {"p10": 0.1, "p50": 0.135, "p90": 2.01}, "min": 0}'
check metalog_bad 'models[0].params.h0.quantiles: these quantiles give an infeasible metalog'
mutate metalog_domain 's["models"][0]["params"]["h0"] = {"dist": "metalog", "quantiles": {"p10": 0.1, "p50": 0.3, "p90": 0.9}}'
check metalog_domain 'models[0].params.h0: metalog(p10 0.1, p50 0.3, p90 0.9) can take values outside'
printf 'year,vol\n2020,0.4\n2021,n/a\n' > vol.csv
mutate empirical_bad 's["models"][0]["params"]["sigma"] = {"dist": "empirical", "file": "vol.csv", "column": "vol"}'
check empirical_bad 'models[0].params.sigma.file: ./vol.csv line 3, column "vol": "n/a" is not a finite number'
mutate empirical_none 's["models"][0]["params"]["sigma"] = {"dist": "empirical", "file": "none.csv", "column": "vol"}'
check empirical_none 'models[0].params.sigma.file: cannot read ./none.csv'

# an existing result survives a failed run untouched
printf 'precious' > keep.h5
printf 'precious' > keep.json
expect_exit 2 'no output named' "$TYCHE" run bad_output.json -o keep.h5 -q
expect_exit 2 '--rng' "$TYCHE" run "$base" -o keep.h5 --rng nope -q
mkdir -p ro && chmod 0555 ro
if [[ $(id -u) -ne 0 ]]; then
  expect_exit 1 'ro/r.h5' "$TYCHE" run "$base" -n 100 -q -o ro/r.h5
fi
mkdir -p isdir.h5
expect_exit 1 'isdir.h5' "$TYCHE" run "$base" -n 100 -q -o isdir.h5 --summary s.json
[[ ! -e s.json ]] && ok || bad "a failed HDF5 write left the summary"
[[ "$(cat keep.h5)" == precious && "$(cat keep.json)" == precious ]] && ok || bad "keep.* was touched"
# the generic event kind (src/models/event.c): names resolved, domains from
# each parameter's use, every message with the JSON path (in a folder of
# their own: the checks look for any result file left behind)
mkdir -p event_kind && cd event_kind
exc="$TYCHE_SRC/models/tests/exclusivity_generic.json" opt="$TYCHE_SRC/models/tests/option_generic.json"
ev() { local name=$1 base=$2 py=$3; mutate_json "$base" "$name" "m = [x for x in s['models'] if x['kind'] == 'event'][-1]; st = m['settings']; $py"; }
ev ev_lh_name "$exc" 'st["causes"][0]["log_hazard"]["exercize"] = st["causes"][0]["log_hazard"].pop("exercise")'
check ev_lh_name 'models[2].settings.causes[0].log_hazard.exercize: no input, parameter or common factor named "exercize" (inputs: exercise;'
ev ev_rate_param "$exc" 'st["causes"][1]["rate"] = "hbb"'
check ev_rate_param 'models[2].settings.causes[1].rate: no parameter named "hbb" (params: hx0, beta_xe, beta_xz, hb)'
ev ev_input_late "$exc" 'm["inputs"]["exercise"] = "exclusivity.deal_tim"'
check ev_input_late 'models[2].inputs.exercise: "exclusivity.deal_tim" is not an output of a model listed before this one'
ev ev_input_value "$exc" 'm["inputs"]["exercise"] = "option.valuation_at_deadline"'
check ev_input_value 'models[2].inputs.exercise: "option.valuation_at_deadline" is not an event time'
ev ev_unused "$exc" 'm["params"]["extra"] = 1'
check ev_unused 'models[2].params.extra: not used by the settings'
ev ev_cause_dup "$exc" 'st["causes"][1]["name"] = "deal"'
check ev_cause_dup 'models[2].settings.causes[1].name: "deal" is already causes[0]'"'"'s'
ev ev_both "$opt" 'st["piecewise"] = [{"rate": 0.1}]'
check ev_both 'models[1].settings: needs one of "rate" and "piecewise", not both'
ev ev_key "$opt" 'st["shap"] = {"weibull": 2}'
check ev_key 'models[1].settings: unknown key "shap"'
ev ev_negative "$opt" 'st["rate"] = -0.1'
check ev_negative 'models[1].settings.rate: -0.1 must be >= 0'
ev ev_pw_order "$opt" 'del st["rate"]; st["piecewise"] = [{"until": "2027-01-31", "rate": "h0"}, {"until": "2026-12-31", "rate": 0.2}]'
check ev_pw_order 'models[1].settings.piecewise[1].until: must come after the previous one'
ev ev_until "$opt" 'st["until"] = "2029-01-01"'
check ev_until 'models[1].settings.until: must lie between the scenario'"'"'s start and horizon'
ev ev_delay "$opt" 'st["follow_on"]["delay"] = {"weibull": {"shape": 2}}'
check ev_delay 'models[1].settings.follow_on.delay: unknown delay "weibull"'
ev ev_after "$opt" 'st["follow_on"]["after"] = "deal"'
check ev_after 'models[1].settings.follow_on.after: "deal" is not one of settings.causes'"'"' names'
ev ev_domain "$opt" 'm["params"]["q"] = {"dist": "normal", "mean": 0.3, "sd": 0.1}'
check ev_domain 'models[1].params.q'
ev ev_no_z "$opt" 's.pop("common_factor")'
check ev_no_z 'models[1].settings.log_hazard.Z: no input, parameter or common factor named "Z"'
ev ev_clash "$exc" 'm["params"]["exercise"] = 1.0; st["causes"][1]["log_hazard"] = {"exercise": 0.5}'
check ev_clash 'models[2].inputs.exercise: "exercise" is also a parameter'"'"'s name'
printf '%s' '{"tyche": 1, "name": "d", "start": "2026-01-01", "horizon": "2026-12-31", "models": [
  {"name": "a", "kind": "event", "params": {"h": 0.5}, "settings": {"rate": "h"}},
  {"name": "b", "kind": "event", "inputs": {"x": "a.time", "x": "a.time"}, "settings": {"rate": 0.1, "log_hazard": {"x": 1}}}],
  "statements": [{"id": "s", "text": "t", "rule": {"event": "b.time", "by": "2026-06-30"}}]}' > ev_dup_input.json
check ev_dup_input 'models[1].inputs.x: given twice'
finish
