#!/usr/bin/env bash
# Faults of the environment while results are written: a read-only folder, a
# folder where a file should go, a file-size limit reached mid-write, a full
# disk.  Every writer (run, checkpoint parts, merge, tornado, sweep, sobol,
# backtest, score, the forecast log) must end with exit 1 and a message
# naming the file (the user's name for it, not a temporary one) and the
# system's reason; nothing crashed (no signal, no sanitizer report); no
# temporary file left; and the previous results under the final names
# byte for byte as they were.
source "$(dirname "$0")/common.bash"
M=$TYCHE_SRC/models

# ---- checks ------------------------------------------------------------------

# fails LABEL WANT FRAG DIR FILES -- CMD...: CMD (run from the current folder)
# must exit WANT with "tyche: " and FRAG on stderr, name no temporary file,
# leave FILES in DIR (the previous results) byte for byte as they were and
# no *.tmp.* or *.part.* file in DIR.  stderr goes through a pipe: a file
# would itself be cut off by the file-size limit under test.
fails() {
  local label=$1 want=$2 frag=$3 dir=$4 files=$5
  shift 6
  local before after rc=0 err
  before=$(cd "$dir" && sha256sum $files 2>&1) || true
  err=$("$@" 2>&1 >/dev/null) || rc=$?
  after=$(cd "$dir" && sha256sum $files 2>&1) || true
  local left
  left=$(find "$dir" -name '*.tmp.*' -o -name '*.part.*' | tr '\n' ' ')
  if [[ $rc -ne $want ]]; then
    bad "$label: exit $rc, wanted $want; stderr: $err"
  elif [[ "$err" != *"tyche: "* || "$err" != *"$frag"* ]]; then
    bad "$label: stderr lacks '$frag': $err"
  elif [[ "$err" == *Sanitizer* || "$err" == *"runtime error"* ]]; then
    bad "$label: sanitizer report: $err"
  elif [[ "$err" =~ \.(tmp|part)\.[0-9] ]]; then
    bad "$label: the message names a temporary file, not the user's: $err"
  elif [[ "$after" != "$before" ]]; then
    bad "$label: the previous results changed: $after"
  elif [[ -n "$left" ]]; then
    bad "$label: left behind: $left"
  else
    ok
  fi
}

# size FILE: its size in bytes
size() { stat -c %s "$1"; }

# limited LABEL N DIR FILES -- CMD...: CMD under a file-size limit of N bytes
# (SIGXFSZ is ignored by tyche, so writes fail with EFBIG)
limited() {
  local label=$1 n=$2 dir=$3 files=$4
  shift 5
  fails "$label (file size limit $n)" 1 "File too large" "$dir" "$files" -- prlimit --fsize="$n" "$@"
}

# ---- tyche run ---------------------------------------------------------------

mkdir run && cd run
run=("$TYCHE" run "$M/option.json" -n 8000 -t 2 -q --store paths -o a.h5)
"${run[@]}" || bad "run: the reference run failed"
h5=$(size a.h5) js=$(size a.json)
# 0: nothing can be written; below the summary's size: the summary (written
# first) fails; above it: the summary is whole under its temporary name and
# the HDF5 file fails part way, at several points up to its last byte
for n in 0 4096 $((js + 100)) 100000 $((h5 / 2)) $((h5 - 1)); do
  limited "run" "$n" . "a.h5 a.json" -- "${run[@]}"
done

# a folder where a result file should go: refused, the folder untouched,
# the other output too (the HDF5 file is renamed into place first, so the
# summary's folder must be caught before that)
mkdir -p dir.h5/inside dir.json/inside
fails "run: -o is a folder" 1 "dir.h5: is a folder" . "a.h5 a.json" -- \
  "$TYCHE" run "$M/option.json" -n 2000 -q -o dir.h5 --summary a.json
fails "run: --summary is a folder" 1 "dir.json: is a folder" . "a.h5 a.json" -- "${run[@]}" --summary dir.json
[[ "$(find dir.h5 dir.json | sort | tr '\n' ' ')" == "dir.h5 dir.h5/inside dir.json dir.json/inside " ]] &&
  ok || bad "run: a folder named as an output was changed: $(find dir.h5 dir.json)"

