#!/usr/bin/env bash
# The Python side of the results files, for each scenario at each store level:
# scripts/python/tyche_results.py reads it (statements, outputs, incidence and
# the joint view equal to the JSON summary's), scripts/plot.py draws every
# figure the file has data for as a valid PNG and reports the others as
# skipped, and tests/check_hdf5.py opens every group with xarray's h5netcdf
# and netcdf4 engines and runs ncdump -h.  The Python checks run in one
# interpreter each, as its start-up dominates the time of this test.
source "$(dirname "$0")/common.bash"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ left in the source tree
export PYTHONPATH="$TYCHE_SRC/scripts:$TYCHE_SRC/scripts/python:$TYCHE_SRC/tests"

for scen in option article; do
  for store in none outputs paths; do
    "$TYCHE" run "$TYCHE_SRC/models/$scen.json" -n 3000 -q --store $store -o ${scen}_$store.h5 \
      && ok || bad "run $scen --store $store"
  done
done

$PY - <<'PY' && ok || bad "reader or xarray/ncdump checks"
import json, sys
import numpy as np
import check_hdf5
from tyche_results import open_results

failed = False
for scen in ("option", "article"):
    for store in ("none", "outputs", "paths"):
        f = f"{scen}_{store}"
        # xarray with both engines on every group, ncdump -h, probabilities vs the JSON
        check_hdf5.failures.clear()
        sys.argv = ["check_hdf5.py", f + ".h5", f + ".json", "--expect-store", store]
        failed |= check_hdf5.main() != 0

        js = json.load(open(f + ".json"))
        with open_results(f + ".h5") as r:
            assert (r.trials is None) == (store == "none"), f
            assert (r.paths is None) == (store != "paths"), f
            assert r.attrs["scenario"] == scen and r.attrs["trials"] == js["trials"], f
            assert r.scenario["name"] == scen and r.scenario["statements"], f
            st = js["statements"]
            assert list(r.statements.index) == list(st), (f, list(r.statements.index))
            for sid, row in r.statements.iterrows():
                assert row["probability"] == st[sid]["probability"], (f, sid)
                assert row["text"] == st[sid]["text"] and row["group"] == st[sid]["group"], (f, sid)
                assert np.allclose([row["ci95_low"], row["ci95_high"]], st[sid]["ci95"],
                                   rtol=1e-12), (f, sid)
            import pandas as pd
            t0 = pd.Timestamp(r.attrs["start"])
            for name, o in js["outputs"].items():
                got, days = r.outputs.loc[name], r.outputs_days.loc[name]
                want = {k: o[k] for k in ("mean", "sd", "missing_fraction")} | o["quantiles"]
                is_time = o["units"].startswith("days since ")
                assert got["time"] == days["time"] == is_time, (f, name)
                for k, v in want.items():
                    v = np.nan if v is None else v
                    assert np.isclose(days[k], v, rtol=1e-12, equal_nan=True), (f, name, k, days[k], v)
                    if is_time and k not in ("sd", "missing_fraction"):
                        # an event time's mean and quantiles are dates: start + days, NaT for none
                        if np.isnan(v):
                            assert got[k] is pd.NaT, (f, name, k, got[k])
                        else:
                            assert isinstance(got[k], pd.Timestamp), (f, name, k, got[k])
                            assert abs((got[k] - t0) / pd.Timedelta(1, "D") - v) < 1e-6, (f, name, k)
                    else:
                        assert np.isclose(got[k], v, rtol=1e-12, equal_nan=True), (f, name, k)
            for ev, e in js["events"].items():
                assert [d.strftime("%Y-%m-%d") for d in r.incidence.index] == e["dates"], (f, ev)
                assert np.allclose(r.incidence[ev].values, e["cumulative_incidence"],
                                   rtol=1e-12), (f, ev)
            assert r.joint.statements == js["joint"]["statements"], f
            for key, v in js["joint"]["pairs"].items():
                a, b = key.split("&")
                assert r.joint.probability.at[a, b] == v["probability"], (f, key)
            assert np.allclose(r.joint.correlation.values, js["joint"]["correlation"]), f
            assert r.joint.all["probability"] == js["joint"]["all"]["probability"], f
            if r.trials is not None:
                assert np.issubdtype(r.trials["option.exercise_time"].dtype, np.datetime64), f
                assert r.trials["P1"].attrs["group"] == "predictions", f
            if r.paths is not None:
                # the monthly axis's coordinate is its dates (README "Outputs"): the same
                # instants as option.month_time, selectable by a date string
                m = r.paths["option.month"]
                assert np.issubdtype(m.dtype, np.datetime64), (f, m.dtype)
                assert (m.values == r.paths["option.month_time"].values).all(), f
                assert str(m.values[0])[:10] == r.attrs["start"], (f, m.values[0])
                v = r.paths["option.valuation"].sel({"option.month": str(m.values[1])[:10]})
                assert v.sizes == {"trial": 3000}, (f, v.sizes)
            if r.paths is not None and scen == "article":
                assert r.paths["revenue.revenue"].sizes["trial"] == 3000, f
                assert r.paths["revenue.quarter"].values[0] == "FY2023Q1", f  # labels stay
