#!/usr/bin/env bash
# A shard of a job array (`tyche run --shard I/N`) holds part of a run: scripts/plot.py
# refuses it (its .h5 or its summary JSON) with exit 2 and the `tyche merge` advice,
# drawing nothing and making no folder, and open_results raises ValueError; the merged
# file plots as a whole run.  A shard is known by its /partial group or by its
# shard_index/shard_count root attributes (the JSON: its "shard" key), whichever the
# build writes: the attributes and the key are also tried on copies made here.
source "$(dirname "$0")/common.bash"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ left in the source tree
export PYTHONPATH="$TYCHE_SRC/scripts:$TYCHE_SRC/scripts/python"
scen="$TYCHE_SRC/models/article.json"
plot=("$PY" "$TYCHE_SRC/scripts/plot.py")

for i in 0 1; do
  "$TYCHE" run "$scen" -n 8192 -s 5 -q --shard $i/2 -o part-$i.h5 && ok || bad "shard $i/2"
done
"$TYCHE" merge part-0.h5 part-1.h5 -o merged.h5 -q && ok || bad "merge"
$PY -c 'import h5py, sys; sys.exit("partial" in h5py.File("merged.h5", "r"))' \
  && ok || bad "merged.h5 has a /partial group"

# the shard's .h5: refused, no figure, no folder (named or the default one)
expect_exit 2 'part-0.h5: this is shard 0/2 of a job array (tyche run --shard), not a whole run: join the shards with tyche merge part-*.h5 -o FILE.h5, then plot FILE.h5' \
  "${plot[@]}" part-0.h5 -o plots
[[ ! -e plots ]] && ok || bad "a refused shard made plots/"
expect_exit 2 'shard 1/2 of a job array' "${plot[@]}" part-1.h5
[[ ! -e part-1_plots ]] && ok || bad "a refused shard made part-1_plots/"
[[ ! -s out.txt ]] && ok || bad "a refused shard printed figures: $(cat out.txt)"

# its summary JSON: refused too (with the advice once the build writes "shard")
expect_exit 2 'part-0.json' "${plot[@]}" part-0.json -o plots
mutate_json part-0.json sh0 's["shard"] = {"index": 0, "count": 2}'
expect_exit 2 'sh0.json: this is shard 0/2 of a job array (tyche run --shard), not a whole run: join the shards with tyche merge sh*.h5 -o FILE.h5' \
  "${plot[@]}" sh0.json -o plots
[[ ! -e plots ]] && ok || bad "a refused shard JSON made plots/"

# the merged file plots as a whole run (--store outputs: no revenue paths)
"${plot[@]}" merged.h5 -o mplots >plot.out 2>plot.err && ok || bad "plot.py merged.h5: $(cat plot.err)"
want="mplots/statements.png mplots/incidence.png mplots/window.png mplots/slowdown.png mplots/joint.png"
[[ "$(tr '\n' ' ' <plot.out)" == "$want " ]] && ok || bad "plot.py merged.h5 drew: $(cat plot.out)"
grep -qF 'skipped revenue_fan.png' plot.err && ! grep -q shard plot.err && ok || bad "plot.py merged.h5: $(cat plot.err)"
[[ $(ls mplots | wc -l) -eq 5 ]] && ok || bad "mplots/: $(ls mplots)"

# open_results: ValueError on a shard, whichever way it is marked; a whole run opens
$PY - <<'PY' && ok || bad "open_results on shards"
import shutil
import h5py
from tyche_results import ShardError, open_results

def refused(path, what):
    try:
        open_results(path).close()
    except ValueError as e:
        assert isinstance(e, ShardError), e
        msg = str(e)
        assert msg.startswith(f"{path}: this is {what} of a job array (tyche run --shard)"), msg
        assert "tyche merge" in msg and "-o FILE.h5, then open FILE.h5" in msg, msg
        return
    raise AssertionError(f"{path} opened")

refused("part-0.h5", "shard 0/2")
refused("part-1.h5", "shard 1/2")
with open_results("merged.h5") as r:
    assert r.attrs["trials"] == 8192 and r.trials.sizes["trial"] == 8192, r

# root attributes without /partial (a whole file marked as a shard), and a count of 0
for name, attrs, what in (("attr-2.h5", {"shard_index": 1, "shard_count": 3}, "shard 1/3"),
                          ("attr-x.h5", {"shard_count": 7}, "a shard"),
                          ("zero.h5", {"shard_index": 0, "shard_count": 0}, None)):
    shutil.copy("merged.h5", name)
    with h5py.File(name, "a") as f:
        f.attrs.update(attrs)
    if what:
        refused(name, what)
    else:
        open_results(name).close()
# /partial without its numbers (nor root ones, where the build writes them): still a shard
shutil.copy("part-0.h5", "bare.h5")
with h5py.File("bare.h5", "a") as f:
    for k in ("shard_index", "shard_count"):
        del f["partial"].attrs[k]
        if k in f.attrs:
            del f.attrs[k]
refused("bare.h5", "a shard")
print("open_results ok")
PY
expect_exit 2 'attr-2.h5: this is shard 1/3 of a job array' "${plot[@]}" attr-2.h5 -o plots
expect_exit 2 'bare.h5: this is a shard of a job array (tyche run --shard), not a whole run: join the shards with tyche merge PART*.h5' \
  "${plot[@]}" bare.h5 -o plots
[[ ! -e plots ]] && ok || bad "a refused shard made plots/"
finish
