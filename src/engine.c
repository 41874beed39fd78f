/* The run: trials in fixed-size blocks over OpenMP threads.
 *
 * How it works: blocks of TYCHE_BLOCK_TRIALS trials are handed out
 * dynamically; a thread simulates a block with its own workspace (allocated
 * before the parallel region: no allocation or lock per trial), writing
 * per-trial rows by trial index and adding integer counts to its own
 * accumulator (accum.h).  Each block's floating-point moments go to a slot
 * of their own and are closed into the run's accumulator strictly in block
 * order at the end of each epoch of blocks, so the summary does not depend
 * on which thread ran what.  A
 * trial's numbers depend on (seed, trial) only (rng.h), so per-trial rows
 * are identical for any thread count, and tyche_replay recomputes any one
 * trial alone. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include "accum.h"
#include "dist_impl.h"
#include "run_impl.h"

_Static_assert(TYCHE_LANES <= TYCHE_ACCUM_MAX_LANES, "a chunk's lanes fit tyche_accum_add_lanes");
_Static_assert(TYCHE_BLOCK_TRIALS % TYCHE_LANES == 0, "a block is whole chunks");

/* Blocks per thread between the merges of partial moments (see tyche_run). */
#define EPOCH_BLOCKS_PER_THREAD 32
/* Blocks between precision checks (65536 trials). */
#define PRECISION_EPOCH_BLOCKS 32

struct tyche_results {
    tyche_run_info info;
    uint64_t stride;            /* trials each per-trial column has room for */
    uint64_t first_trial;       /* trial index of the columns' first row */
    uint64_t n_range_blocks;    /* blocks of this run's range (MPI merge: the rows this rank owns) */
    char rng_name[64];
    size_t n_params, n_outputs, n_statements, n_paths, n_joint, n_months;
    /* summary: the accumulator (accum.h), and its finished views */
    tyche_accum *acc;           /* keeps per-block moments for a shard's exact merge */
    double *quantiles;          /* per output, 9 levels */
    uint64_t *incidence;        /* per output * n_months, cumulative counts */
    /* per-trial columns (NULL when not stored) */
    double *param_cols, *output_cols, **path_cols;
    uint8_t *stmt_cols;
    size_t *path_points;
    double *precision;          /* per statement: the --precision target (0: none), or NULL */
};

/* A chunk of up to TYCHE_LANES trials, structure of arrays (kind.h):
 * parameter p of lane i at params[p * TYCHE_LANES + i], likewise outputs;
 * lane i's paths at paths + i * path_doubles. */
typedef struct {
    size_t n;
    uint64_t *trial;
    uint32_t *redraw;
    tyche_lanes lanes;
    double *params, *outputs, *paths;
    size_t *slot;           /* a redo chunk: the lane of the main chunk each lane redraws */
} chunk;

/* What one thread owns for the whole run. */
typedef struct {
    _Alignas(64) tyche_rng *rng; /* workers sit on separate cache lines; per-trial kinds and posteriors */
    tyche_draws *draws;     /* the block draws (draws.h) */
    void **model_ws;
    chunk main, redo;       /* a chunk, and the lanes of it that as-of conditioning redraws */
    double *zeros, *infs;   /* TYCHE_LANES of 0 and of INFINITY */
    double *tmp;            /* 3 TYCHE_LANES doubles for the priors' samplers */
    double *params, *outputs; /* one trial's rows (per-trial kinds, statements) */
    uint8_t *stmts, *stack;
    tyche_accum *acc;       /* this thread's order-free counts (its moments go to block slots) */
    uint64_t failed_trial;  /* UINT64_MAX, or a trial that could not be conditioned */
    tyche_moments *block_moments; /* the current block's slot (owned by tyche_run) */
    uint8_t *stmt_cols, *stack_cols; /* a chunk's statements and their evaluation stack, SoA */
    uint64_t *replicate;    /* a chunk's lanes' replicates, under a design */
} worker;

/* ---- LHS and QMC designs -------------------------------------------------- */

struct tyche_design {
    tyche_sampling kind;
    uint64_t m;               /* trials per replicate */
    uint64_t seed;
    size_t dim;               /* QMC: columns of points (one per parameter) */
    double *points;           /* QMC: m x dim Sobol points */
};

static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A keyed permutation of [0, n) computed pointwise (no table, so any trial
 * can be placed alone): a 4-round Feistel network on the smallest even
 * power of two >= n, cycle-walked back into range. */
static uint64_t permute(uint64_t j, uint64_t n, uint64_t key) {
    int bits = 2;
    while (((uint64_t)1 << bits) < n) bits += 2;
    const int h = bits / 2;
    const uint64_t mask = ((uint64_t)1 << h) - 1;
    do {
        uint64_t l = j >> h, r = j & mask;
        for (int round = 0; round < 4; round++) {
            const uint64_t f = mix64(r ^ (key + (uint64_t)round * 0x632be59bd9b4e019ULL)) & mask;
            const uint64_t t = l ^ f;
            l = r;
            r = t;
        }
        j = (l << h) | r;
    } while (j >= n);
    return j;
}

/* The design's uniform for parameter p of trial `trial`; jitter is a
 * uniform from the parameter's own stream (LHS jitters within the stratum
 * with it). */
static double design_u(const tyche_design *d, uint64_t trial, size_t p, double jitter) {
    const uint64_t rep = trial / d->m, j = trial % d->m;
    const uint64_t key = mix64(d->seed ^ mix64(rep * 0x10001ULL + p + 1));
    double u;
    if (d->kind == TYCHE_SAMPLING_LHS) {
        u = ((double)permute(j, d->m, key) + jitter) / (double)d->m;
    } else {
        const double shift = (double)(mix64(key) >> 11) * 0x1.0p-53;
        u = d->points[j * d->dim + p] + shift;
        if (u >= 1.0) u -= 1.0;
    }
    return fmin(fmax(u, 1e-16), 1 - 1e-16);
}

void tyche_design_free(tyche_design *d) {
    if (d == NULL) return;
    free(d->points);
    free(d);
}

tyche_status tyche_design_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                tyche_design **out, tyche_err *err) {
    *out = NULL;
    if (cfg->sampling == TYCHE_SAMPLING_MC) return TYCHE_OK;
    if (cfg->replicates < 2 || cfg->trials % (uint64_t)cfg->replicates != 0)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "--replicates: LHS and QMC need at least 2 replicates dividing the trials "
                             "(%llu trials, %d replicates)",
                             (unsigned long long)cfg->trials, cfg->replicates);
    tyche_design *d = tyche_calloc(1, sizeof *d);
    if (d == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    d->kind = cfg->sampling;
    d->m = cfg->trials / (uint64_t)cfg->replicates;
    d->seed = cfg->seed;
    if (d->kind == TYCHE_SAMPLING_QMC) {
        d->dim = s->n_params;
        if (d->dim > 40) {
            free(d);
            return tyche_err_set(err, TYCHE_EINPUT, "--sampling qmc: GSL's Sobol sequence has at most 40 dimensions (this scenario has %zu parameters)",
                                 s->n_params);
        }
        if (d->m > ((uint64_t)1 << 24)) {
            free(d);
            return tyche_err_set(err, TYCHE_EINPUT, "--sampling qmc: at most 2^24 trials per replicate (use more replicates)");
        }
        d->points = tyche_malloc(d->m * d->dim * sizeof *d->points);
        gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d->dim);
        if (d->points == NULL || q == NULL) {
            gsl_qrng_free(q);
            tyche_design_free(d);
            return tyche_err_set(err, TYCHE_ENOMEM, "out of memory for the Sobol points");
        }
        for (uint64_t j = 0; j < d->m; j++) gsl_qrng_get(q, d->points + j * d->dim);
        gsl_qrng_free(q);
    }
    *out = d;
    return TYCHE_OK;
}

/* ---- a chunk of trials ---------------------------------------------------- */

static void run_models(const tyche_scenario *s, worker *w, chunk *c, const double *params,
                       double *outputs, double *paths);

/* One attempt for every lane of c: each independent parameter from its own
 * stream (or the design), each correlated group through its Gaussian
 * copula, the calibration posteriors (their model's substream 7), then
 * every model in order.  `first`: the lanes' first attempt (a design places
 * first attempts; as-of redraws fall back to plain draws). */
