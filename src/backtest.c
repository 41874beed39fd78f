/* Backtests (see include/tyche/backtest.h) of a model whose kind can be
 * backtested (kind.h: backtest_series, backtest_settings; revenue_slowdown
 * today).  Each origin is an ordinary run of a rewritten scenario: the
 * named model alone, as of the origin's period end, its settings rewritten
 * by its kind to target H quarters later, with paths stored; the forecast
 * distribution of each quarter is then scored against the kind's observed
 * series. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <cjson/cJSON.h>
#include "fiscal.h"
#include "h5util.h"
#include "scenario_impl.h"
#include "json_util.h"

const double tyche_backtest_levels[TYCHE_BT_NQ] = {0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975};

struct tyche_backtest {
    char *scenario, *model;
    int horizon;
    uint64_t trials, seed;
    size_t n_origins;
    char (*origin)[16];
    char (*quarter)[16];           /* n_origins * horizon */
    tyche_backtest_step *steps;    /* n_origins * horizon */
    tyche_backtest_step *base[TYCHE_BT_NB]; /* the baselines', the same layout */
};

static const char *const base_names[TYCHE_BT_NB] = {"random_walk", "last_growth"};
static const char *const base_labels[TYCHE_BT_NB] = {"random walk", "last growth"};

const char *tyche_backtest_baseline_name(int k) {
    return k >= 0 && k < TYCHE_BT_NB ? base_names[k] : NULL;
}
const char *tyche_backtest_baseline_label(int k) {
    return k >= 0 && k < TYCHE_BT_NB ? base_labels[k] : NULL;
}

void tyche_backtest_free(tyche_backtest *b) {
    if (b == NULL) return;
    free(b->scenario);
    free(b->model);
    free(b->origin);
    free(b->quarter);
    free(b->steps);
    for (int k = 0; k < TYCHE_BT_NB; k++) free(b->base[k]);
    free(b);
}

size_t tyche_backtest_n_origins(const tyche_backtest *b) { return b->n_origins; }
const char *tyche_backtest_origin(const tyche_backtest *b, size_t i) { return b->origin[i]; }
int tyche_backtest_horizon(const tyche_backtest *b) { return b->horizon; }
const tyche_backtest_step *tyche_backtest_get(const tyche_backtest *b, size_t i, int h) {
    return &b->steps[i * (size_t)b->horizon + (size_t)(h - 1)];
}

static int covered(const tyche_backtest_step *s, int level) {
    /* central intervals from the stored quantiles */
    const int lo = level == 95 ? 0 : level == 80 ? 1 : 2;
    return s->actual >= s->q[lo] && s->actual <= s->q[TYCHE_BT_NQ - 1 - lo];
}

/* A step scored: in the data, and with a forecast (a baseline has none
 * with too little history: NaN quantiles).  A model's CRPS that is NaN
 * (a sample that overflowed to inf) still counts, so that it shows. */
static int scored(const tyche_backtest_step *s) { return !isnan(s->actual) && !isnan(s->q[3]); }

static void coverage_of(const tyche_backtest *b, const tyche_backtest_step *steps, int level, int h,
                        double *cov, double *se, size_t *n) {
    size_t k = 0, m = 0;
    for (size_t i = 0; i < b->n_origins; i++)
        for (int j = 1; j <= b->horizon; j++) {
            const tyche_backtest_step *s = &steps[i * (size_t)b->horizon + (size_t)(j - 1)];
            if (!scored(s) || (h && j != h)) continue;
            m++;
            k += (size_t)covered(s, level);
        }
    *n = m;
    *cov = m ? (double)k / (double)m : NAN;
    *se = m ? sqrt(*cov * (1 - *cov) / (double)m) : NAN;
}

static double crps_of(const tyche_backtest *b, const tyche_backtest_step *steps, int h) {
    double sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < b->n_origins; i++)
        for (int j = 1; j <= b->horizon; j++) {
            const tyche_backtest_step *s = &steps[i * (size_t)b->horizon + (size_t)(j - 1)];
            if (!scored(s) || (h && j != h)) continue;
            sum += s->crps;
            m++;
        }
    return m ? sum / (double)m : NAN;
}

