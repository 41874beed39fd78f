/* The accumulator's exact-merge rule (accum.h): any split of a run's blocks
 * into contiguous groups, merged in block order, packs to the same bytes as
 * the unsplit accumulator; the flat buffer and the HDF5 group round-trip to
 * the same bytes.  Trials are synthetic (a fixed-seed GSL stream) on the
 * article's layout: time outputs with events inside and beyond the horizon,
 * values, missing outputs, joint statements, replicate counts. */
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <hdf5.h>
#include <stdlib.h>
#include <unistd.h>
#include "accum.h"
#include "test.h"

#define SEED 20261201UL
#define N_BLOCKS 11
#define REPLICATES 4
/* the last block ragged, as a run's is */
#define N_TRIALS ((uint64_t)(N_BLOCKS - 1) * TYCHE_BLOCK_TRIALS + 777)

static tyche_scenario *article(void) {
    tyche_err err;
    tyche_scenario *s = tyche_scenario_load(TYCHE_SOURCE_DIR "/models/article.json", &err);
    if (s == NULL) fprintf(stderr, "article: %s\n", err.msg);
    return s;
}

/* Trial i's synthetic outputs and statements: a pure function of (SEED, i),
 * so every accumulator sees the same trial whatever it is split into. */
static void synth(const tyche_scenario *s, uint64_t i, double *out, uint8_t *st) {
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, SEED + i * 7919);
    for (size_t o = 0; o < s->n_outputs; o++) {
        const double u = gsl_rng_uniform(g);
        if (u < 0.15)
            out[o] = INFINITY; /* never / missing */
        else if (s->outputs[o].type == TYCHE_OUTPUT_TIME)
            out[o] = gsl_rng_uniform(g) * s->horizon_time * 1.2; /* some after the horizon */
        else
            out[o] = 100 * gsl_ran_gaussian(g, 1.0) + 3;
    }
    for (size_t k = 0; k < s->n_statements; k++) st[k] = gsl_rng_uniform(g) < 0.4;
    gsl_rng_free(g);
}

static tyche_accum *make(const tyche_scenario *s, uint64_t max_blocks) {
    tyche_accum_layout lay;
    tyche_accum_layout_init(&lay, s, REPLICATES, max_blocks);
    tyche_err err;
    tyche_accum *a = tyche_accum_alloc(s, &lay, &err);
    if (a == NULL) fprintf(stderr, "accum: %s\n", err.msg);
    return a;
}

/* Adds blocks [b0, b1) to a, one trial at a time, closing each block. */
static void add_blocks(const tyche_scenario *s, tyche_accum *a, uint64_t b0, uint64_t b1) {
    double out[64];
    uint8_t st[64];
    tyche_moments block[64];
    const uint64_t per_rep = (N_TRIALS + REPLICATES - 1) / REPLICATES;
    for (uint64_t b = b0; b < b1; b++) {
        memset(block, 0, sizeof block);
        const uint64_t end = (b + 1) * TYCHE_BLOCK_TRIALS < N_TRIALS ? (b + 1) * TYCHE_BLOCK_TRIALS : N_TRIALS;
        for (uint64_t i = b * TYCHE_BLOCK_TRIALS; i < end; i++) {
            synth(s, i, out, st);
            tyche_accum_add_trial(a, s, block, out, st, i / per_rep);
            a->attempts += 1 + i % 3;
        }
        tyche_accum_close_block(a, block);
    }
}

/* a's flat buffer (malloc'd), its size in *n. */
static unsigned char *packed(const tyche_accum *a, size_t *n) {
    *n = tyche_accum_pack_size(a);
    unsigned char *b = malloc(*n);
    if (b) tyche_accum_pack(a, b);
    return b;
}

static int same_bytes(const tyche_accum *a, const tyche_accum *b) {
    size_t na, nb;
    unsigned char *pa = packed(a, &na), *pb = packed(b, &nb);
    const int same = pa && pb && na == nb && memcmp(pa, pb, na) == 0;
    free(pa);
    free(pb);
    return same;
}

/* The whole run's accumulator, blocks kept. */
static tyche_accum *whole(const tyche_scenario *s) {
    tyche_accum *w = make(s, N_BLOCKS);
    if (w) add_blocks(s, w, 0, N_BLOCKS);
    return w;
}

