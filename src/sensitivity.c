/* Tornado and sweep (see include/tyche/sensitivity.h).  The scenario is
 * loaded once; each run is a variant of it with --set overrides added to
 * the user's (tyche_scenario_with_overrides), run with the same seed; of
 * each run only the statements are kept: their probabilities, and each
 * trial's yes/no (a row sink), so that the difference of two runs, trial
 * by trial on common random numbers, has its own standard error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <cjson/cJSON.h>
#include "h5util.h"
#include "scenario_impl.h"
#include "json_util.h"

struct tyche_sensitivity {
    int is_sweep;
    size_t n_stmt;
    char **stmt;
    double *base;            /* n_stmt */
    size_t n_rows;           /* tornado: parameters (2 runs each); sweep: grid points */
    char **param;            /* tornado: names; sweep: axis names */
    double *lo, *hi;         /* tornado: the fixed values */
    double *p, *se;          /* tornado: n_rows x 2 x n_stmt (low, high); sweep: n_rows x n_stmt */
    double *dse;             /* tornado: n_rows x n_stmt, the swing's standard error; sweep:
                              * n_rows x n_stmt, that of the difference from the baseline */
    uint64_t *base_true;     /* n_stmt: trials true in the baseline run */
    size_t n_axes;
    size_t *counts;
    double **axis;           /* sweep: values per axis */
    char *file;
    uint64_t trials, seed;
};

void tyche_sensitivity_free(tyche_sensitivity *t) {
    if (t == NULL) return;
    for (size_t j = 0; j < t->n_stmt; j++) free(t->stmt ? t->stmt[j] : NULL);
    free(t->stmt);
    size_t np = t->is_sweep ? t->n_axes : t->n_rows;
    for (size_t k = 0; t->param && k < np; k++) free(t->param[k]);
    free(t->param);
    for (size_t k = 0; t->axis && k < t->n_axes; k++) free(t->axis[k]);
    free(t->axis);
    free(t->counts);
    free(t->base);
    free(t->lo);
    free(t->hi);
    free(t->p);
    free(t->se);
    free(t->dse);
    free(t->base_true);
    free(t->file);
    free(t);
}

/* The row sink of a run: each trial's statements, statement j of trial i
 * at keep[j * trials + i]. */
typedef struct {
    uint8_t *keep;
    uint64_t trials;
    size_t n_stmt;
} keep_sink;

static tyche_status keep_rows(void *user, const tyche_rows *rows, tyche_err *err) {
    (void)err;
    const keep_sink *k = user;
    for (size_t j = 0; j < k->n_stmt; j++)
        memcpy(k->keep + j * k->trials + rows->first_trial, rows->statements + j * rows->stride, rows->n);
    return TYCHE_OK;
}

/* One run of `s`; fills probabilities (and standard errors) per statement,
 * and when keep is not NULL each trial's statements (trials x n_stmt
 * bytes, keep_sink's layout). */
static tyche_status run_scenario(const tyche_scenario *s, const tyche_tornado_config *cfg,
                                 double *p, double *se, uint8_t *keep, tyche_err *err) {
    tyche_run_config rc;
    tyche_run_config_init(&rc);
    rc.trials = cfg->trials;
    rc.seed = cfg->seed;
    rc.threads = cfg->threads;
    rc.rng = cfg->rng;
    rc.store = TYCHE_STORE_NONE;
    rc.cancel = cfg->cancel;
    keep_sink ks = {keep, cfg->trials, s->n_statements};
    if (keep) {
        rc.store = TYCHE_STORE_OUTPUTS;
        rc.rows = keep_rows;
        rc.rows_user = &ks;
    }
    tyche_err local;
    tyche_results *r = tyche_run(s, &rc, &local);
    if (r == NULL) {
        if (err) *err = local;
        return local.code;
    }
    for (size_t j = 0; j < s->n_statements; j++) {
        tyche_prob pr;
        tyche_results_statement(r, j, &pr);
        p[j] = pr.probability;
        if (se) se[j] = pr.stderr_;
    }
    tyche_results_free(r);
    return TYCHE_OK;
}

/* One run of `base` with `extra` --set values added (replacing base's for
 * the same names). */
