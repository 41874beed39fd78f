/* Model kind `revenue_slowdown` (P3): a vendor's quarterly revenue, its
 * baseline growth an AR(1) in log-growth, minus the share a customer moves
 * to its own chips along a logistic adoption curve; and the counterfactual
 * without that displacement, from the same random numbers.
 *
 * History comes from a CSV (the quarters published on or before as_of); every
 * later quarter up to the last target is simulated:
 *   g_q = g_inf + phi (g_{q-1} - g_inf) + sigma_g eps_q,  from the last observed g;
 *   R_base_q = R_base_{q-1} exp(g_q);
 *   s(t) = s_max / (1 + exp(-k (t - (t_mid - beta_tz Z))))      t in decimal years;
 *   L_q = a max(0, s(t_q) - s(t_0)) / (1 - s(t_0)),  t_0 the last history quarter's end;
 *   R_q = R_base_q (1 - L_q);   counterfactual: R_q = R_base_q.
 * Growth G_q = R_q / R_{q-1} - 1 runs over history and simulation alike, so
 * a reference or target quarter may be either.  Outputs per target quarter:
 * qoq_growth (percent), slowdown_pp = 100 (G_ref - G_target),
 * slowdown_cf_pp (the same without displacement), displacement_pp (their
 * difference: the part of the slowdown the displacement caused) and revenue.
 *
 * Stream 0 holds eps_1, eps_2, ... in quarter order (normals 0, 1, ... of
 * draws.h): the counterfactual is computed in the same pass, so it uses the
 * very same numbers.  With the setting "nu_g" (degrees of freedom, > 0) the
 * shocks are Student-t instead, sigma_g their scale: eps_q = z_q / sqrt(W_q / nu),
 * W_q = 2 Gamma(nu / 2) chi-square from stream 1, region q * 2^16 of draws.h
 * (Marsaglia-Tsang's attempts run on from there); the normals z_q are
 * stream 0's as before, so without nu_g nothing is drawn from stream 1 and
 * the results are those of the normal model to the bit.  nu_g is a setting,
 * not a parameter: a parameter would take a parameter stream and move every
 * later parameter's (the common factor's among them).  Simulated a block of
 * trials at a time. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "../calib.h"
#include "../fiscal.h"
#include "../kind.h"
#include "../json_util.h"

enum { P_G_INF, P_PHI, P_SIGMA_G, P_S_MAX, P_K, P_T_MID, P_BETA_TZ, P_A, N_P };

static const tyche_param_spec params[N_P] = {
    {"g_inf", "per quarter", "long-run quarterly log-growth", -INFINITY, INFINITY, 0, 0, 0},
    {"phi", "1", "persistence of log-growth (AR(1) coefficient)", -1, 1, 0, 0, 0},
    {"sigma_g", "per quarter", "sd of quarterly log-growth shocks", 0, INFINITY, 0, 0, 0},
    {"s_max", "1", "customer's eventual in-house share of its accelerator spend", 0, 1, 0, 0, 0},
    {"k", "per year", "steepness of the adoption curve", 0, INFINITY, 0, 0, 0},
    {"t_mid", "year", "midpoint of the adoption curve (decimal year)", -INFINITY, INFINITY, 0, 0, 0},
    {"beta_tz", "years", "how much earlier the midpoint comes per unit of Z", -INFINITY, INFINITY, 0, 0, 0},
    {"a", "1", "customer's share of the vendor's segment revenue", 0, 1, 0, 0, 0},
};

/* The outputs of one target quarter, in this order. */
enum { T_GROWTH, T_SLOWDOWN, T_SLOWDOWN_CF, T_DISPLACEMENT, T_REVENUE, N_T };
static const char *const t_names[N_T] = {"qoq_growth", "slowdown_pp", "slowdown_cf_pp",
                                         "displacement_pp", "revenue"};
static const char *const t_units[N_T] = {"percent", "percentage points", "percentage points",
                                         "percentage points", ""};