# --log: an append that does not fit leaves the log as it was, with no half
# line.  (The limit is per file: the log is made larger than the results,
# which are complete by then and keep their new contents.)
logrun=("$TYCHE" run "$M/option.json" -n 2000 -q --store none -o l.h5 --log f.jsonl)
"${logrun[@]}" || bad "run --log failed"
for i in $(seq 8); do cat f.jsonl f.jsonl >f2.jsonl && mv f2.jsonl f.jsonl; done
limited "run --log" $(($(size f.jsonl) + 50)) . "f.jsonl" -- "${logrun[@]}"
cd ..

# ---- checkpoint parts, and the final write of a checkpointed run ---------------

mkdir ck && cd ck
ckrun=("$TYCHE" run "$M/option.json" -n 8192 -t 2 -q --checkpoint parts --checkpoint-every 1 -o c.h5)
"${ckrun[@]}" && [[ ! -e parts ]] || bad "checkpoint: the reference run failed or left its parts"
cp c.h5 ref.h5
cp c.json ref.json
h5=$(size c.h5)
for n in 0 4096 100000; do
  limited "checkpoint" "$n" . "c.h5 c.json" -- "${ckrun[@]}"
  # what a failed run leaves in the folder must be resumable: whole parts only
  if [[ -e parts/args ]] && ! "$TYCHE" run --resume parts >/dev/null 2>resume.err; then
    bad "checkpoint (limit $n): --resume after the failure: $(cat resume.err)"
  fi
  same_results ref.h5 c.h5 >/dev/null || bad "checkpoint (limit $n): resumed results differ"
  cp ref.h5 c.h5
  cp ref.json c.json
  rm -rf parts
done
# the parts fit (each under 800 kB) but the merged results do not: the work
# done must not be lost with them: the parts stay, and --resume finishes
limited "checkpoint, final write" 800000 . "c.h5 c.json" -- "${ckrun[@]}"
if [[ ! -d parts ]]; then
  bad "checkpoint, final write: the parts were removed although the results were not written"
elif ! "$TYCHE" run --resume parts >/dev/null 2>resume.err; then
  bad "checkpoint, final write: --resume: $(cat resume.err)"
elif ! same_results ref.h5 c.h5 >/dev/null; then
  bad "checkpoint, final write: resumed results differ"
else
  ok
fi
cd ..

# ---- merge -----------------------------------------------------------------------

mkdir merge && cd merge
for i in 0 1; do
  "$TYCHE" run "$M/option.json" -n 8000 -t 2 -q --shard $i/2 -o p$i.h5 || bad "merge: shard $i failed"
done
mg=("$TYCHE" merge p0.h5 p1.h5 -o m.h5 -q)
"${mg[@]}" || bad "merge: the reference merge failed"
h5=$(size m.h5)
for n in 0 4096 100000 $((h5 - 1)); do
  limited "merge" "$n" . "m.h5 m.json p0.h5 p1.h5" -- "${mg[@]}"
done
mkdir -p dir.h5/inside dir.json/inside
fails "merge: -o is a folder" 1 "dir.h5: is a folder" . "m.h5 m.json" -- "${mg[@]}" -o dir.h5 --summary m.json
fails "merge: --summary is a folder" 1 "dir.json: is a folder" . "m.h5 m.json" -- "${mg[@]}" --summary dir.json
cd ..

# ---- tornado, sweep, sobol, backtest: an HDF5 file and a JSON ----------------------