static void attempt(const tyche_scenario *s, const tyche_design *design, worker *w, chunk *c,
                    int first) {
    const tyche_design *dz = first ? design : NULL;
    const tyche_lanes *L = &c->lanes;
    const size_t n = c->n;
    double *u = w->tmp; /* a design's jitters (the samplers are not called then) */
    for (size_t p = 0; p < s->n_params; p++) {
        const tyche_dist *d = &s->params[p].prior;
        double *col = c->params + p * TYCHE_LANES;
        if (d->kind == TYCHE_DIST_FIXED) {
            for (size_t i = 0; i < n; i++) col[i] = d->p[0];
            continue;
        }
        if (s->in_group[p]) continue;
        const uint32_t stream = TYCHE_STREAM_PARAM0 + (uint32_t)p;
        if (dz) {
            tyche_draws_uniform(w->draws, L, stream, 0, u, NULL);
            for (size_t i = 0; i < n; i++)
                col[i] = tyche_dist_quantile(d, design_u(dz, c->trial[i], p, u[i]));
        } else {
            tyche_dist_sample_block(d, w->draws, L, stream, col, w->tmp);
        }
    }
    /* correlated parameters: a normal score from each one's own stream,
     * correlated by the group's Cholesky factor, through its quantile
     * function; the scores wait in their parameters' columns */
    for (size_t g = 0; g < s->n_groups; g++) {
        const tyche_corr_group *gr = &s->groups[g];
        for (size_t k = 0; k < gr->n; k++) {
            const size_t p = gr->param[k];
            double *col = c->params + p * TYCHE_LANES;
            const uint32_t stream = TYCHE_STREAM_PARAM0 + (uint32_t)p;
            if (dz) {
                tyche_draws_uniform(w->draws, L, stream, 0, u, NULL);
                for (size_t i = 0; i < n; i++)
                    col[i] = gsl_cdf_ugaussian_Pinv(design_u(dz, c->trial[i], p, u[i]));
            } else {
                tyche_draws_normals(w->draws, L, stream, 1, col, n);
            }
        }
        for (size_t i = 0; i < n; i++) {
            double z[64];
            for (size_t k = 0; k < gr->n; k++) z[k] = c->params[gr->param[k] * TYCHE_LANES + i];
            for (size_t k = gr->n; k-- > 0;) {
                double y = 0;
                for (size_t j = 0; j <= k; j++) y += gr->L[k * gr->n + j] * z[j];
                const double uu = fmin(fmax(gsl_cdf_ugaussian_P(y), 1e-16), 1 - 1e-16);
                c->params[gr->param[k] * TYCHE_LANES + i] =
                    tyche_dist_quantile(&s->params[gr->param[k]].prior, uu);
            }
        }
    }
    /* posterior draws replace prior draws where a model calibrates on data
     * (lane by lane: a posterior draws through a gsl_rng) */
    for (size_t m = 0; m < s->n_models; m++) {
        const tyche_model_inst *mi = &s->models[m];
        if (mi->kind->posterior == NULL) continue;
        const size_t np = mi->n_params;
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < np; k++) w->params[k] = c->params[(mi->param0 + k) * TYCHE_LANES + i];
            tyche_rng_seek(w->rng, c->trial[i],
                           TYCHE_STREAM_MODEL0 + (uint32_t)m * TYCHE_STREAMS_PER_MODEL +
                               TYCHE_POSTERIOR_SUBSTREAM,
                           c->redraw[i]);
            mi->kind->posterior(mi->cfg, w->params, tyche_rng_gsl(w->rng));
            for (size_t k = 0; k < np; k++) c->params[(mi->param0 + k) * TYCHE_LANES + i] = w->params[k];
        }
    }
    run_models(s, w, c, c->params, c->outputs, c->paths);
}

/* Every model in order, on the parameters given (SoA, TYCHE_LANES apart),
 * for every lane of c; process noise from the lanes' streams. */
static void run_models(const tyche_scenario *s, worker *w, chunk *c, const double *params,
                       double *outputs, double *paths) {
    const size_t n = c->n;
    const double *z = s->common == (size_t)-1 ? w->zeros : params + s->common * TYCHE_LANES;
    for (size_t m = 0; m < s->n_models; m++) {
        const tyche_model_inst *mi = &s->models[m];
        const tyche_model_kind *k = mi->kind;
        const double *inputs[TYCHE_KIND_MAX_INPUTS]; /* n_inputs checked against it at load */
        for (size_t j = 0; j < mi->n_inputs; j++)
            inputs[j] = mi->input_src[j] == (size_t)-1 ? w->infs : outputs + mi->input_src[j] * TYCHE_LANES;
        const uint32_t stream0 = TYCHE_STREAM_MODEL0 + (uint32_t)m * TYCHE_STREAMS_PER_MODEL;
        if (k->simulate_block) {
            tyche_model_block b = {.lanes = &c->lanes, .n = n, .stride = TYCHE_LANES,
                                   .params = params + mi->param0 * TYCHE_LANES,
                                   .inputs = inputs, .z = z,
                                   .out = outputs + mi->output0 * TYCHE_LANES,
                                   .fixed = s->fixed_time + mi->output0,
                                   .paths = paths ? paths + mi->path_offset : NULL,
                                   .path_stride = s->path_doubles,
                                   .draws = w->draws, .stream0 = stream0, .ws = w->model_ws[m]};
            k->simulate_block(mi->cfg, &b);
            continue;
        }
        /* a kind without a block form: lane by lane, through rows */
        double in_row[TYCHE_KIND_MAX_INPUTS];
        for (size_t i = 0; i < n; i++) {
            for (size_t j = 0; j < mi->n_params; j++) w->params[j] = params[(mi->param0 + j) * TYCHE_LANES + i];
            for (size_t j = 0; j < mi->n_inputs; j++) in_row[j] = inputs[j][i];
            tyche_model_ctx ctx = {
                .params = w->params,
                .inputs = in_row,
                .z = z[i],
                .out = w->outputs,
                .fixed = s->fixed_time + mi->output0,
                .paths = paths ? paths + i * s->path_doubles + mi->path_offset : NULL,
                .rng = w->rng,
                .trial = c->trial[i],
                .redraw = c->redraw[i],
                .stream0 = stream0,
                .ws = w->model_ws[m]};
            k->simulate(mi->cfg, &ctx);
            for (size_t o = 0; o < mi->layout.n_outputs; o++)
                outputs[(mi->output0 + o) * TYCHE_LANES + i] = w->outputs[o];
        }
    }
}

/* Whether lane i's simulated history agrees with the observed non-events. */
static int agrees(const tyche_scenario *s, const chunk *c, size_t i) {
    for (size_t o = 0; o < s->n_outputs && s->n_conditions; o++)
        if (s->not_before[o] && c->outputs[o * TYCHE_LANES + i] < s->as_of_time) return 0;
    return 1;
}

/* Copies lane j of `from` to lane i of `to`. */
static void copy_lane(const tyche_scenario *s, chunk *to, size_t i, const chunk *from, size_t j) {
    for (size_t p = 0; p < s->n_params; p++) to->params[p * TYCHE_LANES + i] = from->params[p * TYCHE_LANES + j];
    for (size_t o = 0; o < s->n_outputs; o++) to->outputs[o * TYCHE_LANES + i] = from->outputs[o * TYCHE_LANES + j];
    if (to->paths && from->paths)
        memcpy(to->paths + i * s->path_doubles, from->paths + j * s->path_doubles,
               s->path_doubles * sizeof *to->paths);
    to->redraw[i] = from->redraw[j];
}

/* Simulates the lanes of w->main (trial[] set, n lanes) with as-of
 * conditioning by rejection: a lane whose simulated history has an event
 * before as_of that was observed not to have happened is redrawn from its
 * own streams (the redraw number k = 1, 2, ... is part of every stream's
 * counter, rng.h) until it agrees.  This updates the parameters too:
 * surviving months without an exercise makes a low hazard more likely.
 * Leaves each lane's redraw count in main.redraw; returns the first lane
 * whose first attempt and all TYCHE_MAX_REDRAWS redraws disagreed, or
 * (size_t)-1. */
