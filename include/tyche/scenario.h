/* tyche: scenarios, read from JSON and validated before any trial runs.
 *
 * A scenario names model instances (each of a registered kind), their
 * parameters (numbers or priors, see dist.h), inputs taken from other
 * models' outputs, a common factor, dated statements, and the start,
 * horizon and as-of dates.  The file format is documented in README.md. */
#ifndef TYCHE_SCENARIO_H
#define TYCHE_SCENARIO_H

#include "common.h"
#include "dist.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct tyche_scenario tyche_scenario;

/* Reads and validates the scenario in `file`.  Every problem is reported
 * as "<file>: <json path>: <what is wrong>" with TYCHE_EINPUT (TYCHE_EIO if
 * the file cannot be read).  Numbers are parsed the same under any locale.
 * Returns NULL on failure.  Free with tyche_scenario_free. */
TYCHE_API tyche_scenario *tyche_scenario_load(const char *file, tyche_err *err);

/* Same, from text in memory; `file` names it in messages. */
TYCHE_API tyche_scenario *tyche_scenario_parse(const char *text, size_t len, const char *file,
                                               tyche_err *err);
TYCHE_API void tyche_scenario_free(tyche_scenario *s);

/* What the command line may change before a scenario is validated. */
typedef struct {
    const char *as_of;          /* "YYYY-MM-DD" replacing the file's as_of, or NULL */
    size_t n_set;
    const char *const *set;     /* "model.param=VALUE", VALUE a number or a prior in JSON */
    size_t n_observed;
    const char *const *observed; /* "model.output=VALUE", VALUE a date, false or unknown: what an
                                  * event did by as_of, replacing the file's "observed" entry */
} tyche_scenario_options;

TYCHE_API tyche_scenario *tyche_scenario_load_with(const char *file,
                                                   const tyche_scenario_options *opt,
                                                   tyche_err *err);
TYCHE_API tyche_scenario *tyche_scenario_parse_with(const char *text, size_t len,
                                                    const char *file,
                                                    const tyche_scenario_options *opt,
                                                    tyche_err *err);

/* A variant of `base`: the same text, file name and --as-of, with `sets`
 * ("model.param=VALUE", as in tyche_scenario_options) added to base's
 * --set values, a new one replacing base's of the same name.  The text is
 * validated again from memory (the file is not read again), so a kind sees
 * the new priors and messages are those of a fresh load with all the --set
 * values.  The result shares nothing with base: free each with
 * tyche_scenario_free, in any order.  Returns NULL on failure. */
TYCHE_API tyche_scenario *tyche_scenario_with_overrides(const tyche_scenario *base,
                                                        const char *const *sets, size_t n,
                                                        tyche_err *err);

/* The --observed values it was loaded with, each followed by a newline
 * ("" when none): a shard and a checkpoint record them to load it again. */
TYCHE_API const char *tyche_scenario_observed_flags(const tyche_scenario *s);

/* How many event times the scenario's "observed" fixes or conditions on. */
TYCHE_API size_t tyche_scenario_n_observed(const tyche_scenario *s);

/* Read-only views for describe, tables and writers.  Strings and pointers
 * stay owned by the scenario. */
typedef enum { TYCHE_OUTPUT_TIME, TYCHE_OUTPUT_VALUE } tyche_output_type;

typedef struct {
    const char *name;  /* "model.param", or the common factor's name */
    const char *units;
    const char *description;
    const tyche_dist *prior;
    int overridden;    /* 1 when --set replaced the file's value */
    int posterior;     /* 1 when a calibration draws it from a posterior given the
                        * data: `prior` is then that posterior's prior, not what is drawn */
} tyche_param_info;

typedef struct {
    const char *name;  /* "model.output" */
    const char *units; /* for times: "days since <start>" */
    const char *description;
    tyche_output_type type;
} tyche_output_info;

typedef struct {
    const char *id;
    const char *text;
    const char *group;  /* "" when none */
    const char *rule;   /* the rule, rendered readably */
} tyche_statement_info;

typedef struct {
    const char *name;        /* "model.path" */
    const char *units;
    const char *dim;         /* "month" or "quarter" */
    size_t n_points;
    const char *const *labels; /* n_points labels, e.g. "2026-05-01" or "FY2027Q1" */
    const double *times;     /* n_points times, days since start */
} tyche_path_info;

TYCHE_API const char *tyche_scenario_name(const tyche_scenario *s);
TYCHE_API const char *tyche_scenario_title(const tyche_scenario *s);
TYCHE_API const char *tyche_scenario_file(const tyche_scenario *s);
TYCHE_API const char *tyche_scenario_text(const tyche_scenario *s);
/* Dates as days since 1970-01-01. */
TYCHE_API int32_t tyche_scenario_start(const tyche_scenario *s);
TYCHE_API int32_t tyche_scenario_horizon(const tyche_scenario *s);
TYCHE_API int32_t tyche_scenario_as_of(const tyche_scenario *s);

TYCHE_API size_t tyche_scenario_n_params(const tyche_scenario *s);
TYCHE_API size_t tyche_scenario_n_outputs(const tyche_scenario *s);
TYCHE_API size_t tyche_scenario_n_statements(const tyche_scenario *s);
TYCHE_API size_t tyche_scenario_n_paths(const tyche_scenario *s);
TYCHE_API size_t tyche_scenario_n_models(const tyche_scenario *s);
TYCHE_API void tyche_scenario_param(const tyche_scenario *s, size_t i, tyche_param_info *out);
/* What parameter i is drawn from, in words (for describe and the stored
 * parameter's "prior" attribute): its prior, or for a parameter drawn from a
 * calibration posterior "posterior given the data (prior ...)". */
TYCHE_API void tyche_scenario_param_format(const tyche_scenario *s, size_t i, char *buf,
                                           size_t len);
/* The p[k]-quantiles (k < n) of what parameter i is drawn from, before any
 * as-of conditioning: its prior's, or for a posterior parameter those of a
 * sample of TYCHE_POSTERIOR_SAMPLE draws through its kind's posterior from
 * a fixed seed (the posterior has no closed-form marginal quantiles:
 * g_inf = c / (1 - phi) of a normal-inverse-gamma draw), so the same on
 * every call.  Returns TYCHE_OK or TYCHE_ENOMEM. */
#define TYCHE_POSTERIOR_SAMPLE 20000
TYCHE_API tyche_status tyche_scenario_param_quantiles(const tyche_scenario *s, size_t i,
                                                      const double *p, size_t n, double *q,
                                                      tyche_err *err);
TYCHE_API void tyche_scenario_output(const tyche_scenario *s, size_t i, tyche_output_info *out);
TYCHE_API void tyche_scenario_statement(const tyche_scenario *s, size_t i,
                                        tyche_statement_info *out);
TYCHE_API void tyche_scenario_path(const tyche_scenario *s, size_t i, tyche_path_info *out);
/* Model instance i: its name and kind. */
TYCHE_API void tyche_scenario_model(const tyche_scenario *s, size_t i, const char **name,
                                    const char **kind);

/* Statements of the joint view (all statements unless the scenario names
 * them under "joint"): count and the statement index of each. */
TYCHE_API size_t tyche_scenario_n_joint(const tyche_scenario *s);
TYCHE_API size_t tyche_scenario_joint(const tyche_scenario *s, size_t k);

/* SHA-256 of the scenario's text (64 hex digits): tells forecasts of the
 * same scenario apart from forecasts of an edited one. */
TYCHE_API void tyche_scenario_hash(const tyche_scenario *s, char out[65]);

/* Lists the registered model kinds, comma-separated. */
TYCHE_API void tyche_model_kinds_list(char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
