#!/usr/bin/env bash
# Stored rows at any scale: `tyche run --store outputs|paths` streams the
# per-trial rows to the HDF5 file while trials run, so its memory does not grow
# with the trial count.
#  a. under an address-space cap (prlimit --as) a little above what a
#     --store none run of the same count needs, a stored run whose rows need
#     several times the cap succeeds (outputs and paths);
#  b. and writes the same file as the run without the cap: every dataset
#     byte for byte, every attribute (timings and provenance aside);
#  c. sampled trials (first, last, either side of a block boundary, one at
#     random) of a --store paths file are their `tyche replay`, and their path
#     rows are those of the shard that holds them;
#  d. a disk that fills mid-run ends the run with exit 1, no file under the
#     final name and the earlier results intact; a file that cannot fit on the
#     disk is refused before simulating (exit 2, the message saying the free space);
#  e. kill -9 mid-run leaves no file under the final name.
source "$(dirname "$0")/common.bash"
scen="$TYCHE_SRC/models/article.json"
command -v prlimit >/dev/null || { echo "skipped: prlimit (util-linux) is missing"; exit 77; }
# each thread of a capped run would otherwise reserve a 64 MiB malloc arena
# of address space: the cap would measure arenas, not rows
export MALLOC_ARENA_MAX=2
MiB=1048576
margin=$((${STREAMED_MARGIN_MIB:-96} * MiB))   # room above --store none's need for the writer: its ring of blocks, its chunk of every column and HDF5's cache of one
# A sanitizer's shadow memory (ASan, TSan) takes terabytes of address space: such a build
# cannot run under any cap, so the capped parts are skipped there (the plain build runs them).
uncappable=$( (prlimit --as=$((4096 * MiB)) "$TYCHE" --version >/dev/null 2>&1 && echo 0) 2>/dev/null || echo 1)

# none_need N: the smallest cap of a geometric ladder (32 MiB .. 4 GiB, steps
# of 2^(1/4)) under which `--store none -n N -t 2` succeeds (0 if none does)
none_need() {
  local n=$1 cap
  for cap in $($PY -c 'print(*[int(32 * 2 ** (k / 4)) for k in range(29)])'); do
    if prlimit --as=$((cap * MiB)) "$TYCHE" run "$scen" -n "$n" -t 2 -q --store none -o none.h5 \
      >/dev/null 2>&1; then
      echo $((cap * MiB))
      return
    fi
  done
  echo 0
}

# same_file A.h5 B.h5: same_results (every dataset, the summaries) and every
# attribute of every object the same, but the timings and provenance
same_file() {
  same_results "$1" "$2" && $PY - "$1" "$2" <<'PY'
import sys
import h5py
import numpy as np
# timings and provenance, at the root and in /summary
SKIP = {"seconds", "trials_per_second", "command_line", "created_utc", "threads"}

def norm(f, v):
    # an object reference (a dimension scale's list) compares by the name it points to
    if isinstance(v, h5py.Reference):
        return f[v].name
    if isinstance(v, np.ndarray):
        if v.dtype.kind == "O":
            return [norm(f, x) for x in v.tolist()]
        if v.dtype.names:
            return [tuple(norm(f, x) for x in row) for row in v.tolist()]
        return (v.dtype.str, v.shape, v.tobytes())
    if isinstance(v, np.generic):   # a scalar, NaN (a _FillValue) included: its bytes
        return (v.dtype.str, v.tobytes())
    if isinstance(v, (list, tuple)):
        return [norm(f, x) for x in v]
    return repr(v) if isinstance(v, float) else v

def attrs(path):
    out = {}
    with h5py.File(path, "r") as f:
        def visit(name, o):
            for k in o.attrs:
                if not (name in ("/", "summary") and k in SKIP):
                    out[(name, k)] = norm(f, o.attrs[k])
        visit("/", f)
        f.visititems(visit)
    return out

a, b = attrs(sys.argv[1]), attrs(sys.argv[2])
assert a.keys() == b.keys(), f"attributes in one file only: {sorted(set(a) ^ set(b))[:10]}"
diff = [k for k in a if a[k] != b[k]]
assert not diff, f"attributes that differ: {diff[:10]}"
PY
}

