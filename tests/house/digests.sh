#!/usr/bin/env bash
# Runs every command that writes results on the article at a fixed seed and prints
# one digest line per output file (tests/house/canon.py: the content, less timings
# and the command line). A refactor that must not change results compares this
# list before and after:
#   tests/house/digests.sh TYCHE MODELS_DIR WORK_DIR > digests.txt
# MODELS_DIR holds article.json and data/ (keep one copy for both runs: the
# scenario's text is part of every output).
set -euo pipefail
T=$(realpath "$1"); M=$(realpath "$2"); W=$3
here=$(dirname "$(realpath "$0")")
rm -rf "$W"; mkdir -p "$W"; cd "$W"
a="$M/article.json"
# The one spelling of the result-file flags (-o and the summary's) changed in 0.2:
# TYCHE_SUMMARY_FLAG and TYCHE_TARGET_FLAG let this script drive older binaries.
S=${TYCHE_SUMMARY_FLAG:---summary}; TG=${TYCHE_TARGET_FLAG:---target}
run() { "$T" "$@" -q >/dev/null; }
run run "$a" -n 30000 -s 7 -t 2 --store none -o none.h5
run run "$a" -n 30000 -s 7 -t 2 --store outputs -o outputs.h5
run run "$a" -n 30000 -s 7 -t 2 --store paths -o paths.h5
run run "$a" -n 30000 -s 7 -t 2 --sampling lhs --replicates 10 -o lhs.h5
run run "$a" -n 30000 -s 7 -t 2 --sampling qmc --replicates 10 -o qmc.h5
run run "$a" -s 7 -t 2 --precision 0.01 --max-trials 400000 -o precision.h5
for i in 0 1 2; do run run "$a" -n 30000 -s 7 -t 2 --shard $i/3 -o part$i.h5; done
run merge part2.h5 part0.h5 part1.h5 -o merged.h5
for i in 0 1; do run run "$a" -n 30000 -s 7 -t 2 --store paths --shard $i/2 -o ppart$i.h5; done
run merge ppart1.h5 ppart0.h5 -o pmerged.h5
run run "$a" -n 30000 -s 7 -t 2 --checkpoint ck --checkpoint-every 3 -o ckpt.h5
run tornado "$a" -n 4000 -s 7 -t 2 -o tornado.h5
run sweep "$a" -n 4000 -s 7 -t 2 --grid option.q=0,0.1 --grid exclusivity.hx0=0.02,0.2 -o sweep.h5
run sobol "$a" --base 300 --bootstrap 50 -s 7 -t 2 $TG revenue.slowdown_pp -o sobol.h5
run backtest "$a" --model revenue --origins FY2025Q1..FY2025Q4 --horizon 2 -n 500 -s 7 -t 2 -o backtest.h5
cat > outcomes.json <<'J'
{"scenario": "article", "outcomes": {
  "P1": {"outcome": false, "resolved": "2027-06-30"},
  "P2": {"outcome": true, "resolved": "2027-10-20"}}}
J
"$T" score outputs.json outcomes.json $S score.json >/dev/null
"$here/canon.py" $(ls *.h5 *.json | grep -v '^outcomes.json$' | sort)
