#!/usr/bin/python3
"""An independent NumPy implementation of the article scenario.

Written from the models' specification (models/README.md: the math, the
conventions, the fiscal calendar) and the scenario file (models/article.json),
not from tyche's C sources: it is a speed baseline ("what a good notebook
author would write") and a cross-check of tyche's probabilities
(tests/cli/numpy_crosscheck.sh).

    article_numpy.py [-n TRIALS] [--seed S] [--json OUT] [--chunk C]

Prints each statement's probability with its Monte Carlo standard error (and
the joint P1 & P2 & P3 with its pairs); --json writes
{"trials", "seconds", "cpu_seconds", "statements": {id: {"probability", "stderr"}},
"joint"}, where seconds is the wall-clock simulation time only (no imports, no
file reading; like tyche's runtime.seconds) and cpu_seconds its process CPU time.

Conventions (models/README.md):
- time in days since start (2026-04-20); hazards are annual (per 365.25 days)
  and piecewise constant over calendar months; "by DATE" means before the end
  of that day; an event after the end of the horizon day is never (+inf);
- event times are drawn exactly: one Exp(1) per event, inverted through the
  piecewise-linear cumulative hazard (vectorized: cumsum over months, then the
  count of month ends whose cumulative hazard is below the draw, which is a
  row-wise searchsorted).
"""
import argparse
import csv
import datetime as dt
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SCENARIO = os.path.join(HERE, "..", "..", "models", "article.json")
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


def parse_date(s):
    return dt.date.fromisoformat(s)


def decimal_year(d):
    """year + (days since 1 January) / (days in that year)."""
    jan1 = dt.date(d.year, 1, 1)
    return d.year + (d - jan1).days / (dt.date(d.year + 1, 1, 1) - jan1).days


def month_starts(after, until):
    """First days of the calendar months strictly after `after`, up to `until`."""
    y, m = after.year, after.month
    out = []
    while True:
        m += 1
        if m == 13:
            y, m = y + 1, 1
        d = dt.date(y, m, 1)
        if d > until:
            return out
        out.append(d)


# ---------------------------------------------------------------------------
# priors
def draw(rng, prior, n):
    """n draws of a prior as written in the scenario JSON (or a fixed number)."""
    if isinstance(prior, (int, float)):
        return np.full(n, float(prior))
    d = prior["dist"]
    if d == "normal":
        return rng.normal(prior["mean"], prior["sd"], n)
    if d == "lognormal":
        return prior["median"] * np.exp(prior["sdlog"] * rng.standard_normal(n))
    if d == "uniform":
        return rng.uniform(prior["min"], prior["max"], n)
    if d == "beta":
        return rng.beta(prior["a"], prior["b"], n)
    if d == "gamma":
        return rng.gamma(prior["shape"], prior["mean"] / prior["shape"], n)
    raise ValueError(f"prior {d!r} not supported here")


