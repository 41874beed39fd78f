/* Sobol indices by Saltelli sampling and Jansen's estimators (the essay is
 * in include/tyche/sensitivity.h).  Rows are simulated in parallel, each
 * writing its own slots, and the estimators run serially afterwards, so the
 * indices do not depend on the thread count. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <cjson/cJSON.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "h5util.h"
#include "run_impl.h"
#include "json_util.h"

struct tyche_sobol {
    size_t n_t, d;
    char **target, **param;
    double *first, *total;    /* n_t x d x 3 (estimate, low, high) */
    double *var, *rem;        /* n_t */
    char *file;
    uint64_t base, seed;
};

void tyche_sobol_free(tyche_sobol *t) {
    if (t == NULL) return;
    for (size_t i = 0; t->target && i < t->n_t; i++) free(t->target[i]);
    for (size_t k = 0; t->param && k < t->d; k++) free(t->param[k]);
    free(t->target);
    free(t->param);
    free(t->first);
    free(t->total);
    free(t->var);
    free(t->rem);
    free(t->file);
    free(t);
}

size_t tyche_sobol_n_targets(const tyche_sobol *t) { return t->n_t; }
const char *tyche_sobol_target(const tyche_sobol *t, size_t i) { return t->target[i]; }
size_t tyche_sobol_n_params(const tyche_sobol *t) { return t->d; }
const char *tyche_sobol_param(const tyche_sobol *t, size_t k) { return t->param[k]; }
double tyche_sobol_variance(const tyche_sobol *t, size_t i) { return t->var[i]; }
double tyche_sobol_remainder(const tyche_sobol *t, size_t i) { return t->rem[i]; }
void tyche_sobol_index(const tyche_sobol *t, size_t i, size_t k, double first[3], double total[3]) {
    memcpy(first, t->first + (i * t->d + k) * 3, 3 * sizeof(double));
    memcpy(total, t->total + (i * t->d + k) * 3, 3 * sizeof(double));
}

/* Jansen's estimators over the rows idx[0..n-1] of target values fA, fB,
 * fAB (d x N); writes S and ST (d each); returns V. */
static double estimate(const double *fA, const double *fB, const double *fAB, size_t N, size_t d,
                       const size_t *idx, size_t n, double *S, double *ST) {
    double sum = 0, sum2 = 0;
    for (size_t r = 0; r < n; r++) {
        const size_t j = idx ? idx[r] : r;
        sum += fA[j] + fB[j];
        sum2 += fA[j] * fA[j] + fB[j] * fB[j];
    }
    const double mean = sum / (2.0 * n), V = sum2 / (2.0 * n) - mean * mean;
    for (size_t k = 0; k < d; k++) {
        double a = 0, b = 0;
        const double *ab = fAB + k * N;
        for (size_t r = 0; r < n; r++) {
            const size_t j = idx ? idx[r] : r;
            a += (fB[j] - ab[j]) * (fB[j] - ab[j]);
            b += (fA[j] - ab[j]) * (fA[j] - ab[j]);
        }
        S[k] = V > 0 ? (V - a / (2.0 * n)) / V : NAN;
        ST[k] = V > 0 ? b / (2.0 * n) / V : NAN;
    }
    return V;
}

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

