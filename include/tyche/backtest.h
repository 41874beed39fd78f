/* tyche: backtests of a model on its own history (a revenue_slowdown model:
 * the kinds that give an observed series, src/kind.h).
 *
 * For each origin quarter O, the scenario is rerun as of O's period end
 * (so the history holds quarters up to O and the model forecasts from
 * there), H quarters ahead, and each forecast quarter whose value is in the
 * data is compared with what happened: the PIT value F(actual), whether the
 * central 50/80/95% intervals covered it, and the CRPS of the forecast
 * distribution.  A calibrated forecaster has uniform PITs and nominal
 * coverage; CRPS (USD billions, lower is better) rewards sharpness too.
 *
 * Baselines, scored on the same (origin, step) pairs from the same history
 * (the quarters up to the origin; d_1..d_n its n log-growths, mean m, sample
 * sd s), each a lognormal predictive scored exactly (closed forms):
 *   random_walk: log R_(O+h) ~ N(log R_O + h m, s^2 (h + h^2 / n)), a random
 *     walk in log revenue with the drift and volatility estimated, the
 *     drift's estimation error (variance s^2 / n per quarter, h quarters)
 *     included, the volatility's not (a Student-t predictive would be the
 *     exact Bayesian one, but the exp of a t has no mean: its CRPS in USD
 *     is infinite);
 *   last_growth: log R_(O+h) ~ N(log R_O + h d_n, s^2 h), the origin's last
 *     log-growth continued, with the history's growth volatility.
 * A baseline needs n >= 2 growths; with fewer its steps are NaN and left out.
 * Skill against a baseline = 1 - CRPS_model / CRPS_baseline over the pairs
 * both scored, its standard error by the delta method on the paired
 * per-forecast CRPS, the pairs summed per origin and those sums' variance by
 * Newey-West (Bartlett weights, H - 1 lags: forecasts from origins fewer than
 * H quarters apart share target quarters; Diebold and Mariano 1995). */
#ifndef TYCHE_BACKTEST_H
#define TYCHE_BACKTEST_H

#include "common.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *model;        /* a model whose kind can be backtested (revenue_slowdown) */
    const char *origin_from;  /* first origin quarter ("FY2025Q1") or NULL: the earliest possible */
    const char *origin_to;    /* last origin or NULL: the quarter before the last in the data */
    int horizon;              /* quarters ahead, >= 1 */
    uint64_t trials, seed;
    int threads;
    const char *rng;
} tyche_backtest_config;

typedef struct tyche_backtest tyche_backtest;

/* Levels of the stored forecast quantiles. */
#define TYCHE_BT_NQ 7
TYCHE_API extern const double tyche_backtest_levels[TYCHE_BT_NQ]; /* .025 .1 .25 .5 .75 .9 .975 */

typedef struct {
    const char *quarter;      /* the forecast quarter */
    int h;                    /* quarters after the origin */
    double actual;            /* NaN when not in the data */
    double q[TYCHE_BT_NQ];    /* forecast quantiles at tyche_backtest_levels */
    double pit;               /* F(actual), mid-rank */
    double crps;              /* USD billions (the data's units) */
} tyche_backtest_step;

/* The baselines: TYCHE_BT_RANDOM_WALK, TYCHE_BT_LAST_GROWTH. */
#define TYCHE_BT_NB 2
enum { TYCHE_BT_RANDOM_WALK, TYCHE_BT_LAST_GROWTH };
/* "random_walk", "last_growth"; NULL for another k. */
TYCHE_API const char *tyche_backtest_baseline_name(int k);
/* "random walk", "last growth", for tables. */
TYCHE_API const char *tyche_backtest_baseline_label(int k);

TYCHE_API tyche_backtest *tyche_backtest_run(const char *scenario_file,
                                             const tyche_scenario_options *opt,
                                             const tyche_backtest_config *cfg, tyche_err *err);
TYCHE_API void tyche_backtest_free(tyche_backtest *b);

TYCHE_API size_t tyche_backtest_n_origins(const tyche_backtest *b);
TYCHE_API const char *tyche_backtest_origin(const tyche_backtest *b, size_t i);
TYCHE_API int tyche_backtest_horizon(const tyche_backtest *b);
/* Step h (1..horizon) of origin i; actual is NaN beyond the data. */
TYCHE_API const tyche_backtest_step *tyche_backtest_get(const tyche_backtest *b, size_t i, int h);

/* Coverage of the central `level`% interval (50, 80 or 95) over the
 * evaluated steps at horizon h (0: every horizon), its binomial standard
 * error, and how many steps there were (n). */
TYCHE_API void tyche_backtest_coverage(const tyche_backtest *b, int level, int h, double *cov,
                                       double *se, size_t *n);
TYCHE_API double tyche_backtest_crps(const tyche_backtest *b, int h); /* h = 0: all steps */

/* The same for baseline k: its step h of origin i (actual as the model's;
 * q, pit and crps NaN where the baseline has too little history), coverage
 * and CRPS over the steps it scored. */
TYCHE_API const tyche_backtest_step *tyche_backtest_baseline_get(const tyche_backtest *b, int k,
                                                                 size_t i, int h);
TYCHE_API void tyche_backtest_baseline_coverage(const tyche_backtest *b, int k, int level, int h,
                                                double *cov, double *se, size_t *n);
TYCHE_API double tyche_backtest_baseline_crps(const tyche_backtest *b, int k, int h);
/* The model's CRPS skill against baseline k at horizon h (0: all), over the
 * pairs both scored: 1 - CRPS_model / CRPS_baseline, its standard error
 * (above; NaN unless two origins or more have a pair), and the number of
 * pairs; NaN with n = 0. */
TYCHE_API void tyche_backtest_skill(const tyche_backtest *b, int k, int h, double *skill,
                                    double *se, size_t *n);

/* Writers: JSON (keys coverage, crps, pit, origins, baselines) and HDF5
 * (origin x step; the baselines' as random_walk_crps, ...). */
TYCHE_API tyche_status tyche_backtest_write_json(const tyche_backtest *b, const char *path,
                                                 tyche_err *err);
TYCHE_API tyche_status tyche_backtest_write_hdf5(const tyche_backtest *b, const char *path,
                                                 tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
