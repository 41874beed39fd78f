/* The engine's internals that other library modules use: one trial, the
 * results' allocation, their accumulator and columns for the merges of
 * shards (shard.c) and ranks (mpi.c), and the LHS/QMC design (engine.c). */
#ifndef TYCHE_RUN_IMPL_H
#define TYCHE_RUN_IMPL_H

#include "accum.h"

/* Redraws are numbered in 16 bits of the counter (rng.h). */
#define TYCHE_MAX_REDRAWS 65535
#define TYCHE_REDRAW_FAILED UINT32_MAX

/* A thread's workspace for single trials on given parameter values (no
 * draws of parameters, no as-of conditioning): the models' process noise
 * comes from trial `trial`'s streams, as in a run.  Used by the Sobol
 * analysis, one runner per thread. */
typedef struct tyche_runner tyche_runner;
tyche_runner *tyche_runner_alloc(const tyche_scenario *s, const char *rng, uint64_t seed,
                                 tyche_err *err);
void tyche_runner_free(const tyche_scenario *s, tyche_runner *r);
void tyche_runner_given(const tyche_scenario *s, tyche_runner *r, uint64_t trial,
                        const double *params, double *outputs, uint8_t *statements);
/* The same parameters for trials trial0 .. trial0 + n - 1 (n <= TYCHE_LANES)
 * at once, through the block kernel: statement k of trial trial0 + i into
 * statements[k * TYCHE_LANES + i] (s's statement count x TYCHE_LANES bytes).
 * The inner trials of a nested simulation (sobol.c). */
void tyche_runner_given_lanes(const tyche_scenario *s, tyche_runner *r, uint64_t trial0, size_t n,
                              const double *params, uint8_t *statements);

/* Whether storing `trials` trials at `store` would take more than 80% of
 * physical memory (run and merge refuse it up front); the sizes in GiB. */
int tyche_store_too_big(const tyche_scenario *s, uint64_t trials, tyche_store store,
                        double *need_gib, double *phys_gib);

/* Results with room for n_cols per-trial rows (when cfg->store asks), and
 * an empty accumulator in cfg's layout (per-block moments kept for a
 * shard's blocks, replicate counts under LHS and QMC). */
tyche_results *tyche_results_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                   uint64_t n_cols, tyche_err *err);
/* Quantiles from the sketches, incidence made cumulative: once, at the end. */
void tyche_finish_summary(const tyche_scenario *s, tyche_results *r);

/* The results' accumulator (owned by r): a merge adds into it, a shard's
 * writer reads it. */
tyche_accum *tyche_results_accum(tyche_results *r);
const tyche_accum *tyche_results_summary(const tyche_results *r);
/* The per-trial columns a merge reads rows into (NULL when not stored):
 * param, output and statement columns of `stride` rows each; under --store
 * paths per path variable stride x path_points[i] doubles, row-major by trial. */
typedef struct {
    double *param_cols, *output_cols;
    uint8_t *stmt_cols;
    uint64_t stride;
    double *const *path_cols;
    const size_t *path_points;
} tyche_results_cols;
void tyche_results_columns(tyche_results *r, tyche_results_cols *out);
/* After a merge into r's accumulator: finishes the summary as one run
 * would and takes info as r's identity (attempts: the accumulator's). */
void tyche_results_finish(const tyche_scenario *s, tyche_results *r, const tyche_run_info *info);
/* MPI: r (the merged summary) takes this rank's per-trial rows from mine
 * (rank 0: in columns of the whole run's length); frees mine. */
void tyche_results_take_rows(const tyche_scenario *s, tyche_results *r, tyche_results *mine,
                             uint64_t total_trials, int rank0);
/* After tyche_results_take_rows: how many rows this rank owns. */
uint64_t tyche_results_rows(const tyche_results *r);

/* An LHS or QMC design for a run (NULL under MC). */
typedef struct tyche_design tyche_design;
tyche_status tyche_design_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                tyche_design **out, tyche_err *err);
void tyche_design_free(tyche_design *d);

#endif
