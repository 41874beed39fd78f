/* Joining partial results: the shards of a job array (shard.c) and the
 * ranks of an MPI run (mpi.c) into the results of one run (engine.c). */
#ifndef TYCHE_MERGE_H
#define TYCHE_MERGE_H

#include "run_impl.h"

/* What a shard's file must carry, read from its results (engine.c). */
typedef struct {
    tyche_run_info info;
    uint64_t n_blocks;
    const tyche_moments *block_moments; /* n_blocks x n_outputs */
    const uint64_t *stmt_count, *joint_pair, *missing, *rep_count, *incidence; /* incidence cumulative */
    uint64_t joint_all;
    const tyche_sketch *sketch;
    size_t n_months;
} tyche_shard_parts;
void tyche_results_parts(const tyche_results *r, tyche_shard_parts *out);

/* Where a merge adds each shard's parts (engine.c points it into the results). */
typedef struct {
    tyche_moments *moments;
    uint64_t *stmt_count, *joint_pair, *joint_all, *missing, *incidence, *rep_count;
    int replicates;
    tyche_sketch *sketch;
    size_t n_months;
    uint64_t *attempts;
    double *seconds;
    double *param_cols, *output_cols;
    uint8_t *stmt_cols;
    uint64_t stride;
    /* --store paths: per path variable (s->n_paths of them) a column of
     * stride x path_points[i] doubles, row-major by trial; NULL otherwise */
    double *const *path_cols;
    const size_t *path_points;
    uint64_t trials_read;   /* rows added so far, for a merge's progress */
} tyche_shard_sink;
/* Adds shard `sh` (shard.c's handle) to the sink. */
tyche_status tyche_shard_read_into(void *sh, const tyche_scenario *s, tyche_shard_sink *sink,
                                   tyche_err *err);
/* Adds the shards, in order, into r (fresh from tyche_results_alloc for the
 * whole run), then finishes the summary; info gives the run's identity.
 * progress (may be NULL) is called after each shard with the trials merged
 * so far and info->total_trials. */
tyche_status tyche_results_merge_shards(const tyche_scenario *s, tyche_results *r,
                                        void *const *shards, unsigned n,
                                        const tyche_run_info *info, tyche_progress_fn progress,
                                        void *user, tyche_err *err);

/* MPI (mpi.c): the whole run's summary from every rank's packed partials,
 * in rank order, and this rank's per-trial rows (rank 0: in columns of the
 * whole run's length).  Frees `mine`. */
typedef void (*tyche_unpack_fn)(const tyche_scenario *s, tyche_shard_sink *k, const double *d,
                                const uint64_t *u);
void tyche_results_merge_ranks(const tyche_scenario *s, tyche_results *r, tyche_results *mine,
                               const tyche_run_info *info, const double *d, const uint64_t *u,
                               const int *doff, const int *uoff, int ranks,
                               tyche_unpack_fn unpack, int rank0);
/* After tyche_results_merge_ranks: how many rows this rank owns. */
uint64_t tyche_results_rows(const tyche_results *r);

/* The /partial group of a shard's HDF5 file (shard.c), written by
 * tyche_write_hdf5 into the open file before it is closed and renamed. */
tyche_status tyche_shard_write_partial(int64_t file, const tyche_scenario *s, const tyche_results *r,
                                       tyche_err *err);

#endif
