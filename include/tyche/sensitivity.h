/* tyche: which assumption moves the answer.
 *
 * Tornado: each uncertain parameter in turn is fixed at a low and a high
 * quantile of its prior (10% and 90% by default) and the scenario rerun
 * with the same seed.  Every parameter and every model draws from streams
 * of its own (rng.h), so fixing one parameter changes no other random
 * number: the runs share common random numbers, and a parameter that does
 * not enter a statement gives it a swing of exactly zero.
 *
 * Sweep: the scenario over a grid of parameter values (each axis a list of
 * values for one parameter), again with common random numbers.
 *
 * Each run keeps its trials' yes/no values, so a difference of two runs (a
 * swing, a sweep point against the baseline) has a standard error of its
 * own, from the trial-by-trial differences: with common random numbers it
 * is far below the two runs' errors combined (a parameter that changes
 * nothing has a difference of exactly 0, and an error of 0).  Memory: two
 * runs' trials x statements bytes. */
#ifndef TYCHE_SENSITIVITY_H
#define TYCHE_SENSITIVITY_H

#include "common.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    uint64_t trials, seed;
    int threads;
    const char *rng;
    double low, high;         /* quantile levels, 0 < low < high < 1 */
    const volatile int *cancel; /* NULL, or set to stop (each run's, tyche_run_config.cancel):
                                 * the analysis returns NULL with TYCHE_ERUN "interrupted" */
} tyche_tornado_config;

typedef struct tyche_sensitivity tyche_sensitivity;

/* Runs the tornado.  Returns NULL with err set. */
TYCHE_API tyche_sensitivity *tyche_tornado_run(const char *file, const tyche_scenario_options *opt,
                                               const tyche_tornado_config *cfg, tyche_err *err);

/* Runs a sweep over axes: axis k is parameter names[k] at values[k][0..counts[k]-1]. */
TYCHE_API tyche_sensitivity *tyche_sweep_run(const char *file, const tyche_scenario_options *opt,
                                             size_t n_axes, const char *const *names,
                                             const double *const *values, const size_t *counts,
                                             const tyche_tornado_config *cfg, tyche_err *err);
TYCHE_API void tyche_sensitivity_free(tyche_sensitivity *t);

TYCHE_API size_t tyche_sensitivity_n_statements(const tyche_sensitivity *t);
TYCHE_API const char *tyche_sensitivity_statement(const tyche_sensitivity *t, size_t j);
/* The baseline run's probability of statement j. */
TYCHE_API double tyche_sensitivity_baseline(const tyche_sensitivity *t, size_t j);

/* Tornado rows (one per uncertain parameter, in scenario order). */
TYCHE_API size_t tyche_tornado_n(const tyche_sensitivity *t);
TYCHE_API const char *tyche_tornado_param(const tyche_sensitivity *t, size_t k);
TYCHE_API void tyche_tornado_values(const tyche_sensitivity *t, size_t k, double *low,
                                    double *high);
/* P(statement j) with parameter k at its low / high value; swing = high - low. */
TYCHE_API void tyche_tornado_prob(const tyche_sensitivity *t, size_t k, size_t j, double *p_low,
                                  double *p_high);
/* The standard error of that swing (common random numbers, above). */
TYCHE_API double tyche_tornado_swing_se(const tyche_sensitivity *t, size_t k, size_t j);
/* 1 when statement j has fewer than TYCHE_SOBOL_RARE baseline trials of one
 * outcome: *n_true of *of trials true; its swings then mean little. */
TYCHE_API int tyche_sensitivity_rare(const tyche_sensitivity *t, size_t j, uint64_t *n_true, uint64_t *of);

/* Sweep points: n points in row-major order of the axes; probability and
 * its standard error at point i for statement j. */
TYCHE_API size_t tyche_sweep_n(const tyche_sensitivity *t);
TYCHE_API void tyche_sweep_prob(const tyche_sensitivity *t, size_t i, size_t j, double *p,
                                double *se);
/* Point i's probability minus the baseline's, and its standard error
 * (common random numbers, above). */
TYCHE_API void tyche_sweep_diff(const tyche_sensitivity *t, size_t i, size_t j, double *diff, double *se);
/* The value of axis k at point i. */
TYCHE_API double tyche_sweep_value(const tyche_sensitivity *t, size_t i, size_t k);

/* JSON and HDF5 (tornado: parameter x statement; sweep: one dimension per
 * axis, named by its parameter, then statement). */
TYCHE_API tyche_status tyche_sensitivity_write_json(const tyche_sensitivity *t, const char *path,
                                                    tyche_err *err);
TYCHE_API tyche_status tyche_sensitivity_write_hdf5(const tyche_sensitivity *t, const char *path,
                                                    tyche_err *err);