# secondary NAME CMD...: CMD writes NAME.h5 and NAME.json (its -o is NAME.h5)
secondary() {
  local name=$1
  shift
  mkdir "$name" && cd "$name"
  "$@" -q -o "$name.h5" >/dev/null || bad "$name: the reference run failed"
  local h5 js files="$name.h5 $name.json"
  h5=$(size "$name.h5") js=$(size "$name.json")
  for n in 0 $((js / 2)) $((js + 100)) $((h5 - 1)); do
    limited "$name" "$n" . "$files" -- "$@" -q -o "$name.h5"
  done
  mkdir -p dir.h5/inside dir.json/inside
  fails "$name: -o is a folder" 1 "dir.h5: is a folder" . "$files" -- "$@" -q -o dir.h5 --summary "$name.json"
  fails "$name: --summary is a folder" 1 "dir.json: is a folder" . "$files" -- "$@" -q -o "$name.h5" --summary dir.json
  cd ..
}
secondary tornado "$TYCHE" tornado "$M/option.json" -n 2000 -t 2
secondary sweep "$TYCHE" sweep "$M/option.json" --grid option.q=0,0.1 -n 2000 -t 2
secondary sobol "$TYCHE" sobol "$M/option.json" --base 128 --bootstrap 20 -t 2
secondary backtest "$TYCHE" backtest "$M/article.json" --model revenue --origins FY2025Q1..FY2025Q2 \
  -n 300 -t 2

# ---- score --summary ---------------------------------------------------------------------

mkdir score && cd score
"$TYCHE" run "$M/option.json" -n 2000 -q -o r.h5 || bad "score: the run failed"
echo '{"outcomes": {"P1": {"outcome": false, "resolved": "2027-06-30"}}}' >outcomes.json
"$TYCHE" score r.json outcomes.json --summary s.json >/dev/null || bad "score: the reference failed"
for n in 0 $(($(size s.json) / 2)); do
  limited "score --summary" "$n" . "s.json r.json" -- "$TYCHE" score r.json outcomes.json --summary s.json
done
mkdir -p dir.json/inside
fails "score: --summary is a folder" 1 "dir.json: is a folder" . "s.json" -- "$TYCHE" score r.json outcomes.json --summary dir.json
cd ..

# ---- a read-only folder ---------------------------------------------------------------
# Root ignores permission bits, and CI runs as root: there the commands run
# as user nobody (setpriv), from copies a nobody can read; failing that, in a
# mount namespace where the folder is a read-only bind mount.  Never skipped.

mkdir ro && cd ro
shared=$PWD
chmod 755 "$work" "$shared"
cp "$TYCHE" ./tyche
cp "$M/option.json" .
chmod 755 tyche && chmod 644 option.json
as=()   # the prefix that runs a command where folder locked/ is not writable
lsan=${LSAN_OPTIONS:-}
if [[ $lsan =~ suppressions=([^:]*) ]]; then # LSan dies on a suppressions file it cannot read
  cp "${BASH_REMATCH[1]}" lsan.supp && chmod 644 lsan.supp
  lsan=${lsan/${BASH_REMATCH[1]}/$shared/lsan.supp}
fi
mkdir locked open
./tyche run option.json -n 4000 -t 2 -q -o locked/a.h5 && cp locked/a.h5 locked/a.json open/ ||
  bad "read-only: the reference run failed"
chmod 555 locked
chmod 777 open
if [[ $(id -u) -ne 0 ]]; then
  how="permission bits (chmod 555)"
elif setpriv --reuid=65534 --regid=65534 --clear-groups env LSAN_OPTIONS="$lsan" \
    ./tyche describe option.json >/dev/null 2>probe.err; then
  how="user nobody (setpriv) and permission bits"
  as=(setpriv --reuid=65534 --regid=65534 --clear-groups env LSAN_OPTIONS="$lsan")
elif unshare -m sh -c 'mount --bind -o ro locked locked && ! touch locked/x' 2>>probe.err; then
  how="a read-only bind mount (unshare -m)"
  as=(unshare -m sh -c 'mount --bind -o ro locked locked && exec "$@"' sh)
else
  how=""
  bad "read-only: no way to make a folder unwritable as root here: $(cat probe.err)"
