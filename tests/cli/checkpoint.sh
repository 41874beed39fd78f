#!/usr/bin/env bash
# Checkpoint and resume: a run stopped by SIGTERM (exit 3) or killed by
# SIGKILL mid-way resumes with `tyche run --resume DIR` to results
# byte-identical to an uninterrupted run.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
args=(-n 120000 -s 4 -q --store outputs)

same() { # A.h5 B.h5
  $PY - "$1" "$2" <<'PY'
import h5py, json, sys
def raw(v):
    return v.tolist() if getattr(v, "dtype", None) is not None and v.dtype.kind == "O" else (
        v.tobytes() if hasattr(v, "tobytes") else v)
def ds(path):
    out = {}
    with h5py.File(path) as f:
        f.visititems(lambda name, o: out.__setitem__(name, raw(o[()])) if isinstance(o, h5py.Dataset) else None)
    return out
a, b = ds(sys.argv[1]), ds(sys.argv[2])
assert a.keys() == b.keys() and not [k for k in a if a[k] != b[k]]
ja, jb = json.load(open(sys.argv[1][:-3] + ".json")), json.load(open(sys.argv[2][:-3] + ".json"))
assert all(ja[k] == jb[k] for k in ("statements", "outputs", "events", "joint", "trials", "seed"))
PY
}

# wait_parts DIR N: until N part files exist (at most 30 s)
wait_parts() {
  for _ in $(seq 1 1500); do
    [[ $(ls "$1" 2>/dev/null | grep -c '^part-.*h5$') -ge $2 ]] && return 0
    sleep 0.02
  done
  return 1
}

"$TYCHE" run "$scen" "${args[@]}" -o whole.h5 && ok || bad "uninterrupted run"

for sig in TERM KILL; do
  "$TYCHE" run "$scen" "${args[@]}" -o r$sig.h5 --checkpoint ck$sig --checkpoint-every 2 &
  pid=$!
  wait_parts ck$sig 4 || bad "no checkpoint parts appeared"
  kill -$sig $pid
  rc=0
  wait $pid || rc=$?
  if [[ $sig == TERM ]]; then
    [[ $rc -eq 3 ]] && ok || bad "SIGTERM: exit $rc, wanted 3"
  else
    [[ $rc -eq 137 ]] && ok || bad "SIGKILL: exit $rc, wanted 137"
  fi
  [[ ! -e r$sig.h5 ]] && ok || bad "$sig: a stopped run left its result"
  "$TYCHE" run --resume ck$sig && ok || bad "resume after $sig"
  same whole.h5 r$sig.h5 && ok || bad "resumed after $sig != uninterrupted"
  [[ ! -e ck$sig ]] && ok || bad "the checkpoint folder was not cleaned up: $(ls ck$sig)"
done

expect_exit 2 '--resume nowhere: no checkpointed run there' "$TYCHE" run --resume nowhere
expect_exit 2 '--checkpoint: not with --shard' "$TYCHE" run "$scen" -q -o x.h5 --checkpoint c2 --shard 0/2
finish
