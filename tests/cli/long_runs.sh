#!/usr/bin/env bash
# Long runs lose nothing: the ways a checkpointed, interrupted or
# precision-capped run lost work or said too little, each as a user met it
# (the numbers are those of the issue that reported them).  MPI with
# --checkpoint is in tests/mpi/mpirun.sh, --shard with --store paths in
# shards.sh, the Slurm resubmit recipe in slurm.sh.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"

# wait_for GLOB: until a file matching it exists (at most 30 s)
wait_for() {
  for _ in $(seq 1 1500); do
    compgen -G "$1" >/dev/null && return 0
    sleep 0.02
  done
  return 1
}
# stop_after_a_part DIR OUT CMD...: run CMD (a run checkpointed in DIR, writing OUT.h5 and
# OUT.json) in the background and SIGTERM it once a part is in DIR; it must exit 3.  On a fast
# machine, or a loaded one that delays this shell, the run can end before the signal reaches
# it: its results are then removed and it is started again (at most 5 times) rather than the
# test failing on timing
stop_after_a_part() {
  local dir=$1 out=$2 rc try
  shift 2
  for try in 1 2 3 4 5; do
    "$@" &
    local pid=$!
    wait_for "$dir/part-*.h5" || { kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null; return 1; }
    kill -TERM $pid 2>/dev/null || true
    rc=0; wait $pid || rc=$?
    [[ $rc -eq 3 ]] && return 0
    [[ $rc -eq 0 && ! -e $dir ]] || { echo "stop_after_a_part: exit $rc" >&2; return 1; }
    echo "stop_after_a_part: the run ended before the signal (try $try); again" >&2
    rm -f "$out.h5" "$out.json"
  done
  return 1
}
listing() { (cd "$1" && ls -l --time-style=+%s | sort && cat args && md5sum part-* 2>/dev/null); }

args=(-n 300000 -s 4 -q --checkpoint-every 8)
"$TYCHE" run "$scen" -n 300000 -s 4 -q -o whole.h5 && ok || bad "uninterrupted run"

# 1. A checkpoint folder belongs to one run.
stop_after_a_part ck a "$TYCHE" run "$scen" "${args[@]}" -o a.h5 --checkpoint ck && ok || bad "1: SIGTERM after a part did not exit 3"
before=$(listing ck)
start=$(date +%s.%N)
expect_exit 2 "--checkpoint ck: holds the parts of another run (its seed is 4, this run's is 2)" \
  "$TYCHE" run "$scen" -n 300000 -s 2 -q --checkpoint-every 8 -o b.h5 --checkpoint ck
expect_exit 2 "its --checkpoint-every is 8, this run's is 4" \
  "$TYCHE" run "$scen" -n 300000 -s 4 -q --checkpoint-every 4 -o b.h5 --checkpoint ck
awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 5) }' && ok || bad "1: the refusals were not made before the trials"
[[ "$(listing ck)" == "$before" ]] && ok || bad "1: a refused run changed the folder"
[[ ! -e b.h5 && ! -e b.json ]] && ok || bad "1: a refused run wrote results"
# a changed scenario file is another run too
cp -r "$TYCHE_SRC/models" mine
stop_after_a_part ckm m "$TYCHE" run mine/article.json -n 300000 -q --checkpoint-every 8 -o m.h5 --checkpoint ckm ||
  bad "1: the changed scenario's run was not stopped"
sed -i 's/"title": "/"title": "changed: /' mine/article.json
expect_exit 2 "--resume ckm: not the run that started there (its scenario (its text, by SHA-256) is" "$TYCHE" run --resume ckm
# a folder with a run's args but no identity (an older tyche's, or damaged) is not guessed at
mkdir old; printf -- 'run\n%s\n-n\n4096\n--checkpoint\nold\n' "$scen" >old/args
expect_exit 2 "--checkpoint old: has the args of a run but no readable identity" \
  "$TYCHE" run "$scen" -n 4096 -s 2 -q -o o.h5 --checkpoint old
[[ -e old/args && ! -e o.h5 ]] && ok || bad "1: a folder without identity was used"
# nor is a folder of other files (its part-*.h5 would be removed at the end)
mkdir mixed; touch mixed/part-1.h5 mixed/notes.txt
expect_exit 2 "--checkpoint mixed: holds other files" "$TYCHE" run "$scen" -n 4096 -q -o x.h5 --checkpoint mixed
[[ -e mixed/part-1.h5 && -e mixed/notes.txt ]] && ok || bad "1: a folder of other files was touched"
# the run's files are absolute in DIR/args: a resume from elsewhere finishes the same run
stop_after_a_part ckaway away "$TYCHE" run "$scen" "${args[@]}" -o away.h5 --checkpoint ckaway || bad "1: the run to resume elsewhere was not stopped"
mkdir elsewhere
(cd elsewhere && "$TYCHE" run --resume ../ckaway -q) && [[ -e away.h5 && ! -e elsewhere/away.h5 ]] &&
  same_results whole.h5 away.h5 && ok || bad "1: a resume from another folder: $(ls . elsewhere)"