static size_t simulate_chunk(const tyche_scenario *s, const tyche_design *design, worker *w) {
    chunk *c = &w->main, *r = &w->redo;
    for (size_t i = 0; i < c->n; i++) c->redraw[i] = 0;
    c->lanes.n = c->n;
    attempt(s, design, w, c, 1);
    if (s->n_conditions == 0) return (size_t)-1;
    r->n = 0;
    for (size_t i = 0; i < c->n; i++)
        if (!agrees(s, c, i)) {
            r->slot[r->n] = i;
            r->trial[r->n] = c->trial[i];
            r->redraw[r->n++] = 0;
        }
    while (r->n) {
        for (size_t j = 0; j < r->n; j++)
            if (++r->redraw[j] > TYCHE_MAX_REDRAWS) return r->slot[j];
        r->lanes.n = r->n;
        attempt(s, design, w, r, 0);
        size_t kept = 0;
        for (size_t j = 0; j < r->n; j++) {
            if (agrees(s, r, j)) {
                copy_lane(s, c, r->slot[j], r, j);
                continue;
            }
            r->slot[kept] = r->slot[j];
            r->trial[kept] = r->trial[j];
            r->redraw[kept++] = r->redraw[j];
        }
        r->n = kept;
    }
    return (size_t)-1;
}

/* Lane i's rows: parameters and outputs to the worker's row buffers, its
 * statements evaluated. */
static void lane_rows(const tyche_scenario *s, worker *w, const chunk *c, size_t i) {
    for (size_t p = 0; p < s->n_params; p++) w->params[p] = c->params[p * TYCHE_LANES + i];
    for (size_t o = 0; o < s->n_outputs; o++) w->outputs[o] = c->outputs[o * TYCHE_LANES + i];
    for (size_t k = 0; k < s->n_statements; k++)
        w->stmts[k] = tyche_statement_eval(&s->statements[k], w->outputs, w->stmts, w->stack);
}

/* ---- workers ------------------------------------------------------------ */

static void chunk_free(chunk *c) {
    free(c->trial);
    free(c->redraw);
    free(c->params);
    free(c->outputs);
    free(c->paths);
    free(c->slot);
}

static int chunk_init(const tyche_scenario *s, chunk *c, int with_paths) {
    memset(c, 0, sizeof *c);
    c->trial = tyche_alloc_lines(TYCHE_LANES * sizeof *c->trial);
    c->redraw = tyche_alloc_lines(TYCHE_LANES * sizeof *c->redraw);
    c->params = tyche_alloc_lines(s->n_params * TYCHE_LANES * sizeof *c->params + 1);
    c->outputs = tyche_alloc_lines(s->n_outputs * TYCHE_LANES * sizeof *c->outputs + 1);
    c->slot = tyche_alloc_lines(TYCHE_LANES * sizeof *c->slot);
    if (with_paths) c->paths = tyche_alloc_lines(TYCHE_LANES * s->path_doubles * sizeof *c->paths + 1);
    c->lanes = (tyche_lanes){0, c->trial, c->redraw};
    return c->trial && c->redraw && c->params && c->outputs && c->slot && (!with_paths || c->paths);
}

static void worker_free(const tyche_scenario *s, worker *w) {
    if (w == NULL) return;
    tyche_rng_free(w->rng);
    tyche_draws_free(w->draws);
    if (w->model_ws)
        for (size_t m = 0; m < s->n_models; m++)
            if (w->model_ws[m] && s->models[m].kind->ws_free) s->models[m].kind->ws_free(w->model_ws[m]);
    free(w->model_ws);
    chunk_free(&w->main);
    chunk_free(&w->redo);
    free(w->zeros);
    free(w->infs);
    free(w->tmp);
    free(w->params);
    free(w->outputs);
    free(w->stmts);
    free(w->stack);
    tyche_accum_free(w->acc);
    free(w->stmt_cols);
    free(w->stack_cols);
    free(w->replicate);
}

/* with_paths: the chunks keep every lane's paths (--store paths, replay) */
static tyche_status worker_init(const tyche_scenario *s, const tyche_run_config *cfg,
                                const tyche_accum_layout *lay, int with_paths, worker *w,
                                tyche_err *err) {
    memset(w, 0, sizeof *w);
    w->failed_trial = UINT64_MAX;
    tyche_err local;
    if (err == NULL) err = &local;
    if ((w->rng = tyche_rng_alloc(cfg->rng, cfg->seed, err)) == NULL) return err->code;
    if ((w->draws = tyche_draws_alloc(cfg->rng, cfg->seed, TYCHE_LANES, err)) == NULL) return err->code;
    if ((w->acc = tyche_accum_alloc(s, lay, err)) == NULL) return err->code;
    /* everything this thread writes per trial sits on cache lines of its own */
    w->model_ws = tyche_alloc_lines(s->n_models * sizeof *w->model_ws + 1);
    if (w->model_ws) memset(w->model_ws, 0, s->n_models * sizeof *w->model_ws);
    w->params = tyche_alloc_lines(s->n_params * sizeof *w->params + 1);
    w->outputs = tyche_alloc_lines(s->n_outputs * sizeof *w->outputs + 1);
    w->stmts = tyche_alloc_lines(s->n_statements + 1);
    w->stack = tyche_alloc_lines(s->max_stack + 1);
    w->zeros = tyche_alloc_lines(TYCHE_LANES * sizeof *w->zeros);
    w->infs = tyche_alloc_lines(TYCHE_LANES * sizeof *w->infs);
    w->tmp = tyche_alloc_lines(3 * TYCHE_LANES * sizeof *w->tmp);
    const int chunks_ok = chunk_init(s, &w->main, with_paths) & chunk_init(s, &w->redo, with_paths);
    w->stmt_cols = tyche_alloc_lines(s->n_statements * TYCHE_LANES + 1);
    w->stack_cols = tyche_alloc_lines(s->max_stack * TYCHE_LANES + 1);
    w->replicate = tyche_alloc_lines(TYCHE_LANES * sizeof *w->replicate);
    if (!w->model_ws || !w->params || !w->outputs || !w->stmts || !w->stack ||
        !w->zeros || !w->infs || !w->tmp || !chunks_ok || !w->stmt_cols || !w->stack_cols ||
        !w->replicate)
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating a thread's workspace");
    for (size_t i = 0; i < TYCHE_LANES; i++) {
        w->zeros[i] = 0.0;
        w->infs[i] = INFINITY;
    }
    for (size_t m = 0; m < s->n_models; m++) {
        const tyche_model_kind *k = s->models[m].kind;
        if (k->ws_alloc && (w->model_ws[m] = k->ws_alloc(s->models[m].cfg)) == NULL)
            return tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating a model workspace");
    }
    return TYCHE_OK;
}

/* ---- results ------------------------------------------------------------ */

void tyche_results_free(tyche_results *r) {
    if (r == NULL) return;
    tyche_accum_free(r->acc);
    free(r->quantiles);
    free(r->incidence);
    free(r->param_cols);
    free(r->output_cols);
    free(r->stmt_cols);
    if (r->path_cols)
        for (size_t i = 0; i < r->n_paths; i++) free(r->path_cols[i]);
    free(r->path_cols);
    free(r->path_points);
    free(r->precision);
    free(r);
}

int tyche_store_too_big(const tyche_scenario *s, uint64_t trials, tyche_store store,
                        double *need_gib, double *phys_gib) {
    const uint64_t need = tyche_store_bytes(s, trials, store);
    const double phys = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    *need_gib = (double)need / 1073741824.0;
    *phys_gib = phys / 1073741824.0;
    return need > 0 && (double)need > 0.8 * phys;
}

uint64_t tyche_store_bytes(const tyche_scenario *s, uint64_t trials, tyche_store store) {
    if (store == TYCHE_STORE_NONE) return 0;
    uint64_t per = 8 * (uint64_t)(s->n_params + s->n_outputs) + s->n_statements;
    if (store == TYCHE_STORE_PATHS) per += 8 * (uint64_t)s->path_doubles;
    /* saturate rather than wrap: a wrapped size would pass the memory check */
    return trials > UINT64_MAX / per ? UINT64_MAX : per * trials;
}

