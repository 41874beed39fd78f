/* The model-kind interface: what a kind (src/models/) declares, what the
 * scenario tells it when it loads (prepare) and what it sees of one trial
 * (simulate).  A new kind is one file in src/models/, defined with
 * designated initializers (.name = ..., .simulate = ...), and its two
 * lines in the registry, src/models/kinds.c (the declaration and the entry).
 *
 * Limits a kind must keep, checked for every model when a scenario loads
 * (tyche_model_kind_check, called by scenario.c) so that a kind that breaks
 * one is refused with the file and JSON path instead of misbehaving:
 *   (1) n_streams <= TYCHE_STREAMS_PER_MODEL, and with a posterior
 *       n_streams <= TYCHE_POSTERIOR_SUBSTREAM: the last substream of a
 *       model is the posterior's draw (engine.c), so simulate must not seek it;
 *   (2) n_inputs <= TYCHE_KIND_MAX_INPUTS: the engine gathers a model's
 *       inputs into a buffer of that size on the stack;
 *   (3) with a posterior, n_params <= TYCHE_KIND_MAX_POSTERIOR_PARAMS: the
 *       layout's posterior mask has one bit per parameter. */
#ifndef TYCHE_KIND_H
#define TYCHE_KIND_H

#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"
#include "draws.h"

/* A parameter and its domain: every value its prior can take must satisfy
 * lo < v (lo_open) or lo <= v, and v <= hi; checked when the scenario loads.
 * An optional parameter (has_default) may be left out of the JSON: it is
 * then fixed at dflt. */
typedef struct {
    const char *name;
    const char *units;
    const char *description;
    double lo, hi;
    int lo_open;
    int has_default;
    double dflt;
} tyche_param_spec;

typedef struct {
    const char *name;
    tyche_output_type type;
    const char *units;        /* for values; times get "days since <start>" */
    const char *description;
} tyche_output_spec;

typedef struct {
    const char *name;         /* e.g. "exercise_time": a time from another model */
    const char *description;
    /* Set only by a kind's declare(): the output ("model.output", of a model
     * listed earlier) that feeds it; built-in kinds' inputs are named in the
     * model's JSON "inputs" object instead. */
    const char *source;
    int any_type;             /* 1: a value or an event time; 0: an event time only */
} tyche_input_spec;

/* What declare() and prepare() learn of the scenario. */
typedef struct {
    const char *file;         /* the scenario file, for messages */
    const char *dir;          /* its folder, for data files named relative to it */
    const char *path;         /* JSON path of this model, e.g. "models[0]" */
    int32_t start;            /* dates, days since 1970-01-01 */
    int32_t horizon;          /* last day simulated (inclusive) */
    int32_t as_of;
    const tyche_dist *priors; /* this model's parameters' priors, in spec order (NULL in declare) */
    /* the model's parameters and inputs, in order: the kind's own lists, or
     * what its declare() returned */
    const tyche_param_spec *params;
    size_t n_params;
    const tyche_input_spec *inputs;
    size_t n_inputs;
    const tyche_output_type *input_types; /* per input: the type of the output feeding it (NULL in
                                           * declare; TYCHE_OUTPUT_TIME for one not connected) */
    /* The outputs of the models listed before this one, which its inputs may
     * name: the type of the output of that name ("model.output") into *type,
     * returning 1, or 0 when there is none. */
    const void *scope;
    int (*earlier_output)(const void *scope, const char *name, tyche_output_type *type);
    const char *common_name;  /* the scenario's common factor (its column is z), or NULL: none */
} tyche_model_setup;

/* What a kind with a declare() says a model of it has: parameters and
 * inputs named in the model's JSON (the generic kinds: a formula's names
 * are the user's).  The arrays and their strings are the kind's, released
 * by its decl_free. */
typedef struct {
    tyche_param_spec *params;
    size_t n_params;
    tyche_input_spec *inputs; /* each with its source */
    size_t n_inputs;          /* at most TYCHE_KIND_MAX_INPUTS */
    uint32_t n_streams;       /* substreams simulate uses (0: the kind's n_streams) */
    void *owned;              /* anything else the kind keeps for decl_free */
} tyche_model_decl;