/* Sobol indices (variance-based, Saltelli's sampling with Jansen's
 * estimators): for base sample size N, matrices A and B of N independent
 * parameter draws and, for each uncertain parameter i, A with column i from
 * B; N (d + 2) trials for d parameters.  First-order S_i = (V - E[(f(B) -
 * f(AB_i))^2] / 2) / V, total ST_i = E[(f(A) - f(AB_i))^2] / (2 V), V the
 * variance of f over A and B.  A row of A and its AB_i share their process
 * noise (B rows have their own), so the noise acts as one more input that is
 * never varied: 1 - sum S_i is reported as the remainder (interactions and
 * process noise).  Intervals: percentile bootstrap over the N rows.
 * Parameters must be independent (no "correlations") and the scenario
 * without as-of conditions.
 *
 * For a yes/no statement those indices (the "indicator view") apportion the
 * variance of the indicator, which is mostly the coin flip given the
 * parameters: they say little about which assumption moves the
 * probability.  The probability view (inner = M > 0) answers that: the
 * indices of p(theta) = P(statement | parameters), "how much of the
 * uncertainty in this probability would learning this parameter remove",
 * by nested simulation.  Each of the N (d + 2) points of the same design
 * gets M inner trials of process noise; the points of a row share them
 * (common random numbers), rows have their own.  The inner noise is taken
 * out exactly: the variance uses V[p-hat] - E[p-hat (1 - p-hat) / (M - 1)],
 * and each squared difference of two points of a row subtracts the inner
 * sample variance of their paired difference over M, so every term is
 * unbiased for the noise-free p(theta) (the indices, ratios, up to O(1/N)).
 * Its remainder, 1 - sum S_i, is interactions only.  Cost: N (d + 2) M
 * trials, through the block kernel.
 *
 * A statement with fewer than TYCHE_SOBOL_RARE trials of one outcome (true
 * or false) among the A and B evaluations is flagged (tyche_sobol_rare):
 * its variance, and so its indices, mean nothing at that sample size. */
#define TYCHE_SOBOL_RARE 50
typedef struct {
    uint64_t base, seed;
    int threads;
    const char *rng;
    int bootstrap;                 /* resamples for the intervals (e.g. 200) */
    const char *const *outputs;    /* scalar outputs to analyse besides the statements */
    size_t n_outputs;
    uint64_t inner;                /* M: inner trials per point of the probability view (0: none) */
    const volatile int *cancel;    /* NULL, or set to stop: checked before each design row */
} tyche_sobol_config;

typedef struct tyche_sobol tyche_sobol;

TYCHE_API tyche_sobol *tyche_sobol_run(const char *file, const tyche_scenario_options *opt,
                                       const tyche_sobol_config *cfg, tyche_err *err);
TYCHE_API void tyche_sobol_free(tyche_sobol *t);
/* Targets: the statements, then the chosen outputs. */
TYCHE_API size_t tyche_sobol_n_targets(const tyche_sobol *t);
TYCHE_API const char *tyche_sobol_target(const tyche_sobol *t, size_t i);
TYCHE_API size_t tyche_sobol_n_params(const tyche_sobol *t);
TYCHE_API const char *tyche_sobol_param(const tyche_sobol *t, size_t k);
/* first[0] the estimate, first[1..2] its 95% bootstrap interval; the same for total. */
TYCHE_API void tyche_sobol_index(const tyche_sobol *t, size_t i, size_t k, double first[3],
                                 double total[3]);
TYCHE_API double tyche_sobol_variance(const tyche_sobol *t, size_t i);
TYCHE_API double tyche_sobol_remainder(const tyche_sobol *t, size_t i);
/* 1 when target i is a statement with too few trials of one outcome
 * (TYCHE_SOBOL_RARE): *n_true of *of A and B evaluations were true. */
TYCHE_API int tyche_sobol_rare(const tyche_sobol *t, size_t i, uint64_t *n_true, uint64_t *of);
/* The probability view (tyche_sobol_inner(t) > 0), per statement j (the
 * first targets): the same as the indicator view's, for p(theta). */
TYCHE_API uint64_t tyche_sobol_inner(const tyche_sobol *t);
TYCHE_API void tyche_sobol_prob_index(const tyche_sobol *t, size_t j, size_t k, double first[3],
                                      double total[3]);
TYCHE_API double tyche_sobol_prob_variance(const tyche_sobol *t, size_t j);
TYCHE_API double tyche_sobol_prob_remainder(const tyche_sobol *t, size_t j);
TYCHE_API int tyche_sobol_prob_rare(const tyche_sobol *t, size_t j, uint64_t *n_true, uint64_t *of);
/* How many targets are statements (the first ones). */
TYCHE_API size_t tyche_sobol_n_statements(const tyche_sobol *t);
TYCHE_API tyche_status tyche_sobol_write_json(const tyche_sobol *t, const char *path,
                                              tyche_err *err);
TYCHE_API tyche_status tyche_sobol_write_hdf5(const tyche_sobol *t, const char *path,
                                              tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