static const char *const t_desc[N_T] = {
    "quarter-over-quarter growth at",
    "growth below the reference quarter's, at",
    "the same slowdown without displacement (counterfactual), at",
    "part of the slowdown caused by displacement, at",
    "revenue at",
};

static const char *const path_names[] = {"revenue", "revenue_cf"};

typedef struct {
    size_t n_hist, n_sim, n_points;
    tyche_quarter first;         /* first quarter of the series */
    double *hist;                /* n_hist observed values */
    double g0;                   /* last observed log-growth */
    double t0;                   /* decimal year of the last history quarter's end */
    double *t_sim;               /* decimal years of the simulated quarters' ends */
    size_t ref;                  /* series index of the reference quarter */
    size_t n_targets;
    size_t *target;              /* series indices */
    tyche_output_spec *outputs;  /* N_T per target */
    char **strings;              /* names and descriptions owned here */
    size_t n_strings;
    char **labels;
    double *times;
    const char *path_units[2];
    char units[64];
    double nu;                   /* the shocks' degrees of freedom; INFINITY: normal */
    int calibrated;              /* draw (g_inf, phi, sigma_g) from the NIG posterior */
    tyche_nig post;
    double phi_lo, phi_hi;       /* phi's prior support, within (-1, 1) */
    double *series;              /* n_series values of the data file, from `first` on */
    int32_t *published;          /* and the days they were published */
    size_t n_series;
    tyche_quarter min_origin;    /* a backtest's earliest origin */
} cfg_t;

/* A block's workspace: simulated quarter k of lane i at [k * TYCHE_LANES + i]
 * (the history is the cfg's, the same for every lane). */
typedef struct {
    double *mem;                 /* the one allocation (tyche_lane_columns) */
    double *r, *rcf;             /* n_sim x TYCHE_LANES */
    double *z;                   /* n_sim x TYCHE_LANES shocks */
    double *g, *base, *mid, *s0, *room, *t1; /* TYCHE_LANES each */
    double *shape, *chi;         /* TYCHE_LANES each: Student-t shocks' gammas */
} ws_t;

static void cfg_free(void *p) {
    cfg_t *c = p;
    if (c == NULL) return;
    free(c->hist);
    free(c->series);
    free(c->published);
    free(c->t_sim);
    free(c->target);
    free(c->outputs);
    for (size_t i = 0; i < c->n_strings; i++) free(c->strings[i]);
    free(c->strings);
    if (c->labels)
        for (size_t i = 0; i < c->n_points; i++) free(c->labels[i]);
    free(c->labels);
    free(c->times);
    free(c);
}

static char *keep(cfg_t *c, char *s) {
    if (s) c->strings[c->n_strings++] = s;
    return s;
}

/* ---- the history file ------------------------------------------------------ */

