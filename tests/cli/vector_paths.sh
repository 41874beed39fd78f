#!/usr/bin/env bash
# The vector paths (TYCHE_VECTOR=sse2|avx2|avx512, the ones this processor
# has) give the same run byte for byte: the article with its paths, any
# thread count, an as-of run with observed non-events (rejection redraws),
# a Latin hypercube design, a trial's replay, shards made under different
# paths.  Results record stream_version 2 and the path that ran; an unknown
# or missing path is refused; merge and resume refuse another stream version.
source "$(dirname "$0")/common.bash"
unset TYCHE_VECTOR   # the caller's choice would hide the default
scen="$TYCHE_SRC/models/article.json"
$PY -c 'import h5py' 2>/dev/null || { echo "skipped: $PY has no h5py"; exit 77; }

# the paths this processor has, from its flags (the base one always)
flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null || true)
has_flag() { [[ " ${flags#*:} " == *" $1 "* ]]; }
if [[ $(uname -m) == x86_64 ]]; then
  base=sse2
  paths=(sse2)
  has_flag avx2 && paths+=(avx2) || echo "skipped: avx2 (no avx2 in /proc/cpuinfo flags)"
  has_flag avx512f && paths+=(avx512) || echo "skipped: avx512 (no avx512f in /proc/cpuinfo flags)"
else
  base=purec   # not x86-64: SLEEF's portable C is the one path
  paths=(purec)
  echo "skipped: avx2, avx512 (not x86-64)"
fi
widest=${paths[-1]}
have=$(IFS=,; echo "${paths[*]}" | sed 's/,/, /g')   # as tyche lists them: "sse2, avx2, avx512"
echo "vector paths here: $have"
vt() { local p=$1; shift; TYCHE_VECTOR=$p "$TYCHE" "$@"; }

# ---- 1. every path gives the same run ---------------------------------------
$PY - "$scen" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for m in s["models"]:
    if m["kind"] == "revenue_slowdown":
        m["settings"]["data"] = sys.argv[1].rsplit("/", 1)[0] + "/" + m["settings"]["data"]
json.dump(s, open("art.json.in", "w"))
# as of 2026-12-01 the option was not exercised and no exclusivity deal made:
# a quarter of the draws are rejected and drawn again
s["as_of"] = "2026-12-01"
s["observed"] = {"option.exercise_time": False, "exclusivity.deal_time": False}
json.dump(s, open("observed.json", "w"))
PY
mv art.json.in article.json   # a copy, so the summaries (NAME.json beside NAME.h5) do not clash
run_args=(-n 20000 -s 7 -q)
for p in "${paths[@]}"; do
  vt $p run article.json "${run_args[@]}" --store paths -t 2 -o a_$p.h5 && ok || bad "$p: article run"
  vt $p run article.json "${run_args[@]}" --store paths -t 1 -o a1_$p.h5 && ok || bad "$p: article run -t 1"
  vt $p run observed.json "${run_args[@]}" --store paths -o o_$p.h5 && ok || bad "$p: as-of run"
  vt $p run article.json "${run_args[@]}" --sampling lhs --replicates 4 -o l_$p.h5 && ok || bad "$p: lhs run"
  vt $p replay article.json --trial 12345 -n 20000 -s 7 >r_$p.txt && ok || bad "$p: replay"
  vt $p replay article.json --trial 777 -n 20000 -s 7 --sampling lhs --replicates 4 >rl_$p.txt && ok ||
    bad "$p: replay lhs"
  for t in 0 1 2 3 4 5 6 7 8 9; do vt $p replay observed.json --trial $t -n 20000 -s 7; done >ro_$p.txt &&
    ok || bad "$p: replay as-of"
  same_results a_$p.h5 a1_$p.h5 && ok || bad "$p: -t 1 and -t 2 differ"
