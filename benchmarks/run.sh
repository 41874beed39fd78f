#!/usr/bin/env bash
# Throughput of `tyche run` on a scenario: trials per second at 1 thread and
# at every thread count up to all cores, with --store none and outputs, each
# the median of R runs (with min and max), and the parallel efficiency
# against the 1-thread median measured in the same invocation.
#   benchmarks/run.sh [-n TRIALS] [-r RUNS] [-s SCENARIO]
set -euo pipefail
cd "$(dirname "$0")/.."
n=1000000 runs=5 scen=models/article.json
while getopts "n:r:s:" o; do
  case $o in n) n=$OPTARG ;; r) runs=$OPTARG ;; s) scen=$OPTARG ;; *) exit 2 ;; esac
done
scripts/deps.sh build
scripts/build.sh build
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cores=$(nproc)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "scenario: $scen, $n trials, median of $runs runs, $(date -u +%Y-%m-%d)"
printf '%-8s %-8s %14s %14s %14s %11s\n' store threads "median tr/s" "min tr/s" "max tr/s" efficiency
for store in none outputs; do
  base=""
  for t in $(seq 1 "$cores"); do
    rates=()
    for _ in $(seq 1 "$runs"); do
      build/tyche run "$scen" -n "$n" -t "$t" -q --store "$store" -o "$tmp/b.h5"
      rates+=("$(/usr/bin/python3 -c "import json; print(json.load(open('$tmp/b.json'))['runtime']['trials_per_second'])")")
    done
    read -r med lo hi < <(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}')
    [[ -n $base ]] || base=$med
    eff=$(awk -v m="$med" -v b="$base" -v t="$t" 'BEGIN {printf "%.0f%%", 100 * m / (b * t)}')
    printf '%-8s %-8s %14.0f %14.0f %14.0f %11s\n' "$store" "$t" "$med" "$lo" "$hi" "$eff"
  done
done
