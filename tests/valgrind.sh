#!/usr/bin/env bash
# Valgrind's memcheck over small runs of a release build: no invalid read or
# write, no jump on uninitialised memory, no bad free, no definite leak, in
# a run with its paths, a merge, a describe, and a run whose HDF5 write fails
# (a file-size limit: the error paths free what they took).  The sanitizer
# build checks the same with instrumented code; this checks the optimised
# code as shipped, and the system libraries it calls into (GSL, HDF5,
# libgomp, cJSON) as they are used.
#   tests/valgrind.sh TYCHE SOURCE_TREE       (TYCHE: a RelWithDebInfo build)
# No suppressions are needed: libgomp's thread stacks and HDF5's free lists
# (kept at exit, H5dont_atexit) are "possibly lost" or "still reachable",
# which --errors-for-leak-kinds=definite does not count.
set -euo pipefail
tyche=${1:?usage: tests/valgrind.sh TYCHE SOURCE_TREE}
src=${2:?usage: tests/valgrind.sh TYCHE SOURCE_TREE}
tyche=$(realpath "$tyche")
src=$(realpath "$src")
if ! command -v valgrind >/dev/null; then
  echo "valgrind.sh: valgrind is not installed (scripts/deps.sh test installs it)" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
fails=0

# check NAME WANT CMD...: CMD under memcheck must exit WANT (99 is
# memcheck's own status for an error it found)
check() {
  local name=$1 want=$2
  shift 2
  local rc=0 t0=$SECONDS
  valgrind --tool=memcheck --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --log-file="$name.vg" "$@" >"$name.out" 2>"$name.err" || rc=$?
  if [[ $rc -ne $want ]]; then
    echo "FAIL: valgrind $name: exit $rc, wanted $want" >&2
    cat "$name.err" "$name.vg" >&2
    fails=$((fails + 1))
  else
    echo "valgrind $name: clean ($((SECONDS - t0)) s)"
  fi
}

check run 0 "$tyche" run "$src/models/article.json" -n 2000 -t 2 -q --store paths -o run.h5
for i in 0 1; do
  "$tyche" run "$src/models/option.json" -n 4000 -t 2 -q --shard $i/2 -o part$i.h5
done
check merge 0 "$tyche" merge part0.h5 part1.h5 -o merged.h5 -q
check describe 0 "$tyche" describe "$src/models/article.json"
check write_fails 1 prlimit --fsize=100000 "$tyche" run "$src/models/article.json" -n 2000 -t 2 -q \
  --store paths -o failed.h5
[[ $fails -eq 0 ]]
