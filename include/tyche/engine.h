/* tyche: the run.  Trials are simulated in fixed-size blocks over OpenMP
 * threads, one workspace per thread and no allocation or locking per trial.
 * Per-block partial statistics are merged in block order, so the summary is
 * identical for any thread count; integer counts (statements, incidence,
 * quantile sketches) are order-free and merged per thread. */
#ifndef TYCHE_ENGINE_H
#define TYCHE_ENGINE_H

#include "common.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { TYCHE_STORE_NONE = 0, TYCHE_STORE_OUTPUTS = 1, TYCHE_STORE_PATHS = 2 } tyche_store;

/* How parameters are drawn (process noise is always pseudo-random):
 * MC independent draws; LHS a Latin hypercube per replicate (each
 * parameter's quantile range cut into as many strata as the replicate has
 * trials, each stratum used once, the strata of different parameters paired
 * by independent keyed permutations); QMC a Sobol sequence (GSL's) with an
 * independent random shift per replicate (Cranley-Patterson rotation).
 * Trials are split into `replicates` contiguous, independent designs, so
 * the spread of their estimates gives the Monte Carlo error. */
typedef enum { TYCHE_SAMPLING_MC = 0, TYCHE_SAMPLING_LHS = 1, TYCHE_SAMPLING_QMC = 2 } tyche_sampling;

/* Trials per block.  Part of the reproducibility contract: the summary's
 * floating-point sums are merged per block, so it is fixed, not tunable. */
#define TYCHE_BLOCK_TRIALS 2048

/* The most trials a run may have: 2^53.  Beyond it the block arithmetic
 * (rounding up to whole blocks) nears 2^64 and wraps, and the counts and
 * trial numbers that the summaries hold as doubles lose exactness; at a
 * million trials a second it is also centuries of computing. */
#define TYCHE_MAX_TRIALS ((uint64_t)1 << 53)

typedef void (*tyche_progress_fn)(void *user, uint64_t done, uint64_t total);

/* Per-trial rows on their way to a file: rows [first_trial, first_trial + n)
 * as columns of `stride` rows each (parameter p's at params + p * stride,
 * likewise outputs and statements; an event that did not happen is +inf),
 * and under --store paths, per path variable, n rows of its points,
 * row-major (paths[v] + i * points); paths is NULL otherwise. */
typedef struct {
    uint64_t first_trial;
    size_t n, stride;
    const double *params, *outputs;
    const uint8_t *statements;
    const double *const *paths;
} tyche_rows;

/* A row sink: takes a slice of rows (copies what it keeps: the memory is
 * reused once it returns).  Returns TYCHE_OK or the error, set in err. */
typedef tyche_status (*tyche_rows_fn)(void *user, const tyche_rows *rows, tyche_err *err);

typedef struct {
    uint64_t trials;
    uint64_t seed;
    int threads;          /* <= 0: all cores */
    const char *rng;      /* NULL: philox */
    tyche_store store;
    tyche_progress_fn progress; /* may be NULL; called after each epoch of blocks, from one
                                   thread at a time */
    void *progress_user;
    /* Precision-based stopping: NULL, or per statement the target half-width
     * of its 95% interval (0: none).  The run stops after the first epoch of
     * 65536 trials at which every target is met, `trials` being the maximum;
     * the same seed stops at the same count for any thread count. */
    const double *precision;
    tyche_sampling sampling;   /* LHS and QMC need trials divisible by replicates */
    int replicates;            /* >= 2 for LHS and QMC */
    /* Job arrays: run only shard `shard_index` of `shard_count` (0: the whole
     * run), a contiguous range of blocks; tyche_merge_shards joins them. */
    uint32_t shard_index, shard_count;
    /* Streamed rows: NULL keeps the stored rows in the results (in memory,
     * refused up front when they would take more than 80% of it).  With a
     * sink the results keep none: every finished block's rows go to
     * rows(rows_user, ...), in trial order, one block per call, from a
     * writer thread of the run's own while later blocks simulate, so memory
     * is bounded by the blocks in flight (4 per thread), not by the trials.
     * An error from the sink stops the run: tyche_run returns NULL with the
     * sink's error. */
    tyche_rows_fn rows;
    void *rows_user;
    /* Cancel: NULL, or a flag another thread may set (the Python module sets
     * it on Ctrl-C).  Each thread reads it before it takes its next block, so
     * a run stops within one block per thread of the flag being set: tyche_run
     * then returns NULL with TYCHE_ERUN "interrupted" (and no file). */
    const volatile int *cancel;
} tyche_run_config;