static tyche_status run_one(const tyche_scenario *base, const char *const *extra, size_t n_extra,
                            const tyche_tornado_config *cfg, double *p, double *se, uint8_t *keep,
                            tyche_err *err) {
    tyche_err local;
    tyche_scenario *s = tyche_scenario_with_overrides(base, extra, n_extra, &local);
    if (s == NULL) {
        if (err) *err = local;
        return local.code;
    }
    const tyche_status st = run_scenario(s, cfg, p, se, keep, err);
    tyche_scenario_free(s);
    return st;
}

/* The standard error of P(b) - P(a) from two runs' trials (statement j's
 * bytes at a + j * n, b + j * n) on common random numbers: the mean of the
 * per-trial differences d in {-1, 0, 1}, whose variance is mean(|d|) -
 * mean(d)^2. */
static double paired_se(const uint8_t *a, const uint8_t *b, uint64_t n) {
    uint64_t up = 0, down = 0;
    for (uint64_t i = 0; i < n; i++) {
        up += b[i] > a[i];
        down += a[i] > b[i];
    }
    const double m = ((double)up - (double)down) / (double)n, m2 = ((double)up + (double)down) / (double)n;
    const double v = m2 - m * m;
    return n > 1 && v > 0 ? sqrt(v / (double)(n - 1)) : 0.0;
}

/* Room for one run's trials' statements (NULL with err set). */
static uint8_t *keep_alloc(uint64_t trials, size_t n_stmt, tyche_err *err) {
    uint8_t *k = tyche_malloc((size_t)trials * (n_stmt ? n_stmt : 1));
    if (k == NULL)
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory: -n %llu x %zu statements of each run's trials",
                      (unsigned long long)trials, n_stmt);
    return k;
}

/* The baseline: statement ids and probabilities; with `keep` (not NULL),
 * *keep gets the baseline's trials' statements (keep_alloc's, to free). */
static tyche_sensitivity *start(const char *file, const tyche_scenario_options *opt,
                                const tyche_tornado_config *cfg, tyche_scenario **sc, uint8_t **keep,
                                tyche_err *err) {
    tyche_scenario *s = tyche_scenario_load_with(file, opt, err);
    if (s == NULL) return NULL;
    tyche_sensitivity *t = tyche_calloc(1, sizeof *t);
    if (t == NULL) goto nomem;
    t->n_stmt = s->n_statements;
    t->stmt = tyche_calloc(t->n_stmt + 1, sizeof *t->stmt);
    t->base = tyche_calloc(t->n_stmt + 1, sizeof *t->base);
    t->file = tyche_strdup(file);
    t->trials = cfg->trials;
    t->seed = cfg->seed;
    if (!t->stmt || !t->base || !t->file) goto nomem;
    for (size_t j = 0; j < t->n_stmt; j++)
        if ((t->stmt[j] = tyche_strdup(s->statements[j].id)) == NULL) goto nomem;
    t->base_true = tyche_calloc(t->n_stmt + 1, sizeof *t->base_true);
    if (t->base_true == NULL) goto nomem;
    if ((keep && (*keep = keep_alloc(cfg->trials, t->n_stmt, err)) == NULL) ||
        run_scenario(s, cfg, t->base, NULL, keep ? *keep : NULL, err)) {
        if (keep) free(*keep), *keep = NULL;
        tyche_sensitivity_free(t);
        tyche_scenario_free(s);
        return NULL;
    }
    for (size_t j = 0; j < t->n_stmt; j++) t->base_true[j] = (uint64_t)llround(t->base[j] * (double)cfg->trials);
    *sc = s;
    return t;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    tyche_sensitivity_free(t);
    tyche_scenario_free(s);
    return NULL;
}