/* Splits a CSV line in place (commas; double quotes around a field allowed). */
static size_t split_csv(char *line, char **f, size_t max) {
    size_t n = 0;
    char *p = line;
    while (n < max) {
        if (*p == '"') {
            char *q = strchr(p + 1, '"');
            if (q == NULL) return n;
            f[n++] = p + 1;
            *q = '\0';
            p = q + 1;
            if (*p == ',') p++;
            else break;
            continue;
        }
        f[n++] = p;
        char *c = strchr(p, ',');
        if (c == NULL) break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

typedef tyche_revenue_row row_t;

tyche_status tyche_revenue_read_history(const char *file, const char *named_at, const char *column,
                                        row_t **rows_out, size_t *n_out, tyche_err *err) {
    FILE *f = fopen(file, "r");
    if (f == NULL) {
        const int e = errno;
        return tyche_err_set(err, TYCHE_EINPUT, "%s%scannot open the data file %s: %s",
                             named_at ? named_at : "", named_at ? ": " : "", file, strerror(e));
    }
    char line[4096];
    char *fields[32];
    int col_q = -1, col_end = -1, col_pub = -1, col_v = -1;
    size_t n = 0, cap = 0, lineno = 1;
    row_t *rows = NULL;
    tyche_status st = TYCHE_OK;
    if (fgets(line, sizeof line, f) == NULL) {
        st = tyche_err_set(err, TYCHE_EINPUT, "%s: empty data file", file);
        goto done;
    }
    line[strcspn(line, "\r\n")] = '\0';
    size_t nf = split_csv(line, fields, 32);
    for (size_t i = 0; i < nf; i++) {
        if (strcmp(fields[i], "fiscal_quarter") == 0) col_q = (int)i;
        if (strcmp(fields[i], "period_end") == 0) col_end = (int)i;
        if (strcmp(fields[i], "published") == 0) col_pub = (int)i;
        if (strcmp(fields[i], column) == 0) col_v = (int)i;
    }
    if (col_q < 0 || col_end < 0 || col_pub < 0 || col_v < 0) {
        st = tyche_err_set(err, TYCHE_EINPUT,
                           "%s: line 1: expected columns fiscal_quarter, period_end, published and %s%s", file,
                           column,
                           col_pub < 0 && col_q >= 0 && col_end >= 0 && col_v >= 0
                               ? " (published: the date each quarter's figure was made public; a quarter "
                                 "is history only from then)"
                               : "");
        goto done;
    }
    while (fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#') continue;
        nf = split_csv(line, fields, 32);
        int need = col_q > col_end ? (col_q > col_v ? col_q : col_v) : (col_end > col_v ? col_end : col_v);
        if (col_pub > need) need = col_pub;
        if ((int)nf <= need) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %zu: too few columns", file, lineno);
            goto done;
        }
        row_t r;
        if (!tyche_quarter_parse(fields[col_q], &r.q)) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %zu: \"%s\" is not a quarter like FY2027Q1",
                               file, lineno, fields[col_q]);
            goto done;
        }
        char where[1400];
        snprintf(where, sizeof where, "%s: line %zu: period_end", file, lineno);
        if ((st = tyche_date_parse(fields[col_end], &r.end, where, err))) goto done;
        if (r.end != tyche_quarter_end(r.q)) {
            char want[11];
            tyche_date_format(tyche_quarter_end(r.q), want);
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s: line %zu: %s ends on %s by the fiscal calendar, not %s", file,
                               lineno, fields[col_q], want, fields[col_end]);
            goto done;
        }
        snprintf(where, sizeof where, "%s: line %zu: published", file, lineno);
        if ((st = tyche_date_parse(fields[col_pub], &r.published, where, err))) goto done;
        if (r.published < r.end) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %zu: %s is published (%s) before it ends (%s)", file,
                               lineno, fields[col_q], fields[col_pub], fields[col_end]);
            goto done;
        }
        /* strictly later: a backtest's origin is its publication day, and a
         * quarter published the same day would be history for it */
        if (n > 0 && r.published <= rows[n - 1].published) {
            st = tyche_err_set(err, TYCHE_EINPUT,
                               "%s: line %zu: %s is published (%s) on or before the day the quarter above it was",
                               file, lineno, fields[col_q], fields[col_pub]);
            goto done;
        }
        const int num = tyche_parse_number(fields[col_v], &r.value);
        if (num < 0) {
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory reading %s", file);
            goto done;
        }
        if (num == 0 || r.value <= 0) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %zu: %s must be a positive number, got \"%s\"",
                               file, lineno, column, fields[col_v]);
            goto done;
        }
        if (n > 0 && r.q != rows[n - 1].q + 1) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %zu: quarters must be consecutive", file,
                               lineno);
            goto done;
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            row_t *nr = tyche_realloc(rows, cap * sizeof *nr);
            if (nr == NULL) {
                st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
                goto done;
            }
            rows = nr;
        }
        rows[n++] = r;
    }
done:
    fclose(f);
    if (st) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return TYCHE_OK;
}

/* ---- prepare --------------------------------------------------------------- */

