/* The mergeable summary of a run, or of any contiguous range of its blocks.
 *
 * One struct holds every statistic the summary is built from, and this
 * module is the only code that knows its fields: the engine's threads add
 * trials to it, a run closes blocks into it, shards and checkpoint parts
 * write it to (and read it from) the /partial group of their HDF5 files,
 * MPI ranks exchange it as a flat buffer, and the results are finished from
 * it.  A new statistic is a field here, in alloc/add/merge/pack/HDF5, and
 * in the writer that reports it.
 *
 * The exact-merge rule.  Two kinds of state, for determinism:
 *   - floating-point moments are accumulated per block of
 *     TYCHE_BLOCK_TRIALS trials and folded into the run's moments strictly
 *     in block order (floating-point addition is not associative, so the
 *     fold's order is part of the result);
 *   - everything else (statement, joint, missing and replicate counts,
 *     incidence bins, quantile sketches, attempts) is an integer count or a
 *     min/max, exact in any order.
 * An accumulator that keeps its per-block moments (max_blocks > 0) can be
 * merged after another: tyche_accum_merge(dst, src), src's blocks following
 * dst's, replays src's blocks one by one into dst's fold.  So any split of
 * a run's blocks into contiguous groups, merged in block order, gives the
 * same bytes as the whole run (tests/test_accum.c checks it).
 *
 * Incidence is kept per month (not cumulative) here, because that is what
 * adds up; tyche_accum_finish makes it cumulative, once, for the results. */
#ifndef TYCHE_ACCUM_H
#define TYCHE_ACCUM_H

#include <stddef.h>
#include <stdint.h>
#include "scenario_impl.h"
#include "stats.h"

typedef struct {
    size_t n_outputs, n_statements, n_joint, n_months;
    int replicates;         /* replicate counts kept (LHS, QMC); 0: none */
    uint64_t max_blocks;    /* per-block moments kept for this many blocks; 0: none */
} tyche_accum_layout;

typedef struct tyche_accum {
    tyche_accum_layout lay;
    double *month_time;     /* n_months boundaries, days since start (the last: the horizon) */
    uint64_t n_blocks;      /* blocks closed into it */
    tyche_moments *moments; /* per output: its blocks' moments folded in block order */
    tyche_moments *block_moments; /* max_blocks x n_outputs (NULL when not kept) */
    uint64_t *stmt_count;   /* per statement */
    uint64_t *joint_pair;   /* n_joint x n_joint, upper triangle */
    uint64_t joint_all;
    uint64_t *missing;      /* per output: trials without a value */
    uint64_t *incidence;    /* n_outputs x n_months: events per month, not cumulative */
    uint64_t *rep_count;    /* replicates x statements (NULL when replicates == 0) */
    tyche_sketch *sketch;   /* per output */
    uint64_t attempts;      /* trials drawn, as-of redraws included */
} tyche_accum;

/* The layout of scenario s with `replicates` replicate counts (0: none)
 * and per-block moments for max_blocks blocks (0: none). */
void tyche_accum_layout_init(tyche_accum_layout *lay, const tyche_scenario *s, int replicates,
                             uint64_t max_blocks);

/* An empty accumulator (every count zero) for s in layout lay, with s's
 * month boundaries.  Returns NULL with err set (ENOMEM).  Free with
 * tyche_accum_free (NULL is fine). */
tyche_accum *tyche_accum_alloc(const tyche_scenario *s, const tyche_accum_layout *lay,
                               tyche_err *err);
void tyche_accum_free(tyche_accum *a);
/* Back to empty, the layout kept. */
void tyche_accum_reset(tyche_accum *a);

/* Most trials one tyche_accum_add_lanes call takes (the engine's TYCHE_LANES). */
#define TYCHE_ACCUM_MAX_LANES 256

/* Adds n <= TYCHE_ACCUM_MAX_LANES trials, structure of arrays: output o of
 * trial i at outputs[o * stride + i], statement k at stmts[k * stride + i];
 * replicate[i] each one's replicate (NULL: none kept).  The n trials'
 * moments are computed together (two passes: mean, then squared
 * deviations, each summed in a fixed order) and merged into `block` as one
 * group, so the bits depend on how a block is cut into calls: the engine
 * cuts every block into the same chunks of TYCHE_LANES (I6).  The counts
 * and sketches are as n calls of tyche_accum_add_trial. */
void tyche_accum_add_lanes(tyche_accum *a, const tyche_scenario *s, tyche_moments *block,
                           const double *outputs, const uint8_t *stmts, size_t stride, size_t n,
                           const uint64_t *replicate);
/* Adds one trial: its outputs to `block` (the open block's moments, one per
 * output, owned by the caller) and to a's order-free counts; replicate is
 * the trial's replicate (ignored when a keeps none). */
void tyche_accum_add_trial(tyche_accum *a, const tyche_scenario *s, tyche_moments *block,
                           const double *outputs, const uint8_t *stmts, uint64_t replicate);
/* Closes a block: folds its moments (n_outputs of them) after those of the
 * blocks already closed, and keeps them when a keeps blocks.  Returns 0
 * when a keeps blocks and has no room for another. */
int tyche_accum_close_block(tyche_accum *a, const tyche_moments *block);
/* Adds the order-free parts of src (counts, sketches, attempts) to dst:
 * exact in any order (threads' counters).  Same layout sizes. */
void tyche_accum_add_counts(tyche_accum *dst, const tyche_accum *src);
/* dst <- dst followed by src (src's blocks come right after dst's): the
 * counts added, src's blocks folded into dst's moments one by one in order.
 * src must keep its blocks, unless dst has none yet (its fold is then
 * copied).  EINPUT when the layouts differ or dst has no room for src's
 * blocks. */
tyche_status tyche_accum_merge(tyche_accum *dst, const tyche_accum *src, tyche_err *err);

/* The flat buffer (MPI): a header of the layout's sizes, then every field,
 * in native byte order (the ranks of one job share a machine type).
 * tyche_accum_pack writes tyche_accum_pack_size(a) bytes.  tyche_accum_unpack
 * reads a buffer of len bytes into a (emptied first) of the same layout
 * sizes, max_blocks at least the buffer's blocks; EINPUT otherwise. */
size_t tyche_accum_pack_size(const tyche_accum *a);
void tyche_accum_pack(const tyche_accum *a, unsigned char *buf);
tyche_status tyche_accum_unpack(tyche_accum *a, const unsigned char *buf, size_t len,
                                tyche_err *err);

/* The statistics' datasets of a shard's /partial group (format of
 * shard.c): block_moments, statement_count, joint_pair, joint_all, missing,
 * incidence (per month), replicate_count, sketch_bins, sketch_n,
 * sketch_min_max; written in that order (the bytes of a file depend on it).
 * write needs a to keep its blocks.  read fills a (emptied first, max_blocks
 * >= n_blocks) from group g holding n_blocks blocks of a shard of `rows`
 * trials, checking every count against them (the file is untrusted input);
 * read returns 0 when a dataset is missing, of the wrong size or impossible;
 * write fails with ENOMEM or EIO. */
tyche_status tyche_accum_write_hdf5(const tyche_accum *a, int64_t g, tyche_err *err);
int tyche_accum_read_hdf5(tyche_accum *a, int64_t g, uint64_t n_blocks, uint64_t rows);

/* The results' finished views: quantiles (n_outputs x 9, at
 * tyche_quantile_levels) and cumulative incidence (n_outputs x n_months),
 * into caller-owned arrays; a itself is unchanged. */
void tyche_accum_finish(const tyche_accum *a, double *quantiles, uint64_t *cum_incidence);

#endif