tyche_sensitivity *tyche_tornado_run(const char *file, const tyche_scenario_options *opt,
                                     const tyche_tornado_config *cfg, tyche_err *err) {
    if (!(cfg->low > 0 && cfg->low < cfg->high && cfg->high < 1)) {
        tyche_err_set(err, TYCHE_EINPUT, "--low/--high: expected quantile levels 0 < low < high < 1");
        return NULL;
    }
    tyche_scenario *s = NULL;
    tyche_sensitivity *t = start(file, opt, cfg, &s, NULL, err);
    if (t == NULL) return NULL;
    uint8_t *keep[2] = {keep_alloc(cfg->trials, t->n_stmt, err), keep_alloc(cfg->trials, t->n_stmt, err)};
    if (!keep[0] || !keep[1]) goto fail;
    size_t nu = 0;
    for (size_t i = 0; i < s->n_params; i++) nu += !tyche_dist_is_fixed(&s->params[i].prior);
    /* parameters drawn from a calibration posterior are not varied: fixing one
     * would leave the posterior without its prior */
    t->param = tyche_calloc(nu + 1, sizeof *t->param);
    t->lo = tyche_calloc(nu + 1, sizeof *t->lo);
    t->hi = tyche_calloc(nu + 1, sizeof *t->hi);
    t->p = tyche_calloc(2 * nu * t->n_stmt + 1, sizeof *t->p);
    t->se = tyche_calloc(2 * nu * t->n_stmt + 1, sizeof *t->se);
    t->dse = tyche_calloc(nu * t->n_stmt + 1, sizeof *t->dse);
    if (!t->param || !t->lo || !t->hi || !t->p || !t->se || !t->dse) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s->n_params; i++) {
        const tyche_param *pa = &s->params[i];
        if (tyche_dist_is_fixed(&pa->prior)) continue;
        if (pa->model != (size_t)-1 &&
            i - s->models[pa->model].param0 < 32 &&
            (s->models[pa->model].layout.posterior >> (i - s->models[pa->model].param0) & 1u))
            continue;
        const size_t k = t->n_rows++;
        if ((t->param[k] = tyche_strdup(pa->name)) == NULL) {
            tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            goto fail;
        }
        t->lo[k] = tyche_dist_quantile(&pa->prior, cfg->low);
        t->hi[k] = tyche_dist_quantile(&pa->prior, cfg->high);
        for (int side = 0; side < 2; side++) {
            char set[300], v[TYCHE_NUMBER_CHARS];
            /* the same double back, with a "." under any locale (%.17g would
             * write the locale's decimal point, which --set does not read) */
            tyche_json_format_number(side ? t->hi[k] : t->lo[k], v);
            snprintf(set, sizeof set, "%s=%s", pa->name, v);
            const char *extra[1] = {set};
            double *pp = t->p + (2 * k + (size_t)side) * t->n_stmt;
            double *ss = t->se + (2 * k + (size_t)side) * t->n_stmt;
            if (run_one(s, extra, 1, cfg, pp, ss, keep[side], err)) goto fail;
        }
        for (size_t j = 0; j < t->n_stmt; j++)
            t->dse[k * t->n_stmt + j] = paired_se(keep[0] + j * cfg->trials, keep[1] + j * cfg->trials, cfg->trials);
    }
    free(keep[0]);
    free(keep[1]);
    tyche_scenario_free(s);
    return t;
fail:
    free(keep[0]);
    free(keep[1]);
    tyche_scenario_free(s);
    tyche_sensitivity_free(t);
    return NULL;
}