static tyche_status quarter_setting(const cJSON *js, const char *key, const char *path,
                                    tyche_quarter *q, tyche_err *err) {
    const char *v;
    tyche_status st = tyche_json_string(js, key, 1, NULL, path, &v, err);
    if (st) return st;
    if (!tyche_quarter_parse(v, q))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: \"%s\" is not a quarter like FY2028Q4",
                             path, key, v);
    return TYCHE_OK;
}

/* "calibration": {"method": "ar1_conjugate", "from": QUARTER}: the NIG
 * posterior of the AR(1) regression of g_q on g_(q-1), q from QUARTER to
 * the last history quarter, with the scenario's priors as the prior
 * (calib.h). */
static tyche_status calibration(const tyche_model_setup *su, const cJSON *jc, const char *path,
                                cfg_t *c, tyche_err *err) {
    static const char *const keys[] = {"method", "from", NULL};
    char where[700];
    snprintf(where, sizeof where, "%s.calibration", path);
    if (jc == NULL) return TYCHE_OK;
    if (!cJSON_IsObject(jc))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object", where);
    tyche_status st = tyche_json_check_keys(jc, keys, where, err);
    if (st) return st;
    const char *method;
    tyche_quarter from;
    if ((st = tyche_json_string(jc, "method", 1, NULL, where, &method, err))) return st;
    if (strcmp(method, "ar1_conjugate") != 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.method: unknown method \"%s\" (expected ar1_conjugate)",
                             where, method);
    if ((st = quarter_setting(jc, "from", where, &from, err))) return st;
    /* g_q needs R_q and R_(q-1); its regressor g_(q-1) needs R_(q-2) too */
    const tyche_quarter last = c->first + (tyche_quarter)c->n_hist - 1;
    if (from < c->first + 2 || from > last - 2)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.from: needs two earlier quarters of history and at least three "
                             "quarters up to the last one published by as_of",
                             where);
    double x[512], y[512];
    size_t n = 0;
    for (tyche_quarter q = from; q <= last && n < 512; q++, n++) {
        const size_t i = (size_t)(q - c->first);
        y[n] = log(c->hist[i] / c->hist[i - 1]);
        x[n] = log(c->hist[i - 1] / c->hist[i - 2]);
    }
    tyche_nig prior;
    if (!tyche_nig_from_priors(&su->priors[P_G_INF], &su->priors[P_PHI], &su->priors[P_SIGMA_G],
                               &prior))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: calibration matches the priors of g_inf, phi and sigma_g by their "
                             "mean and variance: sigma_g needs an uncertain prior (an inverse gamma "
                             "cannot match a fixed value), and all three a finite mean and variance "
                             "(a studentt needs df > 2)",
                             where);
    tyche_nig_update(&prior, x, y, n, &c->post);
    c->calibrated = 1;
    if (from + 2 > c->min_origin) c->min_origin = from + 2; /* the window needs its history */
    c->phi_lo = fmax(tyche_dist_quantile(&su->priors[P_PHI], 1e-12), -1.0);
    c->phi_hi = fmin(tyche_dist_quantile(&su->priors[P_PHI], 1 - 1e-12), 1.0);
    return TYCHE_OK;
}

/* Draws (g_inf, phi, sigma_g) from the posterior, with phi kept within its
 * prior's support (the prior is zero outside it) by redrawing. */
