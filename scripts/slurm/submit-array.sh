#!/usr/bin/env bash
# Submits a tyche run as a Slurm job array of PARTS tasks and a merge job
# that waits for all of them (afterok): prints both job ids.
#   scripts/slurm/submit-array.sh SCENARIO TRIALS PARTS OUT.h5 [tyche run options...]
# Run it from the repository root (the jobs use build/tyche, or $TYCHE).
set -euo pipefail
scenario=$1 trials=$2 parts=$3 out=$4
shift 4
parts_dir=${out%.h5}.parts
here=$(cd "$(dirname "$0")" && pwd)
array=$(sbatch --parsable --array=0-$((parts - 1)) "$here/array.sbatch" "$scenario" "$trials" "$parts_dir" "$@")
merge=$(sbatch --parsable --dependency=afterok:"$array" "$here/merge.sbatch" "$parts_dir" "$out")
echo "array job $array ($parts parts), merge job $merge -> $out"