/* The whole run's blocks, and those of shard cfg->shard_index of
 * cfg->shard_count ([*b0, *b1); all of them without shards).  Returns 0
 * when the shard does not exist. */
static int shard_blocks(const tyche_run_config *cfg, uint64_t *n_all, uint64_t *b0, uint64_t *b1) {
    /* whole blocks, rounded up without (trials + 2047) wrapping near 2^64 */
    *n_all = cfg->trials / TYCHE_BLOCK_TRIALS + (cfg->trials % TYCHE_BLOCK_TRIALS != 0);
    *b0 = 0;
    *b1 = *n_all;
    if (cfg->shard_count == 0) return 1;
    if (cfg->shard_index >= cfg->shard_count || cfg->shard_count > *n_all) return 0;
    *b0 = *n_all * cfg->shard_index / cfg->shard_count;
    *b1 = *n_all * (cfg->shard_index + 1) / cfg->shard_count;
    return 1;
}

int tyche_run_range(const tyche_run_config *cfg, uint64_t *first, uint64_t *count) {
    uint64_t n_all, b0, b1;
    *first = *count = 0;
    if (cfg->trials == 0 || !shard_blocks(cfg, &n_all, &b0, &b1)) return 0;
    *first = b0 * TYCHE_BLOCK_TRIALS;
    *count = (b1 == n_all ? cfg->trials : b1 * TYCHE_BLOCK_TRIALS) - *first;
    return 1;
}

tyche_results *tyche_results_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                   uint64_t n_cols, tyche_err *err) {
    tyche_err local;
    if (err == NULL) err = &local;
    tyche_results *r = tyche_calloc(1, sizeof *r);
    if (r == NULL) goto nomem;
    /* a shard keeps its blocks' moments, for the exact merge of shards */
    uint64_t n_all, b0, b1;
    if (!shard_blocks(cfg, &n_all, &b0, &b1)) b0 = b1 = 0;
    tyche_accum_layout lay;
    tyche_accum_layout_init(&lay, s,
                            cfg->sampling != TYCHE_SAMPLING_MC && cfg->replicates > 1 ? cfg->replicates : 0,
                            cfg->shard_count ? b1 - b0 : 0);
    if ((r->acc = tyche_accum_alloc(s, &lay, err)) == NULL) {
        free(r);
        return NULL;
    }
    r->n_params = s->n_params;
    r->n_outputs = s->n_outputs;
    r->n_statements = s->n_statements;
    r->n_paths = s->n_paths;
    r->n_joint = s->n_joint;
    const size_t nm = lay.n_months;
    r->n_months = nm;
    r->quantiles = tyche_calloc(9 * s->n_outputs + 1, sizeof *r->quantiles);
    r->incidence = tyche_calloc(s->n_outputs * nm + 1, sizeof *r->incidence);
    if (!r->quantiles || !r->incidence) goto nomem;
    if (cfg->store != TYCHE_STORE_NONE && cfg->rows == NULL) { /* a sink takes the rows */
        const size_t n = (size_t)n_cols;
        r->stride = n_cols;
        r->param_cols = tyche_malloc(s->n_params * n * sizeof *r->param_cols + 1);
        r->output_cols = tyche_malloc(s->n_outputs * n * sizeof *r->output_cols + 1);
        r->stmt_cols = tyche_malloc(s->n_statements * n + 1);
        if (!r->param_cols || !r->output_cols || !r->stmt_cols) goto nomem;
    }
    if (cfg->store == TYCHE_STORE_PATHS && s->n_paths && cfg->rows == NULL) {
        r->path_cols = tyche_calloc(s->n_paths, sizeof *r->path_cols);
        r->path_points = tyche_calloc(s->n_paths, sizeof *r->path_points);
        if (!r->path_cols || !r->path_points) goto nomem;
        for (size_t i = 0; i < s->n_paths; i++) {
            r->path_points[i] = s->models[s->paths[i].model].layout.n_points;
            r->path_cols[i] = tyche_malloc((size_t)n_cols * r->path_points[i] * sizeof(double) + 1);
            if (!r->path_cols[i]) goto nomem;
        }
    }
    return r;
nomem:
    tyche_results_free(r);
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating the results");
    return NULL;
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Where a chunk's rows go: the results' columns (rows kept in memory) or
 * a block's slot of the ring (streamed); row i holds trial origin + i. */
typedef struct {
    double *param_cols, *output_cols;
    uint8_t *stmt_cols;
    uint64_t stride, origin;
    double **path_cols;
    const size_t *path_points;
} row_dest;

/* ---- streamed rows: the ring of block slots and its writer thread --------
 *
 * Each block in flight has a slot (its rows, columns of TYCHE_BLOCK_TRIALS);
 * block b of the range [b0, ...) uses slot (b - b0) % n.  A simulating
 * thread fills a slot only once the writer has handed the slot's previous
 * block to the sink, and the writer hands blocks over strictly in trial
 * order, so rows reach the sink in order while memory stays n blocks.
 * Blocks are taken in increasing order (an atomic counter in tyche_run), so
 * the oldest block in flight never waits: no deadlock for any n >= 1.  One
 * lock and condition variable per ring, taken a few times per block (2048
 * trials), never per trial (I8). */
#define RING_SLOTS_PER_THREAD 4

typedef struct {
    row_dest d;
    uint64_t block; /* the block this slot holds, or is waiting for */
    int full;       /* its rows are complete, waiting for the writer */
} ring_slot;

typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ring_slot *slot;
    void *mem;      /* every slot's columns, one allocation */
    size_t n;
    uint64_t b0, end, trials; /* blocks [b0, end) will be written; the run's trials */
    int abort;      /* a failure on either side: nobody waits any more */
    tyche_rows_fn fn;
    void *user;
    const double **paths; /* the writer's tyche_rows.paths */
    double **pcols;       /* every slot's path columns (n x n_paths) */
    size_t *points;       /* per path variable */
    size_t n_paths;
    tyche_status st; /* the sink's first error */
    tyche_err err;
    pthread_t thread;
    int started;
} ring;

static void *ring_writer(void *arg) {
    ring *g = arg;
    for (uint64_t b = g->b0;; b++) {
        ring_slot *sl = &g->slot[(b - g->b0) % g->n];
        pthread_mutex_lock(&g->mu);
        while (!g->abort && b < g->end && !(sl->block == b && sl->full)) pthread_cond_wait(&g->cv, &g->mu);
        const int go = !g->abort && b < g->end;
        pthread_mutex_unlock(&g->mu);
        if (!go) break;
        const uint64_t first = b * TYCHE_BLOCK_TRIALS;
        for (size_t p = 0; p < g->n_paths; p++) g->paths[p] = sl->d.path_cols[p];
        const tyche_rows rows = {
            .first_trial = first,
            .n = (size_t)(g->trials - first < TYCHE_BLOCK_TRIALS ? g->trials - first : TYCHE_BLOCK_TRIALS),
            .stride = TYCHE_BLOCK_TRIALS, .params = sl->d.param_cols, .outputs = sl->d.output_cols,
            .statements = sl->d.stmt_cols, .paths = g->n_paths ? g->paths : NULL};
        const tyche_status st = g->fn(g->user, &rows, &g->err);
        pthread_mutex_lock(&g->mu);
        sl->full = 0;
        sl->block = b + g->n;
        if (st != TYCHE_OK) {
            g->st = st;
            g->abort = 1;
        }
        pthread_cond_broadcast(&g->cv);
        pthread_mutex_unlock(&g->mu);
    }
    return NULL;
}

static void ring_free(ring *g) {
    if (g == NULL) return;
    if (g->slot) {
        pthread_mutex_destroy(&g->mu);
        pthread_cond_destroy(&g->cv);
    }
    free(g->slot);
    free(g->mem);
    free(g->paths);
    free(g->pcols);
    free(g->points);
    free(g);
}

/* A ring of `n` slots for blocks [b0, b1) of a run of `trials` trials,
 * its writer started.  NULL with err set. */
