#!/usr/bin/env bash
# MPI ranks (hybrid with OpenMP threads): `mpirun -np 1, 2, 3` give per-trial
# datasets byte-identical to a 1-thread run and the same summary.  Run by
# scripts/test.sh with TYCHE pointing at the -DTYCHE_MPI=ON build.
source "$(dirname "$0")/../cli/common.bash"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1   # mpirun refuses root otherwise
scen="$TYCHE_SRC/models/article.json"
args=(-n 13000 -s 8 -q)
"$TYCHE" run "$scen" "${args[@]}" -t 1 -o one.h5 && ok || bad "1-thread run"
for np in 1 2 3; do
  for t in 1 2; do
    timeout 300 mpirun --oversubscribe -np $np "$TYCHE" run "$scen" "${args[@]}" -t $t -o np$np-t$t.h5 \
      && ok || bad "mpirun -np $np -t $t"
    same_results one.h5 np$np-t$t.h5 && ok || bad "mpirun -np $np -t $t differs from the 1-thread run"
  done
done
# --store paths: every rank writes its own rows of /paths into the one file as they come
"$TYCHE" run "$scen" "${args[@]}" -t 1 --store paths -o pone.h5 && ok || bad "1-thread run, --store paths"
for np in 2 3; do
  timeout 300 mpirun --oversubscribe -np $np "$TYCHE" run "$scen" "${args[@]}" -t 1 --store paths -o pnp$np.h5 \
    && ok || bad "mpirun -np $np --store paths"
  same_results pone.h5 pnp$np.h5 && ok || bad "mpirun -np $np --store paths differs from the 1-thread run"
done
# --compress: the ranks' independent writes cannot be compressed: refused, with the way out
rc=0
timeout 60 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" "${args[@]}" --compress 4 -o cz.h5 2> err.txt || rc=$?
[[ $rc -ne 0 && $(grep -c -- "--compress only with --checkpoint" err.txt) -eq 1 && ! -e cz.h5 ]] && ok ||
  bad "--compress under mpirun: rc $rc, $(cat err.txt)"
# --store none, and input errors: exit 2 from every rank, said once
timeout 300 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" "${args[@]}" --store none -o none.h5 && ok || bad "mpirun --store none"
rc=0
timeout 60 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" -n 0 -q -o x.h5 2> err.txt || rc=$?
[[ $rc -ne 0 && $(grep -c "expected a whole number of trials" err.txt) -eq 1 ]] && ok || bad "bad input under mpirun: rc $rc, $(cat err.txt)"
# the header and runtime say ranks and threads per rank
$PY -c "import json,sys; t=json.load(open('np2-t1.json'))['runtime']; sys.exit(not (t['ranks'] == 2 and t['threads'] == 1))" &&
  ok || bad "mpirun -np 2 -t 1: runtime says $(grep -A6 '"runtime"' np2-t1.json)"
# progress under mpirun (stderr is mpirun's pipe: --progress asks for it): rank 0 draws
# the whole job's, simulating to 100% and writing
timeout 300 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" -n 300000 -t 1 --progress -o prog.h5 >/dev/null 2>prog.txt &&
  tr '\r' '\n' <prog.txt | grep -q '100.0%  simulating' && grep -q writing prog.txt && ok ||
  bad "mpirun --progress: $(tr '\r' '\n' <prog.txt | tail -3)"
# --checkpoint under mpirun: each rank checkpoints its own parts into the one
# folder; SIGTERM to the ranks (as Slurm sends it at a time limit) stops them
# all at a part boundary (exit 3), and the run resumes under -np 1, 2 or 3 to
# the uninterrupted run's results
ck=(-n 300000 -s 8 -q --checkpoint-every 2)   # 74 parts: time to stop it
"$TYCHE" run "$scen" -n 300000 -s 8 -q -t 1 -o ckone.h5 && ok || bad "1-thread run"
timeout 300 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" "${ck[@]}" -t 1 --checkpoint ckmpi -o ckm.h5 2>ckerr.txt &
mp=$!
for _ in $(seq 1 1500); do
  [[ $(ls ckmpi 2>/dev/null | grep -c '^part-.*h5$') -ge 2 ]] && break
  sleep 0.02
done
for p in $(pgrep -f -- "--checkpoint ckmpi" || true); do
  [[ $(cat /proc/$p/comm 2>/dev/null) == tyche ]] && kill -TERM "$p"
done
rc=0; wait $mp || rc=$?
[[ $rc -ne 0 && ! -e ckm.h5 ]] && grep -q "stopped by a signal" ckerr.txt && ok ||
  bad "mpirun --checkpoint, SIGTERM: exit $rc, $(cat ckerr.txt)"
n=$(ls ckmpi | grep -c '^part-.*h5$' || true)
[[ $n -lt 74 ]] && ok || bad "the stopped MPI run finished all its parts ($n): the test stopped nothing"
cp -r ckmpi ck0; cp -r ckmpi ck1; cp -r ckmpi ck3
for np in 0 1 2 3; do   # 0: the command alone, without mpirun
  d=ckmpi; [[ $np == 0 ]] && d=ck0; [[ $np == 1 ]] && d=ck1; [[ $np == 3 ]] && d=ck3
  rm -f ckm.h5 ckm.json
  if [[ $np == 0 ]]; then
    timeout 300 "$TYCHE" run --resume $d -t 1 && ok || bad "resume without mpirun"
  else
    timeout 300 mpirun --oversubscribe -np $np "$TYCHE" run --resume $d -t 1 && ok || bad "resume under -np $np"
  fi
  same_results ckone.h5 ckm.h5 && ok || bad "resumed under -np $np differs from the 1-thread run"
  [[ ! -e $d ]] && ok || bad "resume under -np $np left $d"
done
$PY -c "import json,sys; t=json.load(open('ckm.json'))['runtime']; sys.exit(not (t['ranks'] == 3 and t['threads'] == 1))" &&
  ok || bad "a checkpointed MPI run's runtime: $(grep -A6 '"runtime"' ckm.json)"
finish