# ---- a, b. a stored run under an address-space cap ---------------------------------
# capped STORE N PER: the run of N trials (rows of about PER bytes a trial)
# under none's need + margin, then without the cap; the two files the same
cap_o=0
capped() {
  local store=$1 n=$2 per=$3 need cap rows rc=0
  if [[ $uncappable == 1 ]]; then
    echo "note: --store $store under a cap skipped: this build cannot run under an address-space cap"
    return
  fi
  need=$(none_need "$n")
  if [[ $need -eq 0 ]]; then
    bad "--store none -n $n failed under every cap up to 4 GiB"
    return
  fi
  cap=$((need + margin)) rows=$((n * per))
  echo "--store $store -n $n: --store none needs <= $((need / MiB)) MiB of address space; cap" \
    "$((cap / MiB)) MiB; the rows $((rows / MiB)) MiB (none + rows $(((need + rows) / MiB)) MiB)"
  [[ $store == outputs ]] && cap_o=$cap
  # the check must mean something: rows that would fit under the cap prove nothing
  [[ $rows -ge $((2 * cap)) ]] && ok || bad "--store $store -n $n: rows $((rows / MiB)) MiB not several times the cap"
  prlimit --as=$cap "$TYCHE" run "$scen" -n "$n" -t 2 -q --store $store -o cap_$store.h5 2>err.txt || rc=$?
  [[ $rc -eq 0 ]] && ok ||
    bad "--store $store -n $n under a cap of $((cap / MiB)) MiB: exit $rc (rows kept in memory?): $(head -c 400 err.txt)"
  "$TYCHE" run "$scen" -n "$n" -t 2 -q --store $store -o free_$store.h5 && ok || bad "--store $store -n $n without a cap"
  if [[ $rc -eq 0 ]]; then
    same_file cap_$store.h5 free_$store.h5 && ok || bad "--store $store: the capped run's file differs from the uncapped one's"
  fi
  rm -f cap_$store.h5 free_$store.h5 none.h5
}
# about 350 bytes a trial with outputs, 930 with paths
capped outputs 1000000 350
capped paths 500000 930

# ---- c. sampled trials are their replay, their path rows their shard's -------------
n=5000   # 3 blocks of 2048, the last one short; a shard a block
"$TYCHE" run "$scen" -n $n -s 5 -t 2 -q --store paths -o p.h5 && ok || bad "--store paths -n $n"
for i in 0 1 2; do
  "$TYCHE" run "$scen" -n $n -s 5 -t 1 -q --store paths --shard $i/3 -o shard$i.h5 && ok || bad "shard $i/3"
done
pick=$((RANDOM % n))
echo "sampled trials: 0 2047 2048 $pick $((n - 1))"
for t in 0 2047 2048 $pick $((n - 1)); do
  "$TYCHE" replay "$scen" --trial $t -s 5 >replay_$t.txt && ok || bad "replay --trial $t"
done
$PY - 0 2047 2048 $pick $((n - 1)) <<'PY' && ok || bad "a sampled trial differs from its replay or its shard"
import math, sys
import h5py
import numpy as np

def replay(t):
    sec, out = None, {}
    for line in open(f"replay_{t}.txt"):
        if line.rstrip().endswith(":") and not line.startswith(" "):
            sec = line.strip()[:-1]
            out[sec] = {}
        elif line.startswith("  ") and sec:
            name, val = line.split()[:2]
            out[sec][name] = val
    return out