void tyche_backtest_coverage(const tyche_backtest *b, int level, int h, double *cov, double *se,
                             size_t *n) {
    coverage_of(b, b->steps, level, h, cov, se, n);
}

double tyche_backtest_crps(const tyche_backtest *b, int h) { return crps_of(b, b->steps, h); }

const tyche_backtest_step *tyche_backtest_baseline_get(const tyche_backtest *b, int k, size_t i,
                                                       int h) {
    return &b->base[k][i * (size_t)b->horizon + (size_t)(h - 1)];
}

void tyche_backtest_baseline_coverage(const tyche_backtest *b, int k, int level, int h,
                                      double *cov, double *se, size_t *n) {
    coverage_of(b, b->base[k], level, h, cov, se, n);
}

double tyche_backtest_baseline_crps(const tyche_backtest *b, int k, int h) {
    return crps_of(b, b->base[k], h);
}

/* Origin i's sum of (crps_model - ratio crps_baseline) / mb over the pairs
 * skill() counts (both scored, horizon h or any). */
static double skill_term(const tyche_backtest *b, int k, int h, size_t i, double ratio, double mb) {
    const size_t H = (size_t)b->horizon;
    double u = 0;
    for (size_t j = 1; j <= H; j++) {
        const tyche_backtest_step *x = &b->steps[i * H + j - 1], *y = &b->base[k][i * H + j - 1];
        if (!scored(x) || !scored(y) || (h && (int)j != h)) continue;
        u += (x->crps - ratio * y->crps) / mb;
    }
    return u;
}

void tyche_backtest_skill(const tyche_backtest *b, int k, int h, double *skill, double *se,
                          size_t *n) {
    const size_t H = (size_t)b->horizon, no = b->n_origins;
    double sm = 0, sb = 0;
    size_t m = 0;
    for (size_t i = 0; i < no; i++)
        for (size_t j = 1; j <= H; j++) {
            const tyche_backtest_step *x = &b->steps[i * H + j - 1], *y = &b->base[k][i * H + j - 1];
            if (!scored(x) || !scored(y) || (h && (int)j != h)) continue;
            sm += x->crps;
            sb += y->crps;
            m++;
        }
    *n = m;
    if (m == 0 || !(sb > 0)) {
        *skill = *se = NAN;
        return;
    }
    const double ratio = sm / sb, mb = sb / (double)m;
    *skill = 1 - ratio;
    /* delta method: ratio - ratio0 ~ mean(u), u = (crps_m - ratio crps_b) / mean(crps_b),
     * whose terms sum to 0; summed per origin, the sums' long-run variance
     * by Newey-West with Bartlett weights over lag = (steps apart that can
     * share a target quarter) = (h or H) - 1.  The sums are recomputed for
     * each lag (at most 39) rather than stored: nothing to allocate, so
     * nothing to fail while a writer calls this */
    const size_t lag = (h ? (size_t)h : H) - 1;
    double v = 0;
    size_t with = 0; /* origins with a pair: one alone has no spread to measure */
    for (size_t i = 0; i < no; i++)
        for (size_t j = 1; j <= H; j++)
            if (scored(&b->steps[i * H + j - 1]) && scored(&b->base[k][i * H + j - 1]) && (!h || (int)j == h)) {
                with++;
                break;
            }
    if (with < 2) {
        *se = NAN;
        return;
    }
    for (size_t i = 0; i < no; i++) {
        const double ui = skill_term(b, k, h, i, ratio, mb);
        v += ui * ui;
        for (size_t l = 1; l <= lag && i + l < no; l++)
            v += 2 * (1 - (double)l / (double)(lag + 1)) * ui * skill_term(b, k, h, i + l, ratio, mb);
    }
    *se = sqrt(v > 0 ? v : 0) / (double)m;
}

/* The baselines' forecasts of origin o (series index io: the history is
 * values[0..io]) for steps 1..H, into st[0..H-1] (header). */