/* The defaults every caller starts from, then sets what it needs by name:
 * 100000 trials, seed 1, all cores, Philox, --store outputs, MC sampling, no
 * progress callback, no precision targets, the whole run (no shard). */
TYCHE_API void tyche_run_config_init(tyche_run_config *cfg);

typedef struct tyche_results tyche_results;

/* Runs the scenario.  Returns NULL with err set (EINPUT for a bad config,
 * e.g. an unknown --rng or a store too large for memory, with the size;
 * ENOMEM; ERUN).  Free with tyche_results_free. */
TYCHE_API tyche_results *tyche_run(const tyche_scenario *s, const tyche_run_config *cfg,
                                   tyche_err *err);
TYCHE_API void tyche_results_free(tyche_results *r);

/* The trials a run of cfg simulates: [*first, *first + *count) (a shard's
 * range of whole blocks; the whole run without one).  Returns 0 when the
 * shard does not exist. */
TYCHE_API int tyche_run_range(const tyche_run_config *cfg, uint64_t *first, uint64_t *count);

/* Bytes the per-trial store would need (for the up-front memory check). */
TYCHE_API uint64_t tyche_store_bytes(const tyche_scenario *s, uint64_t trials, tyche_store store);

/* Summary views; pointers owned by the results. */
typedef struct {
    uint64_t trials;
    uint64_t seed;
    int threads;
    const char *rng;
    tyche_store store;
    double seconds;
    uint64_t attempts;    /* trials drawn including as-of rejections */
    tyche_sampling sampling;
    int replicates;
    uint64_t first_trial;      /* of the trials simulated (0 unless a shard) */
    uint64_t total_trials;     /* of the whole run (= trials unless a shard) */
    uint32_t shard_index, shard_count;
    int ranks;                 /* MPI ranks that ran it (1 without MPI); threads is per rank */
} tyche_run_info;

typedef struct {
    uint64_t count;       /* trials where it holds */
    double probability, stderr_, ci95_lo, ci95_hi; /* Wilson 95% interval */
} tyche_prob;

typedef struct {
    uint64_t n;            /* trials with a value (finite time / non-NaN value) */
    double missing_fraction;
    double mean, sd;
    double q[9];           /* at tyche_quantile_levels */
} tyche_output_summary;

TYCHE_API extern const double tyche_quantile_levels[9];

TYCHE_API void tyche_results_info(const tyche_results *r, tyche_run_info *out);
/* What ran it, for results the caller assembled (a checkpointed run's
 * merged parts, a merge): threads per rank, ranks, seconds. */
TYCHE_API void tyche_results_set_runtime(tyche_results *r, int threads, int ranks, double seconds);
/* Statement i's --precision target and the half-width of its 95% Wilson
 * interval now; returns 0 (target 0, half-width NaN) when it had none.
 * The target was reached when half_width <= target. */
TYCHE_API int tyche_results_precision(const tyche_results *r, size_t i, double *target,
                                      double *half_width);
TYCHE_API void tyche_results_statement(const tyche_results *r, size_t i, tyche_prob *out);
/* With LHS or QMC: the standard error of statement i's probability from the
 * spread of its replicates' estimates (NaN under MC). */
TYCHE_API double tyche_results_statement_replicate_se(const tyche_results *r, size_t i);
TYCHE_API void tyche_results_output(const tyche_results *r, size_t i, tyche_output_summary *out);

/* Cumulative incidence of time output i at the month boundaries: n points,
 * at times (days since start) `times`, labels "YYYY-MM-DD" (the boundary). */
TYCHE_API size_t tyche_results_n_months(const tyche_results *r);
TYCHE_API double tyche_results_month_time(const tyche_results *r, size_t m);
TYCHE_API void tyche_results_incidence(const tyche_results *r, size_t output, size_t m,
                                       tyche_prob *out);

