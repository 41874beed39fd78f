#!/usr/bin/env bash
# Thread scaling on a many-core machine that may lack tyche's libraries:
# runs build-dev/tyche_bench (copied there with every shared library it
# needs, the loader included, by the steps in benchmarks/README.md) at 1, 2,
# 4, 8 and 16 threads, median of 3 runs, and prints the parallel efficiency
# against the 1-thread median of the same invocation.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-4000000}
run() { build-dev/lib/ld-linux-x86-64.so.2 --library-path build-dev/lib build-dev/tyche_bench models/article.json "$@"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "$n trials, median of 3, OMP_PROC_BIND=close OMP_PLACES=cores"
export OMP_PROC_BIND=close OMP_PLACES=cores
base=""
printf '%-8s %14s %11s\n' threads "median tr/s" efficiency
for t in 1 2 4 8 16; do
  med=$(for _ in 1 2 3; do run "$n" "$t"; done | sort -g | sed -n 2p)
  [[ -n $base ]] || base=$med
  printf '%-8s %14s %11s\n' "$t" "$med" "$(awk -v m="$med" -v b="$base" -v t="$t" 'BEGIN {printf "%.0f%%", 100 * m / (b * t)}')"
done
printf 'floor (draws only), 1 thread: %s tr/s; 16 threads: %s tr/s\n' "$(run "$n" 1 floor)" "$(run "$n" 16 floor)"