static void baselines(const double *values, size_t io, int H, const double *actual,
                      tyche_backtest_step *rw, tyche_backtest_step *lg) {
    const size_t n = io; /* log-growths d_1..d_io */
    double m = 0, ss = 0;
    for (size_t j = 1; j <= io; j++) m += log(values[j] / values[j - 1]);
    m = n ? m / (double)n : NAN;
    for (size_t j = 1; j <= io; j++) {
        const double d = log(values[j] / values[j - 1]) - m;
        ss += d * d;
    }
    const double s = n >= 2 ? sqrt(ss / (double)(n - 1)) : NAN;
    const double last = log(values[io]), d_n = n ? log(values[io] / values[io - 1]) : NAN;
    for (int h = 1; h <= H; h++) {
        const double mu[2] = {last + h * m, last + h * d_n};
        const double sd[2] = {s * sqrt(h + (double)h * h / (double)n), s * sqrt((double)h)};
        tyche_backtest_step *st[2] = {&rw[h - 1], &lg[h - 1]};
        const double y = actual[h - 1];
        for (int k = 0; k < 2; k++) {
            tyche_backtest_step *x = st[k];
            x->actual = y;
            if (!(sd[k] > 0)) {
                for (int q = 0; q < TYCHE_BT_NQ; q++) x->q[q] = NAN;
                x->pit = x->crps = NAN;
                continue;
            }
            for (int q = 0; q < TYCHE_BT_NQ; q++)
                x->q[q] = exp(mu[k] + sd[k] * gsl_cdf_ugaussian_Pinv(tyche_backtest_levels[q]));
            if (isnan(y)) {
                x->pit = x->crps = NAN;
                continue;
            }
            /* the lognormal's CRPS (Baran and Lerch 2015):
             * y (2 Phi(z) - 1) - 2 e^(mu + sd^2/2) (Phi(z - sd) + Phi(sd / sqrt 2) - 1) */
            const double z = (log(y) - mu[k]) / sd[k];
            x->pit = gsl_cdf_ugaussian_P(z);
            x->crps = y * (2 * x->pit - 1) -
                      2 * exp(mu[k] + sd[k] * sd[k] / 2) *
                          (gsl_cdf_ugaussian_P(z - sd[k]) + gsl_cdf_ugaussian_P(sd[k] / sqrt(2.0)) - 1);
        }
    }
}

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Scores the sorted sample x[0..n-1] against y. */
static void score(const double *x, size_t n, double y, tyche_backtest_step *s) {
    for (int k = 0; k < TYCHE_BT_NQ; k++) {
        /* the order statistic nearest the level (type-1 inverse of the ECDF) */
        size_t i = (size_t)ceil(tyche_backtest_levels[k] * (double)n);
        s->q[k] = x[i ? i - 1 : 0];
    }
    if (isnan(y)) {
        s->pit = s->crps = NAN;
        return;
    }
    size_t below = 0, equal = 0;
    double abs_dev = 0, spread = 0;
    for (size_t i = 0; i < n; i++) {
        below += x[i] < y;
        equal += x[i] == y;
        abs_dev += fabs(x[i] - y);
        /* sum over pairs |x_i - x_j| = 2 sum_i (2i - n + 1) x_(i) for sorted x */
        spread += (2.0 * (double)i - (double)n + 1.0) * x[i];
    }
    s->pit = ((double)below + 0.5 * (double)equal) / (double)n;
    /* CRPS = E|X - y| - E|X - X'| / 2 */
    s->crps = abs_dev / (double)n - spread / ((double)n * (double)n);
}

static void set_string(cJSON *obj, const char *key, const char *value) {
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
}

/* The kinds a backtest can score, for a message. */
static void backtest_kinds(char *buf, size_t len) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < tyche_model_kind_count() && used < len; i++) {
        const tyche_model_kind *k = tyche_model_kind_at(i);
        if (k->backtest_series && k->backtest_settings)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? ", " : "", k->name);
    }
}