/* dst <- the blocks cut at cuts[0..n_cuts) (increasing, inside (0, N)),
 * each group in its own accumulator, merged in the order given by `order`. */
static int merge_split(const tyche_scenario *s, tyche_accum *dst, const uint64_t *cuts, size_t n_cuts,
                       const size_t *order) {
    uint64_t edge[N_BLOCKS + 2];
    edge[0] = 0;
    for (size_t k = 0; k < n_cuts; k++) edge[k + 1] = cuts[k];
    edge[n_cuts + 1] = N_BLOCKS;
    int ok = 1;
    for (size_t j = 0; j <= n_cuts && ok; j++) {
        const size_t g = order ? order[j] : j;
        tyche_accum *part = make(s, edge[g + 1] - edge[g]);
        ok = part != NULL;
        if (ok) add_blocks(s, part, edge[g], edge[g + 1]);
        ok = ok && tyche_accum_merge(dst, part, NULL) == TYCHE_OK;
        tyche_accum_free(part);
    }
    return ok;
}

TEST(any_contiguous_split_of_the_blocks_merges_in_block_order_to_the_same_bytes) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    ASSERT(s->n_joint >= 2 && s->n_outputs <= 64 && s->n_statements <= 64);
    tyche_accum *w = whole(s);
    ASSERT(w != NULL);
    ASSERT_INT_EQ(w->n_blocks, N_BLOCKS);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, SEED);
    for (int trial = 0; trial < 8; trial++) {
        /* a random set of cuts, in increasing order */
        uint64_t cuts[N_BLOCKS];
        size_t n = 0;
        for (uint64_t b = 1; b < N_BLOCKS; b++)
            if (gsl_rng_uniform(g) < (trial == 0 ? 1.0 : 0.35)) cuts[n++] = b; /* split 0: every block alone */
        tyche_accum *m = make(s, N_BLOCKS);
        ASSERT(m != NULL);
        if (!merge_split(s, m, cuts, n, NULL)) FAIL_("split %d (seed %lu): merge failed", trial, SEED);
        if (!same_bytes(w, m))
            FAIL_("split %d (seed %lu, %zu cuts): merged bytes differ from the whole run's", trial, SEED, n);
        tyche_accum_free(m);
    }
    gsl_rng_free(g);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(merging_the_groups_out_of_block_order_gives_other_bytes) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s);
    tyche_accum *m = make(s, N_BLOCKS);
    ASSERT(w && m);
    const uint64_t cuts[2] = {3, 7};
    const size_t order[3] = {1, 0, 2};
    ASSERT(merge_split(s, m, cuts, 2, order));
    /* the same counts, but not the same fold of the moments nor block list */
    ASSERT_INT_EQ(m->stmt_count[0], w->stmt_count[0]);
    ASSERT(!same_bytes(w, m));
    tyche_accum_free(m);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(a_merge_into_an_accumulator_without_blocks_folds_the_same_moments) {
    /* the run's summary of a merge of shards keeps no block list */
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s);
    tyche_accum *m = make(s, 0);
    ASSERT(w && m);
    const uint64_t cuts[3] = {2, 5, 9};
    ASSERT(merge_split(s, m, cuts, 3, NULL));
    ASSERT_INT_EQ(m->n_blocks, N_BLOCKS);
    ASSERT(memcmp(m->moments, w->moments, s->n_outputs * sizeof *m->moments) == 0);
    /* a later accumulator must keep its blocks: its fold alone is not exact */
    tyche_accum *late = make(s, 0);
    ASSERT(late != NULL);
    add_blocks(s, late, 0, 2);
    tyche_err err;
    ASSERT_INT_EQ(tyche_accum_merge(m, late, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "per-block");
    tyche_accum_free(late);
    tyche_accum_free(m);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(the_flat_buffer_round_trips_to_the_same_bytes_and_refuses_another_layout) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s), *back = make(s, N_BLOCKS);
    ASSERT(w && back);
    size_t n;
    unsigned char *buf = packed(w, &n);
    ASSERT(buf != NULL);
    tyche_err err;
    ASSERT_INT_EQ(tyche_accum_unpack(back, buf, n, &err), TYCHE_OK);
    ASSERT(same_bytes(w, back));
    ASSERT_INT_EQ(back->attempts, w->attempts);
    /* cut short, or into another layout */
    ASSERT_INT_EQ(tyche_accum_unpack(back, buf, n - 8, &err), TYCHE_EINPUT);
    tyche_accum_layout lay;
    tyche_accum_layout_init(&lay, s, REPLICATES + 1, N_BLOCKS);
    tyche_accum *other = tyche_accum_alloc(s, &lay, &err);
    ASSERT(other != NULL);
    ASSERT_INT_EQ(tyche_accum_unpack(other, buf, n, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "layout");
    tyche_accum_free(other);
    free(buf);
    tyche_accum_free(back);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(the_hdf5_group_round_trips_to_the_same_bytes_and_counts_are_checked) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s), *back = make(s, N_BLOCKS);
    ASSERT(w && back);
    char path[64];
    snprintf(path, sizeof path, "/tmp/tyche-test-accum-%d.h5", (int)getpid());
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT(f >= 0);
    hid_t g = H5Gcreate2(f, "partial", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT(g >= 0);
    ASSERT(tyche_accum_write_hdf5(w, g, NULL) == TYCHE_OK);
    H5Gclose(g);
    H5Fclose(f);
    f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    g = H5Gopen2(f, "partial", H5P_DEFAULT);
    ASSERT(f >= 0 && g >= 0);
    ASSERT(tyche_accum_read_hdf5(back, g, N_BLOCKS, N_TRIALS));
    back->attempts = w->attempts; /* the shard's "run" dataset holds it, not the statistics */
    ASSERT(same_bytes(w, back));
    /* counts beyond the shard's trials: not a shard's */
    ASSERT(!tyche_accum_read_hdf5(back, g, N_BLOCKS, N_TRIALS / 4));
    /* another block count than the file holds */
    ASSERT(!tyche_accum_read_hdf5(back, g, N_BLOCKS - 1, N_TRIALS));
    H5Gclose(g);
    H5Fclose(f);
    unlink(path);
    tyche_accum_free(back);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(finish_makes_incidence_cumulative_and_leaves_the_accumulator_as_it_was) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s), *copy = make(s, N_BLOCKS);
    ASSERT(w && copy);
    ASSERT(tyche_accum_merge(copy, w, NULL) == TYCHE_OK);
    const size_t no = s->n_outputs, nm = w->lay.n_months;
    double *q = calloc(9 * no, sizeof *q);
    uint64_t *cum = calloc(no * nm, sizeof *cum);
    ASSERT(q && cum);
    tyche_accum_finish(w, q, cum);
    ASSERT(same_bytes(w, copy));
    for (size_t o = 0; o < no; o++) {
        /* the last boundary counts every event by the horizon: recount from the trials */
        uint64_t by_horizon = 0;
        double out[64];
        uint8_t st[64];
        for (uint64_t i = 0; i < N_TRIALS && s->outputs[o].type == TYCHE_OUTPUT_TIME; i++) {
            synth(s, i, out, st);
            by_horizon += out[o] <= w->month_time[nm - 1];
        }
        ASSERT_INT_EQ(cum[o * nm + nm - 1], by_horizon);
        for (size_t m = 1; m < nm; m++) ASSERT(cum[o * nm + m] >= cum[o * nm + m - 1]);
    }
    free(q);
    free(cum);
    tyche_accum_free(copy);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