#define TYCHE_LAYOUT_MAX_FOLLOWS 8

/* What prepare() tells the scenario: the model's outputs (the kind's static
 * list unless prepare replaces it, e.g. one set per target quarter) and
 * the path variables it stores with --store paths. */
typedef struct {
    const tyche_output_spec *outputs;
    size_t n_outputs;
    uint32_t posterior;            /* bit k: parameter k is drawn from a posterior (calibration);
                                    * hence limit (3), TYCHE_KIND_MAX_POSTERIOR_PARAMS */
    size_t n_vars;
    const char *const *var_names;  /* without the model prefix */
    const char *const *var_units;
    const char *dim;               /* "month" or "quarter" */
    size_t n_points;
    char **labels;                 /* owned by the model's cfg */
    double *times;                 /* owned by the model's cfg, days since start */
    /* For honest as-of forecasts: a scenario whose as_of is after its start
     * must say of every event that could have happened in between whether
     * it did (scenario.c, "observed").  Events it need not ask about: bit k
     * of `never`, output k (k < 64) cannot happen with these priors (a
     * hazard fixed at 0); and follows[j] = {later, earlier}: output `later`
     * never comes before output `earlier` (a follow-on event), so an
     * `earlier` that had not happened by as_of rules `later` out too. */
    uint64_t never;
    size_t n_follows;
    struct {
        uint32_t later, earlier;
    } follows[TYCHE_LAYOUT_MAX_FOLLOWS];
    /* first_of[j]: output `out` is the first of outputs first .. first + n
     * - 1, only one of which ever happens (competing causes): a cause dated
     * by as_of settles the others and `out`, and `out` needs no word once
     * every cause has one. */
    size_t n_first_of;
    struct {
        uint32_t out, first, n;
    } first_of[2];
} tyche_model_layout;

/* A model's view of one trial. */
typedef struct {
    const double *params;     /* this model's parameters, in spec order */
    const double *inputs;     /* this model's inputs, in spec order */
    double z;                 /* the common factor */
    double *out;              /* this model's outputs, in spec order */
    const double *fixed;      /* per output: an observed event time to use as is, or NaN */
    double *paths;            /* NULL, or n_vars * n_points doubles to fill */
    tyche_rng *rng;
    uint64_t trial;
    uint32_t redraw;
    uint32_t stream0;         /* first of this model's TYCHE_STREAMS_PER_MODEL streams */
    void *ws;                 /* the per-thread workspace from ws_alloc */
} tyche_model_ctx;

/* The most lanes a block of trials has: engine.c simulates a block of
 * TYCHE_BLOCK_TRIALS in chunks of this many (a chunk's arrays stay in the
 * L1/L2 caches).  Per-trial results do not depend on it (I1: every lane's
 * numbers come from its own trial's streams), but the summary's moments
 * are added a chunk at a time (accum.h, I6), so like TYCHE_BLOCK_TRIALS it
 * is fixed, not tunable. */
#define TYCHE_LANES 256

/* A model's view of a block of trials, structure of arrays: value k of lane
 * i at [k * stride + i] (i < n <= TYCHE_LANES). */
typedef struct {
    const tyche_lanes *lanes;  /* lane i is trial lanes->trial[i] at redraw lanes->redraw[i] */
    size_t n, stride;
    const double *params;      /* this model's parameters, in spec order */
    const double *const *inputs; /* input k of lane i: inputs[k][i] (INFINITY when not connected) */
    const double *z;           /* the common factor, z[i] (0 without one) */
    double *out;               /* this model's outputs, in spec order */
    const double *fixed;       /* per output: an observed event time to use as is, or NaN */
    double *paths;             /* NULL, or lane i's n_vars * n_points doubles at paths + i * path_stride */
    size_t path_stride;
    tyche_draws *draws;        /* every draw: tyche_draws_*(draws, lanes, stream0 + j, ...) */
    uint32_t stream0;          /* first of this model's TYCHE_STREAMS_PER_MODEL streams */
    void *ws;                  /* the per-thread workspace from ws_alloc (room for TYCHE_LANES lanes) */
} tyche_model_block;

