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
#include "kind.h"
#include "run_impl.h"
#include "json_util.h"

struct tyche_sobol {
    size_t n_t, d, n_s;       /* targets, parameters, statements (the first n_s targets) */
    char **target, **param;
    double *first, *total;    /* n_t x d x 3 (estimate, low, high) */
    double *var, *rem;        /* n_t */
    uint64_t *n_true;         /* n_t: trials true among the A and B evaluations (statements) */
    /* the probability view (inner > 0): indices of p(theta) = P(statement |
     * parameters), per statement */
    uint64_t inner;
    double *pfirst, *ptotal;  /* n_s x d x 3 */
    double *pvar, *prem;      /* n_s */
    uint64_t *p_true;         /* n_s: inner trials true at the A and B points */
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
    free(t->n_true);
    free(t->pfirst);
    free(t->ptotal);
    free(t->pvar);
    free(t->prem);
    free(t->p_true);
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
uint64_t tyche_sobol_inner(const tyche_sobol *t) { return t->inner; }
size_t tyche_sobol_n_statements(const tyche_sobol *t) { return t->n_s; }
void tyche_sobol_prob_index(const tyche_sobol *t, size_t j, size_t k, double first[3], double total[3]) {
    memcpy(first, t->pfirst + (j * t->d + k) * 3, 3 * sizeof(double));
    memcpy(total, t->ptotal + (j * t->d + k) * 3, 3 * sizeof(double));
}
double tyche_sobol_prob_variance(const tyche_sobol *t, size_t j) { return t->pvar[j]; }
double tyche_sobol_prob_remainder(const tyche_sobol *t, size_t j) { return t->prem[j]; }

/* Too few trials of one outcome for a variance to mean anything. */
static int too_rare(uint64_t n_true, uint64_t of) {
    return n_true < TYCHE_SOBOL_RARE || of - n_true < TYCHE_SOBOL_RARE;
}
int tyche_sobol_rare(const tyche_sobol *t, size_t i, uint64_t *n_true, uint64_t *of) {
    if (i >= t->n_s) return 0; /* an output, not a yes/no statement */
    if (n_true) *n_true = t->n_true[i];
    if (of) *of = 2 * t->base;
    return too_rare(t->n_true[i], 2 * t->base);
}
int tyche_sobol_prob_rare(const tyche_sobol *t, size_t j, uint64_t *n_true, uint64_t *of) {
    if (n_true) *n_true = t->p_true[j];
    if (of) *of = 2 * t->base * t->inner;
    return too_rare(t->p_true[j], 2 * t->base * t->inner);
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

/* The probability view's estimators over rows idx[0..n-1] (all N when idx
 * is NULL): f holds the inner means p-hat at A (col 0), B (col 1) and AB_k
 * (col 2 + k), v their noise variances p-hat (1 - p-hat) / (M - 1) at A and
 * B, cB the noise covariance of p-hat(B) with p-hat(AB_k) - p-hat(A) and dA
 * the noise variance of p-hat(A) - p-hat(AB_k) (inner sample moments / M:
 * the points of a row share their inner trials).  Subtracting them makes
 * every term unbiased for the noise-free p(theta), e.g. E[(fA - fAB)^2] =
 * (pA - pAB)^2 + Var(noise of the difference).  First order is Saltelli's
 * (2010) E[f(B) (f(AB_k) - f(A))]: exactly 0 for a parameter that changes
 * nothing (A and AB_k then share every inner trial), where Jansen's V -
 * E[(f(B) - f(AB_k))^2] / 2 is a difference of two large terms.  Total is
 * Jansen's.  Writes S and ST; returns V, the variance of p(theta). */
static double estimate_p(const double *f, const double *v, const double *cB, const double *dA, size_t N,
                         size_t d, const size_t *idx, size_t n, double *S, double *ST) {
    const double *fA = f, *fB = f + N, *vA = v, *vB = v + N;
    double sum = 0, sum2 = 0, noise = 0;
    for (size_t r = 0; r < n; r++) {
        const size_t j = idx ? idx[r] : r;
        sum += fA[j] + fB[j];
        sum2 += fA[j] * fA[j] + fB[j] * fB[j];
        noise += vA[j] + vB[j];
    }
    const double mean = sum / (2.0 * n), V = sum2 / (2.0 * n) - mean * mean - noise / (2.0 * n);
    for (size_t k = 0; k < d; k++) {
        double a = 0, b = 0;
        const double *ab = f + (2 + k) * N, *cb = cB + k * N, *da = dA + k * N;
        for (size_t r = 0; r < n; r++) {
            const size_t j = idx ? idx[r] : r;
            a += fB[j] * (ab[j] - fA[j]) - cb[j];
            b += (fA[j] - ab[j]) * (fA[j] - ab[j]) - da[j];
        }
        S[k] = V > 0 ? a / n / V : NAN;
        ST[k] = V > 0 ? b / (2.0 * n) / V : NAN;
    }
    return V;
}

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The threads a run of cfg uses: its count, or every core. */
static int sobol_threads(const tyche_sobol_config *cfg) {
#ifdef _OPENMP
    return cfg->threads > 0 ? cfg->threads : omp_get_num_procs();
#else
    (void)cfg;
    return 1;
#endif
}

/* An estimator over resampled rows (idx NULL: all of them); returns V. */
typedef double (*estimator_fn)(const void *ctx, const size_t *idx, size_t n, double *S, double *ST);

typedef struct {
    const double *fA, *fB, *fAB;
    size_t N, d;
} ind_ctx;
static double ind_estimate(const void *vc, const size_t *idx, size_t n, double *S, double *ST) {
    const ind_ctx *c = vc;
    return estimate(c->fA, c->fB, c->fAB, c->N, c->d, idx, n, S, ST);
}

typedef struct {
    const double *f, *v, *cB, *dA;
    size_t N, d;
} p_ctx;
static double p_estimate(const void *vc, const size_t *idx, size_t n, double *S, double *ST) {
    const p_ctx *c = vc;
    return estimate_p(c->f, c->v, c->cB, c->dA, c->N, c->d, idx, n, S, ST);
}

/* The estimates of one target and their 95% percentile-bootstrap intervals
 * over the N rows (B resamples, the same for every target: seeded by the
 * run's seed), into first and total (d x 3 each), *var and *rem (1 - the
 * sum of first-order indices).  boot holds B 2 d + 2 d + N doubles; idx N.
 * Returns 0, or -1 out of memory. */
static int intervals(estimator_fn est, const void *ctx, size_t N, size_t d, int B, uint64_t seed, double *boot,
                     size_t *idx, gsl_rng *br, double *first, double *total, double *var, double *rem) {
    double *S = boot + (size_t)B * 2 * d, *ST = S + d;
    *var = est(ctx, NULL, N, S, ST);
    double sum_s = 0;
    for (size_t k = 0; k < d; k++) {
        first[k * 3] = S[k];
        total[k * 3] = ST[k];
        sum_s += S[k];
    }
    *rem = *var > 0 ? 1 - sum_s : NAN;
    gsl_rng_set(br, (unsigned long)(seed ^ 0x5bd1e995UL));
    for (int b = 0; b < B; b++) {
        for (size_t r = 0; r < N; r++) idx[r] = (size_t)gsl_rng_uniform_int(br, N);
        est(ctx, idx, N, S, ST);
        for (size_t k = 0; k < d; k++) {
            boot[(size_t)b * 2 * d + k] = S[k];
            boot[(size_t)b * 2 * d + d + k] = ST[k];
        }
    }
    double *col = tyche_malloc((size_t)B * sizeof *col);
    if (col == NULL) return -1;
    for (size_t k = 0; k < 2 * d; k++) {
        int n = 0;
        for (int b = 0; b < B; b++) {
            const double v = boot[(size_t)b * 2 * d + k];
            if (!isnan(v)) col[n++] = v;
        }
        double *dst = k < d ? first + k * 3 : total + (k - d) * 3;
        if (n == 0) {
            dst[1] = dst[2] = NAN;
            continue;
        }
        qsort(col, (size_t)n, sizeof *col, cmp_dbl);
        dst[1] = col[(size_t)(0.025 * (n - 1))];
        dst[2] = col[(size_t)ceil(0.975 * (n - 1))];
    }
    free(col);
    return 0;
}

/* The parameters of outer row j: A from trial j's parameter streams, B
 * from trial N + j's (fixed parameters at their value). */
static void outer_row(const tyche_scenario *s, tyche_rng *rng, size_t N, size_t j, double *pa, double *pb) {
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
}

/* The probability view: for each outer row (the same A and B as the
 * indicator view) and each of its d + 2 points, M = cfg->inner trials of
 * process noise at those parameters; the points of a row share their inner
 * trials (trials 2N + jM .. 2N + jM + M - 1: common random numbers, so a
 * difference between two points is mostly the parameters'), rows have
 * their own.  Then Jansen's estimators with the noise terms taken out
 * (estimate_p). */
static tyche_status probability_view(const tyche_scenario *s, const tyche_sobol_config *cfg, tyche_sobol *t,
                                     const size_t *upar, size_t N, size_t d, int B, double *boot, size_t *idx,
                                     gsl_rng *br, tyche_err *err) {
    const size_t ns = s->n_statements, cols = d + 2, M = (size_t)cfg->inner;
    t->inner = cfg->inner;
    t->pfirst = tyche_malloc(ns * d * 3 * sizeof *t->pfirst);
    t->ptotal = tyche_malloc(ns * d * 3 * sizeof *t->ptotal);
    t->pvar = tyche_malloc(ns * sizeof *t->pvar);
    t->prem = tyche_malloc(ns * sizeof *t->prem);
    t->p_true = tyche_calloc(ns + 1, sizeof *t->p_true);
    /* per statement: p-hat at every point (cols x N), the A and B points'
     * noise variances (2 x N), the pairs' (d x N each) */
    const size_t per = cols * N + 2 * N + 2 * d * N;
    double *mem = tyche_malloc(ns * per * sizeof *mem + 1);
    if (!t->pfirst || !t->ptotal || !t->pvar || !t->prem || !t->p_true || !mem) {
        free(mem);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    const int threads = sobol_threads(cfg);
    int failed = 0;
#pragma omp parallel num_threads(threads) reduction(| : failed)
    {
        tyche_err e2;
        tyche_rng *rng = tyche_rng_alloc(cfg->rng, cfg->seed, &e2);
        tyche_runner *runner = tyche_runner_alloc(s, cfg->rng, cfg->seed, &e2);
        double *pa = tyche_malloc((s->n_params + 1) * sizeof *pa), *pb = tyche_malloc((s->n_params + 1) * sizeof *pb);
        double *pab = tyche_malloc((s->n_params + 1) * sizeof *pab);
        uint8_t *ind = tyche_malloc(cols * ns * TYCHE_LANES + 1);
        /* a row's sums: per point and statement the count true; per
         * parameter k and statement the sums of AB_k - A, of B (AB_k - A) and
         * of (AB_k - A)^2 over the inner trials */
        double *cnt = tyche_malloc((cols * ns + 3 * d * ns + 1) * sizeof *cnt);
        int ok = rng && runner && pa && pb && pab && ind && cnt;
        if (!ok) failed = 1;
#pragma omp for schedule(dynamic, 1)
        for (size_t j = 0; j < N; j++) {
            if (!ok || (cfg->cancel && *cfg->cancel)) continue;
            outer_row(s, rng, N, j, pa, pb);
            memset(cnt, 0, (cols * ns + 3 * d * ns) * sizeof *cnt);
            double *sD = cnt + cols * ns, *sBD = sD + d * ns, *sDD = sBD + d * ns;
            for (size_t m0 = 0; m0 < M; m0 += TYCHE_LANES) {
                const size_t n = M - m0 < TYCHE_LANES ? M - m0 : TYCHE_LANES;
                for (size_t c = 0; c < cols; c++) {
                    const double *pp = c == 0 ? pa : c == 1 ? pb : pab;
                    if (c >= 2) {
                        memcpy(pab, pa, s->n_params * sizeof *pab);
                        pab[upar[c - 2]] = pb[upar[c - 2]];
                    }
                    tyche_runner_given_lanes(s, runner, 2 * (uint64_t)N + (uint64_t)j * M + m0, n, pp,
                                             ind + c * ns * TYCHE_LANES);
                }
                for (size_t q = 0; q < ns; q++) {
                    const uint8_t *ia = ind + (0 * ns + q) * TYCHE_LANES, *ib = ind + (1 * ns + q) * TYCHE_LANES;
                    for (size_t c = 0; c < cols; c++) {
                        const uint8_t *ic = ind + (c * ns + q) * TYCHE_LANES;
                        unsigned tot = 0;
                        for (size_t i = 0; i < n; i++) tot += ic[i];
                        cnt[c * ns + q] += tot;
                    }
                    for (size_t k = 0; k < d; k++) {
                        const uint8_t *ik = ind + ((2 + k) * ns + q) * TYCHE_LANES;
                        int dd = 0, bd = 0, d2 = 0;
                        for (size_t i = 0; i < n; i++) {
                            const int x = (int)ik[i] - (int)ia[i];
                            dd += x, bd += (int)ib[i] * x, d2 += x * x;
                        }
                        sD[k * ns + q] += dd, sBD[k * ns + q] += bd, sDD[k * ns + q] += d2;
                    }
                }
            }
            const double Md = (double)M;
            for (size_t q = 0; q < ns; q++) {
                double *fq = mem + q * per, *vq = fq + cols * N, *cBq = vq + 2 * N, *dAq = cBq + d * N;
                for (size_t c = 0; c < cols; c++) fq[c * N + j] = cnt[c * ns + q] / Md;
                for (size_t c = 0; c < 2; c++) {
                    const double ph = fq[c * N + j];
                    vq[c * N + j] = M > 1 ? ph * (1 - ph) / (Md - 1) : 0;
                }
                const double mb = cnt[1 * ns + q] / Md;
                for (size_t k = 0; k < d; k++) {
                    /* the inner sample covariance and variance of the means, over M */
                    const double md = sD[k * ns + q] / Md;
                    cBq[k * N + j] = M > 1 ? (sBD[k * ns + q] - Md * mb * md) / (Md - 1) / Md : 0;
                    dAq[k * N + j] = M > 1 ? (sDD[k * ns + q] - Md * md * md) / (Md - 1) / Md : 0;
                }
            }
        }
        tyche_runner_free(s, runner);
        free(pa);
        free(pb);
        free(pab);
        free(ind);
        free(cnt);
        tyche_rng_free(rng);
    }
    if (failed) {
        free(mem);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    if (cfg->cancel && *cfg->cancel) {
        free(mem);
        return tyche_err_set(err, TYCHE_ERUN, "interrupted");
    }
    for (size_t q = 0; q < ns; q++) {
        const double *fq = mem + q * per, *vq = fq + cols * N, *cBq = vq + 2 * N, *dAq = cBq + d * N;
        for (size_t j = 0; j < 2 * N; j++) t->p_true[q] += (uint64_t)llround(fq[j] * (double)M);
        const p_ctx c = {fq, vq, cBq, dAq, N, d};
        if (intervals(p_estimate, &c, N, d, B, cfg->seed, boot, idx, br, t->pfirst + q * d * 3, t->ptotal + q * d * 3,
                      &t->pvar[q], &t->prem[q])) {
            free(mem);
            return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        }
    }
    free(mem);
    return TYCHE_OK;
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
    if (cfg->inner == 1) {
        tyche_err_set(err, TYCHE_EINPUT, "--inner: expected 0 or at least 2");
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
    const int threads = sobol_threads(cfg);
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
            if (!ok || (cfg->cancel && *cfg->cancel)) continue;
            outer_row(s, rng, N, j, pa, pb);
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
    if (cfg->cancel && *cfg->cancel) {
        tyche_err_set(err, TYCHE_ERUN, "interrupted");
        goto fail;
    }
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
    t->n_true = tyche_calloc(nt + 1, sizeof *t->n_true);
    const int B = cfg->bootstrap > 0 ? cfg->bootstrap : 200;
    boot = tyche_malloc(((size_t)B * 2 * d + 2 * d + N) * sizeof *boot);
    size_t *idx = tyche_malloc(N * sizeof *idx);
    gsl_rng *br = gsl_rng_alloc(gsl_rng_mt19937);
    if (!t->first || !t->total || !t->var || !t->rem || !t->n_true || !boot || !idx || !br) {
        free(idx);
        gsl_rng_free(br);
        goto nomem;
    }
    t->n_s = ns;
    for (size_t i = 0; i < ns; i++)
        for (size_t r = 0; r < N; r++) t->n_true[i] += (uint64_t)(f[(i * cols + 0) * N + r] + f[(i * cols + 1) * N + r]);
    for (size_t i = 0; i < nt; i++) {
        const ind_ctx c = {f + (i * cols + 0) * N, f + (i * cols + 1) * N, f + (i * cols + 2) * N, N, d};
        if (intervals(ind_estimate, &c, N, d, B, cfg->seed, boot, idx, br, t->first + i * d * 3,
                      t->total + i * d * 3, &t->var[i], &t->rem[i]))
            goto nomem_b;
    }
    if (cfg->inner > 0 && ns > 0 &&
        probability_view(s, cfg, t, upar, N, d, B, boot, idx, br, err) != TYCHE_OK)
        goto fail_b;
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
nomem_b:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
fail_b:
    free(idx);
    gsl_rng_free(br);
    goto fail;
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

/* One view of target i into o: its variance, remainder, rare flag (with
 * its counts, for statements) and each parameter's indices from `get`. */
static void json_view(cJSON *o, const tyche_sobol *t, size_t i, double var, double rem, int counted, int rare,
                      uint64_t n_true, uint64_t of,
                      void (*get)(const tyche_sobol *, size_t, size_t, double *, double *)) {
    tyche_json_add(o, "variance", isfinite(var) ? cJSON_CreateNumber(var) : cJSON_CreateNull());
    tyche_json_add(o, "remainder", isfinite(rem) ? cJSON_CreateNumber(rem) : cJSON_CreateNull());
    if (counted) {
        cJSON_AddBoolToObject(o, "rare", rare);
        cJSON_AddNumberToObject(o, "true_trials", (double)n_true);
        cJSON_AddNumberToObject(o, "of_trials", (double)of);
    }
    cJSON *ps = cJSON_AddObjectToObject(o, "parameters");
    for (size_t k = 0; k < t->d; k++) {
        double a[3], b[3];
        get(t, i, k, a, b);
        cJSON *x = cJSON_AddObjectToObject(ps, t->param[k]);
        tyche_json_add(x, "first", cJSON_CreateDoubleArray(a, 3));
        tyche_json_add(x, "total", cJSON_CreateDoubleArray(b, 3));
    }
}

tyche_status tyche_sobol_write_json(const tyche_sobol *t, const char *path, tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", t->file);
    cJSON_AddNumberToObject(root, "base", (double)t->base);
    cJSON_AddNumberToObject(root, "seed", (double)t->seed);
    cJSON_AddNumberToObject(root, "inner", (double)t->inner);
    cJSON *ts = cJSON_AddObjectToObject(root, "targets");
    for (size_t i = 0; i < t->n_t; i++) {
        /* the indicator view (of a statement's 0/1 value, or of an output) */
        cJSON *o = cJSON_AddObjectToObject(ts, t->target[i]);
        uint64_t k1 = 0, of = 0;
        const int rare = i < t->n_s && tyche_sobol_rare(t, i, &k1, &of);
        json_view(o, t, i, t->var[i], t->rem[i], i < t->n_s, rare, k1, of, tyche_sobol_index);
        if (i >= t->n_s || t->inner == 0) continue;
        /* the probability view: the indices of P(statement | parameters) */
        const int prare = tyche_sobol_prob_rare(t, i, &k1, &of);
        json_view(cJSON_AddObjectToObject(o, "probability"), t, i, t->pvar[i], t->prem[i], 1, prare, k1, of,
                  tyche_sobol_prob_index);
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
    /* the probability view: (statement, parameter), p_ before each name */
    hid_t ssc[2] = {-1, sc[1]};
    if (ok && t->inner > 0 && t->n_s > 0) {
        const hsize_t pdims[2] = {t->n_s, t->d};
        ssc[0] = tyche_h5_string_scale(fh, "statement", (const char *const *)t->target, t->n_s);
        ok = ssc[0] >= 0;
        static const char *pnames[6] = {"p_first_order", "p_first_order_low", "p_first_order_high",
                                        "p_total", "p_total_low", "p_total_high"};
        for (int q = 0; ok && q < 6; q++) {
            const double *src = q < 3 ? t->pfirst : t->ptotal;
            for (size_t i = 0; i < t->n_s * t->d; i++) v[i] = src[i * 3 + (size_t)(q % 3)];
            ok = tyche_h5_put(fh, pnames[q], v, 2, pdims, ssc, "1");
        }
        double *tr = ok ? tyche_malloc(t->n_s * sizeof *tr) : NULL;
        for (size_t i = 0; tr && i < t->n_s; i++) tr[i] = (double)t->p_true[i];
        ok = ok && tr && tyche_h5_put(fh, "p_remainder", t->prem, 1, pdims, ssc, "1") &&
             tyche_h5_put(fh, "p_variance", t->pvar, 1, pdims, ssc, "1") &&
             tyche_h5_put(fh, "p_true_trials", tr, 1, pdims, ssc, "1") &&
             H5LTset_attribute_double(fh, "/", "inner", (double[]){(double)t->inner}, 1) >= 0;
        free(tr);
    }
    if (ssc[0] >= 0) H5Dclose(ssc[0]);
    for (int k = 0; k < 2; k++)
        if (sc[k] >= 0) H5Dclose(sc[k]);
    const int oom = v == NULL;
    free(v);
    st = tyche_h5_finish(fh, tmp, path, ok, "Sobol indices", err);
    return oom ? tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the Sobol indices") : st;
}
