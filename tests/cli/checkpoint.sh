#!/usr/bin/env bash
# Checkpoint and resume: a run stopped by SIGTERM (exit 3) or killed by
# SIGKILL mid-way resumes with `tyche run --resume DIR` to results
# byte-identical to an uninterrupted run.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
args=(-n 120000 -s 4 -q --store outputs)


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
  same_results whole.h5 r$sig.h5 && ok || bad "resumed after $sig != uninterrupted"
  [[ ! -e ck$sig ]] && ok || bad "the checkpoint folder was not cleaned up: $(ls ck$sig)"
done

expect_exit 2 '--resume nowhere: no checkpointed run there' "$TYCHE" run --resume nowhere
expect_exit 2 '--checkpoint: not with --shard' "$TYCHE" run "$scen" -q -o x.h5 --checkpoint c2 --shard 0/2
finish
