#!/usr/bin/env bash
# Job arrays: `tyche run --shard I/N` parts merged by `tyche merge` give the
# per-trial datasets and the summary of one run, bit for bit; mismatched,
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