done
# the comparisons would pass trivially on a run that rejects nothing
grep -qE 'accepted after [1-9][0-9]* as-of redraws' ro_$base.txt && ok || bad "the as-of trials 0-9 had no redraw"
for ((i = 0; i < ${#paths[@]}; i++)); do
  for ((j = i + 1; j < ${#paths[@]}; j++)); do
    p=${paths[i]} q=${paths[j]}
    same_results a_$p.h5 a_$q.h5 && ok || bad "article: $p and $q differ"
    same_results o_$p.h5 o_$q.h5 && ok || bad "as-of run: $p and $q differ"
    same_results l_$p.h5 l_$q.h5 && ok || bad "lhs run: $p and $q differ"
    for r in r rl ro; do
      cmp -s ${r}_$p.txt ${r}_$q.txt && ok || bad "replay ($r): $p and $q differ: $(diff ${r}_$p.txt ${r}_$q.txt | head -4)"
    done
  done
done
# the redraw count (a root attribute, not a dataset) agrees too, and each
# path's replay is its run's stored trial
$PY - "${paths[@]}" <<'PY' && ok || bad "attempts or replay != stored trial"
import h5py, sys
att = {p: int(h5py.File(f"o_{p}.h5").attrs["attempts"]) for p in sys.argv[1:]}
assert len(set(att.values())) == 1 and att[sys.argv[1]] > 20000, att
for p in sys.argv[1:]:
    f = h5py.File(f"a_{p}.h5")
    vals = {l.split()[0]: l.split()[1] for l in open(f"r_{p}.txt") if l.startswith("  ") and len(l.split()) > 1}
    got = [k for k in vals if k in f]
    assert len(got) > 20, (p, got)
    for k in got:
        v, want = vals[k], f[k][12345]
        if v in ("true", "false"):   # a statement
            assert (v == "true") == bool(want), (p, k, v, want)
        else:
            # the file keeps an event that never happens (inf) as missing (NaN)
            assert float(v) == want or (v in ("nan", "inf") and want != want), (p, k, v, want)
PY

# ---- 2. the results say the stream version and the path that ran -----------
$PY - "${paths[@]}" <<'PY' && ok || bad "stream_version / vector_path not recorded as forced"
import h5py, json, sys
for p in sys.argv[1:]:
    for stem in (f"a_{p}", f"o_{p}", f"l_{p}"):
        a = h5py.File(stem + ".h5").attrs
        v = a["vector_path"]
        assert (v.decode() if isinstance(v, bytes) else v) == p, (stem, v)
        assert a["stream_version"].dtype.kind == "i" and int(a["stream_version"]) == 2, (stem, a["stream_version"])
        j = json.load(open(stem + ".json"))
        assert j["stream_version"] == 2 and type(j["stream_version"]) is int, (stem, j["stream_version"])
        assert j["vector_path"] == p, (stem, j["vector_path"])
PY
for p in "${paths[@]}"; do
  [[ $(vt $p --version) =~ ^tyche\ [0-9.]+\ \(stream\ version\ 2,\ vector\ path\ $p\)$ ]] && ok ||
    bad "TYCHE_VECTOR=$p --version: $(vt $p --version)"
done
# unset and auto: the widest path there is
for p in "" auto; do
  [[ $(TYCHE_VECTOR=$p "$TYCHE" --version) == *"vector path $widest)" ]] && ok ||
    bad "TYCHE_VECTOR='$p' --version: $(TYCHE_VECTOR=$p "$TYCHE" --version), wanted $widest"
done
"$TYCHE" run article.json -n 2048 -q -o auto.h5 &&
  $PY -c "import json, sys; sys.exit(json.load(open('auto.json'))['vector_path'] != '$widest')" && ok ||
  bad "an unforced run did not record $widest"

# ---- 3. a path that is not there is refused before anything is written -------
expect_exit 2 "TYCHE_VECTOR: unknown vector path \"bogus\" (this machine has: $have)" \
  env TYCHE_VECTOR=bogus "$TYCHE" run article.json -n 2048 -q -o x.h5
expect_exit 2 "TYCHE_VECTOR: unknown vector path \"AVX2\"" env TYCHE_VECTOR=AVX2 "$TYCHE" --version
for p in avx2 avx512; do
  [[ " ${paths[*]} " == *" $p "* ]] && continue
  expect_exit 2 "TYCHE_VECTOR: this processor or build lacks the vector path \"$p\" (this machine has: $have)" \
    env TYCHE_VECTOR=$p "$TYCHE" run article.json -n 2048 -q -o x.h5
done
[[ ! -e x.h5 && ! -e x.json ]] && ok || bad "a refused TYCHE_VECTOR left output"
rm -f x.h5 x.json   # so that the merge checks below see only their own

# ---- 4. merge: shards of any path join; another stream version does not ------
vt $base run article.json "${run_args[@]}" --shard 0/2 -o s0.h5 && ok || bad "shard 0 ($base)"
vt $widest run article.json "${run_args[@]}" --shard 1/2 -o s1.h5 && ok || bad "shard 1 ($widest)"
vt $base run article.json "${run_args[@]}" -o one.h5 && ok || bad "one run"
"$TYCHE" merge s0.h5 s1.h5 -o merged.h5 -q && same_results one.h5 merged.h5 && ok ||
  bad "shards made under $base and $widest did not merge into the one run"
$PY -c 'import h5py, sys; sys.exit(int(h5py.File("merged.h5").attrs["stream_version"]) != 2)' && ok ||
  bad "merged.h5 does not record stream_version 2"
cp s1.h5 v1.h5; cp s1.h5 v3.h5; cp s1.h5 vnone.h5
$PY - <<'PY'
import h5py, numpy as np
for name, v in (("v1.h5", 1), ("v3.h5", 3)):
    with h5py.File(name, "r+") as f:
        assert int(f["partial"].attrs["stream_version"]) == 2
        f["partial"].attrs["stream_version"] = np.int32(v)
with h5py.File("vnone.h5", "r+") as f:
    del f["partial"].attrs["stream_version"]   # a shard of a tyche before it: version 1
PY
expect_exit 2 "v1.h5: made with stream version 1, and this tyche draws with version 2" \
  "$TYCHE" merge s0.h5 v1.h5 -o x.h5 -q
expect_exit 2 "vnone.h5: made with stream version 1, and this tyche draws with version 2" \
  "$TYCHE" merge vnone.h5 s0.h5 -o x.h5 -q
expect_exit 2 "v3.h5: made with stream version 3" "$TYCHE" merge s0.h5 v3.h5 -o x.h5 -q
[[ ! -e x.h5 && ! -e x.json ]] && ok || bad "a refused merge left output"

# ---- 5. resume: a checkpoint of another stream version is refused ------------
# stopped (SIGTERM) as soon as the folder has a part; --store none
# keeps the 2M trials small.  Started under the base path, it resumes under
# the widest (the identity has no path: they give the same bits) and equals
# a run of two threads.
ck_args=(-n 2000000 -s 7 -q --store none --checkpoint-every 4 -t 1)   # one thread: time to stop it
TYCHE_VECTOR=$base "$TYCHE" run article.json "${ck_args[@]}" -o ckrun.h5 --checkpoint ck 2>ckrun.err &
pid=$!   # tyche itself (not a function's subshell): it gets the signal
for _ in $(seq 1 1500); do compgen -G 'ck/part-*.h5' >/dev/null && break; sleep 0.02; done
kill -TERM $pid 2>/dev/null || true
rc=0; wait $pid || rc=$?
[[ $rc -eq 3 && -e ck/identity ]] && ok || bad "checkpointed run: exit $rc (wanted 3, stopped), folder: $(ls ck 2>&1)"
grep -qx 'stream_version 2' ck/identity && ok || bad "ck/identity lacks 'stream_version 2': $(cat ck/identity)"
cp -r ck ck_ok; cp -r ck ck_gone; cp -r ck ck_scen
sed -i 's/^stream_version 2$/stream_version 1/' ck/identity
sed -i '/^stream_version /d' ck_gone/identity   # a folder of a tyche before it
before=$(ls -l ck | md5sum)
expect_exit 2 "--resume ck: not the run that started there (its stream version (how draws are made: results of two versions do not mix) is 1, this run's is 2)" \
  "$TYCHE" run --resume ck
# the stream version is not the scenario: the refusal must not blame the scenario file
grep -qF 'scenario file changed' err.txt && bad "stream version refusal blames the scenario file: $(cat err.txt)" || ok
[[ $(ls -l ck | md5sum) == "$before" && ! -e ckrun.h5 ]] && ok || bad "a refused resume changed the folder or wrote results"
expect_exit 2 "--resume ck_gone: not the run that started there (its stream version (how draws are made: results of two versions do not mix) is (none), this run's is 2)" \
  "$TYCHE" run --resume ck_gone
# the untouched copy resumes (under another path) to the uninterrupted run
vt $widest run --resume ck_ok && [[ ! -e ck_ok ]] && ok || bad "the untouched checkpoint did not resume"
vt $widest run article.json -n 2000000 -s 7 -q --store none -o ckwhole.h5 && same_results ckwhole.h5 ckrun.h5 && ok ||
  bad "resumed under $widest != uninterrupted"
# and a changed scenario is still said to be one
sed -i 's/"title": "/"title": "changed: /' article.json
expect_exit 2 "(its scenario (its text, by SHA-256) is" "$TYCHE" run --resume ck_scen
grep -qF ': the scenario file changed since' err.txt && ok || bad "a changed scenario is not said to be one: $(cat err.txt)"
finish