# ---------------------------------------------------------------------------
# the scenario, turned into plain numbers once
class Scenario:
    def __init__(self, path):
        with open(path) as f:
            s = json.load(f)
        self.start = parse_date(s["start"])
        self.horizon = parse_date(s["horizon"])
        self.as_of = parse_date(s.get("as_of", s["start"]))
        assert self.as_of == self.start, "this reference does not condition on observations"
        self.models = {m["kind"]: m for m in s["models"]}
        self.statements = s["statements"]
        self.joint = s.get("joint", [])
        # end of the horizon day, in days: events later than this are never
        self.t_end = self.days(self.horizon) + 1.0

        # option_exercise: month grid from start to the end of the horizon
        bounds = [self.start] + month_starts(self.start, self.horizon + dt.timedelta(days=1))
        if bounds[-1] != self.horizon + dt.timedelta(days=1):
            bounds.append(self.horizon + dt.timedelta(days=1))
        self.grid_days = np.array([self.days(d) for d in bounds], dtype=float)   # M+1 edges
        self.grid_dt = np.diff(self.grid_days) / DAYS_PER_YEAR                   # M lengths, years

        # revenue_slowdown: history = quarters published by as_of
        rev = self.models["revenue_slowdown"]
        st = rev["settings"]
        data = os.path.join(os.path.dirname(os.path.abspath(path)), st["data"])
        with open(data, newline="") as f:
            rows = [r for r in csv.DictReader(f) if parse_date(r["published"]) <= self.as_of]
        self.hist_q = [r["fiscal_quarter"] for r in rows]
        hist = np.array([float(r[st["column"]]) for r in rows])
        self.R_last = hist[-1]
        self.g_last = math.log(hist[-1] / hist[-2])
        ref = self.hist_q.index(st["reference"])
        self.G_ref = hist[ref] / hist[ref - 1] - 1.0
        self.t0 = decimal_year(parse_date(rows[-1]["period_end"]))
        # forecast quarters and their period ends (models/README.md, Nvidia's fiscal calendar)
        ends = {"FY2026Q4": "2026-01-25",
                "FY2027Q1": "2026-04-26", "FY2027Q2": "2026-07-26",
                "FY2027Q3": "2026-10-25", "FY2027Q4": "2027-01-31",
                "FY2028Q1": "2027-05-02", "FY2028Q2": "2027-08-01",
                "FY2028Q3": "2027-10-31", "FY2028Q4": "2028-01-30"}
        assert ends[self.hist_q[-1]] == rows[-1]["period_end"], "history must end at FY2026Q4"
        order = list(ends)
        self.fc_q = order[order.index(self.hist_q[-1]) + 1: order.index(st["target"]) + 1]
        self.fc_t = np.array([decimal_year(parse_date(ends[q])) for q in self.fc_q])
        self.i_target = self.fc_q.index(st["target"])
        self.also_at = {q: self.fc_q.index(q) for q in st.get("also_at", [])}
        assert self.i_target >= 1 and all(i >= 1 for i in self.also_at.values())

    def days(self, d):
        return float((d - self.start).days)

    def by(self, date_str):
        """'by DATE': before the end of that day, in days since start."""
        return self.days(parse_date(date_str)) + 1.0


# ---------------------------------------------------------------------------
# the three models, vectorized over n trials
def option_exercise(rng, sc, Z):
    m = sc.models["option_exercise"]
    p = {k: draw(rng, v, Z.size) for k, v in m["params"].items()}
    n, dtm = Z.size, sc.grid_dt
    M = dtm.size
    # GBM log V - log V0 at the start of each month (0 in the first month)
    drift = (p["mu"] - 0.5 * p["sigma"] ** 2)[:, None] * dtm[None, :M - 1]
    shock = p["sigma"][:, None] * np.sqrt(dtm[None, :M - 1]) * rng.standard_normal((n, M - 1))
    x = np.empty((n, M))
    x[:, 0] = 0.0
    np.cumsum(drift + shock, axis=1, out=x[:, 1:])
    # annual exercise hazard per month and its cumulative integral at month ends
    x *= p["beta_v"][:, None]
    x += (np.log(p["h0"]) + p["beta_z"] * Z)[:, None]
    h = np.exp(x, out=x)
    H = np.cumsum(h * dtm[None, :], axis=1)
    E = rng.standard_exponential(n)
    j = (H < E[:, None]).sum(axis=1)                 # month in which H reaches E (M: never)
    fired = j < M
    jj = np.minimum(j, M - 1)
    H_before = np.where(jj > 0, np.take_along_axis(H, np.maximum(jj - 1, 0)[:, None], 1)[:, 0], 0.0)
    h_j = np.take_along_axis(h, jj[:, None], 1)[:, 0]
    t_ex = sc.grid_days[jj] + (E - H_before) / h_j * DAYS_PER_YEAR
    t_ex = np.where(fired & (t_ex <= sc.t_end), t_ex, np.inf)
    # board change: with probability q, after a Gamma(k_D, mean m_D months) delay
    u = rng.random(n)
    delay = rng.gamma(p["k_D"], p["m_D"] / p["k_D"]) * DAYS_PER_MONTH
    t_board = np.where(u < p["q"], t_ex + delay, np.inf)
    t_board[t_board > sc.t_end] = np.inf
    return {"exercise_time": t_ex, "board_time": t_board}


