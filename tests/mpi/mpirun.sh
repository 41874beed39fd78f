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
    $PY - one.h5 np$np-t$t.h5 <<'PY' && ok || bad "mpirun -np $np -t $t differs from the 1-thread run"
import h5py, json, sys
def raw(v):
    return v.tolist() if getattr(v, "dtype", None) is not None and v.dtype.kind == "O" else (
        v.tobytes() if hasattr(v, "tobytes") else v)
def ds(path):
    out = {}
    with h5py.File(path) as f:
        f.visititems(lambda n, o: out.__setitem__(n, raw(o[()])) if isinstance(o, h5py.Dataset) else None)
    return out
a, b = ds(sys.argv[1]), ds(sys.argv[2])
assert a.keys() == b.keys() and not [k for k in a if a[k] != b[k]], [k for k in a if a.get(k) != b.get(k)][:5]
ja, jb = (json.load(open(p[:-3] + ".json")) for p in sys.argv[1:3])
assert all(ja[k] == jb[k] for k in ("statements", "outputs", "events", "joint", "trials", "seed"))
PY
  done
done
# --store none, and input errors: exit 2 from every rank, said once
timeout 300 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" "${args[@]}" --store none -o none.h5 && ok || bad "mpirun --store none"
rc=0
timeout 60 mpirun --oversubscribe -np 2 "$TYCHE" run "$scen" -n 0 -q -o x.h5 2> err.txt || rc=$?
[[ $rc -ne 0 && $(grep -c "expected a whole number of trials" err.txt) -eq 1 ]] && ok || bad "bad input under mpirun: rc $rc, $(cat err.txt)"
finish
