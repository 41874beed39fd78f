/* Tornado and sweep (see include/tyche/sensitivity.h).  The scenario is
 * loaded once; each run is a variant of it with --set overrides added to
 * the user's (tyche_scenario_with_overrides), run with the same seed and
 * --store none; only statement probabilities are kept. */
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
    free(t->file);
    free(t);
}

/* One run of `s`; fills probabilities (and standard errors) per statement. */
static tyche_status run_scenario(const tyche_scenario *s, const tyche_tornado_config *cfg,
                                 double *p, double *se, tyche_err *err) {
    tyche_run_config rc;
    tyche_run_config_init(&rc);
    rc.trials = cfg->trials;
    rc.seed = cfg->seed;
    rc.threads = cfg->threads;
    rc.rng = cfg->rng;
    rc.store = TYCHE_STORE_NONE;
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
                            const tyche_tornado_config *cfg, double *p, double *se,
                            tyche_err *err) {
    tyche_err local;
    tyche_scenario *s = tyche_scenario_with_overrides(base, extra, n_extra, &local);
    if (s == NULL) {
        if (err) *err = local;
        return local.code;
    }
    const tyche_status st = run_scenario(s, cfg, p, se, err);
    tyche_scenario_free(s);
    return st;
}

/* The baseline: statement ids and probabilities. */
static tyche_sensitivity *start(const char *file, const tyche_scenario_options *opt,
                                const tyche_tornado_config *cfg, tyche_scenario **sc,
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
    if (run_scenario(s, cfg, t->base, NULL, err)) {
        tyche_sensitivity_free(t);
        tyche_scenario_free(s);
        return NULL;
    }
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
    tyche_sensitivity *t = start(file, opt, cfg, &s, err);
    if (t == NULL) return NULL;
    size_t nu = 0;
    for (size_t i = 0; i < s->n_params; i++) nu += !tyche_dist_is_fixed(&s->params[i].prior);
    /* parameters drawn from a calibration posterior are not varied: fixing one
     * would leave the posterior without its prior */
    t->param = tyche_calloc(nu + 1, sizeof *t->param);
    t->lo = tyche_calloc(nu + 1, sizeof *t->lo);
    t->hi = tyche_calloc(nu + 1, sizeof *t->hi);
    t->p = tyche_calloc(2 * nu * t->n_stmt + 1, sizeof *t->p);
    t->se = tyche_calloc(2 * nu * t->n_stmt + 1, sizeof *t->se);
    if (!t->param || !t->lo || !t->hi || !t->p || !t->se) {
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < s->n_params; i++) {
        const tyche_param *pa = &s->params[i];
        if (tyche_dist_is_fixed(&pa->prior)) continue;
        if (pa->model != (size_t)-1 &&
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
            if (run_one(s, extra, 1, cfg, pp, ss, err)) goto fail;
        }
    }
    tyche_scenario_free(s);
    return t;
fail:
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
    tyche_sensitivity *t = start(file, opt, cfg, &s, err);
    if (t == NULL) return NULL;
    for (size_t k = 0; k < n_axes; k++) {
        size_t p = 0;
        while (p < s->n_params && strcmp(s->params[p].name, names[k]) != 0) p++;
        if (p == s->n_params) {
            tyche_err_set(err, TYCHE_EINPUT, "--grid %s: no parameter of that name (see tyche describe)", names[k]);
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
    if (!t->param || !t->axis || !t->counts || !t->p || !t->se) goto nomem;
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
        if (run_one(s, extra, n_axes, cfg, t->p + i * t->n_stmt, t->se + i * t->n_stmt, err)) {
            tyche_scenario_free(s);
            tyche_sensitivity_free(t);
            return NULL;
        }
    }
    tyche_scenario_free(s);
    return t;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
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
                     tyche_h5_put(f, "high_value", t->hi, 1, dims, scales, NULL);
    } else if (ok) {
        ok = tyche_h5_put(f, "probability", t->p, n_sc + 1, dims, scales, "1") &&
             tyche_h5_put(f, "stderr", t->se, n_sc + 1, dims, scales, "1");
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