tyche_backtest *tyche_backtest_run(const char *file, const tyche_scenario_options *opt,
                                   const tyche_backtest_config *cfg, tyche_err *err) {
    tyche_backtest *b = NULL;
    cJSON *root = NULL, *model = NULL;
    double *sample = NULL;
    const char **sets = NULL;
    size_t n_sets = 0;
    /* validate the scenario as the user wrote it first: its errors come first */
    tyche_scenario *s0 = tyche_scenario_load_with(file, opt, err);
    if (s0 == NULL) return NULL;
    int oom;
    root = tyche_json_parse(s0->text, 0, NULL, &oom);
    const unsigned long long failures = tyche_alloc_failures();
    if (root == NULL) {
        /* it parsed a moment ago, so only memory can be short */
        tyche_err_set(err, TYCHE_ENOMEM, "out of memory reading %s", file);
        tyche_scenario_free(s0);
        return NULL;
    }
    if (cfg->horizon < 1 || cfg->horizon > 40) {
        tyche_err_set(err, TYCHE_EINPUT, "--horizon: expected 1 to 40 quarters");
        goto fail;
    }
    /* the model, and through its kind the series it forecasts */
    size_t mi = 0;
    while (mi < s0->n_models && strcmp(s0->models[mi].name, cfg->model) != 0) mi++;
    const tyche_model_kind *kind = mi < s0->n_models ? s0->models[mi].kind : NULL;
    if (kind == NULL || !kind->backtest_series || !kind->backtest_settings) {
        char kinds[256];
        backtest_kinds(kinds, sizeof kinds);
        tyche_err_set(err, TYCHE_EINPUT, "--model: %s has no %s model named \"%s\"", file, kinds,
                      cfg->model);
        goto fail;
    }
    tyche_backtest_series ser;
    kind->backtest_series(s0->models[mi].cfg, &ser);
    cJSON *models = cJSON_GetObjectItemCaseSensitive(root, "models");
    model = cJSON_GetArrayItem(models, (int)mi);
    cJSON *set = cJSON_GetObjectItemCaseSensitive(model, "settings");
    const tyche_quarter first = ser.first, last = ser.first + (tyche_quarter)ser.n - 1;
    /* origins: by default every quarter with enough history before it, to
     * the one before the last in the data */
    tyche_quarter from = ser.min_origin, to = last - 1;
    if (cfg->origin_from && !tyche_quarter_parse(cfg->origin_from, &from)) {
        tyche_err_set(err, TYCHE_EINPUT, "--origins: \"%s\" is not a quarter like FY2025Q1", cfg->origin_from);
        goto fail;
    }
    if (cfg->origin_to && !tyche_quarter_parse(cfg->origin_to, &to)) {
        tyche_err_set(err, TYCHE_EINPUT, "--origins: \"%s\" is not a quarter like FY2026Q4", cfg->origin_to);
        goto fail;
    }
    if (from > to || from < first + 1 || to > last - 1) {
        char a[16], c[16];
        tyche_quarter_format(first + 1, a, sizeof a);
        tyche_quarter_format(last - 1, c, sizeof c);
        tyche_err_set(err, TYCHE_EINPUT, "--origins: must run forward within %s..%s (the data's quarters with history before and an actual after)",
                      a, c);
        goto fail;
    }

    b = tyche_calloc(1, sizeof *b);
    if (b == NULL) goto nomem;
    b->scenario = tyche_strdup(file);
    b->model = tyche_strdup(cfg->model);
    b->horizon = cfg->horizon;
    b->trials = cfg->trials;
    b->seed = cfg->seed;
    b->n_origins = (size_t)(to - from + 1);
    b->origin = tyche_calloc(b->n_origins, sizeof *b->origin);
    b->quarter = tyche_calloc(b->n_origins * (size_t)cfg->horizon, sizeof *b->quarter);
    b->steps = tyche_calloc(b->n_origins * (size_t)cfg->horizon, sizeof *b->steps);
    for (int k = 0; k < TYCHE_BT_NB; k++)
        if ((b->base[k] = tyche_calloc(b->n_origins * (size_t)cfg->horizon, sizeof *b->base[k])) == NULL)
            goto nomem;
    sample = tyche_malloc((size_t)cfg->trials * sizeof *sample);
    if (!b->scenario || !b->model || !b->origin || !b->quarter || !b->steps || !sample) goto nomem;

    /* the rewritten scenario: this model alone, no statements */
    cJSON *only = cJSON_CreateArray();
    cJSON_DetachItemViaPointer(models, model);
    tyche_json_push(only, model);
    cJSON_ReplaceItemInObjectCaseSensitive(root, "models", only);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "statements");
    tyche_json_add(root, "statements", cJSON_CreateArray());
    cJSON_DeleteItemFromObjectCaseSensitive(root, "joint");
    cJSON_DeleteItemFromObjectCaseSensitive(root, "observed");
    /* what names other models cannot apply to this one alone: --set of their
     * parameters, correlation groups that reach into them */
    const cJSON *cfj = cJSON_GetObjectItemCaseSensitive(root, "common_factor");
    const cJSON *cfn = cfj ? cJSON_GetObjectItemCaseSensitive(cfj, "name") : NULL;
    const char *cf = cJSON_IsString(cfn) ? cfn->valuestring : "Z";
    const size_t ml = strlen(cfg->model);
