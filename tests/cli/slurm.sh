#!/usr/bin/env bash
# The Slurm job array for real: a one-node cluster (slurmctld + slurmd from
# Debian's slurm-wlm, started here in a scratch folder, auth/none), the
# array of --shard parts and the dependent merge submitted by
# scripts/slurm/submit-array.sh, the merged result compared with a local
# run.  The daemons are stopped by pid whatever happens.  Skipped, saying
# so, where Slurm is not installed.
source "$(dirname "$0")/common.bash"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null; then
  echo "skipped: Slurm is not installed (Debian packages slurm-wlm, slurm-wlm-basic-plugins)"
  exit 0
fi
host=$(hostname -s)
D=$work/slurm
mkdir -p $D/state $D/spool
cat > $D/slurm.conf <<CONF
ClusterName=tychetest
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/none
CredType=cred/none
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
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
  scancel --quiet --user "$(id -un)" 2>/dev/null || true
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
if [[ $up -ne 1 ]]; then
  bad "the test cluster did not come up: $(tail -5 $D/slurmctld.log 2>/dev/null) $(tail -5 $D/slurmd.log 2>/dev/null)"
  finish
fi
ok

scen="$TYCHE_SRC/models/article.json"
"$TYCHE" run "$scen" -n 20000 -s 6 -q -o local.h5 && ok || bad "local run"
out=$(TYCHE="$TYCHE" "$TYCHE_SRC/scripts/slurm/submit-array.sh" "$scen" 20000 4 "$work/arr.h5" -s 6) && ok || bad "submit"
echo "$out"
merge_id=$(echo "$out" | sed -n 's/.*merge job \([0-9]*\).*/\1/p')
# poll (sbatch --wait backs off to seconds): until the merge job has left the queue
for _ in $(seq 1 600); do
  [[ -z "$(squeue -h -j "$merge_id" 2>/dev/null)" ]] && break
  sleep 0.2
done
[[ -f "$work/arr.h5" ]] && ok || bad "no merged result: $(cat tyche-*.out 2>/dev/null | tail -5) $(squeue 2>&1 | tail -3)"
$PY - <<'PY' && ok || bad "the job array's result differs from the local run"
import json
a, b = json.load(open("local.json")), json.load(open("arr.json"))
for k in ("statements", "outputs", "events", "joint", "trials", "seed"):
    assert a[k] == b[k], k
PY

# the hybrid MPI + OpenMP job (srun --mpi=pmix), where the MPI build exists
mpi_bin="$TYCHE_SRC/build-mpi/tyche"
if [[ -x "$mpi_bin" ]]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  id=$(TYCHE_MPI_BIN="$mpi_bin" sbatch --parsable --ntasks=2 --cpus-per-task=1 \
       "$TYCHE_SRC/scripts/slurm/hybrid.sbatch" "$scen" 20000 "$work/hyb.h5" -s 6) && ok || bad "sbatch hybrid"
  for _ in $(seq 1 600); do
    [[ -z "$(squeue -h -j "$id" 2>/dev/null)" ]] && break
    sleep 0.2
  done
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