/* A block kind's scratch in one allocation: *cols[k] points at rows[k] rows
 * of TYCHE_LANES doubles (row j of lane i at [j * TYCHE_LANES + i]), each
 * on cache lines of its own.  Returns the allocation, to free, or NULL. */
static inline double *tyche_lane_columns(double **const *cols, const size_t *rows, size_t n) {
    size_t total = 0;
    for (size_t k = 0; k < n; k++) total += rows[k];
    double *mem = tyche_alloc_lines(total * TYCHE_LANES * sizeof(double) + 1);
    if (mem == NULL) return NULL;
    for (size_t k = 0, at = 0; k < n; at += rows[k++]) *cols[k] = mem + at * TYCHE_LANES;
    return mem;
}

/* Defines `static void name(const void *cfg, tyche_model_block *b)` that
 * runs body(cfg, b) (a static inline function) compiled once per vector
 * path, the one of the draws' kernels (vmath.h): the compiler then
 * vectorises the body's loops over lanes as wide as that path allows.
 * The bits do not change with the width (I11): every loop over lanes does
 * the same IEEE operations lane by lane (no FMA: -ffp-contract=off; no
 * reassociation), and sums across lanes keep their written order. */
#ifdef TYCHE_VM_X86
#define TYCHE_BLOCK_FN(name, body)                                                    \
    __attribute__((target("avx2"))) static void name##_avx2(const void *c, tyche_model_block *b) { \
        body(c, b);                                                                   \
    }                                                                                 \
    __attribute__((target("avx512f"))) static void name##_avx512(const void *c,      \
                                                                 tyche_model_block *b) { \
        body(c, b);                                                                   \
    }                                                                                 \
    static void name(const void *c, tyche_model_block *b) {                           \
        switch (tyche_draws_vm(b->draws)->path) {                                     \
        case TYCHE_VM_AVX512: name##_avx512(c, b); break;                             \
        case TYCHE_VM_AVX2: name##_avx2(c, b); break;                                 \
        default: body(c, b); break;                                                   \
        }                                                                             \
    }
#else
#define TYCHE_BLOCK_FN(name, body) \
    static void name(const void *c, tyche_model_block *b) { body(c, b); }
#endif

/* The substream of a model's TYCHE_STREAMS_PER_MODEL that engine.c seeks
 * for the posterior draw (limit (1) above). */
#define TYCHE_POSTERIOR_SUBSTREAM (TYCHE_STREAMS_PER_MODEL - 1)
/* Most inputs a kind may declare (limit (2)): the engine's input buffer. */
#define TYCHE_KIND_MAX_INPUTS 16
/* Most parameters of a kind with a posterior (limit (3)): bits of the mask. */
#define TYCHE_KIND_MAX_POSTERIOR_PARAMS 32

/* Seeks the model's j-th substream (j < the kind's n_streams) and returns
 * the generator to draw from. */
static inline gsl_rng *tyche_model_stream(tyche_model_ctx *c, uint32_t j) {
    tyche_rng_seek(c->rng, c->trial, c->stream0 + j, c->redraw);
    return tyche_rng_gsl(c->rng);
}

/* What a backtest (src/backtest.c) needs of a model whose kind can be
 * backtested: the observed quarterly series it forecasts and the earliest
 * origin quarter it can forecast from. */
typedef struct {
    int32_t first;            /* quarter index (fiscal.h) of values[0] */
    size_t n;
    const double *values;     /* owned by the model's cfg */
    const int32_t *published; /* the day each value was made public (days since 1970-01-01) */
    int32_t min_origin;       /* earliest origin with enough history before it */
    size_t var;               /* the path variable (layout.var_names) that forecasts it */
} tyche_backtest_series;