def exclusivity_window(rng, sc, Z, t_ex):
    m = sc.models["exclusivity_window"]
    p = {k: draw(rng, v, Z.size) for k, v in m["params"].items()}
    assert np.all(p["hb"] == 0), "the blocking hazard is not implemented in this reference"
    n = Z.size
    c = p["hx0"] * np.exp(p["beta_xz"] * Z)          # annual, before an exercise
    te = t_ex / DAYS_PER_YEAR                        # years (inf: never exercised)
    E = rng.standard_exponential(n)
    with np.errstate(invalid="ignore"):
        pre = c * te                                 # cumulative hazard at the exercise
        t_deal = np.where(E <= pre, E / c, te + (E - pre) / (c * np.exp(p["beta_xe"])))
    t_deal = t_deal * DAYS_PER_YEAR
    t_deal[~(t_deal <= sc.t_end)] = np.inf
    W = np.exp(np.log(p["m_W"]) + p["s_W"] * rng.standard_normal(n))
    W[np.isinf(t_deal)] = np.nan
    return {"deal_time": t_deal, "window_months": W}


def revenue_slowdown(rng, sc, Z):
    m = sc.models["revenue_slowdown"]
    p = {k: draw(rng, v, Z.size) for k, v in m["params"].items()}
    n, Q = Z.size, sc.fc_t.size
    # AR(1) log-growth from the last observed g
    g = np.empty((n, Q))
    prev = np.full(n, sc.g_last)
    eps = rng.standard_normal((n, Q))
    for q in range(Q):
        prev = p["g_inf"] + p["phi"] * (prev - p["g_inf"]) + p["sigma_g"] * eps[:, q]
        g[:, q] = prev
    # logistic displacement relative to t_0
    t_mid = (p["t_mid"] - p["beta_tz"] * Z)[:, None]
    s_max, k = p["s_max"][:, None], p["k"][:, None]
    s_q = s_max / (1.0 + np.exp(-k * (sc.fc_t[None, :] - t_mid)))
    s_0 = s_max / (1.0 + np.exp(-k * (sc.t0 - t_mid)))
    L = p["a"][:, None] * np.maximum(0.0, s_q - s_0) / (1.0 - s_0)
    out = {}
    for suffix, i in [("", sc.i_target)] + [("_" + q, i) for q, i in sc.also_at.items()]:
        G_cf = np.expm1(g[:, i])                                      # R_cf_q / R_cf_(q-1) - 1
        G = np.exp(g[:, i]) * (1.0 - L[:, i]) / (1.0 - L[:, i - 1]) - 1.0
        out["qoq_growth" + suffix] = 100.0 * G
        out["slowdown_pp" + suffix] = 100.0 * (sc.G_ref - G)
        out["slowdown_cf_pp" + suffix] = 100.0 * (sc.G_ref - G_cf)
        out["displacement_pp" + suffix] = 100.0 * (G_cf - G)
    return out


MODEL_NAMES = {"option_exercise": "option", "exclusivity_window": "exclusivity",
               "revenue_slowdown": "revenue"}


def simulate_chunk(rng, sc, n):
    Z = rng.standard_normal(n)
    opt = option_exercise(rng, sc, Z)
    exc = exclusivity_window(rng, sc, Z, opt["exercise_time"])
    rev = revenue_slowdown(rng, sc, Z)
    v = {}
    for kind, outs in (("option_exercise", opt), ("exclusivity_window", exc),
                       ("revenue_slowdown", rev)):
        name = sc.models[kind].get("name", MODEL_NAMES[kind])
        for k, a in outs.items():
            v[f"{name}.{k}"] = a
    return v