tyche_sensitivity *tyche_sweep_run(const char *file, const tyche_scenario_options *opt,
                                   size_t n_axes, const char *const *names,
                                   const double *const *values, const size_t *counts,
                                   const tyche_tornado_config *cfg, tyche_err *err) {
    if (n_axes == 0 || n_axes > 8) {
        tyche_err_set(err, TYCHE_EINPUT, "--grid: expected 1 to 8 axes");
        return NULL;
    }
    size_t n = 1;
    for (size_t k = 0; k < n_axes; k++) {
        if (counts[k] == 0 || n * counts[k] > 100000) {
            tyche_err_set(err, TYCHE_EINPUT, "--grid %s: expected 1 value or more, and at most 100000 grid points in all", names[k]);
            return NULL;
        }
        n *= counts[k];
        for (size_t l = 0; l < k; l++)
            if (strcmp(names[l], names[k]) == 0) {
                tyche_err_set(err, TYCHE_EINPUT, "--grid %s: given twice", names[k]);
                return NULL;
            }
    }
    tyche_scenario *s = NULL;
    uint8_t *base_keep = NULL, *keep = NULL;
    tyche_sensitivity *t = start(file, opt, cfg, &s, &base_keep, err);
    if (t == NULL) return NULL;
    if ((keep = keep_alloc(cfg->trials, t->n_stmt, err)) == NULL) {
        free(base_keep);
        tyche_scenario_free(s);
        tyche_sensitivity_free(t);
        return NULL;
    }
    for (size_t k = 0; k < n_axes; k++) {
        size_t p = 0;
        while (p < s->n_params && strcmp(s->params[p].name, names[k]) != 0) p++;
        if (p == s->n_params) {
            tyche_err_set(err, TYCHE_EINPUT, "--grid %s: no parameter of that name (see tyche describe)", names[k]);
            free(base_keep);
            free(keep);
            tyche_scenario_free(s);
            tyche_sensitivity_free(t);
            return NULL;
        }
    }
    t->is_sweep = 1;
    t->n_axes = n_axes;
    t->n_rows = n;
    t->param = tyche_calloc(n_axes, sizeof *t->param);
    t->axis = tyche_calloc(n_axes, sizeof *t->axis);
    t->counts = tyche_calloc(n_axes, sizeof *t->counts);
    t->p = tyche_calloc(n * t->n_stmt + 1, sizeof *t->p);
    t->se = tyche_calloc(n * t->n_stmt + 1, sizeof *t->se);
    t->dse = tyche_calloc(n * t->n_stmt + 1, sizeof *t->dse);
    if (!t->param || !t->axis || !t->counts || !t->p || !t->se || !t->dse) goto nomem;
    for (size_t k = 0; k < n_axes; k++) {
        t->param[k] = tyche_strdup(names[k]);
        t->axis[k] = tyche_malloc(counts[k] * sizeof(double));
        if (!t->param[k] || !t->axis[k]) goto nomem;
        memcpy(t->axis[k], values[k], counts[k] * sizeof(double));
        t->counts[k] = counts[k];
    }
    char sets[8][300];
    const char *extra[8];
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < n_axes; k++) {
            char v[TYCHE_NUMBER_CHARS];
            tyche_json_format_number(tyche_sweep_value(t, i, k), v); /* as for the tornado */
            snprintf(sets[k], sizeof sets[k], "%s=%s", names[k], v);
            extra[k] = sets[k];
        }
        if (run_one(s, extra, n_axes, cfg, t->p + i * t->n_stmt, t->se + i * t->n_stmt, keep, err)) {
            free(base_keep);
            free(keep);
            tyche_scenario_free(s);
            tyche_sensitivity_free(t);
            return NULL;
        }
        for (size_t j = 0; j < t->n_stmt; j++)
            t->dse[i * t->n_stmt + j] = paired_se(base_keep + j * cfg->trials, keep + j * cfg->trials, cfg->trials);
    }
    free(base_keep);
    free(keep);
    tyche_scenario_free(s);
    return t;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    free(base_keep);
    free(keep);
    tyche_scenario_free(s);
    tyche_sensitivity_free(t);
    return NULL;
}

size_t tyche_sensitivity_n_statements(const tyche_sensitivity *t) { return t->n_stmt; }
const char *tyche_sensitivity_statement(const tyche_sensitivity *t, size_t j) { return t->stmt[j]; }
double tyche_sensitivity_baseline(const tyche_sensitivity *t, size_t j) { return t->base[j]; }
size_t tyche_tornado_n(const tyche_sensitivity *t) { return t->is_sweep ? 0 : t->n_rows; }
const char *tyche_tornado_param(const tyche_sensitivity *t, size_t k) { return t->param[k]; }
void tyche_tornado_values(const tyche_sensitivity *t, size_t k, double *low, double *high) {
    *low = t->lo[k];
    *high = t->hi[k];
}
void tyche_tornado_prob(const tyche_sensitivity *t, size_t k, size_t j, double *p_low,
                        double *p_high) {
    *p_low = t->p[(2 * k) * t->n_stmt + j];
    *p_high = t->p[(2 * k + 1) * t->n_stmt + j];
}
double tyche_tornado_swing_se(const tyche_sensitivity *t, size_t k, size_t j) { return t->dse[k * t->n_stmt + j]; }
void tyche_sweep_diff(const tyche_sensitivity *t, size_t i, size_t j, double *diff, double *se) {
    *diff = t->p[i * t->n_stmt + j] - t->base[j];
    *se = t->dse[i * t->n_stmt + j];
}
int tyche_sensitivity_rare(const tyche_sensitivity *t, size_t j, uint64_t *n_true, uint64_t *of) {
    if (n_true) *n_true = t->base_true[j];
    if (of) *of = t->trials;
    return t->base_true[j] < TYCHE_SOBOL_RARE || t->trials - t->base_true[j] < TYCHE_SOBOL_RARE;
}
size_t tyche_sweep_n(const tyche_sensitivity *t) { return t->is_sweep ? t->n_rows : 0; }
void tyche_sweep_prob(const tyche_sensitivity *t, size_t i, size_t j, double *p, double *se) {
    *p = t->p[i * t->n_stmt + j];
    *se = t->se[i * t->n_stmt + j];
}
double tyche_sweep_value(const tyche_sensitivity *t, size_t i, size_t k) {
    /* row-major: the last axis varies fastest */
    size_t stride = 1;
    for (size_t l = t->n_axes; l-- > k + 1;) stride *= t->counts[l];
    return t->axis[k][(i / stride) % t->counts[k]];
}