TEST(an_empty_summary_merges_as_nothing_and_a_pack_without_its_blocks_is_refused) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *w = whole(s), *copy = whole(s), *empty = make(s, 0), *kept = make(s, 0);
    ASSERT(w && copy && empty && kept);
    /* an empty source leaves the destination's moments and blocks as they were */
    ASSERT_INT_EQ(tyche_accum_merge(copy, empty, NULL), TYCHE_OK);
    ASSERT_INT_EQ(copy->n_blocks, N_BLOCKS);
    ASSERT(same_bytes(w, copy));
    /* a summary of 11 blocks that kept none cannot fill one that keeps blocks:
     * it would claim blocks it does not hold */
    add_blocks(s, kept, 0, N_BLOCKS);
    size_t n;
    unsigned char *buf = packed(kept, &n);
    ASSERT(buf != NULL);
    tyche_accum *back = make(s, N_BLOCKS);
    ASSERT(back != NULL);
    tyche_err err;
    ASSERT_INT_EQ(tyche_accum_unpack(back, buf, n, &err), TYCHE_EINPUT);
    /* nor may it merge after blocks, nor into an empty summary that keeps a block list */
    ASSERT_INT_EQ(tyche_accum_merge(back, kept, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "per-block");
    free(buf);
    tyche_accum_free(back);
    tyche_accum_free(kept);
    tyche_accum_free(empty);
    tyche_accum_free(copy);
    tyche_accum_free(w);
    tyche_scenario_free(s);
}

