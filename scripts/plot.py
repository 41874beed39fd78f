#!/usr/bin/python3
"""Plots a tyche results file as PNGs, from the file alone (no Jupyter needed).

    scripts/plot.py results/article.h5 -o plots/
    scripts/plot.py article-backtest.json -o plots/   (tyche backtest: backtest.png)
    scripts/plot.py forecasts.jsonl -o plots/         (tyche run --log: forecast_log.png)
    scripts/plot.py article-tornado.json -o plots/    (tyche tornado: tornado.png)
    scripts/plot.py article-sobol.json -o plots/      (tyche sobol: sobol.png)
    scripts/plot.py article-sweep.json -o plots/      (tyche sweep: sweep.png)

A tornado, Sobol or sweep figure draws every statement (and every --target of sobol), six
panels to a file: tornado.png, then tornado_2.png, ... when there are more; each line printed
for one names its targets ("plots/tornado.png  targets: P1, P2, ...").

writes statements.png, revenue_fan.png, incidence.png, window.png, slowdown.png and joint.png,
printing the path of each; a figure whose data the file lacks (no paths stored, no revenue
model, ...) is skipped with a note on stderr, and a figure of that name already in the folder (an earlier
run's, say with --store paths) is removed, so every figure there matches the file. One shard of a job array (tyche run --shard I/N,
its .h5 or its summary JSON) is refused with exit status 2: merge the shards first (tyche
merge), then plot the merged file. Deadlines, thresholds and bands come from the
statements' rules in the scenario JSON stored in the file. Each fig_* function takes an
open_results() object and returns a matplotlib Figure, so a notebook can import them.
"""

import argparse
import math
import os
import sys
import textwrap

import matplotlib
import matplotlib.lines
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "python"))
from tyche_results import (  # noqa: E402  (found through the line above)
    ShardError, open_results, shard_message, shard_of)

DPI = 150
# Quantile bands need no more trials than this (their Monte Carlo error is then far below a
# line's width); it bounds the memory a fan chart of a very large merged run takes.
FAN_MAX_TRIALS = 250_000
Z95 = 1.959963984540054  # as the engine's Wilson interval


class Absent(Exception):
    """The results file lacks what a figure needs; the message says what."""


def _tex(text):
    """Text shown literally: a '$' would otherwise start matplotlib's math mode."""
    return str(text).replace("$", r"\$")


def _wrap(text, width=100):
    return _tex("\n".join(textwrap.fill(line, width) for line in str(text).split("\n")))


def _p_format(values):
    """One number format for a figure's probabilities: 3 significant digits, in plain decimals
    when every nonzero value is at least 0.001, else all in scientific notation (mixing
    0.0011 with 9.04e-04 in one figure reads badly). Returns a function of a value."""
    nonzero = [abs(float(v)) for v in values if v is not None and np.isfinite(v) and v != 0]
    scientific = bool(nonzero) and min(nonzero) < 0.001

    def fmt(v):
        if v is None or not np.isfinite(v):
            return "n/a"
        if scientific:
            return f"{v:.2e}"
        if v == 0:
            return "0"
        return f"{v:.{max(2 - math.floor(math.log10(abs(v))), 0)}f}"
    return fmt


def _fmt_p(p):
    """A lone probability, in the format _p_format gives a figure holding only it."""
    return _p_format([p])(p)


def _figure(r, width, height, title=None):
    """A figure with the provenance footer (scenario, seed, trials) and room kept for it."""
    fig = Figure(figsize=(width, height), layout="constrained")
    fig.get_layout_engine().set(rect=(0, 0.35 / height, 1, 1 - 0.35 / height))
    a = r.attrs
    trials = a.get("trials")
    parts = [f"scenario {a.get('scenario', '?')}", f"seed {a.get('seed', '?')}",
             f"{trials:,} trials" if isinstance(trials, int) else f"{trials} trials"]
    if "as_of" in a:
        parts.append(f"as of {a['as_of']}")
    parts.append(os.path.basename(r.path))
    fig.text(0.01, 0.01, _tex("  ·  ".join(parts)), fontsize=8, color="0.35",
             ha="left", va="bottom")
    if title:
        fig.suptitle(_wrap(title, 110), fontsize=12)
    return fig


def _models(r, kind):
    return [m["name"] for m in (r.scenario or {}).get("models", []) if m.get("kind") == kind]


def _leaves(rule):
    """The leaf conditions of a statement rule (inside all/any/not)."""
    if "all" in rule or "any" in rule:
        for sub in rule.get("all", rule.get("any")):
            yield from _leaves(sub)
    elif "not" in rule:
        yield from _leaves(rule["not"])
    else:
        yield rule


def _statement_rules(r):
    """(statement dict, leaf) for every leaf of every statement in the scenario."""
    for st in (r.scenario or {}).get("statements", []):
        for leaf in _leaves(st.get("rule", {})):
            yield st, leaf


def _observed(r):
    """What the run said each event did by its as-of date: {event: date string, False or
    "unknown"}, the scenario's "observed" with the command line's --observed over it."""
    obs = dict((r.scenario or {}).get("observed", {}))
    words = str(r.attrs.get("command_line", "")).split()
    for i, w in enumerate(words):
        val = w[len("--observed="):] if w.startswith("--observed=") else (
            words[i + 1] if w == "--observed" and i + 1 < len(words) else None)
        if val and "=" in val:
            name, what = val.split("=", 1)
            obs[name] = False if what == "false" else what
    return obs


def _trial_values(r, name):
    if r.trials is None:
        raise Absent("no per-trial outputs stored (run with --store outputs or paths)")
    if name not in r.trials:
        raise Absent(f"no per-trial variable {name!r}")
    return np.asarray(r.trials[name].values, dtype=float)


def _revenue_model(r):
    models = _models(r, "revenue_slowdown")
    if not models:
        raise Absent("the scenario has no revenue_slowdown model")
    return models[0], next(m for m in r.scenario["models"] if m["name"] == models[0])


def _wilson(p, n):
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