f = h5py.File("p.h5", "r")
shards = [h5py.File(f"shard{i}.h5", "r") for i in range(3)]
assert f["trial"].shape == (5000,) and (f["trial"][:] == np.arange(5000)).all(), "the trial column"
q = [x.decode() for x in f["paths/revenue.quarter"][:]]
for t in map(int, sys.argv[1:]):
    r = replay(t)
    assert len(r.get("parameters", {})) >= 20 and len(r.get("outputs", {})) >= 10 and \
        len(r.get("statements", {})) >= 5, (t, {k: len(v) for k, v in r.items()})
    for name, v in list(r["parameters"].items()) + list(r["outputs"].items()):
        x, got = float(v), f[name][t]
        # the file keeps an event that never happened (inf) as missing (NaN)
        assert x == got or (math.isinf(x) or math.isnan(x)) and math.isnan(got), (t, name, v, got)
    for name, v in r["statements"].items():
        assert v in ("true", "false") and int(f[name][t]) == (v == "true"), (t, name, v, f[name][t])
    # the paths: the valuation starts at V0 and passes the value at the deadline; the
    # revenue path ends at the target quarter's revenue, FY2028Q3's before it
    val, rev = f["paths/option.valuation"][t], f["paths/revenue.revenue"][t]
    assert val[0] == float(r["parameters"]["option.V0"]), (t, val[0])
    assert float(r["outputs"]["option.valuation_at_deadline"]) in val, (t, "valuation_at_deadline")
    assert rev[q.index("FY2028Q4")] == float(r["outputs"]["revenue.revenue"]), (t, "revenue")
    assert rev[q.index("FY2028Q3")] == float(r["outputs"]["revenue.revenue_FY2028Q3"]), (t, "revenue FY2028Q3")
    # every path row, and the trial's whole row, as the shard that holds it wrote it
    s = next(s for s in shards if t in s["trial"][:])
    j = int(np.flatnonzero(s["trial"][:] == t)[0])
    assert s["paths/trial"][j] == t and f["paths/trial"][t] == t, (t, "paths/trial")
    for name in f["paths"]:
        if f["paths"][name].ndim == 2:
            assert f["paths"][name][t].tobytes() == s["paths"][name][j].tobytes(), (t, name)
    for name, d in f.items():
        if isinstance(d, h5py.Dataset) and d.shape == (5000,):
            assert d[t].tobytes() == s[name][j].tobytes(), (t, name)
print("sampled trials: replay and shard rows agree")
PY

# ---- d. a full disk: mid-run, and a file that cannot fit ---------------------------
# in a mount namespace of our own (unshare -m as root, a user namespace
# otherwise) a 64 MB tmpfs; skipped with a note where neither is allowed
if [[ $(id -u) -eq 0 ]]; then ns=(unshare -m); else ns=(unshare -rm); fi
mkdir -p disk
if ! "${ns[@]}" sh -c 'mount -t tmpfs -o size=64m tmpfs disk' 2>probe.err; then
  echo "note: the full-disk cases are skipped: no mount namespace here ($(cat probe.err))"
else
  [[ $cap_o -gt 0 || $uncappable == 1 ]] || cap_o=$((1024 * MiB))
  # disk.sh: every check in the namespace, one "PASS"/"FAIL why" line each
  cat >disk.sh <<'SH'
set -u
scen=$1 cap=$2
mount -t tmpfs -o size=64m tmpfs disk || { echo "FAIL mount"; exit 0; }
pass() { echo PASS; }
fail() { echo "FAIL $*" | tr '\n' ' '; echo; }   # one line a verdict
# tmp_left: the temporary files in disk/
tmp_left() { ls -A disk | grep -E '\.tmp\.' || true; }
# an earlier result under the final name
"$TYCHE" run "$scen" -n 1000 -t 2 -q -o disk/r.h5 && pass || fail "the earlier run"
before=$(cd disk && sha256sum r.h5 r.json)
# the run's file (about 37 MB of paths, written a block at a time) fits the free space
# when it starts; a slow generator keeps it running while the disk fills under it once
# its file exists.  Its 20 blocks are more than the ring's slots (8 at -t 2): once the
# writer fails, the other thread races past the blocks still in flight, and must not
# touch their slots (it did once: a wrapped row offset, caught by ASan)
"$TYCHE" run "$scen" -n 40000 -t 2 -q --store paths --rng ranlxd2 -o disk/r.h5 2>mid.err &
pid=$!
for _ in $(seq 3000); do
  [[ -n $(tmp_left) ]] || ! kill -0 $pid 2>/dev/null && break
  sleep 0.01
