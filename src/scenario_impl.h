/* The validated scenario: what every module after scenario.c reads.
 * Immutable once loaded (tyche_scenario_load) and shared by every thread. */
#ifndef TYCHE_SCENARIO_IMPL_H
#define TYCHE_SCENARIO_IMPL_H

#include "kind.h"
#include "statement.h"

typedef struct {
    char *name;
    const tyche_model_kind *kind;
    void *cfg;
    tyche_model_layout layout;
    size_t param0;            /* index of its first parameter in the scenario's list */
    size_t output0;           /* index of its first output */
    size_t path0;             /* index of its first path variable */
    /* its parameters and inputs: the kind's lists, or its declare()'s (decl) */
    const tyche_param_spec *param_spec;
    size_t n_params;
    const tyche_input_spec *input_spec;
    size_t n_inputs;
    tyche_model_decl decl;    /* filled by the kind's declare(), else zero */
    size_t *input_src;        /* n_inputs output indices feeding its inputs ((size_t)-1: none) */
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
    size_t n_params;          /* model parameters, then the common factor last (if any) */
    tyche_param *params;
    size_t params_cap;        /* room in params and overridden */
    size_t common;            /* index of the common factor in params, or (size_t)-1 when
                               * the scenario has none (models then see z = 0) */
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
    /* the options it was built with, so that tyche_scenario_with_overrides
     * can build a variant from the text in memory */
    char *as_of_opt;          /* --as-of, or NULL */
    size_t n_sets;
    char **sets;              /* the --set arguments, as given */
    size_t n_observed_opts;
    char **observed_opts;     /* the --observed arguments, as given */
    char *observed_joined;    /* the same, each followed by '\n' ("" when none) */
};

/* Finds an output by its full name; returns (size_t)-1 when absent. */
size_t tyche_scenario_find_output(const tyche_scenario *s, const char *name);

#endif