# two resumes of one folder: the second is refused, naming the first's pid
"$TYCHE" run --resume ck -t 1 &
pid=$!
# once the lock file names it, the first resume holds the folder
for _ in $(seq 1 1500); do grep -qs "pid $pid " ck/lock && break; sleep 0.02; done
expect_exit 2 "--checkpoint ck: in use by another run (pid $pid on" "$TYCHE" run --resume ck
rc=0; wait $pid || rc=$?
[[ $rc -eq 0 ]] && ok || bad "1: the first resume failed: exit $rc"
same_results whole.h5 a.h5 && ok || bad "1: the first run, resumed, differs from an uninterrupted one"
[[ ! -e ck ]] && ok || bad "1: the folder was not removed after the resume"

# 2. --resume anywhere; only flags that cannot change the results.
for form in "--resume ck2 -t 1" "-t 1 --resume ck2 -q" "-q --log log.jsonl --resume ck2"; do
  stop_after_a_part ck2 r2 "$TYCHE" run "$scen" "${args[@]}" -o r2.h5 --checkpoint ck2 || bad "2: the run was not stopped"
  # shellcheck disable=SC2086
  "$TYCHE" run $form >/dev/null && ok || bad "2: tyche run $form failed"
  same_results whole.h5 r2.h5 && ok || bad "2: tyche run $form: results differ"
  rm -f r2.h5 r2.json
done
[[ $(wc -l <log.jsonl) -eq 1 ]] && ok || bad "2: --log with --resume did not log once"
expect_exit 2 "--resume: needs a value" "$TYCHE" run --resume
stop_after_a_part ck2 r2 "$TYCHE" run "$scen" "${args[@]}" -o r2.h5 --checkpoint ck2 || bad "2: the run was not stopped"
expect_exit 2 "--resume ck2: -n cannot be changed: the run's own is -n 300000" "$TYCHE" run --resume ck2 -n 5
expect_exit 2 "--resume ck2: --seed cannot be changed: the run's own is -s 4" "$TYCHE" run --resume ck2 --seed 9
expect_exit 2 "--resume ck2: --set cannot be changed: the run did not give it" "$TYCHE" run --resume ck2 --set option.q=0.1
expect_exit 2 "--resume ck2: --sampling cannot be changed" "$TYCHE" run --resume ck2 --sampling lhs
expect_exit 2 "--resume ck2: --as-of cannot be changed" "$TYCHE" run --resume ck2 --as-of 2026-06-01
expect_exit 2 "the scenario comes from ck2/args" "$TYCHE" run "$scen" --resume ck2
"$TYCHE" run --resume ck2 >/dev/null && same_results whole.h5 r2.h5 && ok || bad "2: resume after the refusals"

# 6. Interrupts while simulating end the run at once, with nothing left behind
# (env --default-signal: a shell starts background jobs with SIGINT ignored, and tyche keeps
# an ignored signal ignored, as nohup expects)
env --default-signal=INT "$TYCHE" run "$scen" -n 50000000 -q --store none -o sim.h5 &
pid=$!
sleep 1
kill -INT $pid 2>/dev/null || true
rc=0; wait $pid || rc=$?
[[ $rc -eq 130 && -z "$(ls | grep -E '^sim\.' || true)" ]] && ok || bad "6: SIGINT while simulating: exit $rc, $(ls)"
#    Interrupts while writing remove the temporary files; kill -9's are
#    recognised by the next run and removed.
for sig in INT TERM; do
  env --default-signal=INT "$TYCHE" run "$scen" -n 400000 -q --store paths --compress 9 -o big.h5 &
  pid=$!
  wait_for 'big.h5.tmp.*' || bad "6: no temporary file appeared"
  kill -$sig $pid 2>/dev/null || true
  rc=0; wait $pid || rc=$?
  want=$((128 + $([[ $sig == INT ]] && echo 2 || echo 15)))
  [[ $rc -eq $want ]] && ok || bad "6: SIG$sig while writing: exit $rc, wanted $want"
  left=$(ls | grep -E '^big\.(h5|json)' || true)
  [[ -z "$left" ]] && ok || bad "6: SIG$sig while writing left: $left"
done
"$TYCHE" run "$scen" -n 400000 -q --store paths --compress 9 -o big.h5 &
pid=$!
wait_for 'big.h5.tmp.*' || bad 'no temporary file'
kill -KILL $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
left=$(ls | grep -E '^big\.(h5|json)\.tmp\.' || true)
[[ -n "$left" ]] && ok || bad "6: kill -9 left no temporary file to find (the test needs one)"
"$TYCHE" run "$scen" -n 2048 -q -o big.h5 2>err.txt && ok || bad "6: the run after kill -9"
for f in $left; do
  grep -qF "removed ./$f, left by an earlier run (process $pid is gone)" err.txt && ok || bad "6: $f not reported removed: $(cat err.txt)"
  [[ ! -e $f ]] && ok || bad "6: $f is still there"