tyche_sobol *tyche_sobol_run(const char *file, const tyche_scenario_options *opt,
                             const tyche_sobol_config *cfg, tyche_err *err) {
    tyche_scenario *s = tyche_scenario_load_with(file, opt, err);
    if (s == NULL) return NULL;
    tyche_sobol *t = NULL;
    double *f = NULL, *boot = NULL;
    size_t *tgt_out = NULL, *upar = NULL;
    if (s->n_groups) {
        tyche_err_set(err, TYCHE_EINPUT, "sobol: the scenario's parameters are correlated; these indices need independent ones");
        goto fail;
    }
    for (size_t m = 0; m < s->n_models; m++)
        if (s->models[m].layout.posterior) {
            tyche_err_set(err, TYCHE_EINPUT,
                          "sobol: model %s is calibrated on history (settings.calibration): its "
                          "parameters come from a posterior these indices cannot vary",
                          s->models[m].name);
            goto fail;
        }
    if (s->n_conditions) {
        tyche_err_set(err, TYCHE_EINPUT, "sobol: the scenario conditions on observed non-events; run it without \"observed\"");
        goto fail;
    }
    if (cfg->base < 100 || cfg->base > 10000000) {
        tyche_err_set(err, TYCHE_EINPUT, "--base: expected 100 to 10000000");
        goto fail;
    }
    t = tyche_calloc(1, sizeof *t);
    if (t == NULL) goto nomem;
    /* targets: the statements, then the chosen outputs */
    const size_t ns = s->n_statements, no = cfg->n_outputs;
    t->n_t = ns + no;
    tgt_out = tyche_calloc(no + 1, sizeof *tgt_out);
    t->target = tyche_calloc(t->n_t + 1, sizeof *t->target);
    if (!tgt_out || !t->target) goto nomem;
    for (size_t i = 0; i < ns; i++)
        if ((t->target[i] = tyche_strdup(s->statements[i].id)) == NULL) goto nomem;
    for (size_t i = 0; i < no; i++) {
        tgt_out[i] = tyche_scenario_find_output(s, cfg->outputs[i]);
        if (tgt_out[i] == (size_t)-1) {
            tyche_err_set(err, TYCHE_EINPUT, "--target: no output named \"%s\"", cfg->outputs[i]);
            goto fail;
        }
        if ((t->target[ns + i] = tyche_strdup(cfg->outputs[i])) == NULL) goto nomem;
    }
    /* the uncertain parameters */
    upar = tyche_calloc(s->n_params + 1, sizeof *upar);
    t->param = tyche_calloc(s->n_params + 1, sizeof *t->param);
    if (!upar || !t->param) goto nomem;
    for (size_t p = 0; p < s->n_params; p++)
        if (!tyche_dist_is_fixed(&s->params[p].prior)) {
            upar[t->d] = p;
            if ((t->param[t->d++] = tyche_strdup(s->params[p].name)) == NULL) goto nomem;
        }
    if (t->d == 0) {
        tyche_err_set(err, TYCHE_EINPUT, "sobol: the scenario has no uncertain parameter");
        goto fail;
    }
    const size_t N = (size_t)cfg->base, d = t->d, nt = t->n_t, cols = d + 2;
    /* f[target][col][row]: col 0 = A, 1 = B, 2 + k = AB_k */
    f = tyche_malloc(nt * cols * N * sizeof *f);
    if (f == NULL) {
        tyche_err_set(err, TYCHE_EINPUT, "--base %zu: the %zu x %zu evaluations do not fit in memory", N, nt, cols);
        goto fail;
    }
    int threads = cfg->threads;
#ifdef _OPENMP
    if (threads <= 0) threads = omp_get_num_procs();
#else
    threads = 1;
#endif
    int failed = 0;
#pragma omp parallel num_threads(threads) reduction(| : failed)
    {
        tyche_err e2;
        tyche_rng *rng = tyche_rng_alloc(cfg->rng, cfg->seed, &e2);
        tyche_runner *runner = tyche_runner_alloc(s, cfg->rng, cfg->seed, &e2);
        double *pa = tyche_malloc((s->n_params + 1) * sizeof *pa), *pb = tyche_malloc((s->n_params + 1) * sizeof *pb);
        double *pab = tyche_malloc((s->n_params + 1) * sizeof *pab), *out = tyche_malloc((s->n_outputs + 1) * sizeof *out);
        uint8_t *st = tyche_malloc(ns + 1), *stack = tyche_malloc(s->max_stack + 1);
        int ok = rng && runner && pa && pb && pab && out && st && stack;
        if (!ok) failed = 1;
#pragma omp for schedule(dynamic, 64)
        for (size_t j = 0; j < N; j++) {
            if (!ok) continue;
            /* A from trial j's parameter streams, B from trial N + j's */
            for (size_t p = 0; p < s->n_params; p++) {
                const tyche_dist *dist = &s->params[p].prior;
                if (tyche_dist_is_fixed(dist)) {
                    pa[p] = pb[p] = tyche_dist_quantile(dist, 0.5);
                    continue;
                }
                tyche_rng_seek(rng, j, TYCHE_STREAM_PARAM0 + (uint32_t)p, 0);
                pa[p] = tyche_dist_quantile(dist, gsl_rng_uniform_pos(tyche_rng_gsl(rng)));
                tyche_rng_seek(rng, N + j, TYCHE_STREAM_PARAM0 + (uint32_t)p, 0);
                pb[p] = tyche_dist_quantile(dist, gsl_rng_uniform_pos(tyche_rng_gsl(rng)));
            }
            for (size_t c = 0; c < cols; c++) {
                const double *pp = c == 0 ? pa : c == 1 ? pb : pab;
                if (c >= 2) {
                    memcpy(pab, pa, s->n_params * sizeof *pab);
                    pab[upar[c - 2]] = pb[upar[c - 2]];
                }
                /* A and its AB_k share trial j's process noise; B has its own */
                tyche_runner_given(s, runner, c == 1 ? N + j : j, pp, out, st);
                for (size_t i = 0; i < ns; i++) f[(i * cols + c) * N + j] = st[i];
                for (size_t i = 0; i < no; i++) f[((ns + i) * cols + c) * N + j] = out[tgt_out[i]];
            }
        }
        tyche_runner_free(s, runner);
        free(pa);
        free(pb);
        free(pab);
        free(out);
        free(st);
        free(stack);
        tyche_rng_free(rng);
    }
    if (failed) goto nomem;
    for (size_t i = 0; i < no; i++)
        for (size_t c = 0; c < cols * N; c++)
            if (!isfinite(f[(ns + i) * cols * N + c])) {
                tyche_err_set(err, TYCHE_EINPUT,
                              "--target %s: has missing values (an event that did not happen, a window without a deal): its variance is undefined",
                              cfg->outputs[i]);
                goto fail;
            }
    t->first = tyche_malloc(nt * d * 3 * sizeof *t->first);
    t->total = tyche_malloc(nt * d * 3 * sizeof *t->total);
    t->var = tyche_malloc(nt * sizeof *t->var);
    t->rem = tyche_malloc(nt * sizeof *t->rem);
    const int B = cfg->bootstrap > 0 ? cfg->bootstrap : 200;
    boot = tyche_malloc(((size_t)B * 2 * d + 2 * d + N) * sizeof *boot);
    size_t *idx = tyche_malloc(N * sizeof *idx);
    gsl_rng *br = gsl_rng_alloc(gsl_rng_mt19937);
    if (!t->first || !t->total || !t->var || !t->rem || !boot || !idx || !br) {
        free(idx);
        gsl_rng_free(br);
        goto nomem;
    }
    double *S = boot + (size_t)B * 2 * d, *ST = S + d;
    for (size_t i = 0; i < nt; i++) {
        const double *fA = f + (i * cols + 0) * N, *fB = f + (i * cols + 1) * N, *fAB = f + (i * cols + 2) * N;
        t->var[i] = estimate(fA, fB, fAB, N, d, NULL, N, S, ST);
        double sum_s = 0;
        for (size_t k = 0; k < d; k++) {
            t->first[(i * d + k) * 3] = S[k];
            t->total[(i * d + k) * 3] = ST[k];
            sum_s += S[k];
        }
        t->rem[i] = t->var[i] > 0 ? 1 - sum_s : NAN;
        /* the same resamples for every target: seeded by the run's seed */
        gsl_rng_set(br, (unsigned long)(cfg->seed ^ 0x5bd1e995UL));
        for (int b = 0; b < B; b++) {
            for (size_t r = 0; r < N; r++) idx[r] = (size_t)gsl_rng_uniform_int(br, N);
            estimate(fA, fB, fAB, N, d, idx, N, S, ST);
            for (size_t k = 0; k < d; k++) {
                boot[(size_t)b * 2 * d + k] = S[k];
                boot[(size_t)b * 2 * d + d + k] = ST[k];
            }
        }
        double *col = tyche_malloc((size_t)B * sizeof *col);
        for (size_t k = 0; col && k < 2 * d; k++) {
            int n = 0;
            for (int b = 0; b < B; b++) {
                const double v = boot[(size_t)b * 2 * d + k];
                if (!isnan(v)) col[n++] = v;
            }
            double *dst = k < d ? t->first + (i * d + k) * 3 : t->total + (i * d + k - d) * 3;
            if (n == 0) {
                dst[1] = dst[2] = NAN;
                continue;
            }
            qsort(col, (size_t)n, sizeof *col, cmp_dbl);
            dst[1] = col[(size_t)(0.025 * (n - 1))];
            dst[2] = col[(size_t)ceil(0.975 * (n - 1))];
        }
        free(col);
    }
    free(idx);
    gsl_rng_free(br);
    t->file = tyche_strdup(file);
    t->base = cfg->base;
    t->seed = cfg->seed;
    free(f);
    free(boot);
    free(tgt_out);
    free(upar);
    tyche_scenario_free(s);
    return t;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
fail:
    free(f);
    free(boot);
    free(tgt_out);
    free(upar);
    tyche_sobol_free(t);
    tyche_scenario_free(s);
    return NULL;
}

