/* Internal types shared by the library's modules: the scenario's validated
 * form, the model-kind interface and the compiled statements.  Nothing here
 * is visible to the `tyche` command, which uses include/tyche/ only.
 *
 * Module order (each depends only on those before it):
 *   error, date, rng, dist, hazard -> models -> statement, scenario
 *   -> stats, engine -> io_json, io_hdf5 -> cli */
#ifndef TYCHE_INTERNAL_H
#define TYCHE_INTERNAL_H

#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

/* ---- the model-kind interface ------------------------------------------ */

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

/* ---- statements --------------------------------------------------------- */

typedef enum {
    ST_EVENT_BY,   /* out[a] <= x             (time output, x = end of the day) */
    ST_EVENT_AFTER,/* out[a] > x, including never */
    ST_LT, ST_LE, ST_GT, ST_GE, ST_EQ, /* out[a] <op> x (NaN: false) */
    ST_BETWEEN,    /* x <= out[a] <= y */
    ST_STMT,       /* the value of statement a (an earlier one) */
    ST_ALL,        /* pop a values, push their AND */
    ST_ANY,        /* pop a values, push their OR */
    ST_NOT
} tyche_stmt_op;

typedef struct {
    tyche_stmt_op op;
    uint32_t a;
    double x, y;
} tyche_stmt_instr;

typedef struct {
    char *id, *text, *group, *rule_text;
    tyche_stmt_instr *prog;
    size_t n_prog;
    size_t max_stack;
} tyche_statement;

/* Compiles the rule (a cJSON node) into postfix instructions. */
tyche_status tyche_statement_compile(tyche_scenario *s, size_t self, const void *rule,
                                     const char *path, tyche_err *err);
/* Evaluates statement `st` on a trial's outputs and earlier statement results;
 * `stack` holds at least st->max_stack bytes. */
uint8_t tyche_statement_eval(const tyche_statement *st, const double *out, const uint8_t *done,
                             uint8_t *stack);

/* ---- the validated scenario --------------------------------------------- */

typedef struct {
    char *name;
    const tyche_model_kind *kind;
    void *cfg;
    tyche_model_layout layout;
    size_t param0;            /* index of its first parameter in the scenario's list */
    size_t output0;           /* index of its first output */
    size_t path0;             /* index of its first path variable */
    size_t *input_src;        /* n_inputs output indices feeding its inputs */
    size_t path_offset;       /* doubles before its block in a trial's path buffer */
} tyche_model_inst;

typedef struct {
    size_t n;
    size_t *param;            /* parameter indices */
    double *L;                /* n x n, lower triangular, row-major */
} tyche_corr_group;

typedef struct {
    char *name, *units, *description;
    tyche_dist prior;
    size_t model;             /* (size_t)-1 for the common factor */
} tyche_param;

typedef struct {
    char *name, *units, *description;
    tyche_output_type type;
} tyche_output;

typedef struct {
    char *name, *units;
    size_t model, var;
} tyche_path_var;

struct tyche_scenario {
    char *file, *dir, *text, *name, *title;
    int32_t start, horizon, as_of;
    double horizon_time;      /* end of the horizon day, days since start */
    size_t n_models;
    tyche_model_inst *models;
    size_t n_params;          /* model parameters, then the common factor last */
    tyche_param *params;
    size_t common;            /* index of the common factor in params */
    size_t n_outputs;
    tyche_output *outputs;
    size_t n_statements;
    tyche_statement *statements;
    size_t n_paths;
    tyche_path_var *paths;
    size_t path_doubles;      /* doubles per trial for all path variables */
    size_t n_joint;
    size_t *joint;
    size_t max_stack;
    uint8_t *overridden;      /* per parameter: set by --set */
    /* rank-correlated parameters (Gaussian copula): groups of parameters with
     * the Cholesky factor of their normal scores' correlation */
    size_t n_groups;
    tyche_corr_group *groups;
    uint8_t *in_group;        /* per parameter: drawn through its group */
    /* as-of conditioning (per output): an observed time, or NaN; and
     * "had not happened before as_of", enforced by redrawing the trial */
    double *fixed_time;
    uint8_t *not_before;
    size_t n_conditions;
    double as_of_time;        /* days since start */
    char *overrides;          /* the --set values, one per line: part of a shard's identity */
};

/* The folder of path ("." when it names none), as a string (tmpfile.c). */
void tyche_path_folder(const char *path, char *buf, size_t len);

/* Finds an output by its full name; returns (size_t)-1 when absent. */
size_t tyche_scenario_find_output(const tyche_scenario *s, const char *name);

/* SHA-256 of len bytes as 64 hex digits. */
void tyche_sha256_hex(const void *data, size_t len, char out[65]);

/* Redraws are numbered in 16 bits of the counter (rng.h). */
#define TYCHE_MAX_REDRAWS 65535
#define TYCHE_REDRAW_FAILED UINT32_MAX

/* Simulates trial `trial` with every buffer supplied: params (n_params),
 * outputs (n_outputs), statements (n_statements), paths (path_doubles or
 * NULL), stack (max_stack), model workspaces.  Returns the redraw count
 * (as-of rejections), or TYCHE_REDRAW_FAILED. */
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

#include "stats.h"

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

/* An LHS or QMC design for a run (NULL under MC). */
typedef struct tyche_design tyche_design;
tyche_status tyche_design_alloc(const tyche_scenario *s, const tyche_run_config *cfg,
                                tyche_design **out, tyche_err *err);
void tyche_design_free(tyche_design *d);

uint32_t tyche_trial_simulate(const tyche_scenario *s, const tyche_design *design, tyche_rng *rng,
                              uint64_t trial, void *const *ws, double *params, double *outputs,
                              uint8_t *statements, double *paths, uint8_t *stack);

#endif