done
# a live run's temporary file is not touched
"$TYCHE" run "$scen" -n 400000 -q --store paths --compress 9 -o live.h5 &
pid=$!
wait_for 'live.h5.tmp.*' || bad 'no temporary file'
"$TYCHE" run "$scen" -n 2048 -q -o live.h5 --summary other.json 2>err.txt
kill -0 $pid 2>/dev/null && { grep -q removed err.txt && bad "6: a live run's file was removed" || ok; }
wait $pid && ok || bad "6: the live run failed"
# with --checkpoint, a signal while writing keeps the parts and exits 3
"$TYCHE" run "$scen" -n 300000 -q --store paths --compress 9 --checkpoint ck6 -o c6.h5 &
pid=$!
wait_for 'c6.h5.tmp.*' || bad "6: the checkpointed run never wrote"
kill -TERM $pid 2>/dev/null || true
rc=0; wait $pid || rc=$?
[[ $rc -eq 3 ]] && ok || bad "6: SIGTERM while a checkpointed run writes: exit $rc, wanted 3"
[[ -z "$(ls | grep -E '^c6\.' || true)" && -e ck6/args ]] && ok || bad "6: $(ls) / $(ls ck6)"

# 7. Output folders are checked before the first trial, naming the path given.
for flag in -o --summary --log; do
  start=$(date +%s.%N)
  expect_exit 2 "$flag /nonexistent/dir/x" "$TYCHE" run "$scen" -n 100000000 -q $flag /nonexistent/dir/x
  awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { exit !(b - a < 5) }' && ok || bad "7: $flag was checked after the run"
done
expect_exit 2 "/nonexistent/dir" "$TYCHE" run "$scen" -n 100000000 -q --checkpoint /nonexistent/dir/ck
expect_exit 2 "-o /nonexistent/dir/x.h5: the folder /nonexistent/dir does not exist" \
  "$TYCHE" merge whole.h5 -o /nonexistent/dir/x.h5

# 8. A precision target the cap stops short of is said.
expect_exit 0 "warning: --precision not reached for" "$TYCHE" run "$scen" --precision 0.0001 --max-trials 131072 -o p.h5
grep -q "NOT reached" out.txt && ok || bad "8: the table does not say the target was missed: $(cat out.txt)"
"$TYCHE" run "$scen" --precision 0.05 -o p2.h5 >out.txt 2>err.txt
grep -q "every target reached" out.txt && ! grep -q warning err.txt && ok || bad "8: reached targets: $(cat out.txt err.txt)"

# 9. Options that would do nothing are refused, with the reason.
expect_exit 2 "--checkpoint-every: only with --checkpoint" "$TYCHE" run "$scen" -q --checkpoint-every 4
expect_exit 2 "--max-trials: only with --precision" "$TYCHE" run "$scen" -q --max-trials 1000
expect_exit 2 "--replicates: only with --sampling lhs or qmc" "$TYCHE" run "$scen" -q --replicates 4
expect_exit 2 "-n: not with --precision" "$TYCHE" run "$scen" -q -n 1000 --precision 0.01
expect_exit 2 "--checkpoint: not with --shard" "$TYCHE" run "$scen" -q --checkpoint c9 --shard 0/2
expect_exit 2 "--checkpoint: not with --precision" "$TYCHE" run "$scen" -q --checkpoint c9 --precision 0.01
[[ ! -e c9 ]] && ok || bad "9: a refused run made its checkpoint folder"

# 10. Progress in every phase (under a terminal), threads never 0, shards label themselves.
tty_run() { script -qefc "$*" /dev/null </dev/null; }
tty_run "$TYCHE" run "$scen" -n 300000 --store paths --checkpoint ck10 --checkpoint-every 16 -o t10.h5 >tty.txt ||
  bad "10: the checkpointed run under a terminal"
for phase in simulating merging writing; do
  grep -q "$phase" tty.txt && ok || bad "10: no '$phase' progress in a checkpointed run"
done
grep -qE ', [1-9][0-9]* threads?, ' tty.txt && ok || bad "10: the header of a checkpointed run: $(grep seed tty.txt)"
$PY -c "import json,sys; t=json.load(open('t10.json'))['runtime']; sys.exit(not (t['threads'] >= 1))" && ok ||
  bad "10: a checkpointed run's JSON has runtime.threads 0"
"$TYCHE" run "$scen" -n 30000 -q --shard 0/2 -o s0.h5 && "$TYCHE" run "$scen" -n 30000 --shard 1/2 -o s1.h5 >out.txt &&
  ok || bad "10: shards"
grep -q "shard 1/2: trials" out.txt && ok || bad "10: a shard's header does not say it is one: $(head -3 out.txt)"
tty_run "$TYCHE" merge s0.h5 s1.h5 -o m10.h5 >tty.txt || bad "10: merge under a terminal"
grep -q merging tty.txt && grep -q writing tty.txt && ok || bad "10: no progress while merging: $(cat tty.txt | head -5)"
$PY -c "import json,sys; t=json.load(open('m10.json'))['runtime']; sys.exit(not (t['threads'] >= 1))" && ok ||
  bad "10: a merged run's JSON has runtime.threads 0"
finish