sys.exit(1 if failed else 0)
PY

# scripts/plot.py as a command on the fullest file; the others through its
# main() in one interpreter.
$PY "$TYCHE_SRC/scripts/plot.py" article_paths.h5 -o png_article_paths >plot.out 2>plot.err \
  && ok || bad "plot.py article_paths.h5: $(cat plot.err)"
$PY - <<'PY' && ok || bad "plot.py figures"
import contextlib, io, os, struct
import plot

all_figures = ["statements", "revenue_fan", "incidence", "window", "slowdown", "joint"]
want = {
    "article_paths": all_figures,
    "article_outputs": ["statements", "incidence", "window", "slowdown", "joint"],
    "article_none": ["statements", "incidence", "joint"],
    "option_paths": ["statements", "incidence", "joint"],
    "option_outputs": ["statements", "incidence", "joint"],
    "option_none": ["statements", "incidence", "joint"],
}
for f, figures in want.items():
    out_dir = f"png_{f}"
    if f == "article_paths":  # drawn by the command above
        out, err = open("plot.out").read(), open("plot.err").read()
    else:
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            assert plot.main([f + ".h5", "-o", out_dir]) == 0, (f, e.getvalue())
        out, err = o.getvalue(), e.getvalue()
    assert out.split() == [f"{out_dir}/{p}.png" for p in figures], (f, out)
    for p in all_figures:
        if p not in figures:
            assert f"skipped {p}.png: " in err and not os.path.exists(f"{out_dir}/{p}.png"), (f, p, err)
    assert sorted(os.listdir(out_dir)) == sorted(p + ".png" for p in figures), f
    for p in figures:
        data = open(f"{out_dir}/{p}.png", "rb").read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", (f, p)
        w, h = struct.unpack(">II", data[16:24])
        assert len(data) > 10_000 and w >= 600 and h >= 300, (f, p, len(data), w, h)

# a --store none run plotted where a --store paths run's figures are (scripts/run.sh does so):
# the figures it cannot draw are removed, not left to pass for this file's; other files stay
import shutil
shutil.copytree("png_article_paths", "png_stale")
open("png_stale/notes.txt", "w").write("mine\n")
o, e = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
    assert plot.main(["article_none.h5", "-o", "png_stale"]) == 0, e.getvalue()
drawn = want["article_none"]
assert sorted(os.listdir("png_stale")) == sorted([p + ".png" for p in drawn] + ["notes.txt"]), \
    os.listdir("png_stale")
for p in all_figures:
    if p not in drawn:
        assert f"removed the earlier png_stale/{p}.png" in e.getvalue(), (p, e.getvalue())

# not a results file: exit 2 and a message
e = io.StringIO()
with contextlib.redirect_stderr(e):
    assert plot.main(["article_none.json", "-o", "png_bad"]) == 2
assert "cannot read article_none.json" in e.getvalue(), e.getvalue()
print("plots ok")
PY

# Tornado and Sobol figures hold every target, the 5th and later ones and an explicitly
# requested --target included (six panels a file, the next file tornado_2.png), and each
# file's line names its targets; an earlier run's extra page is removed.
"$TYCHE" tornado "$TYCHE_SRC/models/article.json" -n 1000 -q -o tor.h5 && ok || bad "tornado article"
"$TYCHE" sobol "$TYCHE_SRC/models/article.json" --base 150 --bootstrap 20 -q \
  --target revenue.slowdown_pp -o sob.h5 && ok || bad "sobol article --target revenue.slowdown_pp"
