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
# --store none, and input errors: exit 2 from every rank, said once
timeout 300 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" "${args[@]}" --store none -o none.h5 && ok || bad "mpirun --store none"
rc=0
timeout 60 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" -n 0 -q -o x.h5 2> err.txt || rc=$?
[[ $rc -ne 0 && $(grep -c "expected a whole number of trials" err.txt) -eq 1 ]] && ok || bad "bad input under mpirun: rc $rc, $(cat err.txt)"
finish
