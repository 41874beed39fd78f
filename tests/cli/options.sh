#!/usr/bin/env bash
# The options of every command: --help from one table, one spelling per option
# in every command (-o the result file, --summary the JSON), one-line usage errors,
# "did you mean" for a misspelling, the old spellings refused naming the new one.
source "$(dirname "$0")/common.bash"
M=$TYCHE_SRC/models

# Each command's options as the documentation promises them (written out here,
# not read from the program, so a dropped option fails the test).
declare -A opts=(
  [run]="-n --trials -s --seed -t --threads -o --output --summary --store --compress --rng --as-of --observed
         --precision --max-trials --checkpoint --checkpoint-every --resume --shard --sampling
         --replicates --log --set --progress -q --quiet -h --help"
  [describe]="--as-of --observed --set -h --help"
  [replay]="--trial -s --seed --rng --as-of --observed --set --sampling -n --trials --replicates -h --help"
  [tornado]="--low --high -n --trials -s --seed -t --threads -o --output --summary --as-of --observed --set -q --quiet -h --help"
  [sweep]="--grid -n --trials -s --seed -t --threads -o --output --summary --as-of --observed --set -q --quiet -h --help"
  [sobol]="--base --inner --target --bootstrap -s --seed -t --threads -o --output --summary --as-of --observed --set -q --quiet -h --help"
  [merge]="-o --output --summary -q --quiet -h --help"
  [score]="--summary -h --help"
  [backtest]="--model --origins --horizon -n --trials -s --seed -t --threads -o --output --summary --set -q --quiet -h --help"
)

# ---- -h and --help on every command ---------------------------------------------
for c in "${!opts[@]}"; do
  for h in -h --help; do
    rc=0
    "$TYCHE" "$c" "$h" >help.txt 2>err.txt || rc=$?
    [[ $rc -eq 0 && ! -s err.txt ]] && ok || bad "$c $h: exit $rc, stderr $(cat err.txt)"
    head -1 help.txt | grep -q "^usage: tyche $c " && ok || bad "$c $h: no usage line: $(head -1 help.txt)"
  done
  for o in ${opts[$c]}; do
    # an option's line: "  -x, --long ARG  help" or "      --long ARG  help"
    if [[ $o == --* ]]; then
      grep -qE -- "^  (-., |    )$o( |$)" help.txt && ok || bad "$c --help does not list $o"
    else
      grep -qE -- "^  $o, --" help.txt && ok || bad "$c --help does not list $o"
    fi
  done
  # nothing listed that the command does not take
  n_listed=$(grep -cE '^  (-., |    )--' help.txt)
  n_long=$(tr ' ' '\n' <<<"${opts[$c]}" | grep -c '^--')
  [[ $n_listed -eq $n_long ]] && ok || bad "$c --help lists $n_listed options, expected $n_long"
done
# the help wins over a bad option elsewhere on the line
"$TYCHE" run --bogus --help >help.txt && grep -q "^usage: tyche run" help.txt && ok || bad "run --bogus --help"
# ... and where a value should be: `-o --help` asks for the help, it names no file
for h in -h --help; do
  rm -f -- "$h" "$h.json"
  "$TYCHE" run "$TYCHE_SRC/models/option.json" -n 3000 -q -o "$h" >help.txt && grep -q "^usage: tyche run" help.txt \
    && ok || bad "run -o $h: no help"
  [[ ! -e $h && ! -e $h.json ]] && ok || bad "run -o $h wrote a file named $h"
done

# ---- a usage error: one line naming the flag, then the usage line ---------------
one_line_error() { # CMD_NAME FRAGMENT ARGS...: exit 2, two lines on stderr, no help text
  local c=$1 frag=$2
  shift 2
  expect_exit 2 "$frag" "$TYCHE" "$c" "$@"
  [[ $(wc -l <err.txt) -eq 2 ]] && ok || bad "$c $*: not two lines: $(cat err.txt)"
  head -1 err.txt | grep -qF -- "tyche: " && ok || bad "$c $*: first line $(head -1 err.txt)"
  sed -n 2p err.txt | grep -qE "^usage: tyche $c .*\(tyche $c --help for all options\)$" && ok \
    || bad "$c $*: second line $(sed -n 2p err.txt)"
  grep -q "options:" err.txt && bad "$c $*: the whole help on a usage error" || ok
}
one_line_error run 'unknown option "--bogus"' "$M/option.json" --bogus
one_line_error run '--seed: needs a value' "$M/option.json" --seed
one_line_error run '-n: expected a whole number of trials from 1 to 2^53, got "1e6"' "$M/option.json" -n 1e6
one_line_error run '--store: expected none, outputs or paths, got "all"' "$M/option.json" --store all
one_line_error run '--as-of: expected a date as YYYY-MM-DD' "$M/option.json" --as-of 2027/01/01
one_line_error run '--checkpoint: given twice' "$M/option.json" --checkpoint a --checkpoint b
one_line_error run 'unexpected argument "extra.json"' "$M/option.json" extra.json
one_line_error tornado '--low: expected a quantile level in (0, 1), got "2"' "$M/option.json" --low 2
one_line_error sweep '--grid: at most 8' "$M/option.json" $(for i in $(seq 9); do echo --grid a$i=1; done)
one_line_error sobol '--bootstrap: expected 10 to 100000' "$M/option.json" --bootstrap 5
one_line_error backtest '--trials: expected a whole number of trials from 100 to 2^53' "$M/article.json" --model revenue --trials 50
one_line_error backtest '--as-of: a backtest sets the as-of date of each origin itself' "$M/article.json" --model revenue --as-of 2026-01-01
one_line_error merge 'merge: give the shard files and -o FILE.h5' a.h5
one_line_error score 'score: expected SUMMARY.json OUTCOMES.json' a.json
one_line_error run '--trials=5: give the value as an argument of its own: --trials 5' "$M/option.json" --trials=5
one_line_error describe "--trials: not an option of tyche describe" "$M/option.json" --trials=5
expect_exit 2 'unknown command "sweeep"; did you mean sweep?' "$TYCHE" sweeep "$M/option.json"
[[ $(wc -l <err.txt) -eq 2 ]] && ok || bad "unknown command: not two lines: $(cat err.txt)"