static ring *ring_alloc(const tyche_scenario *s, const tyche_run_config *cfg, size_t n, uint64_t b0,
                        uint64_t b1, tyche_err *err) {
    ring *g = tyche_calloc(1, sizeof *g);
    const size_t L = TYCHE_BLOCK_TRIALS;
    const size_t n_paths = cfg->store == TYCHE_STORE_PATHS ? s->n_paths : 0;
    size_t per = (s->n_params + s->n_outputs) * L * sizeof(double) + (s->n_statements * L + 7) / 8 * 8;
    for (size_t p = 0; p < n_paths; p++) per += L * s->models[s->paths[p].model].layout.n_points * sizeof(double);
    if (g == NULL || (g->points = tyche_calloc(n_paths + 1, sizeof *g->points)) == NULL ||
        (g->slot = tyche_calloc(n, sizeof *g->slot)) == NULL ||
        (g->mem = tyche_malloc(n * per + 1)) == NULL ||
        (g->paths = tyche_calloc(n_paths + 1, sizeof *g->paths)) == NULL ||
        (g->pcols = tyche_calloc(n * n_paths + 1, sizeof *g->pcols)) == NULL) {
        if (g) free(g->slot), g->slot = NULL; /* the lock was not made yet */
        ring_free(g);
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating the rows in flight");
        return NULL;
    }
    for (size_t p = 0; p < n_paths; p++) g->points[p] = s->models[s->paths[p].model].layout.n_points;
    char *m = g->mem;
    for (size_t j = 0; j < n; j++) {
        row_dest *d = &g->slot[j].d;
        d->param_cols = (double *)m;
        d->output_cols = d->param_cols + s->n_params * L;
        double *q = d->output_cols + s->n_outputs * L;
        d->path_cols = n_paths ? g->pcols + j * n_paths : NULL;
        for (size_t p = 0; p < n_paths; p++) {
            d->path_cols[p] = q;
            q += L * g->points[p];
        }
        d->stmt_cols = (uint8_t *)q;
        d->stride = L;
        d->path_points = g->points;
        g->slot[j].block = b0 + j;
        m += per;
    }
    g->n = n;
    g->b0 = b0;
    g->end = b1;
    g->trials = cfg->trials;
    g->fn = cfg->rows;
    g->user = cfg->rows_user;
    g->n_paths = n_paths;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->thread, NULL, ring_writer, g) != 0) {
        ring_free(g);
        tyche_err_set(err, TYCHE_ERUN, "cannot start the thread that writes the rows");
        return NULL;
    }
    g->started = 1;
    return g;
}

/* Blocks [?, end) are all there will be (the run ended, or stopped at a
 * precision target, or failed: abort); waits for the writer and frees the
 * ring.  Returns the sink's first error (TYCHE_OK if none). */
static tyche_status ring_close(ring *g, uint64_t end, int abort, tyche_err *err) {
    if (g == NULL) return TYCHE_OK;
    pthread_mutex_lock(&g->mu);
    if (end < g->end) g->end = end;
    if (abort) g->abort = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
    if (g->started) pthread_join(g->thread, NULL);
    const tyche_status st = g->st;
    if (st != TYCHE_OK && err) *err = g->err;
    ring_free(g);
    return st;
}

/* The slot of block b, once free (NULL when the ring was aborted). */
static const row_dest *ring_take(ring *g, uint64_t b) {
    ring_slot *sl = &g->slot[(b - g->b0) % g->n];
    pthread_mutex_lock(&g->mu);
    while (!g->abort && sl->block != b) pthread_cond_wait(&g->cv, &g->mu);
    const int ok = !g->abort;
    pthread_mutex_unlock(&g->mu);
    if (!ok) return NULL; /* aborted: the slot may still be another thread's */
    sl->d.origin = b * TYCHE_BLOCK_TRIALS; /* the slot is this thread's until ring_give */
    return &sl->d;
}

