#!/usr/bin/env bash
# The libFuzzer targets in tests/fuzz/ (clang, ASan+UBSan), built into build-fuzz/.
#   scripts/fuzz.sh [SECONDS] [TARGET...]  fuzz each target for SECONDS (default 60):
#                                          new inputs go to build-fuzz/corpus/TARGET,
#                                          a crash to build-fuzz/crashes/ (exit 1)
#   scripts/fuzz.sh --replay               run every kept input once (tests/fuzz/corpus
#                                          and tests/fuzz/regressions): what CI does
#   scripts/fuzz.sh --keep TARGET...       fold build-fuzz/corpus/TARGET into the kept
#                                          corpus, minimised by coverage
# Targets: scenario (scenario JSON), set (--set/--as-of values), outcomes (score's
# outcome files), merge (shard and checkpoint-part HDF5 files), resume (DIR/args).
# Kept inputs ending in .gz are unpacked first (HDF5 files are mostly zeros).
set -euo pipefail
cd "$(dirname "$0")/.."
all=(scenario set outcomes merge resume)
mode=fuzz secs=60
case "${1:-}" in
  --replay) mode=replay; shift ;;
  --keep) mode=keep; shift ;;
  '' | *[!0-9]*) ;;
  *) secs=$1; shift ;;
esac
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=("${all[@]}")
for t in "${targets[@]}"; do
  [[ " ${all[*]} " == *" $t "* ]] || { echo "fuzz.sh: unknown target \"$t\" (one of: ${all[*]})" >&2; exit 2; }
done

scripts/deps.sh test
CC=clang scripts/build.sh build-fuzz -DTYCHE_FUZZ=ON
bin=build-fuzz/tests/fuzz
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# unpack DIR...: the kept inputs of the folders, .gz ones unpacked, in one folder
unpack() {
  local out=$scratch/in-$RANDOM$RANDOM f
  mkdir -p "$out"
  for d in "$@"; do
    [[ -d $d ]] || continue
    for f in "$d"/*; do
      [[ -f $f ]] || continue
      case $f in
        *.gz) gzip -dc "$f" >"$out/$(basename "${f%.gz}")" ;;
        *) cp "$f" "$out/" ;;
      esac
    done
  done
  echo "$out"
}

opts() { # libFuzzer options per target
  local t=$1
  echo "-timeout=10 -rss_limit_mb=2048"
  [[ $t == scenario ]] && echo "-dict=tests/fuzz/scenario.dict"
  return 0
}

for t in "${targets[@]}"; do
  # libhdf5's own leaks on damaged files: see tests/fuzz/lsan-hdf5.supp
  if [[ $t == merge ]]; then
    export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan-hdf5.supp"
  else
    export LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp"
  fi
  kept=$(unpack "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t")
  case $mode in
    replay)
      n=$(ls "$kept" | wc -l)
      # shellcheck disable=SC2046
      "$bin/fuzz_$t" $(opts "$t") -runs=0 "$kept" >"$scratch/$t.log" 2>&1 ||
        { cat "$scratch/$t.log" >&2; echo "fuzz.sh: $t: a kept input fails" >&2; exit 1; }
      echo "fuzz_$t: $n kept inputs replayed, all clean"
      ;;
    fuzz)
      mkdir -p "build-fuzz/corpus/$t" build-fuzz/crashes
      # shellcheck disable=SC2046
      if ! "$bin/fuzz_$t" $(opts "$t") -max_total_time="$secs" -print_final_stats=1 \
          -artifact_prefix="build-fuzz/crashes/$t-" "build-fuzz/corpus/$t" "$kept" \
          >"$scratch/$t.log" 2>&1; then
        tail -n 60 "$scratch/$t.log" >&2
        echo "fuzz.sh: $t: crash; input in build-fuzz/crashes/ (fix it, then keep it in" \
             "tests/fuzz/regressions/$t/)" >&2
        exit 1
      fi
      echo "fuzz_$t: ${secs} s, $(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$t.log") inputs," \
           "coverage $(grep -o 'cov: [0-9]*' "$scratch/$t.log" | tail -n 1), no crash"
      ;;
    keep)
      if [[ $t == merge ]]; then
        echo "fuzz_merge: its kept inputs are the seeds and regressions (HDF5 files, kept gzipped)"
        continue
      fi
      # shellcheck disable=SC2046
      "$bin/fuzz_$t" $(opts "$t") -merge=1 "tests/fuzz/corpus/$t" "build-fuzz/corpus/$t" \
        >"$scratch/$t.log" 2>&1 || { tail -n 20 "$scratch/$t.log" >&2; exit 1; }
      echo "fuzz_$t: kept corpus now $(ls "tests/fuzz/corpus/$t" | wc -l) inputs"
      ;;
  esac
done