# ---- did you mean ----------------------------------------------------------------
one_line_error run 'unknown option "--trails"; did you mean --trials?' "$M/option.json" --trails 5
one_line_error run 'did you mean --checkpoint-every?' "$M/option.json" --checkpoint-ev 2
one_line_error run 'did you mean --summary?' "$M/option.json" --sumary x.json
one_line_error sobol 'did you mean --target?' "$M/option.json" --targte x
one_line_error sweep 'did you mean --grid?' "$M/option.json" --gird a=1
one_line_error replay 'did you mean --trial?' "$M/option.json" -trial 3
expect_exit 2 'unknown option "--zzzzzz"' "$TYCHE" run "$M/option.json" --zzzzzz
grep -q "did you mean" err.txt && bad "a suggestion for --zzzzzz: $(cat err.txt)" || ok

# ---- an option of another command is named as such -------------------------------
one_line_error run "--grid: not an option of tyche run (it is tyche sweep's)" "$M/option.json" --grid a=1
one_line_error merge "--checkpoint: not an option of tyche merge (it is tyche run's)" a.h5 -o m.h5 --checkpoint d
one_line_error tornado "--target: not an option of tyche tornado (it is tyche sobol's)" "$M/option.json" --target x
one_line_error describe "-n: not an option of tyche describe (it is tyche run's, tyche replay's" "$M/option.json" -n 5
one_line_error score "-o: tyche score writes no result file, only its JSON summary: --summary FILE" a.json b.json -o x.h5

# ---- the old spellings, refused with the new one --------------------------------
for c in run tornado sweep sobol backtest score merge; do
  expect_exit 2 '--json: renamed --summary (one name in every command)' "$TYCHE" $c x.json --json y.json
done
one_line_error sobol '--output-file: renamed -o/--output (one name in every command)' "$M/article.json" --output-file s.h5
one_line_error sobol 'did you mean --target revenue.slowdown_pp?' "$M/article.json" --base 100 --output revenue.slowdown_pp
# -o given twice: each is looked at, not only the last
expect_exit 2 'did you mean --target revenue.slowdown_pp?' "$TYCHE" sobol "$M/article.json" --output revenue.slowdown_pp -o s.h5
[[ ! -e s.h5 ]] && ok || bad "sobol ran with an old --output NAME"

# ---- -o FILE and --summary FILE in every command that writes -----------------------
wrote() { # NAME CMD...: the command writes NAME.h5 and NAME-sum.json where -o and --summary say
  local n=$1
  shift
  "$@" -q -o "$n.h5" --summary "$n-sum.json" >/dev/null 2>err.txt && [[ -s $n.h5 && -s $n-sum.json && ! -e $n.json ]] \
    && ok || bad "$n: -o and --summary not written: $(cat err.txt)"
}
wrote run "$TYCHE" run "$M/option.json" -n 2000 -t 2
for i in 0 1; do "$TYCHE" run "$M/option.json" -n 4096 -t 2 --shard $i/2 -q -o part$i.h5 || bad "shard $i"; done
wrote merge "$TYCHE" merge part0.h5 part1.h5
wrote tornado "$TYCHE" tornado "$M/option.json" -n 500 -t 2
wrote sweep "$TYCHE" sweep "$M/option.json" --grid option.q=0,0.1 -n 500 -t 2
wrote sobol "$TYCHE" sobol "$M/option.json" --base 100 --bootstrap 10 -t 2
wrote backtest "$TYCHE" backtest "$M/article.json" --model revenue --origins FY2025Q1..FY2025Q1 --horizon 1 -n 100 -t 2
echo '{"outcomes": {"P1": {"outcome": false, "resolved": "2027-06-30"}}}' >outcomes.json
"$TYCHE" score run-sum.json outcomes.json --summary score-sum.json >/dev/null && [[ -s score-sum.json ]] \
  && ok || bad "score --summary"
# the long spellings are the same options
"$TYCHE" run "$M/option.json" -n 2000 -t 2 -s 1 -q -o short.h5 --summary short.json \
  && "$TYCHE" run "$M/option.json" --trials 2000 --threads 2 --seed 1 --quiet --output long.h5 --summary long.json \
  && same_results short.h5 long.h5 && ok || bad "run: the long spellings differ from the short"
finish