tyche_status tyche_sobol_write_json(const tyche_sobol *t, const char *path, tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", t->file);
    cJSON_AddNumberToObject(root, "base", (double)t->base);
    cJSON_AddNumberToObject(root, "seed", (double)t->seed);
    cJSON *ts = cJSON_AddObjectToObject(root, "targets");
    for (size_t i = 0; i < t->n_t; i++) {
        cJSON *o = cJSON_AddObjectToObject(ts, t->target[i]);
        tyche_json_add(o, "variance", isfinite(t->var[i]) ? cJSON_CreateNumber(t->var[i]) : cJSON_CreateNull());
        tyche_json_add(o, "remainder", isfinite(t->rem[i]) ? cJSON_CreateNumber(t->rem[i]) : cJSON_CreateNull());
        cJSON *ps = cJSON_AddObjectToObject(o, "parameters");
        for (size_t k = 0; k < t->d; k++) {
            double a[3], b[3];
            tyche_sobol_index(t, i, k, a, b);
            cJSON *x = cJSON_AddObjectToObject(ps, t->param[k]);
            tyche_json_add(x, "first", cJSON_CreateDoubleArray(a, 3));
            tyche_json_add(x, "total", cJSON_CreateDoubleArray(b, 3));
        }
    }
    char *text = tyche_json_print(root, failures, 0);
    return tyche_write_text_file(path, text, "Sobol JSON", err);
}

