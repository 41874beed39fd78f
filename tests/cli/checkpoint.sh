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

# A damaged or hand-made args file is refused, naming the file and line;
# one that names --resume would otherwise resume itself without end.
mkdir -p bad
printf -- '--resume\nbad\n' >bad/args
expect_exit 2 'bad/args: line 1: --resume' "$TYCHE" run --resume bad
printf -- '%s\n-n\n100\n--checkpoint\nbad' "$scen" >bad/args
expect_exit 2 'bad/args: line 5: no newline at its end' "$TYCHE" run --resume bad
printf -- '%s\n-n\n1\0000\n--checkpoint\nbad\n' "$scen" >bad/args
expect_exit 2 'bad/args: line 3: a NUL byte' "$TYCHE" run --resume bad
printf -- '%s\n-n\n100\n' "$scen" >bad/args
expect_exit 2 'bad/args: expected one --checkpoint among the arguments, found 0' "$TYCHE" run --resume bad
head -c 5000 /dev/zero | tr '\0' x >bad/args; echo >>bad/args
expect_exit 2 'bad/args: line 1: longer than 4096 bytes' "$TYCHE" run --resume bad
expect_exit 2 '--checkpoint: given twice' "$TYCHE" run "$scen" -n 100 -q -o x.h5 --checkpoint c3 --checkpoint c4
[[ ! -e c3 && ! -e c4 ]] && ok || bad "a refused run made a checkpoint folder"
# a checkpoint folder moved elsewhere resumes where it now is
"$TYCHE" run "$scen" -n 81920 -q -o moved.h5 --checkpoint ckm --checkpoint-every 1 >/dev/null 2>&1 &
pid=$!
wait_parts ckm 1 || bad "no checkpoint part written"
kill -KILL $pid; wait $pid 2>/dev/null || true
mv ckm ckm2
"$TYCHE" run --resume ckm2 >/dev/null && [[ -e moved.h5 && ! -e ckm && ! -e ckm2 ]] && ok ||
  bad "a moved checkpoint folder did not resume in place: $(ls)"
expect_exit 2 '--checkpoint: not with --shard' "$TYCHE" run "$scen" -q -o x.h5 --checkpoint c2 --shard 0/2
finish
