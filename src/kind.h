/* The model-kind interface: what a kind (src/models/) declares, what the
 * scenario tells it when it loads (prepare) and what it sees of one trial
 * (simulate).  A new kind is one file in src/models/ and one line in
 * scenario.c's table of kinds. */
#ifndef TYCHE_KIND_H
#define TYCHE_KIND_H

#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

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
} tyche_input_spec;

/* What prepare() learns of the scenario. */
typedef struct {
    const char *file;         /* the scenario file, for messages */
    const char *dir;          /* its folder, for data files named relative to it */
    const char *path;         /* JSON path of this model, e.g. "models[0]" */
    int32_t start;            /* dates, days since 1970-01-01 */
    int32_t horizon;          /* last day simulated (inclusive) */
    int32_t as_of;
    const tyche_dist *priors; /* this model's parameters' priors, in spec order */
} tyche_model_setup;

/* What prepare() tells the scenario: the model's outputs (the kind's static
 * list unless prepare replaces it, e.g. one set per target quarter) and
 * the path variables it stores with --store paths. */
typedef struct {
    const tyche_output_spec *outputs;
    size_t n_outputs;
    uint32_t posterior;            /* bit k: parameter k is drawn from a posterior (calibration) */
    size_t n_vars;
    const char *const *var_names;  /* without the model prefix */
    const char *const *var_units;
    const char *dim;               /* "month" or "quarter" */
    size_t n_points;
    char **labels;                 /* owned by the model's cfg */
    double *times;                 /* owned by the model's cfg, days since start */
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

/* Seeks the model's j-th substream and returns the generator to draw from. */
static inline gsl_rng *tyche_model_stream(tyche_model_ctx *c, uint32_t j) {
    tyche_rng_seek(c->rng, c->trial, c->stream0 + j, c->redraw);
    return tyche_rng_gsl(c->rng);
}

typedef struct tyche_model_kind {
    const char *name;
    const char *description;
    const tyche_param_spec *params;
    size_t n_params;
    const tyche_input_spec *inputs;
    size_t n_inputs;
    const tyche_output_spec *outputs; /* the default layout */
    size_t n_outputs;
    /* Validates the model's "settings" object (a cJSON node or NULL) and
     * builds its immutable configuration.  Messages: "<file>: <path>.settings.x: ...". */
    tyche_status (*prepare)(const tyche_model_setup *setup, const void *settings, void **cfg,
                            tyche_model_layout *layout, tyche_err *err);
    void (*cfg_free)(void *cfg);
    /* Per-thread scratch, allocated once per thread (NULL allowed). */
    void *(*ws_alloc)(const void *cfg);
    void (*ws_free)(void *ws);
    /* One trial.  Must not allocate; must write every output. */
    void (*simulate)(const void *cfg, tyche_model_ctx *ctx);
    /* Optional: replaces some of the trial's parameter draws (params, this
     * model's slice) by draws from a posterior, from generator r; called
     * after the priors are drawn and before any model runs, so the stored
     * parameters are the ones used. */
    void (*posterior)(const void *cfg, double *params, gsl_rng *r);
    /* Optional: given the observed times of this model's outputs (NaN where
     * none), returns why they cannot be used together, or NULL. */
    const char *(*check_observed)(const double *fixed);
} tyche_model_kind;

const tyche_model_kind *tyche_model_kind_find(const char *name);
extern const tyche_model_kind tyche_model_option_exercise;
extern const tyche_model_kind tyche_model_exclusivity_window;
extern const tyche_model_kind tyche_model_revenue_slowdown;
extern const tyche_model_kind tyche_model_ishigami;

/* A revenue history file (fiscal_quarter, period_end, COLUMN): rows in
 * order, each period end checked against the fiscal calendar.  The caller
 * frees *rows.  Used by revenue_slowdown and by the backtest. */
typedef struct {
    int32_t q;      /* quarter index (fiscal.h) */
    int32_t end;    /* period end, days since 1970-01-01 */
    double value;
} tyche_revenue_row;
tyche_status tyche_revenue_read_history(const char *file, const char *column,
                                        tyche_revenue_row **rows, size_t *n, tyche_err *err);

#endif