static void posterior(const void *vc, double *p, gsl_rng *r) {
    const cfg_t *c = vc;
    if (!c->calibrated) return;
    double cc = 0, phi = 0, s2 = 0;
    for (int k = 0; k < 1000; k++) {
        tyche_nig_sample(&c->post, r, &cc, &phi, &s2);
        if (phi > c->phi_lo && phi < c->phi_hi) break;
    }
    /* a posterior all but outside the support: the nearest admissible value */
    if (!(phi > c->phi_lo)) phi = nextafter(c->phi_lo, 1.0);
    if (!(phi < c->phi_hi)) phi = nextafter(c->phi_hi, -1.0);
    p[P_PHI] = phi;
    p[P_G_INF] = cc / (1 - phi);
    p[P_SIGMA_G] = sqrt(s2);
}

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *layout, tyche_err *err) {
    static const char *const keys[] = {"data",    "column",  "units",       "target",
                                       "reference", "also_at", "calibration", "nu_g", NULL};
    const cJSON *js = settings;
    char path[600];
    snprintf(path, sizeof path, "%s.settings", su->path);
    tyche_status st;
    if (js == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: missing key \"settings\" (data, target, reference)",
                             su->path);
    if ((st = tyche_json_check_keys(js, keys, path, err))) return st;
    const char *data, *column, *units;
    tyche_quarter target, reference;
    if ((st = tyche_json_string(js, "data", 1, NULL, path, &data, err))) return st;
    if ((st = tyche_json_string(js, "column", 0, "data_center_usd_b", path, &column, err))) return st;
    if ((st = tyche_json_string(js, "units", 0, "USD billions", path, &units, err))) return st;
    if ((st = quarter_setting(js, "target", path, &target, err))) return st;
    if ((st = quarter_setting(js, "reference", path, &reference, err))) return st;
    double nu;
    if ((st = tyche_json_number(js, "nu_g", 0, INFINITY, path, &nu, err))) return st;
    /* above 2 the shocks have a variance and sigma_g is their scale; below
     * it single draws of 1e300 made every revenue output missing */
    if (!(nu > 2))
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.nu_g: the growth shocks' degrees of freedom must be above 2 (left out: normal shocks)",
                             path);
    const cJSON *also = cJSON_GetObjectItemCaseSensitive(js, "also_at");
    if (also && !cJSON_IsArray(also))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.also_at: expected an array of quarters", path);
    const size_t n_targets = 1 + (also ? (size_t)cJSON_GetArraySize(also) : 0);
    if (n_targets > 16)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.also_at: at most 15 quarters", path);
    tyche_quarter tq[16];
    tq[0] = target;
    size_t k = 1;
    for (const cJSON *it = also ? also->child : NULL; it; it = it->next, k++) {
        if (!cJSON_IsString(it) || !tyche_quarter_parse(it->valuestring, &tq[k]))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.also_at[%zu]: expected a quarter like FY2028Q3",
                                 path, k - 1);
        for (size_t j = 0; j < k; j++)
            if (tq[j] == tq[k])
                return tyche_err_set(err, TYCHE_EINPUT, "%s.also_at[%zu]: %s is listed twice", path,
                                     k - 1, it->valuestring);
    }

    /* the data file, relative to the scenario's folder */
    char file[1200];
    if (data[0] == '/') snprintf(file, sizeof file, "%s", data);
    else snprintf(file, sizeof file, "%s/%s", su->dir, data);
    row_t *rows = NULL;
    size_t n_rows = 0;
    char where[700];
    snprintf(where, sizeof where, "%s.data", path);
    if ((st = tyche_revenue_read_history(file, where, column, &rows, &n_rows, err))) return st;
    size_t n_hist = 0;
    /* history is what was known at as_of: the quarters published by then */
    while (n_hist < n_rows && rows[n_hist].published <= su->as_of) n_hist++;
    if (n_hist < 2) {
        free(rows);
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s.data: %s has fewer than two quarters published by as_of", path, file);
    }
    const tyche_quarter first = rows[0].q, last_hist = rows[n_hist - 1].q;
    tyche_quarter last = last_hist;
    for (size_t j = 0; j < n_targets; j++) {
        if (tq[j] <= first) {
            free(rows);
            return tyche_err_set(err, TYCHE_EINPUT, "%s.target: every target quarter must come after %s's first quarter",
                                 path, data);
        }
        if (tq[j] > last) last = tq[j];
    }
    if (reference <= first) {
        free(rows);
        return tyche_err_set(err, TYCHE_EINPUT, "%s.reference: must come after the data's first quarter",
                             path);
    }
    if (reference > last) last = reference;
    if (tyche_quarter_end(last) > su->horizon) {
        free(rows);
        char lab[16];
        tyche_quarter_format(last, lab, sizeof lab);
        return tyche_err_set(err, TYCHE_EINPUT, "%s: %s ends after the scenario's horizon", path, lab);
    }

    cfg_t *c = tyche_calloc(1, sizeof *c);
    if (c == NULL) {
        free(rows);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    c->n_hist = n_hist;
    c->nu = nu;
    c->n_sim = (size_t)(last - last_hist);
    if (isfinite(nu) && c->n_sim >= TYCHE_DRAW_BOOST >> 16) {
        /* quarter q's chi-square runs from region q 2^16: below the boost uniforms' (2^29) */
        free(rows);
        free(c);
        return tyche_err_set(err, TYCHE_EINPUT, "%s.nu_g: Student-t shocks for at most %u simulated quarters",
                             path, (unsigned)(TYCHE_DRAW_BOOST >> 16) - 1);
    }
    c->n_points = n_hist + c->n_sim;
    c->first = first;
    c->hist = tyche_malloc(n_hist * sizeof *c->hist);
    c->series = tyche_malloc(n_rows * sizeof *c->series);
    c->published = tyche_malloc(n_rows * sizeof *c->published);
    c->t_sim = tyche_malloc((c->n_sim + 1) * sizeof *c->t_sim);
    c->target = tyche_malloc(n_targets * sizeof *c->target);
    c->outputs = tyche_calloc(n_targets * N_T, sizeof *c->outputs);
    c->strings = tyche_calloc(n_targets * N_T * 2, sizeof *c->strings);
    c->labels = tyche_calloc(c->n_points, sizeof *c->labels);
    c->times = tyche_malloc(c->n_points * sizeof *c->times);
    if (!c->hist || !c->series || !c->published || !c->t_sim || !c->target || !c->outputs || !c->strings || !c->labels || !c->times)
        goto nomem;
    for (size_t i = 0; i < n_hist; i++) c->hist[i] = rows[i].value;
    for (size_t i = 0; i < n_rows; i++) c->series[i] = rows[i].value, c->published[i] = rows[i].published;
    c->n_series = n_rows;
    /* two quarters of history before the first forecast's growth */
    c->min_origin = first + 3;
    free(rows);
    rows = NULL;
    c->g0 = log(c->hist[n_hist - 1] / c->hist[n_hist - 2]);
    c->t0 = tyche_date_decimal_year(tyche_quarter_end(last_hist));
    for (size_t i = 0; i < c->n_sim; i++)
        c->t_sim[i] = tyche_date_decimal_year(tyche_quarter_end(last_hist + 1 + (tyche_quarter)i));
    for (size_t i = 0; i < c->n_points; i++) {
        char lab[16];
        tyche_quarter_format(first + (tyche_quarter)i, lab, sizeof lab);
        if ((c->labels[i] = tyche_strdup(lab)) == NULL) goto nomem;
        c->times[i] = (double)(tyche_quarter_end(first + (tyche_quarter)i) - su->start);
    }
    c->ref = (size_t)(reference - first);
    c->n_targets = n_targets;
    snprintf(c->units, sizeof c->units, "%s", units);
    for (size_t j = 0; j < n_targets; j++) {
        char lab[16], buf[256];
        tyche_quarter_format(tq[j], lab, sizeof lab);
        c->target[j] = (size_t)(tq[j] - first);
        for (size_t t = 0; t < N_T; t++) {
            tyche_output_spec *o = &c->outputs[j * N_T + t];
            if (j == 0) snprintf(buf, sizeof buf, "%s", t_names[t]);
            else snprintf(buf, sizeof buf, "%s_%s", t_names[t], lab);
            if ((o->name = keep(c, tyche_strdup(buf))) == NULL) goto nomem;
            snprintf(buf, sizeof buf, "%s %s", t_desc[t], lab);
            if ((o->description = keep(c, tyche_strdup(buf))) == NULL) goto nomem;
            o->type = TYCHE_OUTPUT_VALUE;
            o->units = t == T_REVENUE ? c->units : t_units[t];
        }
    }
    if ((st = calibration(su, cJSON_GetObjectItemCaseSensitive(js, "calibration"), path, c, err))) {
        cfg_free(c);
        return st;
    }
    if (c->calibrated) layout->posterior = 1u << P_G_INF | 1u << P_PHI | 1u << P_SIGMA_G;
    layout->outputs = c->outputs;
    layout->n_outputs = n_targets * N_T;
    c->path_units[0] = c->units;
    c->path_units[1] = c->units;
    layout->n_vars = 2;
    layout->var_names = path_names;
    layout->var_units = c->path_units;
    layout->dim = "quarter";
    layout->n_points = c->n_points;
    layout->labels = c->labels;
    layout->times = c->times;
    *out = c;
    return TYCHE_OK;
nomem:
    free(rows);
    cfg_free(c);
    return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
}