$PY - <<'PY' && ok || bad "plot.py tornado/sobol: every target drawn"
import contextlib, io, json, os
import plot

for f, stem, key in (("tor", "tornado", "baseline"), ("sob", "sobol", "targets")):
    targets = list(json.load(open(f + ".json"))[key])
    assert len(targets) > 6, (f, targets)  # more than one file's worth
    out_dir = f"png_{f}"
    os.makedirs(out_dir)
    open(f"{out_dir}/{stem}_9.png", "w").write("an earlier run's page")
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        assert plot.main([f + ".json", "-o", out_dir]) == 0, (f, e.getvalue())
    lines = o.getvalue().splitlines()
    pages = [f"{out_dir}/{stem}.png"] + [f"{out_dir}/{stem}_{i}.png" for i in range(2, len(lines) + 1)]
    assert [ln.split()[0] for ln in lines] == pages, (f, lines)
    drawn = [t for ln in lines for t in ln.split("  targets: ")[1].split(", ")]
    assert drawn == targets, (f, drawn, targets)
    assert all(len(ln.split("  targets: ")[1].split(", ")) <= 6 for ln in lines), (f, lines)
    assert sorted(os.listdir(out_dir)) == sorted(os.path.basename(p) for p in pages), f
    assert f"removed the earlier {out_dir}/{stem}_9.png" in e.getvalue(), (f, e.getvalue())
    for p in pages:
        assert open(p, "rb").read()[:8] == b"\x89PNG\r\n\x1a\n", p
    # every panel titled with its target and its units
    per = [ln.split("  targets: ")[1].split(", ") for ln in lines]
    t = json.load(open(f + ".json"))
    for names in per:
        fig = (plot.fig_tornado if stem == "tornado" else plot.fig_sobol)(t, f + ".json",
                                                                          targets=names)
        titles = [ax.get_title() for ax in fig.axes]
        assert len(titles) == len(names), (f, titles)
        for name, title in zip(names, titles):
            assert title.startswith(name + " (") and ("probability" in title or "units" in title), \
                (f, name, title)
assert "revenue.slowdown_pp" in open("sob.json").read()
print("sensitivity plots ok")
PY

# statements.png: a logit probability axis on which P1 (about 0.01) stands clear of the axis'
# end, its interval visible, a legend of the groups; one number format in a figure (3
# significant digits, one notation) in the statements and joint figures.
$PY - <<'PY' && ok || bad "plot.py statements axis, legend and number format"
import re
import plot
from tyche_results import open_results

def sig_digits(s):
    mant = s.split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return len(mant)

for f in ("article_none", "option_none"):
    with open_results(f + ".h5") as r:
        st = r.statements
        fig = plot.fig_statements(r)
        ax = fig.axes[0]
        assert ax.get_xscale() == "logit", (f, ax.get_xscale())
        lo, hi = ax.get_xlim()
        width = ax.get_window_extent().width
        px = lambda v: ax.transData.transform((v, 0))[0]  # noqa: E731
        for sid, row in st.iterrows():
            if 0 < row["probability"] < 1:
                # at least 5% of the axis from its ends, and an interval a few pixels wide
                assert 0.05 * width < px(row["probability"]) - px(lo) < 0.95 * width, (f, sid)
                if row["ci95_low"] > 0:
                    assert px(row["ci95_high"]) - px(row["ci95_low"]) > 3, (f, sid)
        legend = ax.get_legend()
        assert legend is not None, f
        labels = [t.get_text() for t in legend.get_texts()]
        assert all(g in labels for g in dict.fromkeys(st["group"])), (f, labels)
        for fig in (fig, plot.fig_joint(r)):
            nums = [n for t in fig.axes[0].texts for n in
                    re.findall(r"\d+\.\d+(?:e[-+]\d+)?|(?<![\d.])0(?![\d.])", t.get_text())]
            assert nums, f
            sci = {"e" in n for n in nums if n != "0"}
            assert len(sci) == 1, (f, nums)  # one notation
            assert all(sig_digits(n) == 3 for n in nums if n != "0"), (f, nums)
print("statements plot ok")
PY
finish
