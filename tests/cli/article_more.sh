#!/usr/bin/env bash
# models/article_more.json: the article's models with two more of its claims, written with no
# C (a statement on the exclusivity model; a generic event model and its statement).  Each
# new statement is recomputed from the stored per-trial times; P1 to P3 agree with
# article.json's within 4 standard errors (the same models and priors: only the common
# factor's stream moved); the figures of scripts/run.sh are drawn.
source "$(dirname "$0")/common.bash"
M="$TYCHE_SRC/models"

"$TYCHE" run "$M/article_more.json" -n 40000 -q -o more.h5 && ok || bad "article_more run"
"$TYCHE" run "$M/article.json" -n 40000 -q -o art.h5 && ok || bad "article run"
$PY - <<'PY' && ok || bad "article_more: the new statements from the stored times"
import h5py, json, numpy as np
f = h5py.File("more.h5")
start = np.datetime64("2026-04-20")
def by(date):  # a statement's "by DATE": until the end of that day, in days since start
    return float((np.datetime64(date) - start).astype(int)) + 1
def t(name):
    x = f[name][()]
    return np.where(np.isnan(x), np.inf, x)   # never: NaN in the file
w = f["exclusivity.window_months"][()]
c4 = (t("exclusivity.deal_time") <= by("2027-04-20")) & (w >= 6) & (w <= 12)
g3 = (t("option.board_time") <= by("2029-04-20")) | (t("governance.time") <= by("2029-04-20"))
assert (f["C4_window"][()].astype(bool) == c4).all()
assert (f["G3"][()].astype(bool) == g3).all()
first = t("option.exercise_time") < np.minimum(t("governance.time"), t("option.board_time"))
assert (f["G3_after_exercise"][()].astype(bool) == (g3 & first)).all()
j = json.load(open("more.json"))["statements"]
assert 0.1 < j["G3"]["probability"] < 0.3 and 0.01 < j["C4_window"]["probability"] < 0.06, j
assert j["G3"]["probability"] >= j["G3_board"]["probability"]
a = json.load(open("art.json"))["statements"]
for sid in ("P1", "P2", "P3", "P3_level", "exercise_2027Q2"):
    z = (j[sid]["probability"] - a[sid]["probability"]) / np.hypot(j[sid]["stderr"], a[sid]["stderr"])
    assert abs(z) < 4, (sid, j[sid], a[sid], z)
PY
# the main job's path: paths stored, every figure drawn
"$TYCHE" run "$M/article_more.json" -n 3000 -q --store paths -o paths.h5 && \
  $PY "$TYCHE_SRC/scripts/plot.py" paths.h5 -o plots >/dev/null && [[ -s plots/statements.png && -s plots/incidence.png ]] \
  && ok || bad "article_more: the figures"
finish