static void ws_free(void *p) {
    ws_t *w = p;
    if (w == NULL) return;
    free(w->mem);
    free(w);
}

static void *ws_alloc(const void *vc) {
    const cfg_t *c = vc;
    ws_t *w = tyche_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    double **cols[] = {&w->r,   &w->rcf, &w->z,    &w->g,     &w->base, &w->mid,
                       &w->s0,  &w->room, &w->t1,  &w->shape, &w->chi};
    const size_t q = c->n_sim + 1, rows[] = {q, q, q, 1, 1, 1, 1, 1, 1, 1, 1};
    if ((w->mem = tyche_lane_columns(cols, rows, sizeof rows / sizeof rows[0])) == NULL) {
        free(w);
        return NULL;
    }
    return w;
}

/* The adoption share s_max / (1 + exp(-k (t - mid))) at time t (decimal
 * years) for every lane, into out. */
static void adoption(const tyche_vm_ops *vm, size_t n, size_t S, const double *p, const double *mid,
                     double t, double *out) {
    for (size_t i = 0; i < n; i++) out[i] = -p[P_K * S + i] * (t - mid[i]);
    vm->exp(n, out, out);
    for (size_t i = 0; i < n; i++) out[i] = p[P_S_MAX * S + i] / (1.0 + out[i]);
}