/* Block b's rows are complete (or, failed: the ring aborts). */
static void ring_give(ring *g, uint64_t b, int failed) {
    ring_slot *sl = &g->slot[(b - g->b0) % g->n];
    pthread_mutex_lock(&g->mu);
    if (failed) g->abort = 1;
    else sl->full = 1;
    pthread_cond_broadcast(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

/* Folds a simulated chunk (w->main, trials c0 ..) into the thread's
 * accumulator and the run's columns: its statements evaluated over byte
 * columns, its outputs added a chunk at a time (two-pass moments merged in
 * chunk order: the bits depend on the chunks, which every run cuts the same
 * way from its blocks, I6), its rows copied column by column. */
static void record_chunk(const tyche_scenario *s, const row_dest *d, const tyche_design *design,
                         worker *w, uint64_t c0) {
    const chunk *c = &w->main;
    const size_t n = c->n;
    for (size_t k = 0; k < s->n_statements; k++)
        tyche_statement_eval_lanes(&s->statements[k], c->outputs, w->stmt_cols, TYCHE_LANES, n,
                                   w->stack_cols, w->stmt_cols + k * TYCHE_LANES);
    for (size_t i = 0; i < n; i++) {
        w->acc->attempts += 1 + (uint64_t)c->redraw[i];
        /* under a design, per-replicate counts (for the replicate error) */
        if (design) w->replicate[i] = (c0 + i) / design->m;
    }
    tyche_accum_add_lanes(w->acc, s, w->block_moments, c->outputs, w->stmt_cols, TYCHE_LANES, n,
                          design ? w->replicate : NULL);
    if (d == NULL) return;
    const uint64_t at = c0 - d->origin; /* the columns hold a range of trials */
    if (d->param_cols) {
        for (size_t p = 0; p < s->n_params; p++)
            memcpy(d->param_cols + p * d->stride + at, c->params + p * TYCHE_LANES, n * sizeof(double));
        for (size_t o = 0; o < s->n_outputs; o++)
            memcpy(d->output_cols + o * d->stride + at, c->outputs + o * TYCHE_LANES, n * sizeof(double));
        for (size_t k = 0; k < s->n_statements; k++)
            memcpy(d->stmt_cols + k * d->stride + at, w->stmt_cols + k * TYCHE_LANES, n);
    }
    if (d->path_cols)
        for (size_t i = 0; i < n; i++)
            for (size_t p = 0; p < s->n_paths; p++) {
                const tyche_model_inst *m = &s->models[s->paths[p].model];
                const size_t np = d->path_points[p];
                memcpy(d->path_cols[p] + (at + i) * np,
                       c->paths + i * s->path_doubles + m->path_offset + s->paths[p].var * np,
                       np * sizeof(double));
            }
}

/* True when every statement's 95% Wilson interval over the first n trials
 * (all of them done: the counts are final) is at most its target
 * half-width.  Integer counts only, so the answer does not depend on the
 * thread count. */
static int precise_enough(const tyche_scenario *s, const tyche_run_config *cfg, const worker *ws,
                          int threads, uint64_t n) {
    for (size_t k = 0; k < s->n_statements; k++) {
        const double target = cfg->precision[k];
        if (!(target > 0)) continue;
        uint64_t c = 0;
        for (int t = 0; t < threads; t++) c += ws[t].acc->stmt_count[k];
        double lo, hi;
        tyche_wilson(c, n, &lo, &hi);
        if (0.5 * (hi - lo) > target) return 0;
    }
    return 1;
}

void tyche_finish_summary(const tyche_scenario *s, tyche_results *r) {
    (void)s;
    tyche_accum_finish(r->acc, r->quantiles, r->incidence);
}

void tyche_run_config_init(tyche_run_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->trials = 100000;
    cfg->seed = 1;
    cfg->store = TYCHE_STORE_OUTPUTS;
    cfg->sampling = TYCHE_SAMPLING_MC;
}

tyche_results *tyche_run(const tyche_scenario *s, const tyche_run_config *cfg, tyche_err *err) {
    /* GSL's default handler aborts the process: tyche checks values instead */
    gsl_set_error_handler_off();
    if (cfg->trials == 0) {
        tyche_err_set(err, TYCHE_EINPUT, "-n: the number of trials must be at least 1");
        return NULL;
    }
    uint64_t n_all, b0, b1;
    const int shard_ok = shard_blocks(cfg, &n_all, &b0, &b1);
    if (cfg->shard_count) {
        if (!shard_ok) {
            tyche_err_set(err, TYCHE_EINPUT,
                          "--shard %u/%u: expected 0 <= I < N <= %llu (the run's blocks of %d trials)",
                          cfg->shard_index, cfg->shard_count, (unsigned long long)n_all,
                          TYCHE_BLOCK_TRIALS);
            return NULL;
        }
        if (cfg->precision) {
            tyche_err_set(err, TYCHE_EINPUT, "--shard: a precision target stops the run where it is met; shards need a fixed trial count");
            return NULL;
        }
    }
    const uint64_t first_trial = b0 * TYCHE_BLOCK_TRIALS;
    const uint64_t end_trial = b1 == n_all ? cfg->trials : b1 * TYCHE_BLOCK_TRIALS;
    double need_gib, phys_gib;
    if (cfg->rows == NULL && tyche_store_too_big(s, end_trial - first_trial, cfg->store, &need_gib, &phys_gib)) {
        tyche_err_set(err, TYCHE_EINPUT,
                      "--store %s: %llu trials need %.1f GiB in memory, more than this machine's "
                      "%.1f GiB allows; use --store none or fewer trials",
                      cfg->store == TYCHE_STORE_PATHS ? "paths" : "outputs",
                      (unsigned long long)cfg->trials, need_gib, phys_gib);
        return NULL;
    }
    /* after the store's check: for --store outputs its message, with the
     * size, says more */
    if (cfg->trials > TYCHE_MAX_TRIALS) {
        tyche_err_set(err, TYCHE_EINPUT, "-n: %llu trials is more than a run may have, 2^53 (%llu)",
                      (unsigned long long)cfg->trials, (unsigned long long)TYCHE_MAX_TRIALS);
        return NULL;
    }
    int threads = cfg->threads;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_num_procs();
#else
    threads = 1;
#endif
    const uint64_t n_blocks = b1;
    if ((uint64_t)threads > b1 - b0) threads = (int)(b1 - b0);

    tyche_results *r = tyche_results_alloc(s, cfg, end_trial - first_trial, err);
    if (r == NULL) return NULL;
    r->first_trial = first_trial;
    r->n_range_blocks = b1 - b0;
    if (cfg->precision) {
        /* kept, so the outputs can say whether each target was reached */
        if ((r->precision = tyche_calloc(s->n_statements + 1, sizeof *r->precision)) == NULL) {
            tyche_results_free(r);
            tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            return NULL;
        }
        memcpy(r->precision, cfg->precision, s->n_statements * sizeof *r->precision);
    }
    worker *ws = tyche_alloc_lines((size_t)threads * sizeof *ws);
    if (ws == NULL) {
        tyche_results_free(r);
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        return NULL;
    }
    tyche_design *design = NULL;
    tyche_status st = tyche_design_alloc(s, cfg, &design, err);
    if (st == TYCHE_OK && cfg->precision && design)
        st = tyche_err_set(err, TYCHE_EINPUT, "--precision: works with --sampling mc only (a design fixes the trial count)");
    /* the threads' accumulators: the run's layout, without blocks (a
     * thread's blocks are not contiguous: their moments go to the slots) */
    tyche_accum_layout lay = r->acc->lay;
    lay.max_blocks = 0;
    for (int t = 0; t < threads && st == TYCHE_OK; t++)
        st = worker_init(s, cfg, &lay, cfg->store == TYCHE_STORE_PATHS && s->n_paths, &ws[t], err);
    /* streamed rows: a ring of blocks in flight and its writer thread */
    ring *g = NULL;
    if (st == TYCHE_OK && cfg->rows && cfg->store != TYCHE_STORE_NONE) {
        uint64_t n_slots = (uint64_t)threads * RING_SLOTS_PER_THREAD;
        if (n_slots > b1 - b0) n_slots = b1 - b0;
        if ((g = ring_alloc(s, cfg, (size_t)n_slots, b0, b1, err)) == NULL) st = err ? err->code : TYCHE_ENOMEM;
    }
    /* the rows in memory, when no sink takes them */
    row_dest mem = {r->param_cols, r->output_cols, r->stmt_cols, r->stride, first_trial, r->path_cols, r->path_points};
    const row_dest *keep = r->param_cols || r->path_cols ? &mem : NULL;
    if (st == TYCHE_OK) {
        snprintf(r->rng_name, sizeof r->rng_name, "%s", tyche_rng_name(ws[0].rng));
        const uint64_t trials = cfg->trials;
        const double t0 = now_seconds();
        /* Epochs of EPOCH_BLOCKS_PER_THREAD blocks per thread: the blocks of an
         * epoch run in any order, each writing its moments to its own slot;
         * at the epoch's end one thread merges the slots in block order.
         * The merge order, and so every bit of the summary, is the blocks'
         * order whatever the thread count, and no thread waits for a
         * particular other block (an `omp ordered` region stalled 16
         * threads at 56% efficiency); the cost is one barrier per epoch. */
        /* With a precision target the epochs are a fixed number of blocks, not
         * one per thread count: the stopping point is then checked on the same
         * trials, and the same seed stops at the same count, for any threads. */
        const uint64_t epoch = cfg->precision ? PRECISION_EPOCH_BLOCKS
                                              : (uint64_t)threads * EPOCH_BLOCKS_PER_THREAD;
        uint64_t stop_blocks = n_blocks; /* set where the precision is reached */
        const uint64_t start_block = b0;
        const size_t slot = (s->n_outputs * sizeof(tyche_moments) + 63) / 64 * 64;
        char *slots = tyche_alloc_lines((size_t)(epoch < b1 - b0 ? epoch : b1 - b0) * slot);
        if (slots == NULL) st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        int cancelled = 0;       /* cfg->cancel was seen set at an epoch's end */
        uint64_t next_block = 0; /* the next block to take: blocks go out in increasing order */
#pragma omp parallel num_threads(threads) if (slots != NULL)
        {
#ifdef _OPENMP
            worker *w = &ws[omp_get_thread_num()];
#else
            worker *w = &ws[0];
#endif
            for (uint64_t e0 = start_block; slots && e0 < stop_blocks; e0 += epoch) {
                const uint64_t e1 = e0 + epoch < n_blocks ? e0 + epoch : n_blocks;
#pragma omp single
                next_block = e0;
                /* Not `omp for schedule(dynamic)`: the ring needs blocks taken in
                 * increasing order (its deadlock freedom rests on it), which an
                 * atomic counter guarantees and OpenMP's schedules only happen to. */
                for (;;) {
                    uint64_t b;
                    if (cfg->cancel && *cfg->cancel) break; /* before taking: no block left half-done */
#pragma omp atomic capture
                    b = next_block++;
                    if (b >= e1) break;
                    const uint64_t first = b * TYCHE_BLOCK_TRIALS;
                    const uint64_t last =
                        first + TYCHE_BLOCK_TRIALS < trials ? first + TYCHE_BLOCK_TRIALS : trials;
                    tyche_moments *m = (tyche_moments *)(slots + (size_t)(b - e0) * slot);
                    memset(m, 0, s->n_outputs * sizeof *m);
                    w->block_moments = m;
                    const row_dest *d = g ? ring_take(g, b) : keep;
                    if (g && d == NULL) continue; /* the ring aborted: the run fails */
                    for (uint64_t c0 = first; c0 < last && w->failed_trial == UINT64_MAX; c0 += TYCHE_LANES) {
                        chunk *c = &w->main;
                        c->n = (size_t)(last - c0 < TYCHE_LANES ? last - c0 : TYCHE_LANES);
                        for (size_t i = 0; i < c->n; i++) c->trial[i] = c0 + i;
                        const size_t bad = simulate_chunk(s, design, w);
                        if (bad != (size_t)-1) {
                            w->failed_trial = c->trial[bad];
                            break;
                        }
                        record_chunk(s, d, design, w, c0);
                    }
                    if (g) ring_give(g, b, w->failed_trial != UINT64_MAX);
                }
#pragma omp barrier
#pragma omp single
                if (cfg->cancel && *cfg->cancel) {
                    cancelled = 1; /* the blocks not taken have no moments: stop here */
                    stop_blocks = e0;
                } else {
                    for (uint64_t b = e0; b < e1; b++) {
                        const tyche_moments *m = (const tyche_moments *)(slots + (size_t)(b - e0) * slot);
                        (void)tyche_accum_close_block(r->acc, m); /* room for b1 - b0 blocks */
                    }
                    if (cfg->progress) {
                        const uint64_t done = (e1 * TYCHE_BLOCK_TRIALS < end_trial ? e1 * TYCHE_BLOCK_TRIALS : end_trial) - first_trial;
                        cfg->progress(cfg->progress_user, done, end_trial - first_trial);
                    }
                    if (cfg->precision && precise_enough(s, cfg, ws, threads, e1 * TYCHE_BLOCK_TRIALS < trials ? e1 * TYCHE_BLOCK_TRIALS : trials))
                        stop_blocks = e1;
                }
            }
        }
        const int no_slots = slots == NULL;
        free(slots);
        /* integer counts: exact, so thread order does not matter */
        uint64_t failed = UINT64_MAX;
        for (int t = 0; t < threads; t++) {
            if (ws[t].failed_trial < failed) failed = ws[t].failed_trial;
            tyche_accum_add_counts(r->acc, ws[t].acc);
        }
        /* the last blocks' rows reach the sink before the run returns */
        if (g) {
            const tyche_status gst = ring_close(g, stop_blocks, failed != UINT64_MAX || no_slots || cancelled, err);
            g = NULL;
            if (gst != TYCHE_OK && st == TYCHE_OK) st = gst;
        }
        tyche_finish_summary(s, r);
        r->info.seconds = now_seconds() - t0;
        r->info.trials = (stop_blocks * TYCHE_BLOCK_TRIALS < trials ? stop_blocks * TYCHE_BLOCK_TRIALS : trials) -
                         first_trial;
        r->info.first_trial = first_trial;
        r->info.total_trials = trials;
        r->info.shard_index = cfg->shard_index;
        r->info.shard_count = cfg->shard_count;
        r->info.attempts = r->acc->attempts;
        r->info.sampling = cfg->sampling;
        r->info.replicates = design ? cfg->replicates : 0;
        if (cancelled && st == TYCHE_OK) st = tyche_err_set(err, TYCHE_ERUN, "interrupted");
        if (failed != UINT64_MAX && st == TYCHE_OK)
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "observed: trial %llu was redrawn %d times and never agreed with the "
                               "observed non-events before as_of; they are nearly impossible under "
                               "the priors",
                               (unsigned long long)failed, TYCHE_MAX_REDRAWS);
        r->info.seed = cfg->seed;
        r->info.threads = threads;
        r->info.ranks = 1;
        r->info.rng = r->rng_name;
        r->info.store = cfg->store;
    }
    (void)ring_close(g, 0, 1, NULL); /* not started, or an early failure */
    for (int t = 0; t < threads; t++) worker_free(s, &ws[t]);
    free(ws);
    tyche_design_free(design);
    if (st) {
        tyche_results_free(r);
        return NULL;
    }
    return r;
}

/* ---- merges (shards: shard.c; MPI ranks: mpi.c) ------------------------------ */

tyche_accum *tyche_results_accum(tyche_results *r) { return r->acc; }
const tyche_accum *tyche_results_summary(const tyche_results *r) { return r->acc; }

void tyche_results_columns(tyche_results *r, tyche_results_cols *out) {
    *out = (tyche_results_cols){.param_cols = r->param_cols, .output_cols = r->output_cols,
                                .stmt_cols = r->stmt_cols, .stride = r->stride,
                                .path_cols = r->path_cols, .path_points = r->path_points};
}

void tyche_results_finish(const tyche_scenario *s, tyche_results *r, const tyche_run_info *info) {
    tyche_finish_summary(s, r);
    r->info = *info;
    snprintf(r->rng_name, sizeof r->rng_name, "%s", info->rng ? info->rng : "");
    r->info.rng = r->rng_name;
    r->info.attempts = r->acc->attempts;
}

void tyche_results_take_rows(const tyche_scenario *s, tyche_results *r, tyche_results *mine,
                             uint64_t total_trials, int rank0) {
    /* per-trial rows: this rank's; rank 0 lays out the whole file, so it
     * gets columns of the whole run's length with its own rows in place */
    if (mine->param_cols) {
        const uint64_t n = rank0 ? total_trials : mine->stride;
        r->stride = n;
        r->first_trial = rank0 ? 0 : mine->first_trial;
        if (rank0) {
            r->param_cols = tyche_calloc(s->n_params * n + 1, sizeof(double));
            r->output_cols = tyche_calloc(s->n_outputs * n + 1, sizeof(double));
            r->stmt_cols = tyche_calloc(s->n_statements * n + 1, 1);
            for (size_t p = 0; r->param_cols && p < s->n_params; p++)
                memcpy(r->param_cols + p * n, mine->param_cols + p * mine->stride, mine->stride * sizeof(double));
            for (size_t o = 0; r->output_cols && o < s->n_outputs; o++)
                memcpy(r->output_cols + o * n, mine->output_cols + o * mine->stride, mine->stride * sizeof(double));
            for (size_t k = 0; r->stmt_cols && k < s->n_statements; k++)
                memcpy(r->stmt_cols + k * n, mine->stmt_cols + k * mine->stride, mine->stride);
        } else {
            r->param_cols = mine->param_cols;
            r->output_cols = mine->output_cols;
            r->stmt_cols = mine->stmt_cols;
            mine->param_cols = mine->output_cols = NULL;
            mine->stmt_cols = NULL;
        }
    }
    r->info.first_trial = mine->first_trial; /* the rows this rank writes */
    r->n_range_blocks = mine->info.trials; /* here: how many rows this rank owns */
    tyche_results_free(mine);
}

uint64_t tyche_results_rows(const tyche_results *r) { return r->n_range_blocks; }

/* ---- accessors ------------------------------------------------------------ */

void tyche_results_info(const tyche_results *r, tyche_run_info *out) { *out = r->info; }

void tyche_results_set_runtime(tyche_results *r, int threads, int ranks, double seconds) {
    r->info.threads = threads;
    r->info.ranks = ranks;
    r->info.seconds = seconds;
}

int tyche_results_precision(const tyche_results *r, size_t i, double *target, double *half_width) {
    *target = 0;
    *half_width = NAN;
    if (r->precision == NULL || i >= r->n_statements || !(r->precision[i] > 0)) return 0;
    double lo, hi;
    tyche_wilson(r->acc->stmt_count[i], r->info.trials, &lo, &hi);
    *target = r->precision[i];
    *half_width = 0.5 * (hi - lo);
    return 1;
}

static void prob_of(uint64_t k, uint64_t n, tyche_prob *out) {
    out->count = k;
    out->probability = n ? (double)k / (double)n : NAN;
    out->stderr_ = n ? sqrt(out->probability * (1.0 - out->probability) / (double)n) : NAN;
    tyche_wilson(k, n, &out->ci95_lo, &out->ci95_hi);
}

void tyche_results_statement(const tyche_results *r, size_t i, tyche_prob *out) {
    prob_of(r->acc->stmt_count[i], r->info.trials, out);
}

double tyche_results_statement_replicate_se(const tyche_results *r, size_t i) {
    const int R = r->info.replicates;
    if (R < 2 || r->acc->rep_count == NULL) return NAN;
    const double m = (double)r->info.trials / R;
    double sum = 0, sum2 = 0;
    for (int k = 0; k < R; k++) {
        const double p = (double)r->acc->rep_count[(size_t)k * r->n_statements + i] / m;
        sum += p;
        sum2 += p * p;
    }
    const double mean = sum / R, var = (sum2 - R * mean * mean) / (R - 1);
    return sqrt(fmax(var, 0.0) / R);
}

void tyche_results_output(const tyche_results *r, size_t i, tyche_output_summary *out) {
    const tyche_moments *m = &r->acc->moments[i];
    out->n = m->n;
    out->missing_fraction = r->info.trials ? (double)r->acc->missing[i] / (double)r->info.trials : NAN;
    out->mean = m->n ? m->mean : NAN;
    out->sd = m->n > 1 ? sqrt(m->m2 / (double)(m->n - 1)) : NAN;
    for (size_t q = 0; q < 9; q++) out->q[q] = r->quantiles[i * 9 + q];
}

size_t tyche_results_n_months(const tyche_results *r) { return r->n_months; }
double tyche_results_month_time(const tyche_results *r, size_t m) { return r->acc->month_time[m]; }

void tyche_results_incidence(const tyche_results *r, size_t output, size_t m, tyche_prob *out) {
    prob_of(r->incidence[output * r->n_months + m], r->info.trials, out);
}

void tyche_results_joint_all(const tyche_results *r, tyche_prob *out) {
    prob_of(r->acc->joint_all, r->info.trials, out);
}

void tyche_results_joint_pair(const tyche_results *r, size_t k, size_t l, tyche_prob *out) {
    if (k > l) {
        const size_t t = k;
        k = l;
        l = t;
    }
    prob_of(r->acc->joint_pair[k * r->n_joint + l], r->info.trials, out);
}

/* Phi coefficient of two indicators, with the large-sample standard error
 * of Bishop, Fienberg & Holland (1975, sec. 11.3) for a 2x2 table. */
void tyche_results_joint_corr(const tyche_results *r, size_t k, size_t l, double *corr,
                              double *se) {
    const double n = (double)r->info.trials;
    const double p1 = (double)r->acc->joint_pair[k * r->n_joint + k] / n;
    const double p2 = (double)r->acc->joint_pair[l * r->n_joint + l] / n;
    const size_t a = k < l ? k : l, b = k < l ? l : k;
    const double p11 = (double)r->acc->joint_pair[a * r->n_joint + b] / n;
    const double v1 = p1 * (1 - p1), v2 = p2 * (1 - p2);
    if (!(v1 > 0) || !(v2 > 0)) {
        *corr = NAN;
        *se = NAN;
        return;
    }
    const double phi = (p11 - p1 * p2) / sqrt(v1 * v2);
    const double d1 = 1 - 2 * p1, d2 = 1 - 2 * p2; /* p - q */
    double var = (1 - phi * phi + phi * (1 + 0.5 * phi * phi) * d1 * d2 / sqrt(v1 * v2) -
                  0.75 * phi * phi * (d1 * d1 / v1 + d2 * d2 / v2)) / n;
    *corr = phi;
    *se = var > 0 ? sqrt(var) : 0.0;
}

const double *tyche_results_param_column(const tyche_results *r, size_t i) {
    return r->param_cols ? r->param_cols + i * r->stride : NULL;
}
const double *tyche_results_output_column(const tyche_results *r, size_t i) {
    return r->output_cols ? r->output_cols + i * r->stride : NULL;
}
const uint8_t *tyche_results_statement_column(const tyche_results *r, size_t i) {
    return r->stmt_cols ? r->stmt_cols + i * r->stride : NULL;
}
const double *tyche_results_path(const tyche_results *r, size_t i) {
    return r->path_cols ? r->path_cols[i] : NULL;
}

/* ---- replay --------------------------------------------------------------- */

tyche_trial_record *tyche_trial_record_alloc(const tyche_scenario *s) {
    tyche_trial_record *t = tyche_calloc(1, sizeof *t);
    if (t == NULL) return NULL;
    t->params = tyche_calloc(s->n_params + 1, sizeof *t->params);
    t->outputs = tyche_calloc(s->n_outputs + 1, sizeof *t->outputs);
    t->statements = tyche_calloc(s->n_statements + 1, 1);
    t->paths = tyche_calloc(s->path_doubles + 1, sizeof *t->paths);
    if (!t->params || !t->outputs || !t->statements || !t->paths) {
        tyche_trial_record_free(t);
        return NULL;
    }
    return t;
}

void tyche_trial_record_free(tyche_trial_record *t) {
    if (t == NULL) return;
    free(t->params);
    free(t->outputs);
    free(t->statements);
    free(t->paths);
    free(t);
}

tyche_status tyche_replay(const tyche_scenario *s, uint64_t seed, const char *rng,
                          uint64_t trial, tyche_trial_record *out, tyche_err *err) {
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = trial + 1;
    cfg.seed = seed;
    cfg.threads = 1;
    cfg.rng = rng;
    cfg.store = TYCHE_STORE_NONE;
    return tyche_replay_run(s, &cfg, trial, out, err);
}

tyche_status tyche_replay_run(const tyche_scenario *s, const tyche_run_config *run, uint64_t trial,
                              tyche_trial_record *out, tyche_err *err) {
    tyche_run_config cfg = *run;
    cfg.store = TYCHE_STORE_NONE;
    if (trial >= cfg.trials)
        return tyche_err_set(err, TYCHE_EINPUT, "--trial: %llu is beyond the run's %llu trials",
                             (unsigned long long)trial, (unsigned long long)cfg.trials);
    tyche_design *design = NULL;
    tyche_status st = tyche_design_alloc(s, &cfg, &design, err);
    if (st) return st;
    worker w;
    tyche_accum_layout lay;
    tyche_accum_layout_init(&lay, s, 0, 0);
    st = worker_init(s, &cfg, &lay, 1, &w, err);
    if (st == TYCHE_OK) {
        /* a chunk of one lane: the same code and kernels as in the run (I1) */
        chunk *c = &w.main;
        c->n = 1;
        c->trial[0] = trial;
        if (simulate_chunk(s, design, &w) != (size_t)-1) {
            out->redraws = TYCHE_REDRAW_FAILED;
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "observed: trial %llu never agreed with the observed non-events",
                               (unsigned long long)trial);
        } else {
            lane_rows(s, &w, c, 0);
            out->redraws = c->redraw[0];
            memcpy(out->params, w.params, s->n_params * sizeof *out->params);
            memcpy(out->outputs, w.outputs, s->n_outputs * sizeof *out->outputs);
            memcpy(out->statements, w.stmts, s->n_statements);
            memcpy(out->paths, c->paths, s->path_doubles * sizeof *out->paths);
        }
    }
    worker_free(s, &w);
    tyche_design_free(design);
    return st;
}