#define OWN(name) ((strncmp((name), cfg->model, ml) == 0 && (name)[ml] == '.') || \
                   (strncmp((name), cf, strlen(cf)) == 0 && ((name)[strlen(cf)] == '=' || (name)[strlen(cf)] == '\0')))
    cJSON *corr = cJSON_GetObjectItemCaseSensitive(root, "correlations");
    for (cJSON *g = corr ? corr->child : NULL; g;) {
        cJSON *next = g->next;
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(g, "params");
        int own = 1;
        for (const cJSON *p = ps ? ps->child : NULL; p; p = p->next)
            if (!cJSON_IsString(p) || !OWN(p->valuestring)) own = 0;
        if (!own) cJSON_DetachItemViaPointer(corr, g), cJSON_Delete(g);
        g = next;
    }
    const size_t n_user = opt ? opt->n_set : 0;
    sets = tyche_calloc(n_user + 1, sizeof *sets);
    if (sets == NULL) goto nomem;
    for (size_t k = 0; k < n_user; k++)
        if (OWN(opt->set[k])) sets[n_sets++] = opt->set[k];
#undef OWN
    char date[11];
    tyche_date_format(tyche_quarter_end(first), date);
    set_string(root, "start", date);
    for (size_t i = 0; i < b->n_origins; i++) {
        const tyche_quarter o = from + (tyche_quarter)i;
        tyche_quarter_format(o, b->origin[i], sizeof b->origin[i]);
        /* the forecast as of the day the origin's figure was published: its
         * history is what was public then */
        tyche_date_format(ser.published[o - first], date);
        set_string(root, "as_of", date);
        tyche_date_format(tyche_quarter_end(o + cfg->horizon), date);
        set_string(root, "horizon", date);
        if (kind->backtest_settings(set, o, o + cfg->horizon, err)) goto nomem;
        char *t = cJSON_PrintUnformatted(root);
        if (t == NULL || tyche_alloc_failures() != failures) { /* a member left out */
            free(t);
            goto nomem;
        }
        /* --as-of would fight the origin's date: only this model's --set carries over */
        tyche_scenario_options o2 = {NULL, n_sets, sets, 0, NULL};
        char where[1500];
        snprintf(where, sizeof where, "%s", file);
        tyche_err local;
        tyche_scenario *s = tyche_scenario_parse_with(t, strlen(t), where, &o2, &local);
        free(t);
        if (s == NULL) {
            tyche_err_set(err, local.code, "backtest origin %s: %s", b->origin[i], local.msg);
            goto fail_b;
        }
        tyche_run_config rc;
        tyche_run_config_init(&rc);
        rc.trials = cfg->trials;
        rc.seed = cfg->seed;
        rc.threads = cfg->threads;
        rc.rng = cfg->rng;
        rc.store = TYCHE_STORE_PATHS;
        tyche_results *r = tyche_run(s, &rc, err);
        if (r == NULL) {
            tyche_scenario_free(s);
            goto fail_b;
        }
        tyche_path_info pi;
        tyche_scenario_path(s, ser.var, &pi); /* the model is alone: its variables come first */
        const double *rev = tyche_results_path(r, ser.var);
        for (int h = 1; h <= cfg->horizon; h++) {
            const size_t col = pi.n_points - (size_t)cfg->horizon - 1 + (size_t)h;
            for (uint64_t k = 0; k < cfg->trials; k++) sample[k] = rev[k * pi.n_points + col];
            qsort(sample, (size_t)cfg->trials, sizeof *sample, cmp_dbl);
            const tyche_quarter q = o + h;
            tyche_backtest_step *st = &b->steps[i * (size_t)cfg->horizon + (size_t)(h - 1)];
            char *qlab = b->quarter[i * (size_t)cfg->horizon + (size_t)(h - 1)];
            tyche_quarter_format(q, qlab, 16);
            st->quarter = qlab;
            st->h = h;
            st->actual = q <= last ? ser.values[q - first] : NAN;
            score(sample, (size_t)cfg->trials, st->actual, st);
        }
        {
            double actual[40];
            const size_t at = i * (size_t)cfg->horizon;
            for (int h = 1; h <= cfg->horizon; h++) actual[h - 1] = b->steps[at + (size_t)h - 1].actual;
            baselines(ser.values, (size_t)(o - first), cfg->horizon, actual, &b->base[0][at],
                      &b->base[1][at]);
            for (int k = 0; k < TYCHE_BT_NB; k++)
                for (int h = 1; h <= cfg->horizon; h++) {
                    b->base[k][at + (size_t)h - 1].quarter = b->steps[at + (size_t)h - 1].quarter;
                    b->base[k][at + (size_t)h - 1].h = h;
                }
        }
        tyche_results_free(r);
        tyche_scenario_free(s);
    }
    free(sample);
    free(sets);
    cJSON_Delete(root);
    tyche_scenario_free(s0);
    return b;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory running the backtest");