/* ---- writers ---------------------------------------------------------------- */

tyche_status tyche_sensitivity_write_json(const tyche_sensitivity *t, const char *path,
                                          tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", t->file);
    cJSON_AddNumberToObject(root, "trials", (double)t->trials);
    cJSON_AddNumberToObject(root, "seed", (double)t->seed);
    cJSON *base = cJSON_AddObjectToObject(root, "baseline");
    for (size_t j = 0; j < t->n_stmt; j++) cJSON_AddNumberToObject(base, t->stmt[j], t->base[j]);
    cJSON *rare = cJSON_AddObjectToObject(root, "rare");
    for (size_t j = 0; j < t->n_stmt; j++) {
        uint64_t k1, of;
        if (!tyche_sensitivity_rare(t, j, &k1, &of)) continue;
        cJSON *x = cJSON_AddObjectToObject(rare, t->stmt[j]);
        cJSON_AddNumberToObject(x, "true_trials", (double)k1);
        cJSON_AddNumberToObject(x, "of_trials", (double)of);
    }
    if (!t->is_sweep) {
        cJSON *rows = cJSON_AddArrayToObject(root, "tornado");
        for (size_t k = 0; k < t->n_rows; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "parameter", t->param[k]);
            cJSON_AddNumberToObject(o, "low", t->lo[k]);
            cJSON_AddNumberToObject(o, "high", t->hi[k]);
            cJSON *st = cJSON_AddObjectToObject(o, "statements");
            for (size_t j = 0; j < t->n_stmt; j++) {
                double a, b;
                tyche_tornado_prob(t, k, j, &a, &b);
                cJSON *x = cJSON_AddObjectToObject(st, t->stmt[j]);
                cJSON_AddNumberToObject(x, "p_low", a);
                cJSON_AddNumberToObject(x, "p_high", b);
                cJSON_AddNumberToObject(x, "swing", b - a);
                cJSON_AddNumberToObject(x, "swing_se", tyche_tornado_swing_se(t, k, j));
            }
            tyche_json_push(rows, o);
        }
    } else {
        cJSON *axes = cJSON_AddArrayToObject(root, "axes");
        for (size_t k = 0; k < t->n_axes; k++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "parameter", t->param[k]);
            tyche_json_add(o, "values", cJSON_CreateDoubleArray(t->axis[k], (int)t->counts[k]));
            tyche_json_push(axes, o);
        }
        cJSON *pts = cJSON_AddArrayToObject(root, "points");
        for (size_t i = 0; i < t->n_rows; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON *at = cJSON_AddObjectToObject(o, "at");
            for (size_t k = 0; k < t->n_axes; k++)
                cJSON_AddNumberToObject(at, t->param[k], tyche_sweep_value(t, i, k));
            cJSON *st = cJSON_AddObjectToObject(o, "statements");
            for (size_t j = 0; j < t->n_stmt; j++) {
                double p, se;
                tyche_sweep_prob(t, i, j, &p, &se);
                cJSON *x = cJSON_AddObjectToObject(st, t->stmt[j]);
                cJSON_AddNumberToObject(x, "probability", p);
                cJSON_AddNumberToObject(x, "stderr", se);
                double df, dse;
                tyche_sweep_diff(t, i, j, &df, &dse);
                cJSON_AddNumberToObject(x, "diff", df);
                cJSON_AddNumberToObject(x, "diff_se", dse);
            }
            tyche_json_push(pts, o);
        }
    }
    char *text = tyche_json_print(root, failures, 0);
    return tyche_write_text_file(path, text, t->is_sweep ? "sweep JSON" : "tornado JSON", err);
}