/* The engine's tyche_accum_add_lanes (a chunk of trials at once, structure
 * of arrays) against tyche_accum_add_trial on the same trials: every count,
 * sketch bin, min and max, incidence bin, joint and replicate count equal,
 * and each output's moments those of the same values (the mean and M2 of a
 * chunk by two passes, merged: within 1e-12 of one trial at a time). */
TEST(adding_a_chunk_of_lanes_counts_as_adding_its_trials_one_by_one) {
    tyche_scenario *s = article();
    ASSERT(s != NULL);
    tyche_accum *a = make(s, 0), *b = make(s, 0);
    ASSERT(a != NULL && b != NULL);
    enum { L = TYCHE_ACCUM_MAX_LANES };
    const size_t no = s->n_outputs, ns = s->n_statements;
    double *cols = malloc(no * L * sizeof *cols), out[64];
    uint8_t *st_cols = malloc(ns * L), st[64];
    uint64_t rep[L];
    tyche_moments ma[64] = {{0}}, mb[64] = {{0}};
    ASSERT(cols && st_cols && no <= 64 && ns <= 64);
    for (uint64_t c0 = 0; c0 < 3 * L + 77; c0 += L) {
        const size_t n = c0 + L <= 3 * L + 77 ? L : 77; /* a ragged last chunk */
        for (size_t i = 0; i < n; i++) {
            synth(s, c0 + i, out, st);
            rep[i] = (c0 + i) % REPLICATES;
            tyche_accum_add_trial(b, s, mb, out, st, rep[i]);
            for (size_t o = 0; o < no; o++) cols[o * L + i] = out[o];
            for (size_t k = 0; k < ns; k++) st_cols[k * L + i] = st[k];
        }
        tyche_accum_add_lanes(a, s, ma, cols, st_cols, L, n, rep);
    }
    for (size_t o = 0; o < no; o++) {
        ASSERT_INT_EQ(a->missing[o], b->missing[o]);
        ASSERT_INT_EQ(a->sketch[o].n, b->sketch[o].n);
        ASSERT_DBL_IDENTICAL(a->sketch[o].min, b->sketch[o].min);
        ASSERT_DBL_IDENTICAL(a->sketch[o].max, b->sketch[o].max);
        ASSERT(memcmp(a->sketch[o].bins, b->sketch[o].bins, TYCHE_SKETCH_BINS * sizeof(uint64_t)) == 0);
        ASSERT_INT_EQ(ma[o].n, mb[o].n);
        ASSERT_NEAR(ma[o].mean, mb[o].mean, 1e-12 * fmax(1.0, fabs(mb[o].mean)));
        ASSERT_NEAR(ma[o].m2, mb[o].m2, 1e-12 * fmax(1.0, mb[o].m2));
    }
    const size_t nm = a->lay.n_months;
    ASSERT(memcmp(a->incidence, b->incidence, no * nm * sizeof *a->incidence) == 0);
    ASSERT(memcmp(a->stmt_count, b->stmt_count, ns * sizeof *a->stmt_count) == 0);
    ASSERT(memcmp(a->joint_pair, b->joint_pair, s->n_joint * s->n_joint * sizeof *a->joint_pair) == 0);
    ASSERT_INT_EQ(a->joint_all, b->joint_all);
    ASSERT(memcmp(a->rep_count, b->rep_count, REPLICATES * ns * sizeof *a->rep_count) == 0);
    free(cols);
    free(st_cols);
    tyche_accum_free(a);
    tyche_accum_free(b);
    tyche_scenario_free(s);
}
