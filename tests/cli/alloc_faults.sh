#!/usr/bin/env bash
# Allocation faults: every allocation of a small run is failed in turn
# (TYCHE_FAIL_ALLOC=k, k = 1 .. all of them).  Each run must end either
# with exit 1 and "out of memory" or, where the allocation was optional,
# with the same results as the unfaulted run; never a crash, a sanitizer
# report or a leak (this runs in the ASan+LSan build), and never a changed
# or half-written result under the final names.  Needs a build with
# -DTYCHE_FAULT_INJECTION=ON (scripts/test.sh's ASan build); skipped (77)
# in others.
source "$(dirname "$0")/common.bash"

if ! TYCHE_FAIL_ALLOC=count "$TYCHE" describe "$TYCHE_SRC/models/option.json" 2>&1 >/dev/null | grep -q "fault injection"; then
  echo "skipped: $TYCHE was built without -DTYCHE_FAULT_INJECTION"
  exit 77
fi
jobs=$(nproc)

# drive NAME OUTPUTS -- CMD...: CMD's allocations failed one by one.  OUTPUTS
# are the files CMD writes; each starts as a stand-in "previous result".
drive() {
  local name=$1 outputs=$2
  shift 3
  mkdir -p "$name" && cd "$name"
  "$@" >/dev/null 2>ref.err || { bad "$name: the unfaulted run failed: $(cat ref.err)"; cd ..; return; }
  for o in $outputs; do mv "$o" "ref.$o"; done
  local n
  n=$(TYCHE_FAIL_ALLOC=count "$@" 2>&1 >/dev/null | sed -n 's/.*fault injection: \([0-9]*\) allocations/\1/p')
  [[ -n "$n" && "$n" -gt 10 ]] || { bad "$name: no allocation count"; cd ..; return; }
  export -f fault_one
  export name outputs
  seq 1 "$n" | xargs -P "$jobs" -I{} bash -c 'fault_one {} "$@"' _ "$@" >verdicts.txt
  local fails_here
  fails_here=$(grep -c '^FAIL' verdicts.txt || true)
  grep '^FAIL' verdicts.txt | head -n "${FAIL_LINES:-40}" >&2 || true
  echo "$name: $n allocations failed one at a time: $(grep -c '^oom' verdicts.txt) ended with exit 1 (out of memory), $(grep -c '^same' verdicts.txt) with the same results, $fails_here wrong"
  if [[ $fails_here -eq 0 ]]; then ok; else fails=$((fails + fails_here)); fi
  cd ..
}

# fault_one K CMD...: one run with allocation K failed, in a folder of its own
# holding stand-in previous results, so that runs can go side by side.
fault_one() {
  local k=$1
  shift
  local d=k$k
  mkdir "$d"
  for o in $outputs; do echo "previous result" >"$d/$o"; done
  local rc=0
  (cd "$d" && TYCHE_FAIL_ALLOC=$k "$@" >out.txt 2>err.txt) || rc=$?
  local err
  err=$(cat "$d/err.txt")
  if grep -qE "Sanitizer|runtime error|LeakSanitizer" "$d/err.txt"; then
    echo "FAIL k=$k: sanitizer report: $(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$d/err.txt")"
  elif ! grep -q "allocation $k fails" "$d/err.txt"; then
    echo "FAIL k=$k: the fault did not fire (rc $rc)"
  elif [[ $rc -eq 1 ]]; then
    if ! grep -q "out of memory" "$d/err.txt"; then
      echo "FAIL k=$k: exit 1 without 'out of memory': $(tail -n 1 "$d/err.txt")"
    elif ls "$d" | grep -qvE '^(out|err)\.txt$|^('"${outputs// /|}"')$'; then
      echo "FAIL k=$k: left behind: $(ls "$d" | tr '\n' ' ')"
    else
      local changed=""
      for o in $outputs; do [[ "$(cat "$d/$o")" == "previous result" ]] || changed="$changed $o"; done
      if [[ -n "$changed" ]]; then echo "FAIL k=$k: failed run changed$changed"; else echo "oom k=$k"; fi
    fi
  elif [[ $rc -eq 0 ]]; then
    # an optional allocation: the results must be those of the plain run
    local o diff=""
    for o in $outputs; do
      case $o in
        *.h5) $PY "$TYCHE_SRC/tests/same_results.py" "ref.$o" "$d/$o" >/dev/null 2>&1 || diff="$diff $o" ;;
        *.json) [[ " $outputs " == *" ${o%.json}.h5 "* ]] || cmp -s "ref.$o" "$d/$o" || diff="$diff $o" ;;
      esac
    done
    if [[ -n "$diff" ]]; then echo "FAIL k=$k: exit 0 but results differ:$diff"; else echo "same k=$k"; fi
  else
    echo "FAIL k=$k: exit $rc: $(tail -n 2 "$d/err.txt" | tr '\n' ' ')"
  fi
  [[ -z "${KEEP:-}" ]] && rm -rf "$d"
  return 0
}

# ONLY=run, merge or score drives one command alone
[[ -z "${ONLY:-}" || "$ONLY" == run ]] && drive run_article "r.h5 r.json" -- "$TYCHE" run "$TYCHE_SRC/models/article.json" -n 3000 -t 2 -q \
  --store paths -o r.h5

# merge reads shard files; score reads a summary and an outcomes file
"$TYCHE" run "$TYCHE_SRC/models/option.json" -n 2049 --shard 0/2 -q -o "$PWD/s0.h5"
"$TYCHE" run "$TYCHE_SRC/models/option.json" -n 2049 --shard 1/2 -q -o "$PWD/s1.h5"
[[ -z "${ONLY:-}" || "$ONLY" == merge ]] && drive merge "m.h5 m.json" -- "$TYCHE" merge "$PWD/s0.h5" "$PWD/s1.h5" -o m.h5 -q
"$TYCHE" run "$TYCHE_SRC/models/article.json" -n 2048 -q --store none -o "$PWD/art.h5"
cat >"$PWD/outcomes.json" <<'JSON'
{"scenario": "article",
 "outcomes": {"P1": {"outcome": false, "resolved": "2027-06-30"},
              "P2": {"outcome": true, "resolved": "2027-10-20"}}}
JSON
[[ -z "${ONLY:-}" || "$ONLY" == score ]] && drive score "sc.json" -- "$TYCHE" score "$PWD/art.json" "$PWD/outcomes.json" --summary sc.json
finish
