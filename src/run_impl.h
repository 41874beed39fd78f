/* The engine's internals that other library modules use: one trial, the
 * results' allocation and the LHS/QMC design (engine.c). */
#ifndef TYCHE_RUN_IMPL_H
#define TYCHE_RUN_IMPL_H

#include "scenario_impl.h"
#include "stats.h"

/* Redraws are numbered in 16 bits of the counter (rng.h). */
#define TYCHE_MAX_REDRAWS 65535
#define TYCHE_REDRAW_FAILED UINT32_MAX

/* One trial on given parameter values (no draws of parameters, no as-of
 * conditioning): the models' process noise comes from trial `trial`'s
 * streams.  Used by the Sobol analysis. */
void tyche_trial_given(const tyche_scenario *s, tyche_rng *rng, uint64_t trial, void *const *ws,
                       const double *params, double *outputs, uint8_t *statements,
                       uint8_t *stack);

/* Whether storing `trials` trials at `store` would take more than 80% of
 * physical memory (run and merge refuse it up front); the sizes in GiB. */
int tyche_store_too_big(const tyche_scenario *s, uint64_t trials, tyche_store store,
                        double *need_gib, double *phys_gib);

/* Results with room for n_cols per-trial rows (when cfg->store asks). */
tyche_results *tyche_results_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                   uint64_t n_cols, tyche_err *err);
/* Quantiles from the sketches, incidence made cumulative: once, at the end. */
void tyche_finish_summary(const tyche_scenario *s, tyche_results *r);

/* An LHS or QMC design for a run (NULL under MC). */
typedef struct tyche_design tyche_design;
tyche_status tyche_design_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                tyche_design **out, tyche_err *err);
void tyche_design_free(tyche_design *d);

/* Simulates trial `trial` with every buffer supplied: params (n_params),
 * outputs (n_outputs), statements (n_statements), paths (path_doubles or
 * NULL), stack (max_stack), model workspaces.  Returns the redraw count
 * (as-of rejections), or TYCHE_REDRAW_FAILED. */
uint32_t tyche_trial_simulate(const tyche_scenario *s, const tyche_design *design, tyche_rng *rng,
                              uint64_t trial, void *const *ws, double *params, double *outputs,
                              uint8_t *statements, double *paths, uint8_t *stack);

#endif
