#!/usr/bin/env bash
# The Slurm job array for real: a one-node cluster (slurmctld + slurmd from
# Debian's slurm-wlm, started here in a scratch folder, auth/none), the
# array of --shard parts and the dependent merge submitted by
# scripts/slurm/submit-array.sh, the merged result compared with a local
# run; then two tasks cancelled mid-run, resubmitted with --tasks and
# merged by a new merge job (the first one cancelled by Slurm, never run),
# again the same bytes as a local run; and the hybrid MPI job.  The daemons
# are stopped by pid whatever happens, every wait is bounded.  Skipped,
# saying so, where Slurm is not installed.
source "$(dirname "$0")/common.bash"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null; then
  echo "skipped: Slurm is not installed (Debian packages slurm-wlm, slurm-wlm-basic-plugins)"
  exit 0
fi
host=$(hostname -s)
D=$work/slurm
mkdir -p $D/state $D/spool $D/tmp
# Another run of this test (ctest -j, a colleague) or a real cluster on the
# same machine must not meet this one: ports of our own, free now (not
# 6817/6818); job ids of our own (PMIx and OpenMPI name their files in /tmp
# and /dev/shm by job id); the jobs' temporary files in our folder.
export TMPDIR=$D/tmp
read -r ctld_port d_port < <($PY -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("", 0))
print(*(x.getsockname()[1] for x in s))')
# two CPUs whatever the machine has (config_overrides): two one-CPU tasks at once
cat > $D/slurm.conf <<CONF
ClusterName=tychetest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
FirstJobId=$((RANDOM * 1000 + 1))
TmpFS=$D/tmp
AuthType=auth/none
CredType=cred/none
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
NodeName=$host NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
SlurmdParameters=config_overrides
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
MailProg=/bin/true
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
ReturnToService=2
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/slurmctld.pid
SlurmdPidFile=$D/slurmd.pid
SlurmctldLogFile=$D/slurmctld.log
SlurmdLogFile=$D/slurmd.log
CONF
export SLURM_CONF=$D/slurm.conf
pids=()
stop_daemons() {
  # the jobs first (their slurmstepd outlives slurmd), at most 10 s
  scancel --quiet --user "$(id -un)" 2>/dev/null || true
  for _ in $(seq 1 50); do
    [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
    sleep 0.2
  done
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_daemons EXIT
slurmctld -D -c -f $SLURM_CONF </dev/null >$D/ctld.out 2>&1 &
pids+=($!)
slurmd -D -N "$host" -f $SLURM_CONF </dev/null >$D/d.out 2>&1 &
pids+=($!)
up=0
for _ in $(seq 1 150); do
  if sinfo -h -o %t 2>/dev/null | grep -q idle; then up=1; break; fi
  sleep 0.2
done
# and it is ours: both daemons alive (one that could not bind its port exits)
for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || up=0; done
if [[ $up -ne 1 ]]; then
  bad "the test cluster did not come up: $(tail -5 $D/slurmctld.log 2>/dev/null) $(tail -5 $D/slurmd.log 2>/dev/null)"
  finish
fi
ok

scen="$TYCHE_SRC/models/article.json"
submit="$TYCHE_SRC/scripts/slurm/submit-array.sh"
export TYCHE
# gone ID [TENTHS]: polls (sbatch --wait backs off to seconds) until job ID
# has left the queue, at most TENTHS/10 s (default 120 s); 1 if it has not
gone() {
  local i
  for ((i = 0; i < ${2:-1200}; i += 2)); do
    [[ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ]] && return 0
    sleep 0.2
  done
  return 1
}
# state ID: the job's final state, while slurmctld still knows it (MinJobAge)
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }

"$TYCHE" run "$scen" -n 20000 -s 6 -q -o local.h5 && ok || bad "local run"
out=$("$submit" "$scen" 20000 4 "$work/arr.h5" -s 6) && ok || bad "submit"
echo "$out"
merge_id=$(echo "$out" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
gone "$merge_id" || bad "the merge job $merge_id is still queued after 120 s"
[[ -f "$work/arr.h5" ]] && ok || bad "no merged result: $(cat tyche-*.out 2>/dev/null | tail -5) $(squeue 2>&1 | tail -3)"
same_results local.h5 arr.h5 && ok || bad "the job array's result differs from the local run"

# what submit-array.sh and array.sbatch refuse, before anything is queued
expect_exit 2 'task 4, but the run has 4 parts' "$submit" --tasks 1,4 "$scen" 20000 4 "$work/arr.h5" -s 6
expect_exit 2 'expected task indices and ranges' "$submit" --tasks 1:3 "$scen" 20000 4 "$work/arr.h5" -s 6
expect_exit 2 'holds parts of a run with other arguments' "$submit" --tasks 1 "$scen" 20000 4 "$work/arr.h5" -s 7
expect_exit 2 'no parts folder' "$submit" --tasks 1 "$scen" 20000 4 "$work/none.h5" -s 6
expect_exit 2 'usage: array.sbatch SCENARIO TRIALS PARTS PARTS_DIR' env SLURM_ARRAY_TASK_ID=0 bash "$TYCHE_SRC/scripts/slurm/array.sbatch" "$scen" 20000 parts
expect_exit 2 'PARTS must be a whole number' env SLURM_ARRAY_TASK_ID=0 bash "$TYCHE_SRC/scripts/slurm/array.sbatch" "$scen" 20000 four parts
expect_exit 2 'task 5 of a run in 4 parts' env SLURM_ARRAY_TASK_ID=5 bash "$TYCHE_SRC/scripts/slurm/array.sbatch" "$scen" 20000 4 parts
mkdir gaps && cp arr.parts/part-0.h5 arr.parts/part-2.h5 gaps/
expect_exit 1 'gaps lacks part(s) 1,3 of 4: resubmit them with scripts/slurm/submit-array.sh --tasks 1,3' \
  bash "$TYCHE_SRC/scripts/slurm/merge.sbatch" gaps gaps.h5 4

# Two tasks cancelled mid-run and resubmitted.  1.2 million trials a part
# (about 3 s on an idle core), --store none (small files), one CPU a task:
# two of the four run at once on this 2-CPU node.
n=4800000
t0=$SECONDS
"$TYCHE" run "$scen" -n $n -s 6 -q --store none -o bigl.h5 && ok || bad "local run of $n trials"
echo "local run of $n trials: $((SECONDS - t0)) s"
t0=$SECONDS
big=("$scen" "$n" 4 "$work/big.h5" -s 6 --store none)
out=$("$submit" --sbatch --cpus-per-task=1 "${big[@]}") && ok || bad "submit the big array"
echo "$out"
array=$(echo "$out" | sed -n 's/^array job \([0-9]*\).*/\1/p')
merge1=$(echo "$out" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
# until two tasks are RUNNING and their tyche processes have started
run=()
for _ in $(seq 1 150); do
  mapfile -t run < <(squeue -h -j "$array" -t RUNNING -o %K 2>/dev/null | sort -n)
  if [[ ${#run[@]} -ge 2 ]]; then
    procs=$(ps -eo args)
    if grep -qF -- "-o $work/big.parts/part-${run[0]}.h5" <<<"$procs" &&
       grep -qF -- "-o $work/big.parts/part-${run[1]}.h5" <<<"$procs"; then
      break
    fi
  fi
  sleep 0.2
done
if [[ ${#run[@]} -lt 2 ]]; then
  bad "two tasks of array $array never ran at once: $(squeue 2>&1)"
  finish
  exit 1
fi
cancel=("${run[0]}" "${run[1]}")
sleep 1                                    # well inside their 3 s or more
scancel "${array}_${cancel[0]}" "${array}_${cancel[1]}" && ok || bad "scancel"
echo "cancelled tasks ${cancel[*]} of $array at $((SECONDS - t0)) s"
for t in "${cancel[@]}"; do
  gone "${array}_$t" 100 || bad "cancelled task $t still queued after 10 s"
  st=$(state "${array}_$t")
  [[ $st == CANCELLED ]] && ok || bad "task $t: $st, not CANCELLED (finished before the scancel?)"
  [[ ! -e big.parts/part-$t.h5 && ! -e big.parts/part-$t.json ]] && ok || bad "cancelled task $t left a part: $(ls big.parts)"
done
# tyche writes under temporary names (*.tmp.PID, *.part.PID) and renames;
# reported here, not failed on: removing them on SIGTERM is tyche's business
left=$(ls big.parts | grep -vE '^(part-[0-9]+\.(h5|json)|submit-args|submit-jobs)$' || true)
[[ -z $left ]] && echo "cancelled tasks left no temporary files" || echo "note: cancelled tasks left: $left"
[[ $(squeue -h -j "$merge1" -o %T 2>/dev/null) == PENDING ]] && ok || bad "the first merge $merge1 is not pending: $(squeue 2>&1)"

list=$(IFS=,; echo "${cancel[*]}")
out=$("$submit" --tasks "$list" --sbatch --cpus-per-task=1 "${big[@]}") && ok || bad "resubmit --tasks $list"
echo "$out"
merge2=$(echo "$out" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
# the rest of the first array is still running: the new merge waits for it too
[[ $out == *"also after earlier array job(s) $array"* ]] && ok || bad "the new merge does not wait for array $array"
gone "$merge2" || bad "the new merge $merge2 is still queued after 120 s: $(squeue 2>&1)"
gone "$merge1" 100 || bad "the first merge $merge1 is still queued: $(squeue 2>&1)"
echo "resubmitted and merged at $((SECONDS - t0)) s; the parts ran for (h:m:s)" \
     $(for t in 0 1 2 3; do scontrol show job "${array}_$t" 2>/dev/null | sed -n "s/.*RunTime=\([0-9:]*\).*/$t:\1/p"; done)
[[ $(state "$merge2") == COMPLETED ]] && ok || bad "the new merge: $(state "$merge2") $(cat tyche-merge-$merge2.out 2>/dev/null | tail -3)"
# cancelled by Slurm (--kill-on-invalid-dep) once its array had failed, never started
[[ $(state "$merge1") == CANCELLED ]] && ok || bad "the first merge $merge1: $(state "$merge1"), not CANCELLED"
scontrol show job "$merge1" | grep -q 'Reason=DependencyNeverSatisfied' && ok || bad "the first merge: $(scontrol show job "$merge1" | grep Reason)"
[[ ! -e tyche-merge-$merge1.out ]] && ok || bad "the first merge ran: $(cat tyche-merge-$merge1.out)"
same_results bigl.h5 big.h5 && ok || bad "the resubmitted array's result differs from the local run"

# the hybrid MPI + OpenMP job (srun --mpi=pmix), where the MPI build exists
mpi_bin=${TYCHE_MPI:-$TYCHE_SRC/build-mpi/tyche}
if [[ -x "$mpi_bin" ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  id=$(TYCHE_MPI_BIN="$mpi_bin" sbatch --parsable --ntasks=2 --cpus-per-task=1 \
       "$TYCHE_SRC/scripts/slurm/hybrid.sbatch" "$scen" 20000 "$work/hyb.h5" -s 6) && ok || bad "sbatch hybrid"
  gone "$id" || bad "the hybrid job $id is still queued after 120 s"
  $PY - <<'PY' && ok || bad "the hybrid job's result differs from the local run: $(cat tyche-hybrid-*.out 2>/dev/null | tail -5)"
import h5py, json
a, b = json.load(open("local.json")), json.load(open("hyb.json"))
for k in ("statements", "outputs", "events", "joint", "trials", "seed"):
    assert a[k] == b[k], k
with h5py.File("local.h5") as f, h5py.File("hyb.h5") as g:
    for k in ("P1", "P3", "option.h0", "revenue.slowdown_pp"):
        assert f[k][()].tobytes() == g[k][()].tobytes(), k
PY
else
  echo "skipped the hybrid MPI job: no MPI build at $mpi_bin (scripts/build.sh build-mpi -DTYCHE_MPI=ON)"
fi
finish