# Ticks of a probability axis on the logit scale, labelled in plain decimals.
_LOGIT_TICKS = (1e-6, 1e-5, 1e-4, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 0.5, 0.7, 0.9, 0.97, 0.99,
                0.997, 0.999, 1 - 1e-4, 1 - 1e-5, 1 - 1e-6)


def _logit_axis(ax, values):
    """A logit probability axis spanning `values` (points and interval ends) with a margin:
    0.01 and 0.5 are both readable there, and 0.99 as well as 0.01 (a log axis would crush the
    values near 1, and a linear one those near 0). Returns the (low, high) limits, inside (0, 1):
    a bound at 0 or 1 is drawn to the limit."""
    inside = [float(v) for v in values if 0 < v < 1]
    lo = min(inside, default=0.01)
    hi = max(inside, default=0.99)
    logit = lambda q: math.log(q / (1 - q))  # noqa: E731
    expit = lambda z: 1 / (1 + math.exp(-z))  # noqa: E731
    margin = max(0.35 * (logit(hi) - logit(lo)), 0.6)
    low, high = expit(logit(lo) - margin), expit(logit(hi) + margin)
    ax.set_xscale("logit")
    ax.set_xlim(low, high)
    ticks = [t for t in _LOGIT_TICKS if low <= t <= high]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    return low, high


def fig_statements(r):
    """Each statement's probability with its 95% interval, grouped as in the terminal table,
    on a logit axis (so that 0.01 and 0.5 are both readable), a colour per group."""
    st = r.statements
    if st.empty:
        raise Absent("no statements")
    groups = list(dict.fromkeys(st["group"]))
    rows = []  # (label, statement id or None for a group header)
    for g in groups:
        rows.append((f"[{g}]", None))
        rows += [(f"{sid}:  {textwrap.shorten(st.at[sid, 'text'], 64, placeholder=' …')}", sid)
                 for sid in st.index[st["group"] == g]]
    fig = _figure(r, 13, 2.0 + 0.34 * len(rows),
                  f"{r.scenario.get('title', '') if r.scenario else ''}\n"
                  "Probability of each statement with its 95% interval (Wilson), logit scale")
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["tab10"]
    cols = ("probability", "ci95_low", "ci95_high")
    values = st[list(cols)].to_numpy(dtype=float).ravel()
    fmt = _p_format(values)
    low, high = _logit_axis(ax, values)
    y = np.arange(len(rows))[::-1]
    for yi, (_label, sid) in zip(y, rows):
        if sid is None:
            continue
        p, lo, hi = (float(st.at[sid, k]) for k in cols)
        c = colours(groups.index(st.at[sid, "group"]) % 10)
        # On the logit axis 0 and 1 lie at infinity: an end there is drawn to the axis' edge,
        # and a probability of 0 or 1 (no trial, or every trial) as an arrow at that edge.
        lo_d, hi_d = max(lo, low), min(hi, high)
        p_d = min(max(p, low), high)
        ax.plot([lo_d, hi_d], [yi, yi], color=c, lw=1.6, solid_capstyle="butt")
        for end, real in ((lo_d, lo), (hi_d, hi)):
            if end == real:
                ax.plot([end], [yi], "|", color=c, ms=9, mew=1.6)
        ax.plot([p_d], [yi], "<" if p <= low else ">" if p >= high else "o", color=c, ms=6)
        ax.annotate(f"{fmt(p)}  [{fmt(lo)}, {fmt(hi)}]", (1.01, yi),
                    xycoords=("axes fraction", "data"), va="center", fontsize=8.5)
    ax.set_yticks(y, [_tex(lbl) for lbl, _ in rows])
    for tick, (_label, sid) in zip(ax.get_yticklabels(), rows):
        if sid is None:
            tick.set_fontweight("bold")
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("probability (logit scale: log-odds, spread out near 0 and near 1)")
    ax.grid(axis="x", alpha=0.3)
    handles = [matplotlib.lines.Line2D([], [], color=colours(i % 10), marker="o", lw=1.6,
                                       label=_tex(g)) for i, g in enumerate(groups)]
    handles.append(matplotlib.lines.Line2D([], [], color="0.3", marker="|", ms=9, lw=1.6,
                                           label="95% interval"))
    ax.legend(handles=handles, title="group", loc="best", fontsize=8.5, title_fontsize=9)
    return fig


