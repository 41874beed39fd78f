# Shared by the command-line tests: $TYCHE is the built command, $TYCHE_SRC
# the source tree.  Each test works in its own temporary folder.
set -euo pipefail
: "${TYCHE:?set TYCHE to the tyche command}" "${TYCHE_SRC:?set TYCHE_SRC to the source tree}"
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0
passes=0

ok() { passes=$((passes + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# expect_exit CODE FRAGMENT CMD...: runs CMD, checks its exit status and
# that stderr contains FRAGMENT.
expect_exit() {
  local want=$1 frag=$2
  shift 2
  local rc=0
  "$@" >out.txt 2>err.txt || rc=$?
  if [[ $rc -ne $want ]]; then
    bad "$* -> exit $rc, wanted $want; stderr: $(cat err.txt)"
  elif ! grep -qF -- "$frag" err.txt; then
    bad "$* -> stderr lacks '$frag': $(cat err.txt)"
  else
    ok
  fi
}

# mutate_json BASE NAME PYTHON: writes NAME.json, the scenario BASE changed by
# the Python statement (on the parsed object `s`; json is imported).
mutate_json() {
  $PY - "$1" "$2.json" "$3" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
exec(sys.argv[3])
open(sys.argv[2], "w").write(json.dumps(s, indent=1))
PY
}

# same_results A.h5 B.h5: the same run, dataset by dataset and summary by summary
same_results() { $PY "$TYCHE_SRC/tests/same_results.py" "$1" "$2"; }

finish() {
  echo "$passes passed, $fails failed"
  [[ $fails -eq 0 ]]
}