fi
if [[ -n "$how" ]]; then
  echo "read-only folder: by $how"
  ro_err="Permission denied"
  [[ ${as[0]:-} == unshare ]] && ro_err="Read-only file system"
  # both outputs there; the HDF5 file there, the summary elsewhere (written
  # first, then removed when the HDF5 file fails); the summary there
  fails "read-only: run" 1 "$ro_err" locked "a.h5 a.json" -- \
    "${as[@]}" ./tyche run option.json -n 4000 -t 2 -q -o locked/a.h5
  fails "read-only: -o" 1 "$ro_err" . "locked/a.h5 locked/a.json open/a.h5 open/a.json" -- \
    "${as[@]}" ./tyche run option.json -n 4000 -t 2 -q -o locked/a.h5 --summary open/a.json
  fails "read-only: --summary" 1 "$ro_err" . "locked/a.h5 locked/a.json open/a.h5 open/a.json" -- \
    "${as[@]}" ./tyche run option.json -n 4000 -t 2 -q -o open/a.h5 --summary locked/a.json
  fails "read-only: tornado" 1 "$ro_err" . "locked/a.h5 open/a.json" -- \
    "${as[@]}" ./tyche tornado option.json -n 1000 -t 2 -q -o locked/a.h5 --summary open/t.json
  [[ ! -e open/t.json ]] && ok || bad "read-only: tornado left its JSON although its HDF5 failed"
fi
chmod 755 locked
cd ..

# ---- a full disk (ENOSPC) --------------------------------------------------------------
# A small tmpfs in a mount namespace of our own (unshare -m as root, a user
# namespace otherwise): only this case is skipped, with a note, where
# neither is allowed.

mkdir full && cd full
if [[ $(id -u) -eq 0 ]]; then ns=(unshare -m); else ns=(unshare -rm); fi
mkdir -p disk prev
if ! "${ns[@]}" sh -c 'mount -t tmpfs -o size=64k tmpfs disk' 2>probe.err; then
  echo "note: the full-disk case is skipped: no mount namespace here ($(cat probe.err))"
else
  "$TYCHE" run "$M/option.json" -n 2000 -q --store none -o prev/a.h5 || bad "full disk: the reference run failed"
  "$TYCHE" tornado "$M/option.json" -n 1000 -t 2 -q -o prev/t.h5 || bad "full disk: the tornado failed"
  # disk.sh KB FILES CMD...: in the namespace: disk/ becomes a tmpfs of KB
  # kilobytes holding copies of prev/FILES (the previous results, which
  # take their room); CMD runs; the checks of disk/ are made there too.
  cat >disk.sh <<'SH'
kb=$1 files=$2
shift 2
mount -t tmpfs -o size="${kb}k" tmpfs disk || exit 9
for f in $files; do cp "prev/$f" disk/ || exit 9; done
rc=0
"$@" || rc=$?
(cd disk && sha256sum $files) | (cd prev && sha256sum -c --quiet) >&2 ||
  { echo "the previous results changed on the full disk" >&2; exit 8; }
left=$(ls -A disk | grep -E '\.(tmp|part)\.' || true)
[ -z "$left" ] || { echo "left behind on the full disk: $left" >&2; exit 8; }
exit $rc
SH
  full() { # full LABEL KB FILES -- CMD...
    local label=$1 kb=$2 files=$3
    shift 4
    fails "full disk: $label (${kb} kB)" 1 "No space left on device" prev "$files" -- \
      "${ns[@]}" sh disk.sh "$kb" "$files" "$@"
  }
  # room for no summary and no HDF5 file (--store none: no rows, so no check of the space
  # up front: the writes themselves fail)
  full "run" 36 "a.h5 a.json" -- "$TYCHE" run "$M/option.json" -n 2000 -q --store none -o disk/a.h5
  # rows that cannot fit are refused before the first trial (exit 2, both sizes), the
  # previous results untouched; a disk that fills mid-run: tests/cli/streamed.sh
  fails "full disk: rows refused up front" 2 "GB free; use --store none" prev "a.h5 a.json" -- \
    "${ns[@]}" sh disk.sh 400 "a.h5 a.json" "$TYCHE" run "$M/option.json" -n 4000 -q --store paths -o disk/a.h5
  full "tornado" 20 "t.h5 t.json" -- "$TYCHE" tornado "$M/option.json" -n 1000 -t 2 -q -o disk/t.h5
fi
cd ..

finish
