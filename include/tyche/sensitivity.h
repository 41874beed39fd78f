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
 * values for one parameter), again with common random numbers. */
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

/* Sweep points: n points in row-major order of the axes; probability and
 * its standard error at point i for statement j. */
TYCHE_API size_t tyche_sweep_n(const tyche_sensitivity *t);
TYCHE_API void tyche_sweep_prob(const tyche_sensitivity *t, size_t i, size_t j, double *p,
                                double *se);
/* The value of axis k at point i. */
TYCHE_API double tyche_sweep_value(const tyche_sensitivity *t, size_t i, size_t k);

/* JSON and HDF5 (tornado: parameter x statement; sweep: one dimension per
 * axis, named by its parameter, then statement). */
TYCHE_API tyche_status tyche_sensitivity_write_json(const tyche_sensitivity *t, const char *path,
                                                    tyche_err *err);
TYCHE_API tyche_status tyche_sensitivity_write_hdf5(const tyche_sensitivity *t, const char *path,
                                                    tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
