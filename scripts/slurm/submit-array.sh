#!/usr/bin/env bash
# Submits a tyche run as a Slurm job array of PARTS tasks (array.sbatch,
# task I writes OUT.parts/part-I.h5) and a merge job (merge.sbatch) that
# starts when every task succeeded; prints both job ids.
#   scripts/slurm/submit-array.sh [--sbatch OPTION]... SCENARIO TRIALS PARTS OUT.h5 [tyche run options...]
# Resubmitting the tasks that failed, timed out or were cancelled (same
# arguments, same parts folder) with a new merge job after them:
#   scripts/slurm/submit-array.sh --tasks 1,3 SCENARIO TRIALS PARTS OUT.h5 [tyche run options...]
# --tasks takes a Slurm array list (e.g. 3,5 or 0-2,7).  A merge job has
# --kill-on-invalid-dep=yes: once a task of its array has failed, Slurm
# cancels it (when the rest of that array has finished) instead of leaving
# it pending for ever.  The new merge waits for the new tasks (afterok) and
# for the earlier arrays of the same run still queued (afterany), whose
# parts it needs too.  --sbatch OPTION (repeatable) goes to the array's
# sbatch, e.g. --sbatch --cpus-per-task=4 --sbatch --time=04:00:00.
# OUT.parts/submit-args keeps the run's arguments (--tasks refuses others)
# and OUT.parts/submit-jobs the job ids.  Run it from the repository root
# (the jobs use build/tyche, or $TYCHE).
set -euo pipefail
usage="usage: submit-array.sh [--tasks LIST] [--sbatch OPTION]... SCENARIO TRIALS PARTS OUT.h5 [tyche run options...]"
die() { echo "submit-array.sh: $*" >&2; exit 2; }
tasks="" full=0 sbatch_opts=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --tasks) [[ $# -ge 2 ]] || die "--tasks needs a list; $usage"; tasks=$2; shift 2 ;;
    --tasks=*) tasks=${1#--tasks=}; shift ;;
    --sbatch) [[ $# -ge 2 ]] || die "--sbatch needs an option; $usage"; sbatch_opts+=("$2"); shift 2 ;;
    --sbatch=*) sbatch_opts+=("${1#--sbatch=}"); shift ;;
    -h|--help) echo "$usage"; exit 0 ;;
    --) shift; break ;;
    -*) die "unknown option $1; $usage" ;;
    *) break ;;
  esac
done
[[ $# -ge 4 ]] || die "$usage"
scenario=$1 trials=$2 parts=$3 out=$4
shift 4
[[ $parts =~ ^[1-9][0-9]*$ ]] || die "PARTS must be a whole number >= 1, not '$parts'"
[[ -f $scenario ]] || die "$scenario: no such scenario file"
parts_dir=${out%.h5}.parts
here=$(cd "$(dirname "$0")" && pwd)
args_file=$parts_dir/submit-args jobs_file=$parts_dir/submit-jobs
args=$(printf '%q\n' "$scenario" "$trials" "$parts" "$@")

after_old=()
if [[ -n $tasks ]]; then
  item='[0-9]+(-[0-9]+)?'
  [[ $tasks =~ ^$item(,$item)*(%[0-9]+)?$ ]] ||
    die "--tasks $tasks: expected task indices and ranges such as 3,5 or 0-2,7"
  for i in $(echo "${tasks%\%*}" | tr ',-' '  '); do
    (( 10#$i < parts )) || die "--tasks $tasks: task $i, but the run has $parts parts (0..$((parts - 1)))"
  done
  [[ -d $parts_dir ]] || die "--tasks: no parts folder $parts_dir (submit the whole run first, without --tasks)"
  if [[ -f $args_file ]]; then
    if [[ $(cat "$args_file") != "$args" ]]; then
      die "--tasks: $parts_dir holds parts of a run with other arguments; resubmit with the same ones:" \
          "$(tr '\n' ' ' < "$args_file")"
    fi
  else
    echo "submit-array.sh: note: $args_file is missing; the arguments are not checked" >&2
  fi
  # earlier arrays of this run still queued: the new merge needs their parts too
  if [[ -f $jobs_file ]]; then
    while read -r kind id _; do
      [[ $kind == array && -n $(squeue -h -j "$id" -o %i 2>/dev/null) ]] && after_old+=("$id")
    done < "$jobs_file"
  fi
else
  tasks=0-$((parts - 1)) full=1
fi

mkdir -p "$parts_dir"
printf '%s\n' "$args" > "$args_file"
if [[ $full -eq 1 ]]; then : > "$jobs_file"; fi   # a new run: earlier job ids are not its

array=$(sbatch --parsable "${sbatch_opts[@]}" --array="$tasks" \
        "$here/array.sbatch" "$scenario" "$trials" "$parts" "$parts_dir" "$@")
array=${array%%;*}
echo "array $array $tasks" >> "$jobs_file"
dep=afterok:$array
if [[ ${#after_old[@]} -gt 0 ]]; then dep+=,afterany:$(IFS=:; echo "${after_old[*]}"); fi
if ! merge=$(sbatch --parsable --kill-on-invalid-dep=yes --dependency="$dep" \
             "$here/merge.sbatch" "$parts_dir" "$out" "$parts"); then
  scancel "$array" || true
  echo "submit-array.sh: the merge job was refused; cancelled array job $array" >&2
  exit 1
fi
merge=${merge%%;*}
echo "merge $merge" >> "$jobs_file"
also=""
if [[ ${#after_old[@]} -gt 0 ]]; then also=" (also after earlier array job(s) ${after_old[*]})"; fi
echo "array job $array (tasks $tasks of $parts parts), merge job $merge$also -> $out"