def fig_revenue_fan(r):
    """Revenue history and forecast quantile bands per quarter, with the counterfactual median."""
    m, model = _revenue_model(r)
    name, cf_name = f"{m}.revenue", f"{m}.revenue_cf"
    if r.paths is None or name not in r.paths:
        raise Absent("no revenue paths stored (run with --store paths)")
    var = r.paths[name]
    qdim = next(d for d in var.dims if d != "trial")
    ntrials = var.sizes["trial"]
    if ntrials < 2:
        raise Absent("fewer than two trials: no bands to draw")
    rev = var.isel(trial=slice(0, FAN_MAX_TRIALS)).transpose("trial", qdim).values
    cf = r.paths[cf_name].isel(trial=slice(0, FAN_MAX_TRIALS)).transpose("trial", qdim).values
    labels = [str(q) for q in var[qdim].values]
    # History is the leading run of quarters that are the same in every trial (and in the
    # counterfactual): the reported values.
    same = np.all(rev == rev[0], axis=0) & np.all(cf == rev[0], axis=0)
    h = int(np.argmin(same)) if not same.all() else len(labels)
    x = np.arange(len(labels))

    units = var.attrs.get("units", "")
    what = (model.get("description") or "revenue").split(",")[0]
    fig = _figure(r, 11, 6.2, f"{_tex(what)}: reported history and forecast bands per quarter")
    ax = fig.add_subplot()
    if h:
        ax.plot(x[:h], rev[0, :h], "o-", color="black", ms=3.5, lw=1.5, label="reported (history)")
    if h < len(labels):
        f = slice(max(h - 1, 0), len(labels))  # the fan starts at the last reported quarter
        q = np.nanquantile(rev[:, f], [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        qcf = np.nanmedian(cf[:, f], axis=0)
        ax.fill_between(x[f], q[0], q[4], color="tab:blue", alpha=0.18, lw=0, label="5-95%")
        ax.fill_between(x[f], q[1], q[3], color="tab:blue", alpha=0.38, lw=0, label="25-75%")
        ax.plot(x[f], q[2], color="tab:blue", lw=2, label="median")
        ax.plot(x[f], qcf, color="tab:red", lw=1.5, ls="--",
                label="median without displacement (counterfactual)")
        if h:
            ax.axvline(h - 0.5, color="0.5", lw=0.8, ls=":")
            ax.text(h - 0.4, 0.98, "forecast →", transform=ax.get_xaxis_transform(),
                    va="top", fontsize=9, color="0.3")
    ticks = list(labels)
    settings = model.get("settings", {})
    for key in ("reference", "target"):  # the quarters the slowdown compares
        if settings.get(key) in labels:
            i = labels.index(settings[key])
            ax.axvline(i, color="0.75", lw=0.8, zorder=0)
            ticks[i] = f"{labels[i]} ({key})"
    ax.set_xticks(x, ticks, rotation=60, ha="right", fontsize=8)
    ax.set_xlim(-0.5, len(labels) - 0.5)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("fiscal quarter")
    ax.set_ylabel(f"{_tex(what)} ({units})")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    if ntrials > FAN_MAX_TRIALS:
        ax.text(0.99, 0.01, f"bands from the first {FAN_MAX_TRIALS:,} of {ntrials:,} trials",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=8, color="0.4")
    return fig


def fig_incidence(r):
    """Cumulative incidence of every event time, with the statements' deadlines."""
    inc, se = r.incidence, r.incidence_stderr
    if inc.empty:
        raise Absent("no event-time outputs")
    never = [e for e in inc.columns if not (inc[e] > 0).any()]
    events = [e for e in inc.columns if e not in never]
    if not events:
        raise Absent("no event happened in any trial")
    start = pd.Timestamp(r.attrs.get("start", inc.index[0]))

    fig = _figure(r, 11, 6, "Cumulative incidence of each event (share of trials in which it "
                  "has happened by the end of each month), with the statements' deadlines")
    ax = fig.add_subplot()
    colours = matplotlib.colormaps["tab10"]
    for i, e in enumerate(events):
        dates = pd.DatetimeIndex([start]).append(inc.index)
        y = np.r_[0.0, inc[e].values]
        band = Z95 * np.r_[0.0, se[e].values]
        ax.fill_between(dates, y - band, y + band, color=colours(i), alpha=0.2, lw=0)
        ax.plot(dates, y, "-o", ms=2.5, color=colours(i), label=e)

    # Deadlines: every {"event": X, "by": DATE} in a statement's rule. A statement that is
    # just that condition is the exact incidence at DATE: mark it on the curve.
    deadlines = {}
    fmt = _p_format(r.statements["probability"].to_numpy(dtype=float))
    for st, leaf in _statement_rules(r):
        if "event" in leaf and "by" in leaf and leaf["event"] in inc.columns:
            deadlines.setdefault(leaf["by"], []).append(st["id"])
            if st.get("rule") is leaf and st["id"] in r.statements.index and leaf["event"] in events:
                p = float(r.statements.at[st["id"], "probability"])
                d = pd.Timestamp(leaf["by"]) + pd.Timedelta(hours=23, minutes=59)
                c = colours(events.index(leaf["event"]))
                ax.plot([d], [p], "D", color=c, ms=6, mec="black", mew=0.6, zorder=5)
                ax.annotate(f"{_tex(st['id'])} = {fmt(p)}", (d, p), xytext=(-8, 6),
                            textcoords="offset points", ha="right", fontsize=8.5)
    for date, ids in sorted(deadlines.items()):
        d = pd.Timestamp(date)
        ax.axvline(d, color="0.3", lw=1, ls="--")
        ax.text(d, 0.99, f" {date}\n {_tex(', '.join(dict.fromkeys(ids)))}",
                transform=ax.get_xaxis_transform(), va="top", ha="left", fontsize=8)
    # The as-of date, and what was observed by then: a date (the event happened then in every
    # trial: a star on its curve) or false (it had not: the curve is flat to the as-of date).
    as_of = r.attrs.get("as_of")
    if as_of and pd.Timestamp(as_of) > start:
        a = pd.Timestamp(as_of)
        ax.axvspan(start, a, color="0.85", alpha=0.5, lw=0, zorder=0)
        said = []
        for e, what in _observed(r).items():
            if e not in inc.columns:
                continue
            if what is False:
                said.append(f"{e}: not by then")
            elif what == "unknown":
                said.append(f"{e}: unknown")
            else:
                d = pd.Timestamp(what)
                said.append(f"{e}: on {what}")
                if e in events:
                    c = colours(events.index(e))
                    ax.plot([d], [1.0 if d <= a else 0.0], "*", color=c, ms=12, mec="black", mew=0.6,
                            zorder=6, transform=ax.get_xaxis_transform() if d > a else ax.transData)
        ax.text(a, 0.02, f" as of {as_of}" + ("\n " + _tex("\n ".join(said)) if said else ""),
                transform=ax.get_xaxis_transform(), va="bottom", ha="left", fontsize=8, color="0.25")
    if never:
        ax.text(0.99, 0.5, "not drawn (never happens in this run):\n" + _tex("\n".join(never)),
                transform=ax.transAxes, ha="right", va="center", fontsize=8, color="0.35")
    ax.set_ylim(0, min(1.0, float(inc[events].max().max()) * 1.25 + 0.02))
    ax.set_xlabel("date (points at month ends)")
    ax.set_ylabel("cumulative probability (share of trials)")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=9)
    return fig


def fig_window(r):
    """Distribution of the exclusivity window's length given a deal, with its threshold."""
    models = _models(r, "exclusivity_window")
    if not models:
        raise Absent("the scenario has no exclusivity_window model")
    name = f"{models[0]}.window_months"
    w = _trial_values(r, name)
    n = len(w)
    w = w[np.isfinite(w)]
    if not len(w):
        raise Absent("no deal in any trial, so no window lengths")
    rules = [(st, leaf) for st, leaf in _statement_rules(r)
             if leaf.get("value") == name and (">=" in leaf or ">" in leaf)]
    title = "Length of the exclusivity window"
    if rules:
        st = rules[0][0]
        title = f"{st['id']}: {st['text']}"
    fig = _figure(r, 10, 5.6, title)
    ax = fig.add_subplot()
    top = max(math.ceil(np.quantile(w, 0.995)), 13)
    ax.hist(np.minimum(w, top), bins=np.arange(0, top + 1), weights=np.full(len(w), 1 / len(w)),
            color="tab:blue", alpha=0.75, edgecolor="white", lw=0.5)
    for st, leaf in rules[:1]:
        thr = float(leaf.get(">=", leaf.get(">")))
        share = float(np.mean(w >= thr) if ">=" in leaf else np.mean(w > thr))
        ax.axvline(thr, color="tab:red", lw=2)
        ax.text(thr, 0.97, f"  {thr:g} months: P(window {'≥' if '>=' in leaf else '>'} "
                f"{thr:g} | deal) = {_fmt_p(share)}", transform=ax.get_xaxis_transform(),
                color="tab:red", va="top", fontsize=9.5)
    ax.set_xlim(0, top)
    ax.set_xlabel(f"window length given a deal (months; the last bar holds all ≥ {top - 1})")
    ax.set_ylabel("share of deals (per 1-month bin)")
    ax.set_title(f"{len(w):,} of {n:,} trials made a deal by the horizon", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    return fig


def fig_slowdown(r):
    """Distribution of the revenue slowdown with the statement's band, and its counterfactual."""
    m, model = _revenue_model(r)
    name, cf_name = f"{m}.slowdown_pp", f"{m}.slowdown_cf_pp"
    s = _trial_values(r, name)
    s = s[np.isfinite(s)]
    cf = _trial_values(r, cf_name)
    cf = cf[np.isfinite(cf)]
    rules = [(st, leaf) for st, leaf in _statement_rules(r)
             if leaf.get("value") == name and "between" in leaf]
    title = "Revenue growth slowdown"
    if rules:
        st = rules[0][0]
        title = f"{st['id']}: {st['text']}"
    fig = _figure(r, 10, 5.8, title)
    ax = fig.add_subplot()
    both = np.r_[s, cf]
    lo, hi = math.floor(np.quantile(both, 0.005)), math.ceil(np.quantile(both, 0.995))
    bins = np.arange(lo, hi + 1)  # 1-pp bins on whole points, so a band's edges fall on them
    ax.hist(s, bins=bins, weights=np.full(len(s), 1 / len(s)), color="tab:blue", alpha=0.6,
            label="slowdown")
    ax.hist(cf, bins=bins, weights=np.full(len(cf), 1 / len(cf)), histtype="step",
            color="tab:red", ls="--", lw=1.5, label="counterfactual slowdown (no displacement)")
    notes = []
    for st, leaf in rules[:1]:
        a, b = (float(v) for v in leaf["between"])
        ax.axvspan(a, b, color="tab:orange", alpha=0.3, lw=0, zorder=0,
                   label=f"{_tex(st['id'])} band [{a:g}, {b:g}] pp")
        ps = (float(np.mean((s >= a) & (s <= b))), float(np.mean((cf >= a) & (cf <= b))))
        fmt = _p_format(ps)
        notes.append(f"P(in band) = {fmt(ps[0])}, counterfactual {fmt(ps[1])}")
    disp = f"{m}.displacement_pp"
    if disp in r.outputs.index:
        notes.append(f"mean displacement {r.outputs.at[disp, 'mean']:.1f} pp")
    notes.append(f"median slowdown {np.median(s):.1f} pp (counterfactual {np.median(cf):.1f})")
    ax.text(0.99, 0.97, "\n".join(notes), transform=ax.transAxes, ha="right", va="top",
            fontsize=9, bbox=dict(facecolor="white", edgecolor="0.8", alpha=0.9))
    settings = model.get("settings", {})
    ref, target = settings.get("reference", "the reference quarter"), settings.get("target", "")
    units = r.trials[name].attrs.get("units", "percentage points")
    ax.set_xlabel(f"slowdown: QoQ growth at {ref} minus QoQ growth at {target} ({units})")
    ax.set_ylabel("share of trials (per 1-point bin)")
    ax.set_xlim(lo, hi)
    ax.legend(loc="upper left", fontsize=9)
    ax.grid(axis="y", alpha=0.3)
    return fig


def fig_joint(r):
    """Joint probabilities of the joint view's statements and the correlation of indicators."""
    j = r.joint
    ids = j.statements
    if len(ids) < 2:
        raise Absent("the joint view has fewer than two statements")
    n = int(r.attrs["trials"])
    marg = {sid: float(j.probability.at[sid, sid]) for sid in ids}
    rows = []  # (label, p, lo, hi, p if independent)
    for sid in ids:
        st = r.statements.loc[sid] if sid in r.statements.index else None
        lo, hi = ((float(st["ci95_low"]), float(st["ci95_high"])) if st is not None
                  else _wilson(marg[sid], n))
        rows.append((sid, marg[sid], lo, hi, None))
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            p = float(j.probability.at[a, b])
            rows.append((f"{a} & {b}", p, *_wilson(p, n), marg[a] * marg[b]))
    if len(ids) > 2:
        rows.append((" & ".join(ids), float(j.all["probability"]), float(j.all["ci95_low"]),
                     float(j.all["ci95_high"]), float(np.prod(list(marg.values())))))

    fig = _figure(r, 13, 1.8 + max(0.42 * len(rows), 0.9 * len(ids)),
                  "Joint view: " + ", ".join(ids))
    ax, axc = fig.subplots(1, 2, width_ratios=[1.5, 1])
    positive = [v for row in rows for v in row[1:] if v is not None and v > 0]
    floor = min(positive) / 4 if positive else 1e-6
    fmt = _p_format([v for row in rows for v in row[1:4]])
    y = np.arange(len(rows))[::-1]
    indep_drawn = False
    for yi, (label, p, lo, hi, indep) in zip(y, rows):
        if p > 0:
            ax.errorbar([p], [yi], xerr=[[p - max(lo, floor)], [hi - p]], fmt="o",
                        color="tab:blue", capsize=4)
            text = f"{fmt(p)}  [{fmt(lo)}, {fmt(hi)}]"
        else:  # none of the trials: only an upper bound
            ax.errorbar([hi], [yi], xerr=[[hi - floor], [0]], fmt="<", color="tab:blue",
                        capsize=0)
            text = f"0 of {n:,} trials (< {fmt(hi)})"
        # The numbers in a column right of the axes, which may then end at probability 1.
        ax.annotate(text, (1.02, yi), xycoords=("axes fraction", "data"), va="center",
                    fontsize=8.5)
        if indep is not None and indep > 0:
            ax.plot([indep], [yi], "x", color="0.4", ms=7,
                    label=None if indep_drawn else "if independent (product of marginals)")
            indep_drawn = True
    ax.set_yticks(y, [_tex(row[0]) for row in rows])
    ax.set_xscale("log")
    top = max(row[3] for row in rows)
    ax.set_xlim(floor, min(1.0, top * 3))
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.set_xlabel("probability (log scale)")
    ax.set_title("Probability with 95% interval", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    if indep_drawn:
        ax.legend(loc="lower right", fontsize=8.5)

    corr = j.correlation.values.astype(float)
    off = ~np.eye(len(ids), dtype=bool)
    # At least +-0.1, so correlations within their noise of zero stay pale.
    lim = max(float(np.nanmax(np.abs(corr[off]))), 0.1)
    shown = np.where(off, corr, np.nan)  # the diagonal (1) would swamp the colour scale
    im = axc.imshow(shown, cmap="RdBu_r", vmin=-lim, vmax=lim)
    for a in range(len(ids)):
        for b in range(len(ids)):
            if a == b:
                axc.text(b, a, "1", ha="center", va="center", fontsize=9, color="0.4")
            else:
                se = float(j.correlation_stderr.values[a, b])
                axc.text(b, a, f"{corr[a, b]:+.3f}\n± {se:.3f}", ha="center", va="center",
                         fontsize=9, color="white" if abs(corr[a, b]) > 0.6 * lim else "black")
    axc.set_xticks(range(len(ids)), [_tex(s) for s in ids])
    axc.set_yticks(range(len(ids)), [_tex(s) for s in ids])
    axc.set_title("Correlation of the 0/1 indicators (phi ± se)", fontsize=10)
    fig.colorbar(im, ax=axc, label="phi coefficient (dimensionless)", shrink=0.8)
    return fig


FIGURES = (
    ("statements.png", fig_statements),
    ("revenue_fan.png", fig_revenue_fan),
    ("incidence.png", fig_incidence),
    ("window.png", fig_window),
    ("slowdown.png", fig_slowdown),
    ("joint.png", fig_joint),
)


def _footer(fig, text, height):
    fig.get_layout_engine().set(rect=(0, 0.35 / height, 1, 1 - 0.35 / height))
    fig.text(0.01, 0.01, _tex(text), fontsize=8, color="0.35", ha="left", va="bottom")


def fig_backtest(bt, path):
    """Coverage of the central intervals against their nominal levels, the CRPS by horizon and
    the PIT histogram, the model beside the baselines scored on the same (origin, step) pairs
    (random walk, last growth: the model's CRPS skill against each in the legend), from the
    JSON that `tyche backtest` writes."""
    pit = np.asarray(bt.get("pit", []), dtype=float)
    if pit.size == 0:
        raise Absent("the backtest evaluated no forecast")
    bases = bt.get("baselines", {})
    fig = Figure(figsize=(14, 4.4), layout="constrained")
    _footer(fig, f"backtest of {bt['model']} in {bt['scenario']}  ·  horizon {bt['horizon']} "
                 f"quarter(s)  ·  {bt['trials']:,} trials per origin  ·  seed {bt['seed']}  ·  "
                 f"{os.path.basename(path)}", 4.4)
    fig.suptitle(f"Backtest of {bt['model']}: {bt['variable']} forecasts from "
                 f"{len(bt['origins'])} origins, {pit.size} forecast quarters scored")
    ax = fig.add_subplot(1, 3, 1)
    levels = [50, 80, 95]
    rows = [("model", bt["coverage"], pit.size, "tab:blue")]
    colours = {"random_walk": "tab:orange", "last_growth": "tab:green"}
    for name, b in bases.items():
        rows.append((b.get("label", name), b["coverage"], b["n"], colours.get(name, "0.5")))
    x = np.arange(3)
    w = 0.8 / (len(rows) + 1)
    ax.bar(x - 0.4 + w / 2, [l / 100 for l in levels], w, color="0.8", label="nominal")
    for j, (label, cov, n, colour) in enumerate(rows):
        c = [cov[str(l)] if cov[str(l)] is not None else np.nan for l in levels]
        se = [math.sqrt(max(v * (1 - v), 1e-12) / max(n, 1)) for v in c]
        # the normal interval, clipped to [0, 1]
        err = [[min(1.96 * e, v) for e, v in zip(se, c)], [min(1.96 * e, 1 - v) for e, v in zip(se, c)]]
        ax.bar(x - 0.4 + (j + 1.5) * w, c, w, yerr=err, capsize=3, color=colour,
               label=f"{label} (95% CI)")
    ax.set_xticks(x, [f"{l}% interval" for l in levels])
    ax.set_ylabel("share of actual values inside the interval")
    ax.set_ylim(0, 1.3)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.legend(loc="upper left", fontsize=8, ncol=2)
    ax.set_title("coverage")
    ax = fig.add_subplot(1, 3, 2)
    hs = [r["h"] for r in bt["by_horizon"]]
    ax.plot(hs, [r["crps"] if r["crps"] is not None else np.nan for r in bt["by_horizon"]],
            marker="o", color="tab:blue", label=f"model: {bt['crps']:.3g}")
    for name, b in bases.items():
        sk, se = b.get("skill"), b.get("skill_se")
        tag = f"; skill {sk:+.2f} ± {se:.2f}" if sk is not None and se is not None else ""
        ax.plot([r["h"] for r in b["by_horizon"]],
                [r["crps"] if r["crps"] is not None else np.nan for r in b["by_horizon"]],
                marker="s", ls="--", color=colours.get(name, "0.5"),
                label=f"{b.get('label', name)}: {b['crps']:.3g}{tag}")
    ax.set_xticks(hs)
    ax.set_xlabel("quarters ahead")
    ax.set_ylabel("mean CRPS (USD billions; lower is better)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, title="CRPS, all horizons", title_fontsize=8)
    ax.set_title("CRPS by horizon; skill = 1 - CRPS_model / CRPS_baseline", fontsize=10)
    ax = fig.add_subplot(1, 3, 3)
    n = pit.size
    ax.hist(pit, bins=10, range=(0, 1), color="tab:blue", edgecolor="white")
    ax.axhline(n / 10, color="k", ls="--", lw=1, label="uniform (calibrated)")
    ax.set_xlabel("PIT = forecast CDF at the actual value")
    ax.set_ylabel("forecast quarters")
    ax.set_title(f"model's PIT histogram (mean {pit.mean():.2f}; 0.5 if unbiased)", fontsize=10)
    ax.legend(fontsize=9)
    return fig


def fig_log(entries, path):
    """Each statement's probability (95% interval) over the forecasts' as-of dates, from the
    file `tyche run --log` appends to."""
    if not entries:
        raise Absent("the log is empty")
    ids = []
    for e in entries:
        for k in e["statements"]:
            if k not in ids:
                ids.append(k)
    fig = Figure(figsize=(10, 5), layout="constrained")
    scen = sorted({e["scenario"] for e in entries})
    _footer(fig, f"scenario {', '.join(scen)}  ·  {len(entries)} forecasts  ·  "
                 f"{os.path.basename(path)}", 5)
    fig.suptitle("Forecasts over as-of dates")
    ax = fig.add_subplot(1, 1, 1)
    for k in ids[:12]:
        pts = sorted((pd.Timestamp(e["as_of"]), *e["statements"][k]) for e in entries
                     if k in e["statements"])
        d = [p[0] for p in pts]
        p = np.array([p[1] for p in pts])
        s = np.array([p[2] for p in pts])
        ax.errorbar(d, p, yerr=Z95 * s, marker="o", capsize=3, label=_tex(k))
    ax.set_xlabel("as-of date of the forecast")
    ax.set_ylabel("probability")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, ncol=2)
    return fig


# A tornado, Sobol or sweep figure holds at most this many targets (a grid of panels, two
# columns); more go to further files, numbered: tornado.png, tornado_2.png, tornado_3.png, ...
PER_PAGE = 6


def _pages(names, per=PER_PAGE):
    names = list(names)
    return [names[i:i + per] for i in range(0, len(names), per)] or [[]]


def _grid(fig, n):
    """n panels in two columns (one when n is 1), the footer's room kept."""
    cols = 1 if n == 1 else 2
    rows = math.ceil(n / cols)
    return [fig.add_subplot(rows, cols, i + 1) for i in range(n)]


def _is_output(name):
    """A Sobol target that is a model's scalar output (model.variable) rather than a statement
    (statement ids hold no '.')."""
    return "." in name


def _check_targets(targets, known, what):
    missing = [s for s in targets if s not in known]
    if missing:
        raise Absent(f"no {what} {', '.join(missing)} in this file")
    if not targets:
        raise Absent(f"no {what}s in this file")


def fig_tornado(t, path, top=8, targets=None):
    """Per statement (`targets`, default all: PER_PAGE or fewer keep a figure readable), the
    parameters' swings: bars from P(low) to P(high) around the baseline, largest first."""
    sids = list(t["baseline"]) if targets is None else list(targets)
    _check_targets(sids, t["baseline"], "statement")
    rows_n = math.ceil(len(sids) / (1 if len(sids) == 1 else 2))
    height = 2.9 * rows_n + 1.0
    fig = Figure(figsize=(11 if len(sids) == 1 else 17, height), layout="constrained")
    _footer(fig, f"tornado of {os.path.basename(t['scenario'])}  ·  {t['trials']:,} trials per run  ·  "
                 f"seed {t['seed']}  ·  common random numbers  ·  {os.path.basename(path)}", height)
    fig.suptitle("Which assumption moves each statement: parameter at its low (blue) / high "
                 "(orange) quantile, bars from the baseline; swing P(high) - P(low) ± its 95% error "
                 "(common random numbers)")
    fmt = _p_format([t["baseline"][sid] for sid in sids])
    rare = t.get("rare", {})
    for ax, sid in zip(_grid(fig, len(sids)), sids):
        rows = sorted(t["tornado"], key=lambda r: -abs(r["statements"][sid]["swing"]))[:top][::-1]
        base = t["baseline"][sid]
        if sid in rare:
            ax.set_axis_off()
            ax.set_title(_tex(f"{sid} (probability): too rare for this sample"), fontsize=10)
            ax.text(0.5, 0.5, f"{rare[sid]['true_trials']:,} of {rare[sid]['of_trials']:,} trials true:\n"
                    "its swings mean little here (raise -n)", ha="center", va="center",
                    transform=ax.transAxes, fontsize=9)
            continue
        span = max([abs(r["statements"][sid]["swing"]) for r in rows] + [1e-12])
        for y, r in enumerate(rows):
            s = r["statements"][sid]
            lo, hi = s["p_low"], s["p_high"]
            ax.barh(y, lo - base, left=base, color="tab:blue", height=0.6)
            ax.barh(y, hi - base, left=base, color="tab:orange", height=0.6)
            if "swing_se" in s:
                # the swing P(high) - P(low) and its 95% error from the paired trials
                ax.text(max(lo, hi, base) + 0.02 * span, y,
                        f"{s['swing']:+.2g} ± {Z95 * s['swing_se']:.1g}", va="center", fontsize=7)
        ax.axvline(base, color="k", lw=1)
        right = max([max(r["statements"][sid]["p_low"], r["statements"][sid]["p_high"]) for r in rows] + [base])
        ax.set_xlim(right=right + 0.35 * span)   # room for the swings' labels
        ax.set_yticks(range(len(rows)), [_tex(r["parameter"]) for r in rows], fontsize=8)
        ax.set_xlabel(_tex(f"P({sid}) (probability)"))
        ax.set_title(_tex(f"{sid} (probability): baseline {fmt(base)}"), fontsize=10)
    return fig


def fig_sobol(t, path, top=8, targets=None):
    """Per target (`targets`, default all), first-order and total indices with their bootstrap
    intervals: of a statement's probability P(statement | parameters) where the run has that
    view (`tyche sobol --inner`), else of its 0/1 value; a statement too rare for the sample
    is said so, not drawn."""
    names = list(t["targets"]) if targets is None else list(targets)
    _check_targets(names, t["targets"], "target")
    rows_n = math.ceil(len(names) / (1 if len(names) == 1 else 2))
    height = 2.9 * rows_n + 1.0
    fig = Figure(figsize=(11 if len(names) == 1 else 17, height), layout="constrained")
    inner = t.get("inner", 0)
    _footer(fig, f"Sobol indices of {os.path.basename(t['scenario'])}  ·  base {t['base']:,}"
                 + (f"  ·  {inner} inner trials per point" if inner else "") +
                 f"  ·  seed {t['seed']}  ·  95% bootstrap intervals  ·  {os.path.basename(path)}", height)
    fig.suptitle("Share of each target's variance due to each parameter (Sobol indices)")
    for ax, name in zip(_grid(fig, len(names)), names):
        tg = t["targets"][name]
        view = "indicator"
        if tg.get("probability"):
            tg, view = tg["probability"], "probability"
        if tg.get("rare"):
            ax.set_axis_off()
            ax.set_title(_tex(f"{name} (probability): too rare for this sample"), fontsize=9.5)
            ax.text(0.5, 0.5, f"{tg['true_trials']:,} of {tg['of_trials']:,} trials true:\n"
                    "its variance, and so its indices, mean nothing here", ha="center", va="center",
                    transform=ax.transAxes, fontsize=9)
            continue
        ps = sorted(tg["parameters"].items(), key=lambda kv: -(kv[1]["total"][0] or 0))[:top]
        x = np.arange(len(ps))
        for off, key, color, lab in ((-0.2, "first", "tab:blue", "first order"),
                                     (0.2, "total", "tab:orange", "total")):
            v = np.array([p[1][key][0] for p in ps], dtype=float)
            lo = np.array([p[1][key][1] for p in ps], dtype=float)
            hi = np.array([p[1][key][2] for p in ps], dtype=float)
            ax.bar(x + off, v, 0.4, color=color, label=lab,
                   yerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], capsize=3)
        ax.set_xticks(x, [_tex(p[0]) for p in ps], fontsize=8, rotation=20, ha="right")
        ax.set_ylabel("share of variance (dimensionless)")
        # The JSON does not carry an output's units: its variance is in them, squared.
        what = ("scalar output, variance in its units squared" if _is_output(name)
                else "statement: its probability given the parameters" if view == "probability"
                else "statement, 0/1 indicator: probability")
        var, rem = tg.get("variance"), tg["remainder"]
        parts = []
        if var is not None:
            parts.append(f"variance {var:.3g}" + (f" (sd {math.sqrt(var):.3g})"
                                                  if view == "probability" and var > 0 else ""))
        if rem is not None:
            parts.append(f"remainder (interactions{'' if view == 'probability' else ', process noise'}) "
                         f"{rem:.3g}")
        ax.set_title(_tex(f"{name} ({what})\n" + ";  ".join(parts)), fontsize=9.5)
        ax.legend(fontsize=8)
    return fig


def fig_sweep(t, path, targets=None):
    """Statement probabilities (`targets`, default all) over the first grid axis (one line per
    value of a second axis), as differences from the baseline run (the scenario's own priors)
    with their 95% errors from the paired trials: common random numbers make those far smaller
    than each point's own error, which would hide the differences."""
    axes = t["axes"]
    sids = list(t["baseline"]) if targets is None else list(targets)
    _check_targets(sids, t["baseline"], "statement")
    a0 = axes[0]
    height = 3.2 * math.ceil(len(sids) / 2) + 0.8
    fig = Figure(figsize=(11, height), layout="constrained")
    _footer(fig, f"sweep of {os.path.basename(t['scenario'])}  ·  {t['trials']:,} trials per point  ·  "
                 f"seed {t['seed']}  ·  {os.path.basename(path)}", height)
    fig.suptitle("Statements over a grid of parameter values")
    for n, sid in enumerate(sids):
        ax = fig.add_subplot(math.ceil(len(sids) / 2), 2, n + 1)
        groups = {}
        for pt in t["points"]:
            key = tuple((k, v) for k, v in pt["at"].items() if k != a0["parameter"])
            groups.setdefault(key, []).append((pt["at"][a0["parameter"]], pt["statements"][sid]))
        paired = all("diff" in p[1] for pts in groups.values() for p in pts)
        for key, pts in groups.items():
            pts.sort()
            x = [p[0] for p in pts]
            if paired:
                y = np.array([p[1]["diff"] for p in pts])
                e = np.array([p[1]["diff_se"] for p in pts])
            else:
                y = np.array([p[1]["probability"] for p in pts])
                e = np.array([p[1]["stderr"] for p in pts])
            ax.errorbar(x, y, yerr=Z95 * e, marker="o", capsize=3,
                        label=_tex(", ".join(f"{k} = {v:g}" for k, v in key)) or None)
        ax.set_xlabel(_tex(a0["parameter"]))
        base = t["baseline"][sid]
        if paired:
            ax.axhline(0, color="k", lw=0.8)
            ax.set_ylabel(_tex(f"P({sid}) - baseline (probability)"))
            ax.set_title(_tex(f"{sid}: difference from the baseline {base:.3g}, 95% paired errors"),
                         fontsize=10)
        else:
            ax.set_ylabel(_tex(f"P({sid}) (probability)"))
            ax.set_title(_tex(f"{sid} (probability)"), fontsize=10)
        if len(groups) > 1:
            ax.legend(fontsize=7)
    return fig


def _paged(stem, names, make):
    """(file name, targets, maker) per page: stem.png, then stem_2.png, stem_3.png, ... (the
    first page keeps the name a figure of few targets has always had)."""
    return [(f"{stem}.png" if i == 0 else f"{stem}_{i + 1}.png", pg, (lambda pg=pg: make(pg)))
            for i, pg in enumerate(_pages(names))]


def _plot_other(path, out):
    """A backtest JSON or a forecast log; returns an exit status, or None for a results file."""
    import json
    if path.endswith(".jsonl"):
        entries = [json.loads(line) for line in open(path) if line.strip()]
        made = [("forecast_log.png", None, lambda: fig_log(entries, path))]
    elif path.endswith(".json"):
        bt = json.load(open(path))
        if "origins" in bt and "coverage" in bt:
            made = [("backtest.png", None, lambda: fig_backtest(bt, path))]
        elif "tornado" in bt:  # every statement drawn, PER_PAGE to a file
            stem = "tornado"
            made = _paged(stem, bt["baseline"], lambda pg: fig_tornado(bt, path, targets=pg))
        elif "targets" in bt:  # every statement and --target
            stem = "sobol"
            made = _paged(stem, bt["targets"], lambda pg: fig_sobol(bt, path, targets=pg))
        elif "axes" in bt:
            stem = "sweep"
            made = _paged(stem, bt["baseline"], lambda pg: fig_sweep(bt, path, targets=pg))
        elif isinstance(bt, dict) and shard_of(bt) is not None:  # a shard's summary JSON
            print(f"plot.py: {shard_message(path, shard_of(bt), 'plot')}", file=sys.stderr)
            return 2
        else:
            print(f"plot.py: cannot read {path}: not a results file (.h5), a forecast log (.jsonl), "
                  "nor a backtest, tornado, sobol or sweep JSON of tyche", file=sys.stderr)
            return 2
    else:
        return None
    os.makedirs(out, exist_ok=True)
    rc = 0
    for name, targets, make in made:
        try:
            fig = make()
        except Absent as e:
            rc |= _skip(out, name, e)
            continue
        fig.savefig(os.path.join(out, name), dpi=DPI)
        # The targets a page holds on its line, so that a script can see every one was drawn.
        print(os.path.join(out, name) + (f"  targets: {', '.join(targets)}" if targets else ""))
    if made[0][1] is not None:  # a paged figure
        rc |= _remove_other_pages(out, stem, [name for name, _, _ in made])
    return rc


def _remove_other_pages(out, stem, kept):
    """Removes an earlier run's stem.png or stem_N.png that this file's pages did not replace
    (a run with more or fewer targets), so every page in `out` is this file's. Returns 0, or 1
    when one cannot be removed (said on stderr)."""
    import re
    rc = 0
    for name in sorted(os.listdir(out)):
        if name in kept or not re.fullmatch(rf"{re.escape(stem)}(_[0-9]+)?\.png", name):
            continue
        path = os.path.join(out, name)
        try:
            os.remove(path)
            print(f"plot.py: removed the earlier {path}: not a page of this file's {stem} figure",
                  file=sys.stderr)
        except OSError as e:
            print(f"plot.py: cannot remove the earlier {path} ({e.strerror}): it does not match "
                  "this file", file=sys.stderr)
            rc = 1
    return rc


def _skip(out, name, why):
    """Notes a figure that is not drawn, and removes an earlier one of the same name from `out`
    so that it is not read as this file's; only that name is touched, never other files.
    Returns 0, or 1 when the earlier figure is there and cannot be removed (said on stderr)."""
    path = os.path.join(out, name)
    note, rc = "", 0
    if os.path.isfile(path) or os.path.islink(path):
        try:
            os.remove(path)
            note = f" (removed the earlier {path}: it was not drawn from this file)"
        except OSError as e:
            note = (f"; cannot remove the earlier {path} ({e.strerror}): "
                    "it does not match this file")
            rc = 1
    print(f"plot.py: skipped {name}: {why}{note}", file=sys.stderr)
    return rc


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", metavar="FILE",
                    help="a results file of tyche run (.h5), a backtest JSON, or a forecast log (.jsonl)")
    ap.add_argument("-o", "--output", metavar="DIR",
                    help="folder for the PNGs (default: FILE without its extension, plus _plots)")
    a = ap.parse_args(argv)
    matplotlib.use("Agg")
    out = a.output or os.path.splitext(a.results)[0] + "_plots"
    try:
        rc = _plot_other(a.results, out)
    except (OSError, ValueError, KeyError) as e:
        print(f"plot.py: cannot read {a.results}: {e}", file=sys.stderr)
        return 2
    if rc is not None:
        return rc
    try:
        r = open_results(a.results)
    except ShardError as e:  # part of a run: drawn as a whole run it would mislead
        print(f"plot.py: {shard_message(e.path, e.shard, 'plot')}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"plot.py: cannot read {a.results}: {e}", file=sys.stderr)
        return 2
    os.makedirs(out, exist_ok=True)
    rc = 0
    with r:
        for name, make in FIGURES:
            try:
                fig = make(r)
            except Absent as e:
                rc |= _skip(out, name, e)
                continue
            path = os.path.join(out, name)
            fig.savefig(path, dpi=DPI)
            print(path)
    return rc


if __name__ == "__main__":
    sys.exit(main())