/* ---- single trials on given parameters (the Sobol analysis) --------------- */

struct tyche_runner {
    worker w;
};

tyche_runner *tyche_runner_alloc(const tyche_scenario *s, const char *rng, uint64_t seed,
                                 tyche_err *err) {
    tyche_runner *r = tyche_alloc_lines(sizeof *r);
    if (r == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        return NULL;
    }
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.rng = rng;
    cfg.seed = seed;
    cfg.store = TYCHE_STORE_NONE;
    tyche_accum_layout lay;
    tyche_accum_layout_init(&lay, s, 0, 0);
    if (worker_init(s, &cfg, &lay, 0, &r->w, err) != TYCHE_OK) {
        worker_free(s, &r->w);
        free(r);
        return NULL;
    }
    return r;
}

void tyche_runner_free(const tyche_scenario *s, tyche_runner *r) {
    if (r == NULL) return;
    worker_free(s, &r->w);
    free(r);
}

void tyche_runner_given(const tyche_scenario *s, tyche_runner *r, uint64_t trial,
                        const double *params, double *outputs, uint8_t *statements) {
    worker *w = &r->w;
    chunk *c = &w->main;
    c->n = c->lanes.n = 1;
    c->trial[0] = trial;
    c->redraw[0] = 0;
    for (size_t p = 0; p < s->n_params; p++) c->params[p * TYCHE_LANES] = params[p];
    run_models(s, w, c, c->params, c->outputs, NULL);
    lane_rows(s, w, c, 0);
    memcpy(outputs, w->outputs, s->n_outputs * sizeof *outputs);
    memcpy(statements, w->stmts, s->n_statements);
}

void tyche_runner_given_lanes(const tyche_scenario *s, tyche_runner *r, uint64_t trial0, size_t n,
                              const double *params, uint8_t *statements) {
    worker *w = &r->w;
    chunk *c = &w->main;
    c->n = c->lanes.n = n;
    for (size_t i = 0; i < n; i++) {
        c->trial[i] = trial0 + i;
        c->redraw[i] = 0;
    }
    for (size_t p = 0; p < s->n_params; p++)
        for (size_t i = 0; i < n; i++) c->params[p * TYCHE_LANES + i] = params[p];
    run_models(s, w, c, c->params, c->outputs, NULL);
    for (size_t k = 0; k < s->n_statements; k++)
        tyche_statement_eval_lanes(&s->statements[k], c->outputs, statements, TYCHE_LANES, n, w->stack_cols,
                                   statements + k * TYCHE_LANES);
}