tyche_status tyche_sobol_write_hdf5(const tyche_sobol *t, const char *path, tyche_err *err) {
    hid_t fh;
    char *tmp;
    tyche_status st = tyche_h5_create(path, "Sobol indices", &fh, &tmp, err);
    if (st) return st;
    const hsize_t dims[2] = {t->n_t, t->d};
    hid_t sc[2] = {tyche_h5_string_scale(fh, "target", (const char *const *)t->target, t->n_t),
                   tyche_h5_string_scale(fh, "parameter", (const char *const *)t->param, t->d)};
    double *v = tyche_malloc(t->n_t * t->d * sizeof *v);
    int ok = sc[0] >= 0 && sc[1] >= 0 && v;
    static const char *names[6] = {"first_order", "first_order_low", "first_order_high",
                                   "total", "total_low", "total_high"};
    for (int q = 0; ok && q < 6; q++) {
        const double *src = q < 3 ? t->first : t->total;
        for (size_t i = 0; i < t->n_t * t->d; i++) v[i] = src[i * 3 + (size_t)(q % 3)];
        ok = tyche_h5_put(fh, names[q], v, 2, dims, sc, "1");
    }
    if (ok) ok = tyche_h5_put(fh, "remainder", t->rem, 1, dims, sc, "1") &&
                 tyche_h5_put(fh, "variance", t->var, 1, dims, sc, NULL) &&
                 H5LTset_attribute_string(fh, "/", "scenario", t->file) >= 0 &&
                 H5LTset_attribute_string(fh, "/", "kind", "sobol") >= 0;
    for (int k = 0; k < 2; k++)
        if (sc[k] >= 0) H5Dclose(sc[k]);
    const int oom = v == NULL;
    free(v);
    st = tyche_h5_finish(fh, tmp, path, ok, "Sobol indices", err);
    return oom ? tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the Sobol indices") : st;
}