static inline __attribute__((always_inline)) void revenue_body(const void *vc,
                                                              tyche_model_block *b) {
    const cfg_t *c = vc;
    ws_t *w = b->ws;
    const size_t n = b->n, S = b->stride, L = TYCHE_LANES;
    const double *p = b->params;
    const tyche_vm_ops *vm = tyche_draws_vm(b->draws);
    for (size_t i = 0; i < n; i++) w->mid[i] = p[P_T_MID * S + i] - p[P_BETA_TZ * S + i] * b->z[i];
    adoption(vm, n, S, p, w->mid, c->t0, w->s0);
    for (size_t i = 0; i < n; i++) {
        /* 1 / the room left to displace (none when s0 = 1: no displacement) */
        w->room[i] = 1.0 - w->s0[i] > 0.0 ? 1.0 / (1.0 - w->s0[i]) : 0.0;
        w->g[i] = c->g0;
        w->base[i] = c->hist[c->n_hist - 1];
    }
    tyche_draws_normals(b->draws, b->lanes, b->stream0 + 0, c->n_sim, w->z, L);
    if (isfinite(c->nu)) {
        for (size_t i = 0; i < n; i++) w->shape[i] = 0.5 * c->nu;
        for (size_t q = 0; q < c->n_sim; q++) {
            tyche_draws_gamma(b->draws, b->lanes, b->stream0 + 1, (uint32_t)q << 16, w->shape, w->chi);
            double *z = w->z + q * L;
            for (size_t i = 0; i < n; i++) z[i] /= sqrt(2.0 * w->chi[i] / c->nu);
        }
    }
    for (size_t q = 0; q < c->n_sim; q++) {
        const double *z = w->z + q * L;
        for (size_t i = 0; i < n; i++)
            w->g[i] = p[P_G_INF * S + i] + p[P_PHI * S + i] * (w->g[i] - p[P_G_INF * S + i]) +
                      p[P_SIGMA_G * S + i] * z[i];
        vm->exp(n, w->g, w->t1);
        for (size_t i = 0; i < n; i++) w->base[i] *= w->t1[i];
        adoption(vm, n, S, p, w->mid, c->t_sim[q], w->t1);
        double *r = w->r + q * L, *rcf = w->rcf + q * L;
        for (size_t i = 0; i < n; i++) {
            const double gain = w->t1[i] - w->s0[i];
            const double loss = p[P_A * S + i] * (gain > 0.0 ? gain : 0.0) * w->room[i];
            r[i] = w->base[i] * (1.0 - loss);
            rcf[i] = w->base[i];
        }
    }
    /* quarter q of lane i: the history's, or the lane's simulated one */
#define REV(a, q) ((q) < c->n_hist ? c->hist[q] : w->a[((q) - c->n_hist) * L + i])
    for (size_t i = 0; i < n; i++) {
        const double g_ref = REV(r, c->ref) / REV(r, c->ref - 1) - 1.0;
        const double g_ref_cf = REV(rcf, c->ref) / REV(rcf, c->ref - 1) - 1.0;
        for (size_t j = 0; j < c->n_targets; j++) {
            const size_t t = c->target[j];
            const double gt = REV(r, t) / REV(r, t - 1) - 1.0;
            const double gt_cf = REV(rcf, t) / REV(rcf, t - 1) - 1.0;
            double *o = b->out + j * N_T * S + i;
            o[T_GROWTH * S] = 100.0 * gt;
            o[T_SLOWDOWN * S] = 100.0 * (g_ref - gt);
            o[T_SLOWDOWN_CF * S] = 100.0 * (g_ref_cf - gt_cf);
            o[T_DISPLACEMENT * S] = o[T_SLOWDOWN * S] - o[T_SLOWDOWN_CF * S];
            o[T_REVENUE * S] = REV(r, t);
        }
        if (b->paths) {
            double *path = b->paths + i * b->path_stride;
            for (size_t k = 0; k < c->n_points; k++) {
                path[k] = REV(r, k);
                path[c->n_points + k] = REV(rcf, k);
            }
        }
    }
#undef REV
}