fail_b:
fail:
    free(sample);
    free(sets);
    cJSON_Delete(root);
    tyche_scenario_free(s0);
    tyche_backtest_free(b);
    return NULL;
}

/* ---- writers -------------------------------------------------------------- */

static const int levels[3] = {50, 80, 95};

static void add_quantiles(cJSON *js, const tyche_backtest_step *st) {
    cJSON *q = cJSON_AddObjectToObject(js, "quantiles");
    for (int k = 0; k < TYCHE_BT_NQ; k++) {
        char key[16];
        snprintf(key, sizeof key, "p%g", 100 * tyche_backtest_levels[k]);
        cJSON_AddNumberToObject(q, key, st->q[k]);
    }
}

static void add_scores(cJSON *js, const tyche_backtest_step *st) {
    cJSON_AddNumberToObject(js, "pit", st->pit);
    cJSON_AddNumberToObject(js, "crps", st->crps);
    cJSON *cv = cJSON_AddObjectToObject(js, "covered");
    for (int l = 0; l < 3; l++) {
        char key[8];
        snprintf(key, sizeof key, "%d", levels[l]);
        cJSON_AddBoolToObject(cv, key, covered(st, levels[l]));
    }
}

static cJSON *num_or_null(double x) { return isnan(x) ? cJSON_CreateNull() : cJSON_CreateNumber(x); }

/* Baseline k's summary at horizon h (0: all) into o. */
static void add_baseline_summary(cJSON *o, const tyche_backtest *b, int k, int h) {
    cJSON *cov = cJSON_AddObjectToObject(o, "coverage");
    size_t n = 0;
    for (int l = 0; l < 3; l++) {
        double c, se;
        char key[8];
        tyche_backtest_baseline_coverage(b, k, levels[l], h, &c, &se, &n);
        snprintf(key, sizeof key, "%d", levels[l]);
        tyche_json_add(cov, key, num_or_null(c));
    }
    cJSON_AddNumberToObject(o, "n", (double)n);
    tyche_json_add(o, "crps", num_or_null(tyche_backtest_baseline_crps(b, k, h)));
    double sk, se;
    size_t np;
    tyche_backtest_skill(b, k, h, &sk, &se, &np);
    tyche_json_add(o, "skill", num_or_null(sk));
    tyche_json_add(o, "skill_se", num_or_null(se));
    cJSON_AddNumberToObject(o, "n_pairs", (double)np);
}