tyche_status tyche_sensitivity_write_hdf5(const tyche_sensitivity *t, const char *path,
                                          tyche_err *err) {
    const char *what = t->is_sweep ? "sweep" : "tornado";
    hid_t f;
    char *tmp;
    tyche_status st = tyche_h5_create(path, what, &f, &tmp, err);
    if (st) return st;
    hid_t scales[9];
    int n_sc = 0, ok = 1;
    hsize_t dims[9];
    const size_t rows = t->n_rows;
    double *buf = tyche_malloc((2 * rows * t->n_stmt + t->n_stmt + rows + 1) * sizeof *buf);
    if (buf == NULL) ok = 0;
    if (ok && !t->is_sweep) {
        dims[0] = rows;
        scales[n_sc++] = tyche_h5_string_scale(f, "parameter", (const char *const *)t->param, rows);
    } else if (ok) {
        for (size_t k = 0; k < t->n_axes; k++) {
            dims[k] = t->counts[k];
            scales[n_sc++] = tyche_h5_double_scale(f, t->param[k], t->axis[k], t->counts[k], NULL);
        }
    }
    dims[n_sc] = t->n_stmt;
    if (ok) scales[n_sc] = tyche_h5_string_scale(f, "statement", (const char *const *)t->stmt, t->n_stmt);
    for (int k = 0; ok && k <= n_sc; k++) ok = scales[k] >= 0;
    if (ok) ok = tyche_h5_put(f, "baseline", t->base, 1, &dims[n_sc], &scales[n_sc], "1");
    if (ok && !t->is_sweep) {
        for (int side = 0; ok && side < 3; side++) {
            for (size_t k = 0; k < rows; k++)
                for (size_t j = 0; j < t->n_stmt; j++) {
                    double a, b;
                    tyche_tornado_prob(t, k, j, &a, &b);
                    buf[k * t->n_stmt + j] = side == 0 ? a : side == 1 ? b : b - a;
                }
            ok = tyche_h5_put(f, side == 0 ? "p_low" : side == 1 ? "p_high" : "swing", buf, 2, dims,
                              scales, "1");
        }
        if (ok) ok = tyche_h5_put(f, "low_value", t->lo, 1, dims, scales, NULL) &&
                     tyche_h5_put(f, "high_value", t->hi, 1, dims, scales, NULL) &&
                     tyche_h5_put(f, "swing_se", t->dse, 2, dims, scales, "1");
    } else if (ok) {
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < t->n_stmt; j++) buf[i * t->n_stmt + j] = t->p[i * t->n_stmt + j] - t->base[j];
        ok = tyche_h5_put(f, "probability", t->p, n_sc + 1, dims, scales, "1") &&
             tyche_h5_put(f, "stderr", t->se, n_sc + 1, dims, scales, "1") &&
             tyche_h5_put(f, "diff", buf, n_sc + 1, dims, scales, "1") &&
             tyche_h5_put(f, "diff_se", t->dse, n_sc + 1, dims, scales, "1");
    }
    if (ok) ok = H5LTset_attribute_string(f, "/", "scenario", t->file) >= 0 &&
                 H5LTset_attribute_string(f, "/", "kind", t->is_sweep ? "sweep" : "tornado") >= 0 &&
                 H5LTset_attribute_string(f, "/", "tyche_version", tyche_version()) >= 0;
    for (int k = 0; k <= n_sc && buf; k++)
        if (scales[k] >= 0) H5Dclose(scales[k]);
    const int oom = buf == NULL;
    free(buf);
    st = tyche_h5_finish(f, tmp, path, ok, what, err);
    return oom ? tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the %s", what) : st;
}