done
kill -0 $pid 2>/dev/null || fail "the run ended before its file appeared: its rows are not written while it runs"
dd if=/dev/zero of=disk/fill bs=64k >/dev/null 2>&1
rc=0
wait $pid || rc=$?
if [[ $rc -eq 0 ]]; then
  fail "the disk full mid-run: exit 0: the run was done before the disk filled (its rows written only at its end?)"
else
  [[ $rc -eq 1 ]] && pass || fail "the disk full mid-run: exit $rc, wanted 1: $(head -c 300 mid.err)"
fi
grep -q "No space left on device" mid.err && pass || fail "the disk full mid-run: no 'No space left on device': $(head -c 300 mid.err)"
[[ "$(cd disk && sha256sum r.h5 r.json)" == "$before" ]] && pass || fail "the disk full mid-run: the earlier results changed"
[[ -z $(tmp_left) ]] && pass || fail "the disk full mid-run: left behind: $(tmp_left)"
rm -f disk/fill
# 10^7 trials with paths (about 9 GB) cannot fit: refused before simulating
# (under the address-space cap and in seconds), with the free space in the message
t0=$(date +%s)
rc=0
lim=(); [[ $cap -gt 0 ]] && lim=(prlimit --as="$cap")
timeout 120 "${lim[@]}" "$TYCHE" run "$scen" -n 10000000 -t 2 -q --store paths -o disk/big.h5 2>big.err || rc=$?
secs=$(($(date +%s) - t0))
[[ $rc -eq 2 ]] && pass || fail "a file that cannot fit: exit $rc, wanted 2: $(head -c 300 big.err)"
grep -qi "free" big.err && grep -q "[0-9]" big.err && pass ||
  fail "a file that cannot fit: the message lacks the sizes and 'free': $(head -c 300 big.err)"
[[ $secs -le 10 ]] && pass || fail "a file that cannot fit: refused after $secs s (simulated first?)"
[[ ! -e disk/big.h5 && ! -e disk/big.json && -z $(tmp_left) ]] && pass || fail "a file that cannot fit: left $(ls -A disk | tr '\n' ' ')"
[[ "$(cd disk && sha256sum r.h5 r.json)" == "$before" ]] && pass || fail "a file that cannot fit: the earlier results changed"
SH
  while read -r verdict why; do
    [[ $verdict == PASS ]] && ok || bad "full disk: $why"
  done < <(TYCHE=$TYCHE "${ns[@]}" bash disk.sh "$scen" "$cap_o")
fi

# ---- e. kill -9 mid-run -------------------------------------------------------------
"$TYCHE" run "$scen" -n 2000000 -t 2 -q --store outputs -o k.h5 &
pid=$!
seen=0
for _ in $(seq 6000); do
  if compgen -G 'k.h5.tmp.*' >/dev/null; then seen=1; break; fi
  kill -0 $pid 2>/dev/null || break
  sleep 0.01
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[[ $seen -eq 1 ]] && ok || bad "kill -9: the run ended before its temporary file appeared"
[[ ! -e k.h5 && ! -e k.json ]] && ok || bad "kill -9 mid-run left a file under the final name: $(ls | tr '\n' ' ')"
# the next run into the same name sweeps the dead writer's temporary file
"$TYCHE" run "$scen" -n 3000 -t 2 -q -o k.h5 && [[ -e k.h5 ]] && ok || bad "the run after kill -9"
! compgen -G 'k.h5.tmp.*' >/dev/null && ok || bad "the dead writer's temporary file was left: $(ls | tr '\n' ' ')"
finish