tyche_status tyche_backtest_write_json(const tyche_backtest *b, const char *path, tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures();
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "scenario", b->scenario);
    cJSON_AddStringToObject(root, "model", b->model);
    cJSON_AddStringToObject(root, "variable", "revenue");
    cJSON_AddNumberToObject(root, "horizon", b->horizon);
    cJSON_AddNumberToObject(root, "trials", (double)b->trials);
    cJSON_AddNumberToObject(root, "seed", (double)b->seed);
    cJSON *cov = cJSON_AddObjectToObject(root, "coverage");
    for (int l = 0; l < 3; l++) {
        double c, se;
        size_t n;
        char key[8];
        tyche_backtest_coverage(b, levels[l], 0, &c, &se, &n);
        snprintf(key, sizeof key, "%d", levels[l]);
        cJSON_AddNumberToObject(cov, key, isnan(c) ? 0 : c);
    }
    cJSON_AddNumberToObject(root, "crps", tyche_backtest_crps(b, 0));
    cJSON *by_h = cJSON_AddArrayToObject(root, "by_horizon");
    for (int h = 1; h <= b->horizon; h++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "h", h);
        for (int l = 0; l < 3; l++) {
            double c, se;
            size_t n;
            char key[16];
            tyche_backtest_coverage(b, levels[l], h, &c, &se, &n);
            snprintf(key, sizeof key, "coverage_%d", levels[l]);
            tyche_json_add(o, key, isnan(c) ? cJSON_CreateNull() : cJSON_CreateNumber(c));
            cJSON_AddNumberToObject(o, "n", (double)n);
        }
        const double crps = tyche_backtest_crps(b, h);
        tyche_json_add(o, "crps", isnan(crps) ? cJSON_CreateNull() : cJSON_CreateNumber(crps));
        tyche_json_push(by_h, o);
    }
    cJSON *bases = cJSON_AddObjectToObject(root, "baselines");
    for (int k = 0; k < TYCHE_BT_NB; k++) {
        cJSON *o = cJSON_AddObjectToObject(bases, base_names[k]);
        cJSON_AddStringToObject(o, "label", base_labels[k]);
        add_baseline_summary(o, b, k, 0);
        cJSON *bh = cJSON_AddArrayToObject(o, "by_horizon");
        for (int h = 1; h <= b->horizon; h++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddNumberToObject(x, "h", h);
            add_baseline_summary(x, b, k, h);
            tyche_json_push(bh, x);
        }
    }
    cJSON *pit = cJSON_AddArrayToObject(root, "pit");
    cJSON *origins = cJSON_AddArrayToObject(root, "origins");
    for (size_t i = 0; i < b->n_origins; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "origin", b->origin[i]);
        cJSON *steps = cJSON_AddArrayToObject(o, "steps");
        double crps = 0;
        int n = 0;
        for (int h = 1; h <= b->horizon; h++) {
            const tyche_backtest_step *st = tyche_backtest_get(b, i, h);
            if (isnan(st->actual)) continue;
            cJSON *js = cJSON_CreateObject();
            cJSON_AddStringToObject(js, "quarter", st->quarter);
            cJSON_AddNumberToObject(js, "h", h);
            cJSON_AddNumberToObject(js, "actual", st->actual);
            add_quantiles(js, st);
            add_scores(js, st);
            cJSON *bj = cJSON_AddObjectToObject(js, "baselines");
            for (int k = 0; k < TYCHE_BT_NB; k++) {
                const tyche_backtest_step *bs = tyche_backtest_baseline_get(b, k, i, h);
                if (!scored(bs)) continue;
                cJSON *x = cJSON_AddObjectToObject(bj, base_names[k]);
                add_quantiles(x, bs);
                add_scores(x, bs);
            }
            tyche_json_push(steps, js);
            tyche_json_push(pit, cJSON_CreateNumber(st->pit));
            crps += st->crps;
            n++;
        }
        tyche_json_add(o, "crps", n ? cJSON_CreateNumber(crps / n) : cJSON_CreateNull());
        tyche_json_push(origins, o);
    }
    char *text = tyche_json_print(root, failures, 0);
    return tyche_write_text_file(path, text, "backtest JSON", err);
}

