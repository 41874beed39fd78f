#!/usr/bin/env bash
# Job arrays: `tyche run --shard I/N` parts merged by `tyche merge` give the
# per-trial datasets, the /paths variables (--store paths, also through a
# checkpointed run's parts) and the summary of one run, bit for bit; mismatched,
# missing and overlapping shards are refused with exit 2 naming the file.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
n=13000   # 7 blocks of 2048: uneven shards


"$TYCHE" run "$scen" -n $n -s 9 -q -o one.h5 && ok || bad "one run"
for i in 0 1 2; do "$TYCHE" run "$scen" -n $n -s 9 -t 2 -q --shard $i/3 -o part$i.h5 && ok || bad "shard $i"; done
"$TYCHE" merge part2.h5 part0.h5 part1.h5 -o merged.h5 -q && ok || bad "merge"
same_results one.h5 merged.h5 && ok || bad "merged != one run (store outputs)"

# --store none, and a Latin hypercube design (placed by global trial index)
"$TYCHE" run "$scen" -n 14000 -s 9 -q --store none --sampling lhs --replicates 7 -o lone.h5 && ok || bad "lhs run"
for i in 0 1; do "$TYCHE" run "$scen" -n 14000 -s 9 -q --store none --sampling lhs --replicates 7 --shard $i/2 -o lpart$i.h5 || bad "lhs shard"; done
"$TYCHE" merge lpart0.h5 lpart1.h5 -o lmerged.h5 -q && same_results lone.h5 lmerged.h5 && ok || bad "lhs merge"

# --store paths: the /paths variables (trial x point) joined at each shard's first trial;
# 10000 trials are 5 blocks, the last one short, so shard 2/3 is shorter than a whole block pair
"$TYCHE" run "$scen" -n 10000 -s 9 -q --store paths -o pone.h5 && ok || bad "paths run"
for i in 0 1 2; do
  "$TYCHE" run "$scen" -n 10000 -s 9 -t 2 -q --store paths --shard $i/3 -o ppart$i.h5 || bad "paths shard $i"
done
"$TYCHE" merge ppart1.h5 ppart2.h5 ppart0.h5 -o pmerged.h5 -q && ok || bad "paths merge"
$PY -c 'import h5py, sys; sys.exit(h5py.File("pmerged.h5")["paths/option.valuation"].shape != (10000, 23))' &&
  ok || bad "merged paths: not 10000 trials x 23 months"
same_results pone.h5 pmerged.h5 && ok || bad "merged != one run (store paths)"
# a checkpointed run writes its parts as shards and merges them: with paths too
"$TYCHE" run "$scen" -n 10000 -s 9 -q --store paths -o pck.h5 --checkpoint pck --checkpoint-every 1 &&
  [[ ! -e pck ]] && ok || bad "checkpointed paths run"
same_results pone.h5 pck.h5 && ok || bad "checkpointed != one run (store paths)"

# the merged run reports the widest shard's threads (not 0) on one rank
# threads_ok MERGED.json [PART.json...]: threads the most of the parts' (at least 1), ranks 1
threads_ok() {
  $PY - "$@" <<'PY'
import json, sys
rt = json.load(open(sys.argv[1]))["runtime"]
most = max((json.load(open(p))["runtime"]["threads"] for p in sys.argv[2:]), default=rt["threads"])
sys.exit(not (rt["threads"] >= 1 and rt["threads"] == most and rt["ranks"] == 1))
PY
}
threads_ok merged.json part0.json part1.json part2.json && ok || bad "merged.json: runtime threads or ranks wrong"
threads_ok pmerged.json ppart0.json ppart1.json ppart2.json && ok || bad "pmerged.json: runtime threads or ranks wrong"
threads_ok pck.json && ok || bad "pck.json (checkpointed, its parts gone): runtime threads or ranks wrong"
# a shard's root "threads": absent (a file from before it) counts as 1, damaged is refused
cp ppart0.h5 nothreads.h5 && cp ppart0.h5 badthreads.h5
$PY -c 'import h5py; del h5py.File("nothreads.h5", "r+").attrs["threads"]; h5py.File("badthreads.h5", "r+").attrs["threads"] = -3'
"$TYCHE" merge nothreads.h5 ppart1.h5 ppart2.h5 -o nt.h5 -q && same_results pone.h5 nt.h5 && ok ||
  bad "a shard without a threads attribute"
expect_exit 2 'badthreads.h5: its root attribute "threads" is damaged' "$TYCHE" merge badthreads.h5 ppart1.h5 ppart2.h5 -o x.h5 -q
# a path of the right size in the wrong shape (point x trial) is damage, not data
cp ppart1.h5 badpath.h5
$PY - <<'PY'
import h5py
with h5py.File("badpath.h5", "r+") as f:
    v = f["paths/option.valuation"][()]
    del f["paths/option.valuation"]
    f["paths/option.valuation"] = v.T.copy()
PY
expect_exit 2 'badpath.h5: cannot read its data back' "$TYCHE" merge ppart0.h5 badpath.h5 ppart2.h5 -o x.h5 -q

# what merge refuses
expect_exit 2 'merge: shard 1/3 is missing' "$TYCHE" merge part0.h5 part2.h5 -o x.h5 -q
expect_exit 2 'are both shard 0/3' "$TYCHE" merge part0.h5 part0.h5 part1.h5 part2.h5 -o x.h5 -q
"$TYCHE" run "$scen" -n $n -s 10 -q --shard 1/3 -o seed10.h5
expect_exit 2 'seed10.h5: not a shard of the same run as part0.h5 (different seed)' "$TYCHE" merge part0.h5 seed10.h5 part2.h5 -o x.h5 -q
"$TYCHE" run "$scen" -n $n -s 9 -q --shard 1/3 -o set.h5 --set option.q=0.1
expect_exit 2 'set.h5: not a shard of the same run as part0.h5 (different --set values)' "$TYCHE" merge part0.h5 set.h5 part2.h5 -o x.h5 -q
"$TYCHE" run "$scen" -n 13001 -s 9 -q --shard 1/3 -o n.h5
expect_exit 2 '(different trial count)' "$TYCHE" merge part0.h5 n.h5 part2.h5 -o x.h5 -q
"$TYCHE" run "$TYCHE_SRC/models/option.json" -n $n -s 9 -q --shard 1/3 -o other.h5
expect_exit 2 '(different scenario (its text differs))' "$TYCHE" merge part0.h5 other.h5 part2.h5 -o x.h5 -q
expect_exit 2 'one.h5: not a shard' "$TYCHE" merge one.h5 -o x.h5 -q
expect_exit 2 'part0.json: cannot open it as an HDF5 file' "$TYCHE" merge part0.json -o x.h5 -q
expect_exit 2 '--shard: expected I/N' "$TYCHE" run "$scen" --shard 3/3 -q -o x.h5
expect_exit 2 '--shard 0/9: expected 0 <= I < N <= 7' "$TYCHE" run "$scen" -n $n --shard 0/9 -q -o x.h5
[[ ! -e x.h5 && ! -e x.json ]] && ok || bad "a refused merge left output"
finish