typedef struct tyche_model_kind {
    const char *name;
    const char *description;
    const tyche_param_spec *params;
    size_t n_params;
    const tyche_input_spec *inputs;
    size_t n_inputs;                  /* at most TYCHE_KIND_MAX_INPUTS */
    const tyche_output_spec *outputs; /* the default layout */
    size_t n_outputs;
    /* Substreams simulate seeks (tyche_model_stream j = 0 .. n_streams-1):
     * at most TYCHE_STREAMS_PER_MODEL, or TYCHE_POSTERIOR_SUBSTREAM when the
     * kind has a posterior (limit (1)). */
    uint32_t n_streams;
    /* Optional, with decl_free: a kind whose parameters and inputs the
     * model's JSON names (a cJSON object: the whole model) fills *decl
     * before the priors are read; params and inputs above are then unused.
     * The scenario checks the JSON's "params" against decl->params as it
     * does a built-in kind's, and connects each input to its source. */
    tyche_status (*declare)(const tyche_model_setup *setup, const void *model, tyche_model_decl *decl,
                            tyche_err *err);
    void (*decl_free)(tyche_model_decl *decl);
    /* Validates the model's "settings" object (a cJSON node or NULL) and
     * builds its immutable configuration.  Messages: "<file>: <path>.settings.x: ...". */
    tyche_status (*prepare)(const tyche_model_setup *setup, const void *settings, void **cfg,
                            tyche_model_layout *layout, tyche_err *err);
    void (*cfg_free)(void *cfg);
    /* Per-thread scratch, allocated once per thread (NULL allowed). */
    void *(*ws_alloc)(const void *cfg);
    void (*ws_free)(void *ws);
    /* One trial.  Must not allocate; must write every output.  A kind
     * gives simulate_block, or simulate (the engine then runs it lane by
     * lane, seeking the trial's streams through a per-trial generator). */
    void (*simulate)(const void *cfg, tyche_model_ctx *ctx);
    /* A block of trials (tyche_model_block): the engine's fast path.  Must
     * not allocate; must write every output of every lane; lane i's draws
     * from lane i's streams only (draws.h), so no lane depends on another. */
    void (*simulate_block)(const void *cfg, tyche_model_block *b);
    /* Optional: replaces some of the trial's parameter draws (params, this
     * model's slice) by draws from a posterior, from generator r; called
     * after the priors are drawn and before any model runs, so the stored
     * parameters are the ones used. */
    void (*posterior)(const void *cfg, double *params, gsl_rng *r);
    /* Optional: given the observed times of this model's outputs (NaN where
     * none), returns why they cannot be used together, or NULL. */
    const char *(*check_observed)(const double *fixed);
    /* Optional, both or neither (a kind a backtest can score): the model's
     * observed series, from its cfg; and a rewrite of the model's
     * "settings" (a cJSON object, edited in place) so that it forecasts
     * from quarter `origin` (the history's last) to quarter `target`.
     * backtest_settings returns TYCHE_OK or TYCHE_ENOMEM. */
    void (*backtest_series)(const void *cfg, tyche_backtest_series *out);
    tyche_status (*backtest_settings)(void *settings, int32_t origin, int32_t target,
                                      tyche_err *err);
} tyche_model_kind;

/* The registry (src/models/kinds.c): the kind of that name, or NULL. */
const tyche_model_kind *tyche_model_kind_find(const char *name);
/* Registered kind i (0 <= i < tyche_model_kind_count()). */
size_t tyche_model_kind_count(void);
const tyche_model_kind *tyche_model_kind_at(size_t i);

/* Checks limits (1)-(3) above for kind k of the model at `path` (a message
 * prefix such as "file.json: models[0]"); messages read
 * "<path>.kind: kind K ...".  Returns TYCHE_OK or TYCHE_EINPUT. */
tyche_status tyche_model_kind_check(const tyche_model_kind *k, const char *path, tyche_err *err);

/* A revenue history file (fiscal_quarter, period_end, published, COLUMN):
 * rows in order, each period end checked against the fiscal calendar, each
 * published on or after its period end and not before the row above.  `named_at`
 * (the file and JSON path that named it, or NULL) prefixes the message
 * when the file cannot be opened.  The caller frees *rows.  Used by
 * revenue_slowdown. */
typedef struct {
    int32_t q;      /* quarter index (fiscal.h) */
    int32_t end;    /* period end, days since 1970-01-01 */
    int32_t published; /* the day its figure was made public (the `published` column) */
    double value;
} tyche_revenue_row;
tyche_status tyche_revenue_read_history(const char *file, const char *named_at, const char *column,
                                        tyche_revenue_row **rows, size_t *n, tyche_err *err);

#endif