tyche_status tyche_backtest_write_hdf5(const tyche_backtest *b, const char *path, tyche_err *err) {
    const size_t no = b->n_origins, nh = (size_t)b->horizon;
    hid_t f;
    char *tmp;
    tyche_status status = tyche_h5_create(path, "backtest", &f, &tmp, err);
    if (status) return status;
    const char **olab = tyche_malloc(no * sizeof *olab);
    double *steps = tyche_malloc(nh * sizeof *steps), *v = tyche_malloc(no * nh * sizeof *v);
    int ok = olab && steps && v;
    for (size_t i = 0; ok && i < no; i++) olab[i] = b->origin[i];
    for (size_t h = 0; ok && h < nh; h++) steps[h] = (double)(h + 1);
    hid_t d0 = ok ? tyche_h5_string_scale(f, "origin", olab, no) : -1;
    hid_t d1 = ok ? tyche_h5_double_scale(f, "step", steps, nh, "quarters after the origin") : -1;
    ok = ok && d0 >= 0 && d1 >= 0;
    const hsize_t dims[2] = {no, nh};
    const hid_t scales[2] = {d0, d1};
    static const char *names[] = {"actual", "q025", "q10", "q25", "q50", "q75", "q90", "q975", "pit", "crps"};
    for (int k = 0; ok && k < 10; k++) {
        for (size_t i = 0; i < no; i++)
            for (size_t h = 0; h < nh; h++) {
                const tyche_backtest_step *st = &b->steps[i * nh + h];
                double x = k == 0 ? st->actual : k <= 7 ? st->q[k - 1] : k == 8 ? st->pit : st->crps;
                if (isnan(st->actual)) x = NAN;
                v[i * nh + h] = x;
            }
        ok = tyche_h5_put(f, names[k], v, 2, dims, scales, k == 8 ? "1" : "USD billions");
    }
    /* the baselines': random_walk_q025, ..., random_walk_pit, random_walk_crps */
    for (int bk = 0; bk < TYCHE_BT_NB; bk++)
        for (int k = 1; ok && k < 10; k++) {
            for (size_t i = 0; i < no; i++)
                for (size_t h = 0; h < nh; h++) {
                    const tyche_backtest_step *st = &b->base[bk][i * nh + h];
                    double x = k <= 7 ? st->q[k - 1] : k == 8 ? st->pit : st->crps;
                    if (!scored(st)) x = NAN;
                    v[i * nh + h] = x;
                }
            char name[64];
            snprintf(name, sizeof name, "%s_%s", base_names[bk], names[k]);
            ok = tyche_h5_put(f, name, v, 2, dims, scales, k == 8 ? "1" : "USD billions");
        }
    for (int bk = 0; ok && bk < TYCHE_BT_NB; bk++) {
        char key[64];
        for (int l = 0; ok && l < 3; l++) {
            double c, se;
            size_t n;
            tyche_backtest_baseline_coverage(b, bk, levels[l], 0, &c, &se, &n);
            snprintf(key, sizeof key, "%s_coverage_%d", base_names[bk], levels[l]);
            ok = H5LTset_attribute_double(f, "/", key, &c, 1) >= 0;
        }
        double x[3], sk_se;
        size_t np;
        x[0] = tyche_backtest_baseline_crps(b, bk, 0);
        tyche_backtest_skill(b, bk, 0, &x[1], &sk_se, &np);
        x[2] = sk_se;
        static const char *const what[3] = {"crps", "skill", "skill_se"};
        for (int j = 0; ok && j < 3; j++) {
            snprintf(key, sizeof key, "%s_%s", base_names[bk], what[j]);
            ok = H5LTset_attribute_double(f, "/", key, &x[j], 1) >= 0;
        }
    }
    for (int l = 0; ok && l < 3; l++) {
        double c, se;
        size_t n;
        char key[32];
        tyche_backtest_coverage(b, levels[l], 0, &c, &se, &n);
        snprintf(key, sizeof key, "coverage_%d", levels[l]);
        ok = H5LTset_attribute_double(f, "/", key, &c, 1) >= 0;
    }
    const double crps = tyche_backtest_crps(b, 0);
    if (ok) ok = H5LTset_attribute_double(f, "/", "crps", &crps, 1) >= 0;
    if (ok) ok = H5LTset_attribute_string(f, "/", "scenario", b->scenario) >= 0 &&
                 H5LTset_attribute_string(f, "/", "model", b->model) >= 0 &&
                 H5LTset_attribute_string(f, "/", "tyche_version", tyche_version()) >= 0;
    if (d0 >= 0) H5Dclose(d0);
    if (d1 >= 0) H5Dclose(d1);
    const int oom = !olab || !steps || !v;
    free(olab);
    free(steps);
    free(v);
    status = tyche_h5_finish(f, tmp, path, ok, "backtest", err);
    return oom ? tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the backtest") : status;
}