/* Joint view over the scenario's joint statements (k, l index that list):
 * all together, each pair, and the correlation of indicators (phi) with its
 * delta-method standard error (NaN when a statement is constant). */
TYCHE_API void tyche_results_joint_all(const tyche_results *r, tyche_prob *out);
TYCHE_API void tyche_results_joint_pair(const tyche_results *r, size_t k, size_t l,
                                        tyche_prob *out);
TYCHE_API void tyche_results_joint_corr(const tyche_results *r, size_t k, size_t l,
                                        double *corr, double *se);

/* Joins the shard files of one run (each written by tyche_write_hdf5 for a
 * shard) into the results of the whole run: the same per-trial columns and
 * the same summary, bit for bit, as one run.  Checks they come from the same
 * scenario (text, --set, as-of), seed, generator, sampling, trial count and
 * build, and that they are complete and disjoint; EINPUT naming the file
 * and the problem otherwise.  *s_out gets the scenario (free both). */
TYCHE_API tyche_results *tyche_merge_shards(const char *const *files, size_t n,
                                            tyche_scenario **s_out, tyche_err *err);
/* The same, calling progress(user, trials merged so far, total trials)
 * after each shard is read, in shard order (the last call has done ==
 * total); progress may be NULL.  The run info of the results has threads =
 * the most any shard ran on (1 for files that do not say) and ranks = 1. */
TYCHE_API tyche_results *tyche_merge_shards_progress(const char *const *files, size_t n,
                                                     tyche_scenario **s_out,
                                                     tyche_progress_fn progress, void *user,
                                                     tyche_err *err);

/* A streamed merge: as tyche_merge_shards_progress, but the results keep
 * no per-trial rows.  Once the shards are checked and their scenario read,
 * begin(user, s, info, &rows, &rows_user, err) is called (info: the merged
 * run's trials and --store level); it returns the sink every row then goes
 * to, in trial order, a slice of whole blocks at a time, so the merge's
 * memory is one slice, whatever the trials.  An error from begin or the
 * sink ends the merge with that error. */
typedef tyche_status (*tyche_merge_begin_fn)(void *user, const tyche_scenario *s,
                                             const tyche_run_info *info, tyche_rows_fn *rows,
                                             void **rows_user, tyche_err *err);
TYCHE_API tyche_results *tyche_merge_shards_stream(const char *const *files, size_t n,
                                                   tyche_scenario **s_out,
                                                   tyche_progress_fn progress, void *user,
                                                   tyche_merge_begin_fn begin, void *begin_user,
                                                   tyche_err *err);

/* Per-trial columns when stored (NULL otherwise); length = trials.
 * Paths: trials * n_points, row-major by trial. */
TYCHE_API const double *tyche_results_param_column(const tyche_results *r, size_t i);
TYCHE_API const double *tyche_results_output_column(const tyche_results *r, size_t i);
TYCHE_API const uint8_t *tyche_results_statement_column(const tyche_results *r, size_t i);
TYCHE_API const double *tyche_results_path(const tyche_results *r, size_t i);

/* One trial, simulated alone (replay): exactly what a run with the same
 * seed and generator computed for that trial.  Arrays sized by the
 * scenario's counts; paths may be NULL. */
typedef struct {
    double *params;
    double *outputs;
    uint8_t *statements;
    double *paths;        /* all path variables, each n_points long, in order */
    uint32_t redraws;     /* as-of rejections before acceptance */
} tyche_trial_record;

TYCHE_API tyche_trial_record *tyche_trial_record_alloc(const tyche_scenario *s);
TYCHE_API void tyche_trial_record_free(tyche_trial_record *t);
TYCHE_API tyche_status tyche_replay(const tyche_scenario *s, uint64_t seed, const char *rng,
                                    uint64_t trial, tyche_trial_record *out, tyche_err *err);
/* The same for a run made with cfg (its seed, generator, sampling and
 * trial count: an LHS or QMC design depends on them). */
TYCHE_API tyche_status tyche_replay_run(const tyche_scenario *s, const tyche_run_config *cfg,
                                        uint64_t trial, tyche_trial_record *out, tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