TYCHE_BLOCK_FN(revenue_block, revenue_body)

/* ---- backtests ------------------------------------------------------------- */

static void backtest_series(const void *vc, tyche_backtest_series *out) {
    const cfg_t *c = vc;
    out->first = c->first;
    out->n = c->n_series;
    out->values = c->series;
    out->published = c->published;
    out->min_origin = c->min_origin;
    out->var = 0; /* revenue */
}

static tyche_status set_quarter(cJSON *obj, const char *key, tyche_quarter q, tyche_err *err) {
    char lab[16];
    tyche_quarter_format(q, lab, sizeof lab);
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (cJSON_AddStringToObject(obj, key, lab) == NULL)
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    return TYCHE_OK;
}

/* One target, `target`, measured against the origin's quarter. */
static tyche_status backtest_settings(void *settings, int32_t origin, int32_t target,
                                      tyche_err *err) {
    cJSON *js = settings;
    cJSON_DeleteItemFromObjectCaseSensitive(js, "also_at");
    if (set_quarter(js, "target", target, err)) return TYCHE_ENOMEM;
    return set_quarter(js, "reference", origin, err);
}

const tyche_model_kind tyche_model_revenue_slowdown = {
    .name = "revenue_slowdown",
    .description = "quarterly revenue: AR(1) log-growth from history, minus logistic "
                   "displacement, with its counterfactual",
    .params = params,
    .n_params = N_P,
    .n_streams = 2, /* the growth shocks' normals and (Student-t) chi-squares; the posterior
                     * draws from its own substream */
    .prepare = prepare,
    .cfg_free = cfg_free,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .simulate_block = revenue_block,
    .posterior = posterior,
    .backtest_series = backtest_series,
    .backtest_settings = backtest_settings,
};