# ---------------------------------------------------------------------------
# statements: the rule language of article.json (all / event-by / value ops / statement)
def evaluate(rule, v, sc, done):
    if "all" in rule:
        r = evaluate(rule["all"][0], v, sc, done)
        for sub in rule["all"][1:]:
            r = r & evaluate(sub, v, sc, done)
        return r
    if "any" in rule:
        r = evaluate(rule["any"][0], v, sc, done)
        for sub in rule["any"][1:]:
            r = r | evaluate(sub, v, sc, done)
        return r
    if "statement" in rule:
        return done[rule["statement"]]
    if "event" in rule:
        return v[rule["event"]] <= sc.by(rule["by"])          # inf (never) and NaN are False
    if "value" in rule:
        x = v[rule["value"]]
        if "between" in rule:
            lo, hi = rule["between"]
            return (x >= lo) & (x <= hi)
        for op, f in ((">=", np.greater_equal), ("<=", np.less_equal),
                      (">", np.greater), ("<", np.less)):
            if op in rule:
                return f(x, rule[op])
    raise ValueError(f"rule not supported here: {rule}")


def run(sc, n, seed, chunk):
    rng = np.random.default_rng(seed)
    ids = [s["id"] for s in sc.statements]
    J = sc.joint
    pairs = [(J[i], J[j]) for i in range(len(J)) for j in range(i + 1, len(J))]
    counts = {k: 0 for k in ids + ["&".join(J)] + ["&".join(p) for p in pairs]}
    t0, c0 = time.perf_counter(), time.process_time()
    left = n
    while left > 0:
        m = min(chunk, left)
        v = simulate_chunk(rng, sc, m)
        done = {}
        for s in sc.statements:
            done[s["id"]] = evaluate(s["rule"], v, sc, done)
            counts[s["id"]] += int(np.count_nonzero(done[s["id"]]))
        if J:
            counts["&".join(J)] += int(np.count_nonzero(np.logical_and.reduce([done[x] for x in J])))
            for a, b in pairs:
                counts[a + "&" + b] += int(np.count_nonzero(done[a] & done[b]))
        left -= m
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - c0

    def est(c):
        p = c / n
        return {"probability": p, "stderr": math.sqrt(p * (1 - p) / n)}

    res = {"trials": n, "seconds": seconds, "cpu_seconds": cpu_seconds, "seed": seed,
           "generator": type(rng.bit_generator).__name__,
           "statements": {k: est(counts[k]) for k in ids}}
    if J:
        res["joint"] = {"statements": J, "all": est(counts["&".join(J)]),
                        "pairs": {a + "&" + b: est(counts[a + "&" + b]) for a, b in pairs}}
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", "--trials", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--chunk", type=int, default=1 << 18,
                    help="trials per vectorized chunk (memory about 1 kB per trial)")
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO)
    a = ap.parse_args(argv)
    if a.trials < 1 or a.chunk < 1:
        ap.error("-n and --chunk must be positive")
    sc = Scenario(a.scenario)
    res = run(sc, a.trials, a.seed, a.chunk)
    rate = a.trials / res["seconds"]
    print(f"article (NumPy reference): {a.trials} trials in {res['seconds']:.3f} s "
          f"({rate:,.0f} trials/s), seed {a.seed}, {res['generator']}")
    print(f"  {'statement':<20} {'probability':>12} {'stderr':>10}")
    rows = list(res["statements"].items())
    if "joint" in res:
        rows += [("&".join(res["joint"]["statements"]), res["joint"]["all"])]
        rows += list(res["joint"]["pairs"].items())
    for k, e in rows:
        print(f"  {k:<20} {e['probability']:12.6f} {e['stderr']:10.6f}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
