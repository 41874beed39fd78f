#!/usr/bin/env bash
# The main job: installs what is missing, builds, runs the article's
# forecast (paths stored, for the fan chart) and draws its figures beside
# the results.  Extra arguments go to `tyche run` (e.g. -n 1000000; a later
# --store replaces the default).  TYCHE_SCENARIO picks another scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh run
scripts/build.sh build
scenario=${TYCHE_SCENARIO:-models/article.json}
name=$(basename "$scenario" .json)
# the figures' folder too is checked before the run: a run must not be lost to it
mkdir -p results "results/${name}_plots"
if [[ ! -w "results/${name}_plots" ]]; then
  echo "run.sh: results/${name}_plots: cannot write the figures there" >&2
  exit 1
fi
build/tyche run "$scenario" -o "results/$name.h5" --store paths "$@"
echo
echo "figures:"
/usr/bin/python3 scripts/plot.py "results/$name.h5" -o "results/${name}_plots"
