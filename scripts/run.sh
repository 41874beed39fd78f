#!/usr/bin/env bash
# The main job: installs what is missing, builds, and runs the article's
# forecast.  Extra arguments go to `tyche run` (e.g. -n 1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
scripts/build.sh build
scenario=${TYCHE_SCENARIO:-models/article.json}
name=$(basename "$scenario" .json)
mkdir -p results
exec build/tyche run "$scenario" -o "results/$name.h5" "$@"
