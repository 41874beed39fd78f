/* tyche: backtests of a model on its own history (a revenue_slowdown model:
 * the kinds that give an observed series, src/kind.h).
 *
 * For each origin quarter O, the scenario is rerun as of O's period end
 * (so the history holds quarters up to O and the model forecasts from
 * there), H quarters ahead, and each forecast quarter whose value is in the
 * data is compared with what happened: the PIT value F(actual), whether the
 * central 50/80/95% intervals covered it, and the CRPS of the forecast
 * distribution.  A calibrated forecaster has uniform PITs and nominal
 * coverage; CRPS (USD billions, lower is better) rewards sharpness too. */
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

/* Writers: JSON (keys coverage, crps, pit, origins) and HDF5 (origin x step). */
TYCHE_API tyche_status tyche_backtest_write_json(const tyche_backtest *b, const char *path,
                                                 tyche_err *err);
TYCHE_API tyche_status tyche_backtest_write_hdf5(const tyche_backtest *b, const char *path,
                                                 tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
