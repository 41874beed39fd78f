/* Model kind `event` (issue 17): a generic event time, configured in JSON
 * instead of C.  The model's parameters are the keys of its "params" object
 * (the user names them), its inputs the entries of its "inputs" object,
 * {"local_name": "model.output"} (event times of models listed earlier),
 * and "settings" says how they make the hazard:
 *
 *   "rate": R                     baseline hazard per year (R: a parameter's
 *                                 name or a number >= 0); or
 *   "piecewise": [{"until": "2026-12-31", "rate": R}, ..., {"rate": R}]
 *                                 piecewise constant over dates: each rate
 *                                 holds to the end of its "until" day (the
 *                                 last may leave it out: to the horizon);
 *                                 after the last "until", no hazard
 *   "shape": {"weibull": K}       optional (K > 0): the baseline cumulative
 *                                 hazard is R (t / 1 year)^K instead of R t,
 *                                 t from the scenario's start, so P(T <= 1
 *                                 year) is 1 - exp(-R) as with K = 1
 *   "log_hazard": {NAME: B, ...}  log-linear terms, B a number or a
 *                                 parameter: NAME the common factor (B Z),
 *                                 an input (+B once that event has happened,
 *                                 t > its time: a step), or a parameter
 *                                 (B times its value)
 *   "until": "2027-06-30"         optional: no event after the end of that day
 *   "causes": [{"name": "deal", "rate"|"piecewise": ..., "log_hazard": {...}}, ...]
 *                                 optional competing causes instead of the
 *                                 top-level rate (a top-level log_hazard then
 *                                 applies to every cause; the shape is shared)
 *   "follow_on": {"name": "board", "p": P, "after": CAUSE,
 *                 "delay": {"gamma": {"shape": K, "mean": M}} | {"exponential": {"mean": M}}
 *                          | {"lognormal": {"median": M, "sdlog": S}} | {"fixed": M},
 *                 "delay_units": "days" | "weeks" | "months" (default) | "years"}
 *                                 optional: with probability P, a second event
 *                                 a delay after the first (or after cause
 *                                 CAUSE's event only); after the horizon: never
 *
 * Outputs (the layout is built in prepare): "time" (the first event of any
 * cause); with causes, "<cause>_time" per cause and "cause" (a value: the
 * cause's index 1..K, 0 none); with a follow-on, "<name>_time".
 *
 * The math (models/README.md, "event"): the hazard of cause k is
 * R_k(t) exp(eta_k(t)) K t_y^(K-1), t_y = t / 1 year, with R_k and eta_k
 * piecewise constant between breakpoints (the start, the piecewise dates,
 * the lane's input event times, until, the horizon's end).  In u = t_y^K
 * the hazard is piecewise constant, so the event time is exact: one Exp(1)
 * E, the walk of hazard.h over the breakpoints mapped to u, and the time
 * mapped back, t_y = u^(1/K) (closed form; K = 1 skips the mapping).  The
 * cause is drawn from the causes' shares of the hazard in the interval the
 * event falls in (one uniform): the shape is shared, so the shares are
 * constant there.
 *
 * Streams: 0 block 0 the Exp(1) (as -log of its first uniform) and the
 * cause's uniform; 1 the follow-on's uniform (block 0) and a Gamma delay
 * (blocks 1, ...); 2 an exponential or lognormal delay.  Every lane draws
 * them all, whatever happens in it, so the numbers stay aligned across
 * what-if runs.  Observed times (as-of forecasts, b->fixed) replace the
 * simulated ones: an observed cause's time makes it the event (the
 * earliest, if several are given), an observed "time" keeps the simulated
 * cause (the first cause if none happened), an observed follow-on is used
 * as is.  Scalar per-lane code between vector exps: the same bits at any
 * vector width (I11). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/hazard.h"
#include "../kind.h"
#include "../json_util.h"

#define NONE ((size_t)-1)
#define PATHN 1200

/* A JSON path or message into a PATHN buffer (vsnprintf: truncation, at
 * worst, of a message). */
static void subpath(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void subpath(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, PATHN, fmt, ap);
    va_end(ap);
}
#define YEAR TYCHE_DAYS_PER_YEAR

/* A number or a parameter of the model. */
typedef struct {
    int is_param;
    size_t idx;
    double v;
} ref_t;

enum { T_Z, T_PARAM, T_INPUT };
typedef struct {
    int what;
    size_t idx; /* the parameter or input */
    ref_t coef;
} term_t;

typedef struct {
    char *name;         /* the cause's name, NULL without causes */
    size_t n_pieces;
    double *piece_end;  /* days since start; INFINITY: to the horizon */
    ref_t *piece_rate;
    size_t n_terms;
    term_t *terms;
    size_t n_steps;     /* its T_INPUT terms */
    size_t sf0;         /* its first step factor column in the workspace */
} cause_t;

enum { D_GAMMA, D_EXPONENTIAL, D_LOGNORMAL, D_FIXED };

/* What a parameter is used as: its domain is the intersection. */
enum { R_ANY = 1, R_NONNEG = 2, R_POS = 4, R_PROB = 8 };

typedef struct {
    /* parsing context */
    const char *const *pnames;
    size_t n_params;
    const char *const *inames;
    size_t n_inputs;
    const char *common;
    int32_t start, horizon;
    unsigned *role;       /* per parameter, or NULL */
    char **units;         /* per parameter: the units of its first use, or NULL */
    char **use;           /* per parameter: its first use, relative to settings, or NULL */
    const char *delay_units;
    /* the model */
    size_t K;
    int has_causes;
    cause_t *cause;
    int has_shape;
    ref_t shape;
    double t_until, t_end;
    size_t n_static;      /* static intervals: T[0..n_static] */
    double *T;
    size_t *piece_at;     /* K x n_static: the piece of cause k on interval s, or NONE */
    size_t n_sf;          /* step factors over all causes */
    int has_follow;
    char *fname;
    ref_t fp, d1, d2;
    int dkind;
    size_t after;         /* a cause index or NONE (any) */
    double unit_days;
    /* outputs */
    size_t n_out, o_time, o_ct, o_cause, o_follow;
    tyche_output_spec *out;
    char **strs;          /* 2 per output: name, description */
} cfg_t;

static tyche_status oom(tyche_err *err) { return tyche_err_set(err, TYCHE_ENOMEM, "out of memory"); }

static void cfg_free(void *vc) {
    cfg_t *c = vc;
    if (c == NULL) return;
    for (size_t k = 0; c->cause && k < c->K; k++) {
        free(c->cause[k].name);
        free(c->cause[k].piece_end);
        free(c->cause[k].piece_rate);
        free(c->cause[k].terms);
    }
    free(c->cause);
    free(c->T);
    free(c->piece_at);
    free(c->fname);
    for (size_t i = 0; c->strs && i < 2 * c->n_out; i++) free(c->strs[i]);
    free(c->strs);
    free(c->out);
    free(c);
}

/* "a, b, c" of names into buf ("none" when there are none). */
static const char *list(char *buf, size_t len, const char *const *names, size_t n) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", names[i]);
    if (n == 0) snprintf(buf, len, "none");
    return buf;
}

static size_t find(const char *const *names, size_t n, const char *s) {
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0) return i;
    return NONE;
}

static const char *role_text(unsigned role) {
    return role == R_POS ? "> 0" : role == R_NONNEG ? ">= 0" : role == R_PROB ? "in [0, 1]" : "finite";
}

/* Reads a number or a parameter's name at `where` for the use `role`. */
static tyche_status parse_ref(cfg_t *c, const cJSON *it, const char *where, unsigned role,
                              const char *units, ref_t *out, tyche_err *err) {
    if (it == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: missing", where);
    if (cJSON_IsNumber(it)) {
        const double v = it->valuedouble;
        const int okv = isfinite(v) && (role == R_ANY || (role == R_NONNEG && v >= 0) ||
                                        (role == R_POS && v > 0) || (role == R_PROB && v >= 0 && v <= 1));
        if (!okv) return tyche_err_set(err, TYCHE_EINPUT, "%s: %g must be %s", where, v, role_text(role));
        *out = (ref_t){.is_param = 0, .idx = 0, .v = v};
        return TYCHE_OK;
    }
    if (!cJSON_IsString(it))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a number or a parameter's name, got %s",
                             where, tyche_json_type_name(it));
    const size_t k = find(c->pnames, c->n_params, it->valuestring);
    if (k == NONE) {
        char names[512];
        return tyche_err_set(err, TYCHE_EINPUT, "%s: no parameter named \"%s\" (params: %s)", where,
                             it->valuestring, list(names, sizeof names, c->pnames, c->n_params));
    }
    if (c->role) {
        c->role[k] |= role;
        if (c->use[k] == NULL) {
            const char *rel = strstr(where, ".settings.");
            if ((c->use[k] = tyche_strdup(rel ? rel + 10 : where)) == NULL) return oom(err);
            if ((c->units[k] = tyche_strdup(units)) == NULL) return oom(err);
        }
    }
    *out = (ref_t){.is_param = 1, .idx = k, .v = 0};
    return TYCHE_OK;
}

static tyche_status parse_log_hazard(cfg_t *c, const cJSON *lh, const char *where, cause_t *ca,
                                     tyche_err *err) {
    if (!cJSON_IsObject(lh))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", where,
                             tyche_json_type_name(lh));
    const size_t n = (size_t)cJSON_GetArraySize(lh);
    term_t *t = tyche_realloc(ca->terms, (ca->n_terms + n + 1) * sizeof *t);
    if (t == NULL) return oom(err);
    ca->terms = t;
    for (const cJSON *it = lh->child; it; it = it->next) {
        char w[PATHN];
        subpath(w, "%s.%s", where, it->string);
        for (const cJSON *o = lh->child; o != it; o = o->next)
            if (strcmp(o->string, it->string) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s: given twice", w);
        term_t *tm = &ca->terms[ca->n_terms];
        size_t k;
        if (c->common && strcmp(it->string, c->common) == 0)
            tm->what = T_Z, tm->idx = 0;
        else if ((k = find(c->inames, c->n_inputs, it->string)) != NONE)
            tm->what = T_INPUT, tm->idx = k;
        else if ((k = find(c->pnames, c->n_params, it->string)) != NONE) {
            tm->what = T_PARAM, tm->idx = k;
            if (c->role) c->role[k] |= R_ANY;
            if (c->use && c->use[k] == NULL) {
                const char *rel = strstr(w, ".settings.");
                if ((c->use[k] = tyche_strdup(rel ? rel + 10 : w)) == NULL) return oom(err);
                if ((c->units[k] = tyche_strdup("1")) == NULL) return oom(err);
            }
        } else {
            char in[400], pn[400];
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: no input, parameter or common factor named \"%s\" (inputs: %s; "
                                 "params: %s; common factor: %s)",
                                 w, it->string, list(in, sizeof in, c->inames, c->n_inputs),
                                 list(pn, sizeof pn, c->pnames, c->n_params),
                                 c->common ? c->common : "none");
        }
        tyche_status st = parse_ref(c, it, w, R_ANY, "1", &tm->coef, err);
        if (st) return st;
        ca->n_steps += tm->what == T_INPUT;
        ca->n_terms++;
    }
    return TYCHE_OK;
}

/* A date at obj[key] as the end of that day, days since start. */
static tyche_status end_of_day(const cfg_t *c, const cJSON *obj, const char *key, const char *where,
                               double *out, tyche_err *err) {
    int32_t d;
    tyche_status st = tyche_json_date(obj, key, 1, 0, where, &d, err);
    if (st) return st;
    if (d < c->start || d > c->horizon)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: must lie between the scenario's start and horizon",
                             where, key);
    *out = (double)(d + 1 - c->start);
    return TYCHE_OK;
}

/* A cause's (or the single event's) rate or piecewise rates. */
static tyche_status parse_rate(cfg_t *c, const cJSON *obj, const char *where, cause_t *ca, tyche_err *err) {
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(obj, "rate");
    const cJSON *pw = cJSON_GetObjectItemCaseSensitive(obj, "piecewise");
    char w[PATHN];
    if ((r == NULL) == (pw == NULL))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: needs one of \"rate\" and \"piecewise\"%s", where,
                             r ? ", not both" : "");
    if (r) {
        ca->n_pieces = 1;
        ca->piece_end = tyche_malloc(sizeof *ca->piece_end);
        ca->piece_rate = tyche_malloc(sizeof *ca->piece_rate);
        if (!ca->piece_end || !ca->piece_rate) return oom(err);
        ca->piece_end[0] = INFINITY;
        subpath(w, "%s.rate", where);
        return parse_ref(c, r, w, R_NONNEG, "per year", &ca->piece_rate[0], err);
    }
    subpath(w, "%s.piecewise", where);
    if (!cJSON_IsArray(pw) || cJSON_GetArraySize(pw) == 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a non-empty array of {\"until\", \"rate\"}", w);
    const size_t n = (size_t)cJSON_GetArraySize(pw);
    ca->piece_end = tyche_malloc(n * sizeof *ca->piece_end);
    ca->piece_rate = tyche_malloc(n * sizeof *ca->piece_rate);
    if (!ca->piece_end || !ca->piece_rate) return oom(err);
    size_t j = 0;
    for (const cJSON *it = pw->child; it; it = it->next, j++) {
        static const char *const keys[] = {"until", "rate", NULL};
        char wj[PATHN], wr[PATHN];
        subpath(wj, "%s[%zu]", w, j);
        if (!cJSON_IsObject(it))
            return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", wj,
                                 tyche_json_type_name(it));
        tyche_status st = tyche_json_check_keys(it, keys, wj, err);
        if (st) return st;
        ca->n_pieces = j + 1;
        if (cJSON_GetObjectItemCaseSensitive(it, "until")) {
            if ((st = end_of_day(c, it, "until", wj, &ca->piece_end[j], err))) return st;
            if (j > 0 && !(ca->piece_end[j] > ca->piece_end[j - 1]))
                return tyche_err_set(err, TYCHE_EINPUT, "%s.until: must come after the previous one", wj);
        } else if (it->next != NULL) {
            return tyche_err_set(err, TYCHE_EINPUT, "%s: missing \"until\" (only the last may leave it out)",
                                 wj);
        } else {
            ca->piece_end[j] = INFINITY;
        }
        subpath(wr, "%s.rate", wj);
        if ((st = parse_ref(c, cJSON_GetObjectItemCaseSensitive(it, "rate"), wr, R_NONNEG, "per year",
                            &ca->piece_rate[j], err)))
            return st;
    }
    return TYCHE_OK;
}

static int valid_ident(const char *s) {
    if (s == NULL || *s == '\0' || strlen(s) > 48) return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return 0;
    return 1;
}

static tyche_status parse_follow(cfg_t *c, const cJSON *fo, const char *where, tyche_err *err) {
    static const char *const keys[] = {"name", "p", "after", "delay", "delay_units", NULL};
    tyche_status st;
    if (!cJSON_IsObject(fo))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", where,
                             tyche_json_type_name(fo));
    if ((st = tyche_json_check_keys(fo, keys, where, err))) return st;
    const char *name, *units, *after;
    if ((st = tyche_json_string(fo, "name", 1, NULL, where, &name, err))) return st;
    if (!valid_ident(name))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.name: \"%s\" must be 1-48 letters, digits, '_' or '-'",
                             where, name);
    if ((c->fname = tyche_strdup(name)) == NULL) return oom(err);
    if ((st = tyche_json_string(fo, "delay_units", 0, "months", where, &units, err))) return st;
    static const char *const unames[] = {"days", "weeks", "months", "years"};
    static const double udays[] = {1.0, 7.0, YEAR / 12.0, YEAR};
    size_t u = find(unames, 4, units);
    if (u == NONE)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.delay_units: \"%s\" is not days, weeks, months or years",
                             where, units);
    c->unit_days = udays[u];
    c->delay_units = unames[u];
    c->after = NONE;
    if ((st = tyche_json_string(fo, "after", 0, NULL, where, &after, err))) return st;
    if (after) {
        for (size_t k = 0; c->has_causes && k < c->K; k++)
            if (strcmp(c->cause[k].name, after) == 0) c->after = k;
        if (c->after == NONE)
            return tyche_err_set(err, TYCHE_EINPUT, "%s.after: \"%s\" is not one of settings.causes' names",
                                 where, after);
    }
    char w[PATHN], wd[PATHN], wx[PATHN];
    subpath(w, "%s.p", where);
    if ((st = parse_ref(c, cJSON_GetObjectItemCaseSensitive(fo, "p"), w, R_PROB, "1", &c->fp, err)))
        return st;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(fo, "delay");
    subpath(w, "%s.delay", where);
    if (!cJSON_IsObject(d) || cJSON_GetArraySize(d) != 1)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: expected an object with one of \"gamma\", \"exponential\", \"lognormal\", "
                             "\"fixed\"",
                             w);
    const cJSON *f = d->child;
    subpath(wd, "%s.%s", w, f->string);
    static const char *const forms[] = {"gamma", "exponential", "lognormal", "fixed"};
    static const char *const a1[] = {"shape", "mean", "median", NULL};
    static const char *const a2[] = {"mean", NULL, "sdlog", NULL};
    static const unsigned r1[] = {R_POS, R_POS, R_POS, R_NONNEG};
    static const unsigned r2[] = {R_POS, 0, R_NONNEG, 0};
    const size_t form = find(forms, 4, f->string);
    if (form == NONE)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: unknown delay \"%s\" (expected gamma, exponential, lognormal or fixed)", w,
                             f->string);
    c->dkind = (int)form;
    if (form == D_FIXED) return parse_ref(c, f, wd, R_NONNEG, c->delay_units, &c->d1, err);
    const char *const fk[] = {a1[form], a2[form], NULL};
    if (!cJSON_IsObject(f))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", wd, tyche_json_type_name(f));
    if ((st = tyche_json_check_keys(f, fk, wd, err))) return st;
    subpath(wx, "%s.%s", wd, a1[form]);
    if ((st = parse_ref(c, cJSON_GetObjectItemCaseSensitive(f, a1[form]), wx, r1[form],
                        form == D_GAMMA ? "1" : c->delay_units, &c->d1, err)))
        return st;
    if (a2[form] == NULL) return TYCHE_OK;
    subpath(wx, "%s.%s", wd, a2[form]);
    return parse_ref(c, cJSON_GetObjectItemCaseSensitive(f, a2[form]), wx, r2[form],
                     form == D_GAMMA ? c->delay_units : "1", &c->d2, err);
}

static int cmp_double(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Output k: its name and description (formatted, owned). */
static tyche_status put_output(cfg_t *c, const char *path, size_t k, tyche_output_type type,
                               const char *units, const char *name, const char *desc, tyche_err *err) {
    if ((c->strs[2 * k] = tyche_strdup(name)) == NULL || (c->strs[2 * k + 1] = tyche_strdup(desc)) == NULL)
        return oom(err);
    for (size_t j = 0; j < k; j++)
        if (strcmp(c->strs[2 * j], name) == 0)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s: two outputs named \"%s\": rename a cause or the follow-on", path, name);
    c->out[k] = (tyche_output_spec){c->strs[2 * k], type, units, c->strs[2 * k + 1]};
    return TYCHE_OK;
}

/* The whole of "settings" into c (whose parsing context is set). */
static tyche_status parse(cfg_t *c, const char *mpath, const cJSON *js, tyche_err *err) {
    static const char *const keys[] = {"rate",  "piecewise", "shape",     "log_hazard",
                                       "until", "causes",    "follow_on", NULL};
    char path[PATHN], w[PATHN];
    tyche_status st;
    subpath(path, "%s.settings", mpath);
    if (js == NULL)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: missing: an event model needs \"rate\", \"piecewise\" or "
                             "\"causes\"", path);
    if ((st = tyche_json_check_keys(js, keys, path, err))) return st;
    c->t_end = (double)(c->horizon + 1 - c->start);
    c->t_until = c->t_end;
    if (cJSON_GetObjectItemCaseSensitive(js, "until") &&
        (st = end_of_day(c, js, "until", path, &c->t_until, err)))
        return st;
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(js, "shape");
    if (shape) {
        static const char *const skeys[] = {"weibull", NULL};
        subpath(w, "%s.shape", path);
        if (!cJSON_IsObject(shape))
            return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object such as {\"weibull\": \"k\"}, got %s",
                                 w, tyche_json_type_name(shape));
        if ((st = tyche_json_check_keys(shape, skeys, w, err))) return st;
        subpath(w, "%s.shape.weibull", path);
        if ((st = parse_ref(c, cJSON_GetObjectItemCaseSensitive(shape, "weibull"), w, R_POS, "1", &c->shape,
                            err)))
            return st;
        c->has_shape = 1;
    }
    const cJSON *causes = cJSON_GetObjectItemCaseSensitive(js, "causes");
    const cJSON *lh = cJSON_GetObjectItemCaseSensitive(js, "log_hazard");
    if (causes) {
        subpath(w, "%s.causes", path);
        if (!cJSON_IsArray(causes) || cJSON_GetArraySize(causes) == 0)
            return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a non-empty array of causes", w);
        if (cJSON_GetObjectItemCaseSensitive(js, "rate") || cJSON_GetObjectItemCaseSensitive(js, "piecewise"))
            return tyche_err_set(err, TYCHE_EINPUT, "%s.%s: with causes, each cause has its own rate", path,
                                 cJSON_GetObjectItemCaseSensitive(js, "rate") ? "rate" : "piecewise");
        c->has_causes = 1;
        c->K = (size_t)cJSON_GetArraySize(causes);
    } else {
        c->K = 1;
    }
    if ((c->cause = tyche_calloc(c->K, sizeof *c->cause)) == NULL) return oom(err);
    const cJSON *it = causes ? causes->child : js;
    for (size_t k = 0; k < c->K; k++, it = it ? it->next : NULL) {
        cause_t *ca = &c->cause[k];
        char wc[PATHN], wl[PATHN];
        if (causes) {
            static const char *const ckeys[] = {"name", "rate", "piecewise", "log_hazard", NULL};
            subpath(wc, "%s.causes[%zu]", path, k);
            if (!cJSON_IsObject(it))
                return tyche_err_set(err, TYCHE_EINPUT, "%s: expected an object, got %s", wc,
                                     tyche_json_type_name(it));
            if ((st = tyche_json_check_keys(it, ckeys, wc, err))) return st;
            const char *name;
            if ((st = tyche_json_string(it, "name", 1, NULL, wc, &name, err))) return st;
            if (!valid_ident(name) || strcmp(name, "cause") == 0)
                return tyche_err_set(err, TYCHE_EINPUT,
                                     "%s.name: \"%s\" must be 1-48 letters, digits, '_' or '-', not \"cause\"",
                                     wc, name);
            for (size_t j = 0; j < k; j++)
                if (strcmp(c->cause[j].name, name) == 0)
                    return tyche_err_set(err, TYCHE_EINPUT, "%s.name: \"%s\" is already causes[%zu]'s", wc,
                                         name, j);
            if ((ca->name = tyche_strdup(name)) == NULL) return oom(err);
        } else {
            subpath(wc, "%s", path);
        }
        if ((st = parse_rate(c, it, wc, ca, err))) return st;
        /* the shared terms first, then the cause's own */
        subpath(wl, "%s.log_hazard", path);
        if (lh && (st = parse_log_hazard(c, lh, wl, ca, err))) return st;
        const cJSON *own = causes ? cJSON_GetObjectItemCaseSensitive(it, "log_hazard") : NULL;
        subpath(wl, "%s.log_hazard", wc);
        if (own && (st = parse_log_hazard(c, own, wl, ca, err))) return st;
        ca->sf0 = c->n_sf;
        c->n_sf += ca->n_steps;
    }
    const cJSON *fo = cJSON_GetObjectItemCaseSensitive(js, "follow_on");
    if (fo) {
        subpath(w, "%s.follow_on", path);
        if ((st = parse_follow(c, fo, w, err))) return st;
        c->has_follow = 1;
    }

    /* the static breakpoints: the start, the pieces' ends, until */
    size_t cap = 2;
    for (size_t k = 0; k < c->K; k++) cap += c->cause[k].n_pieces;
    if ((c->T = tyche_malloc(cap * sizeof *c->T)) == NULL) return oom(err);
    size_t m = 0;
    c->T[m++] = 0.0;
    for (size_t k = 0; k < c->K; k++)
        for (size_t j = 0; j < c->cause[k].n_pieces; j++)
            if (c->cause[k].piece_end[j] < c->t_until) c->T[m++] = c->cause[k].piece_end[j];
    c->T[m++] = c->t_until;
    qsort(c->T, m, sizeof *c->T, cmp_double);
    size_t u = 1;
    for (size_t i = 1; i < m; i++)
        if (c->T[i] > c->T[u - 1]) c->T[u++] = c->T[i];
    c->n_static = u - 1; /* until > 0 always: at least one interval */
    if ((c->piece_at = tyche_malloc(c->K * c->n_static * sizeof *c->piece_at)) == NULL) return oom(err);
    for (size_t k = 0; k < c->K; k++)
        for (size_t s = 0; s < c->n_static; s++) {
            size_t j = 0;
            while (j < c->cause[k].n_pieces && !(c->cause[k].piece_end[j] > c->T[s])) j++;
            c->piece_at[k * c->n_static + s] = j < c->cause[k].n_pieces ? j : NONE;
        }

    /* the outputs */
    c->n_out = 1 + (c->has_causes ? c->K + 1 : 0) + (size_t)c->has_follow;
    c->out = tyche_calloc(c->n_out, sizeof *c->out);
    c->strs = tyche_calloc(2 * c->n_out, sizeof *c->strs);
    if (!c->out || !c->strs) return oom(err);
    size_t o = 0;
    c->o_time = o;
    if ((st = put_output(c, path, o++, TYCHE_OUTPUT_TIME, "", "time",
                         c->has_causes ? "time of the event (the first of its causes)" : "time of the event",
                         err)))
        return st;
    c->o_ct = o;
    for (size_t k = 0; c->has_causes && k < c->K; k++) {
        char name[PATHN], desc[PATHN];
        subpath(name, "%s_time", c->cause[k].name);
        subpath(desc, "time of the event, when its cause is %s", c->cause[k].name);
        if ((st = put_output(c, path, o++, TYCHE_OUTPUT_TIME, "", name, desc, err))) return st;
    }
    c->o_cause = o;
    if (c->has_causes &&
        (st = put_output(c, path, o++, TYCHE_OUTPUT_VALUE, "1", "cause",
                         "which cause happened: its index in settings.causes from 1, 0 none", err)))
        return st;
    c->o_follow = o;
    if (c->has_follow) {
        char name[PATHN];
        subpath(name, "%s_time", c->fname);
        if ((st = put_output(c, path, o++, TYCHE_OUTPUT_TIME, "", name, "time of the follow-on event", err)))
            return st;
    }
    return TYCHE_OK;
}

/* ---- declare: the parameters and inputs the JSON names ---------------- */

typedef struct {
    char **strs; /* everything allocated, freed by decl_free */
    size_t n;
} owned_t;

static void decl_free(tyche_model_decl *d) {
    owned_t *o = d->owned;
    if (o) {
        for (size_t i = 0; i < o->n; i++) free(o->strs[i]);
        free(o->strs);
        free(o);
    }
    free(d->params);
    free(d->inputs);
    memset(d, 0, sizeof *d);
}

static char *keep(owned_t *o, char *s) {
    if (s) o->strs[o->n++] = s;
    return s;
}

static tyche_status declare(const tyche_model_setup *su, const void *model, tyche_model_decl *d,
                            tyche_err *err) {
    const cJSON *jm = model;
    const cJSON *jp = cJSON_GetObjectItemCaseSensitive(jm, "params");
    const cJSON *ji = cJSON_GetObjectItemCaseSensitive(jm, "inputs");
    char w[PATHN];
    if (jp && !cJSON_IsObject(jp))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.params: expected an object, got %s", su->path,
                             tyche_json_type_name(jp));
    if (ji && !cJSON_IsObject(ji))
        return tyche_err_set(err, TYCHE_EINPUT, "%s.inputs: expected an object, got %s", su->path,
                             tyche_json_type_name(ji));
    const size_t np = jp ? (size_t)cJSON_GetArraySize(jp) : 0, ni = ji ? (size_t)cJSON_GetArraySize(ji) : 0;
    if (ni > TYCHE_KIND_MAX_INPUTS)
        return tyche_err_set(err, TYCHE_EINPUT, "%s.inputs: %zu inputs, more than the %d a model may have",
                             su->path, ni, TYCHE_KIND_MAX_INPUTS);
    memset(d, 0, sizeof *d);
    owned_t *o = tyche_calloc(1, sizeof *o);
    if (o == NULL) return oom(err);
    d->owned = o;
    o->strs = tyche_calloc(3 * (np + ni) + 1, sizeof *o->strs);
    d->params = tyche_calloc(np + 1, sizeof *d->params);
    d->inputs = tyche_calloc(ni + 1, sizeof *d->inputs);
    const char **pn = tyche_calloc(np + 1, sizeof *pn), **in = tyche_calloc(ni + 1, sizeof *in);
    cfg_t *c = tyche_calloc(1, sizeof *c);
    tyche_status st = TYCHE_OK;
    if (!o->strs || !d->params || !d->inputs || !pn || !in || !c) {
        st = oom(err);
        goto done;
    }
    size_t k = 0;
    for (const cJSON *it = jp ? jp->child : NULL; it; it = it->next) pn[k++] = it->string;
    k = 0;
    for (const cJSON *it = ji ? ji->child : NULL; it; it = it->next, k++) {
        tyche_output_type type;
        subpath(w, "%s.inputs.%s", su->path, it->string);
        if (!cJSON_IsString(it)) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: expected a string naming an event time (\"model.output\"), "
                               "got %s", w, tyche_json_type_name(it));
            goto done;
        }
        if (!su->earlier_output(su->scope, it->valuestring, &type)) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is not an output of a model listed before this one",
                               w, it->valuestring);
            goto done;
        }
        if (type != TYCHE_OUTPUT_TIME) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is not an event time", w, it->valuestring);
            goto done;
        }
        const char *clash = find(pn, np, it->string) != NONE ? "a parameter's"
                            : (su->common_name && strcmp(su->common_name, it->string) == 0) ? "the common factor's"
                                                                                           : NULL;
        if (clash) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: \"%s\" is also %s name (log_hazard could not tell them apart)",
                               w, it->string, clash);
            goto done;
        }
        if (find(in, k, it->string) != NONE) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: given twice", w);
            goto done;
        }
        in[k] = it->string;
        tyche_input_spec *is = &d->inputs[k];
        is->name = keep(o, tyche_strdup(it->string));
        is->source = keep(o, tyche_strdup(it->valuestring));
        char desc[PATHN];
        subpath(desc, "the time of %s (a step in log_hazard)", it->valuestring);
        is->description = keep(o, tyche_strdup(desc));
        if (!is->name || !is->source || !is->description) {
            st = oom(err);
            goto done;
        }
    }
    for (size_t j = 0; j < np; j++)
        if (su->common_name && strcmp(su->common_name, pn[j]) == 0) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.params.%s: \"%s\" is also the common factor's name", su->path,
                               pn[j], pn[j]);
            goto done;
        }
    /* the settings tell each parameter's use, hence its domain */
    c->pnames = pn, c->n_params = np, c->inames = in, c->n_inputs = ni, c->common = su->common_name;
    c->start = su->start, c->horizon = su->horizon;
    c->role = tyche_calloc(np + 1, sizeof *c->role);
    c->units = tyche_calloc(np + 1, sizeof *c->units);
    c->use = tyche_calloc(np + 1, sizeof *c->use);
    if (!c->role || !c->units || !c->use) {
        st = oom(err);
        goto roles;
    }
    if ((st = parse(c, su->path, cJSON_GetObjectItemCaseSensitive(jm, "settings"), err))) goto roles;
    for (size_t j = 0; j < np; j++) {
        tyche_param_spec *ps = &d->params[j];
        const unsigned r = c->role[j];
        if (r == 0) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s.params.%s: not used by the settings", su->path, pn[j]);
            goto roles;
        }
        ps->lo = (r & (R_NONNEG | R_POS | R_PROB)) ? 0.0 : -INFINITY;
        ps->lo_open = (r & R_POS) != 0;
        ps->hi = (r & R_PROB) ? 1.0 : INFINITY;
        char desc[PATHN];
        subpath(desc, "an event parameter (settings.%s)", c->use[j]);
        ps->name = keep(o, tyche_strdup(pn[j]));
        ps->units = keep(o, tyche_strdup(c->units[j]));
        ps->description = keep(o, tyche_strdup(desc));
        if (!ps->name || !ps->units || !ps->description) {
            st = oom(err);
            goto roles;
        }
    }
    d->n_params = np;
    d->n_inputs = ni;
    d->n_streams = 3;
roles:
    for (size_t j = 0; c->units && j < np; j++) free(c->units[j]);
    for (size_t j = 0; c->use && j < np; j++) free(c->use[j]);
    free(c->role);
    free(c->units);
    free(c->use);
done:
    free(pn);
    free(in);
    cfg_free(c);
    if (st) decl_free(d);
    return st;
}

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *layout, tyche_err *err) {
    cfg_t *c = tyche_calloc(1, sizeof *c);
    const char **pn = tyche_calloc(su->n_params + 1, sizeof *pn);
    const char **in = tyche_calloc(su->n_inputs + 1, sizeof *in);
    tyche_status st = TYCHE_OK;
    if (!c || !pn || !in) {
        st = oom(err);
        goto fail;
    }
    for (size_t k = 0; k < su->n_params; k++) pn[k] = su->params[k].name;
    for (size_t k = 0; k < su->n_inputs; k++) in[k] = su->inputs[k].name;
    c->pnames = pn, c->n_params = su->n_params, c->inames = in, c->n_inputs = su->n_inputs;
    c->common = su->common_name, c->start = su->start, c->horizon = su->horizon;
    if ((st = parse(c, su->path, settings, err))) goto fail;
    c->pnames = NULL, c->inames = NULL; /* only parsing reads the names */
    free(pn);
    free(in);
    layout->outputs = c->out;
    layout->n_outputs = c->n_out;
    /* for as-of declarations (kind.h): a cause's time is the event's or
     * never, so it follows it; the event is the first of its causes; the
     * follow-on follows what it is after */
    /* the follow-on first: the table holds 8 pairs, and the group rule
     * (first_of) covers causes beyond them */
    if (c->has_follow && layout->n_follows < TYCHE_LAYOUT_MAX_FOLLOWS) {
        layout->follows[layout->n_follows].later = (uint32_t)c->o_follow;
        layout->follows[layout->n_follows++].earlier =
            (uint32_t)(c->after == NONE || !c->has_causes ? c->o_time : c->o_ct + c->after);
    }
    for (size_t k = 0; c->has_causes && k < c->K && layout->n_follows < TYCHE_LAYOUT_MAX_FOLLOWS; k++) {
        layout->follows[layout->n_follows].later = (uint32_t)(c->o_ct + k);
        layout->follows[layout->n_follows++].earlier = (uint32_t)c->o_time;
    }
    if (c->has_causes) {
        layout->first_of[0].out = (uint32_t)c->o_time;
        layout->first_of[0].first = (uint32_t)c->o_ct;
        layout->first_of[0].n = (uint32_t)c->K;
        layout->n_first_of = 1;
    }
    *out = c;
    return TYCHE_OK;
fail:
    free(pn);
    free(in);
    cfg_free(c);
    return st;
}

/* ---- simulation, a block of trials at a time ---------------------------- */

typedef struct {
    double *mem;
    double *e, *u2, *uf, *dly, *tmp, *lin, *sf; /* lane columns (lin: K rows, sf: n_sf rows) */
    double *tb, *ub, *hz;                       /* one lane's breakpoints and hazards */
} ws_t;

static void ws_free(void *p) {
    ws_t *w = p;
    if (w == NULL) return;
    free(w->mem);
    free(w->tb);
    free(w->ub);
    free(w->hz);
    free(w);
}

static void *ws_alloc(const void *vc) {
    const cfg_t *c = vc;
    ws_t *w = tyche_calloc(1, sizeof *w);
    if (w == NULL) return NULL;
    double **cols[] = {&w->e, &w->u2, &w->uf, &w->dly, &w->tmp, &w->lin, &w->sf};
    const size_t rows[] = {1, 1, 1, 1, 1, c->K, c->n_sf};
    const size_t max_iv = c->n_static + c->n_inputs;
    w->mem = tyche_lane_columns(cols, rows, sizeof rows / sizeof rows[0]);
    w->tb = tyche_malloc((max_iv + 1) * sizeof *w->tb);
    w->ub = tyche_malloc((max_iv + 1) * sizeof *w->ub);
    w->hz = tyche_malloc((c->K * max_iv + 1) * sizeof *w->hz);
    if (!w->mem || !w->tb || !w->ub || !w->hz) {
        ws_free(w);
        return NULL;
    }
    return w;
}

#define REF(r, i) ((r).is_param ? p[(r).idx * S + (i)] : (r).v)

static inline __attribute__((always_inline)) void event_body(const void *vc, tyche_model_block *b) {
    const cfg_t *c = vc;
    ws_t *w = b->ws;
    const size_t n = b->n, S = b->stride, L = TYCHE_LANES, K = c->K, ns = c->n_static;
    const double *p = b->params;
    const tyche_vm_ops *vm = tyche_draws_vm(b->draws);
    /* stream 0: the Exp(1) (as -log u) and the cause's uniform */
    tyche_draws_uniform(b->draws, b->lanes, b->stream0 + 0, 0, w->e, w->u2);
    vm->log(n, w->e, w->e);
    /* per cause: exp of its constant terms (lin), and exp of each step */
    for (size_t k = 0; k < K; k++) {
        const cause_t *ca = &c->cause[k];
        double *lin = w->lin + k * L;
        for (size_t i = 0; i < n; i++) lin[i] = 0.0;
        for (size_t t = 0, j = 0; t < ca->n_terms; t++) {
            const term_t *tm = &ca->terms[t];
            if (tm->what == T_Z) {
                for (size_t i = 0; i < n; i++) lin[i] += REF(tm->coef, i) * b->z[i];
            } else if (tm->what == T_PARAM) {
                for (size_t i = 0; i < n; i++) lin[i] += REF(tm->coef, i) * p[tm->idx * S + i];
            } else {
                double *sf = w->sf + (ca->sf0 + j++) * L;
                for (size_t i = 0; i < n; i++) sf[i] = REF(tm->coef, i);
                vm->exp(n, sf, sf);
            }
        }
        vm->exp(n, lin, lin);
    }
    /* the follow-on's draws and delays (days), for every lane */
    if (c->has_follow) {
        tyche_draws_uniform(b->draws, b->lanes, b->stream0 + 1, 0, w->uf, NULL);
        switch (c->dkind) {
        case D_GAMMA:
            for (size_t i = 0; i < n; i++) w->tmp[i] = REF(c->d1, i);
            tyche_draws_gamma(b->draws, b->lanes, b->stream0 + 1, 1, w->tmp, w->dly);
            for (size_t i = 0; i < n; i++)
                w->dly[i] = w->dly[i] * (REF(c->d2, i) / REF(c->d1, i)) * c->unit_days;
            break;
        case D_EXPONENTIAL:
            tyche_draws_exponential(b->draws, b->lanes, b->stream0 + 2, 0, w->dly);
            for (size_t i = 0; i < n; i++) w->dly[i] = w->dly[i] * REF(c->d1, i) * c->unit_days;
            break;
        case D_LOGNORMAL:
            tyche_draws_normals(b->draws, b->lanes, b->stream0 + 2, 1, w->dly, L);
            for (size_t i = 0; i < n; i++) w->dly[i] = REF(c->d2, i) * w->dly[i];
            vm->exp(n, w->dly, w->dly);
            for (size_t i = 0; i < n; i++) w->dly[i] = REF(c->d1, i) * w->dly[i] * c->unit_days;
            break;
        default:
            for (size_t i = 0; i < n; i++) w->dly[i] = REF(c->d1, i) * c->unit_days;
            break;
        }
    }
    double *tb = w->tb, *hz = w->hz;
    for (size_t i = 0; i < n; i++) {
        /* the lane's breakpoints: the static ones and its input events inside */
        size_t m = ns;
        memcpy(tb, c->T, (ns + 1) * sizeof *tb);
        for (size_t j = 0; j < c->n_inputs; j++) {
            const double te = b->inputs[j][i];
            if (!(te > 0.0 && te < c->t_until)) continue;
            size_t q = m;
            while (tb[q - 1] > te) q--; /* tb[0] = 0 < te */
            if (tb[q - 1] == te) continue;
            memmove(tb + q + 1, tb + q, (m + 1 - q) * sizeof *tb);
            tb[q] = te;
            m++;
        }
        /* each cause's rate on each interval */
        for (size_t q = 0, s = 0; q < m; q++) {
            while (s + 1 < ns && c->T[s + 1] <= tb[q]) s++;
            for (size_t k = 0; k < K; k++) {
                const cause_t *ca = &c->cause[k];
                const size_t pj = c->piece_at[k * ns + s];
                double h = 0.0;
                if (pj != NONE) {
                    h = REF(ca->piece_rate[pj], i) * w->lin[k * L + i];
                    for (size_t t = 0, j = 0; t < ca->n_terms; t++) {
                        if (ca->terms[t].what != T_INPUT) continue;
                        /* the step is on once its event has happened */
                        if (b->inputs[ca->terms[t].idx][i] <= tb[q]) h *= w->sf[(ca->sf0 + j) * L + i];
                        j++;
                    }
                }
                hz[k * m + q] = h;
            }
        }
        /* a Weibull shape: the walk in u = 1y (t / 1y)^shape, where the hazard is constant */
        const double *brk = tb;
        double shape = 1.0;
        if (c->has_shape && (shape = REF(c->shape, i)) != 1.0) {
            for (size_t q = 0; q <= m; q++) w->ub[q] = tb[q] > 0.0 ? YEAR * pow(tb[q] / YEAR, shape) : 0.0;
            brk = w->ub;
        }
        int cause;
        double time = tyche_hazard_competing_given(brk, hz, m, K, -w->e[i], w->u2[i], &cause);
        if (brk != tb && time != INFINITY) {
            time = YEAR * pow(time / YEAR, 1.0 / shape);
            if (!(time < c->t_until)) time = nextafter(c->t_until, 0.0);
        }
        /* observed events replace the simulated ones */
        if (c->has_causes) {
            size_t obs = NONE;
            for (size_t k = 0; k < K; k++) {
                const double f = b->fixed[c->o_ct + k];
                if (!isnan(f) && (obs == NONE || f < b->fixed[c->o_ct + obs])) obs = k;
            }
            if (obs != NONE) {
                time = b->fixed[c->o_ct + obs];
                cause = (int)obs;
            } else if (!isnan(b->fixed[c->o_time])) {
                time = b->fixed[c->o_time];
                if (cause < 0) cause = 0;
            }
            for (size_t k = 0; k < K; k++) b->out[(c->o_ct + k) * S + i] = (int)k == cause ? time : INFINITY;
            b->out[c->o_cause * S + i] = (double)(cause + 1);
        } else if (!isnan(b->fixed[c->o_time])) {
            time = b->fixed[c->o_time];
        }
        b->out[c->o_time * S + i] = time;
        if (c->has_follow) {
            const double base = c->after == NONE ? time : b->out[(c->o_ct + c->after) * S + i];
            double fo = INFINITY;
            if (!isnan(b->fixed[c->o_follow])) {
                fo = b->fixed[c->o_follow];
            } else if (base != INFINITY && w->uf[i] < REF(c->fp, i)) {
                fo = base + w->dly[i];
                if (!(fo < c->t_end)) fo = INFINITY; /* after the horizon: not observed */
            }
            b->out[c->o_follow * S + i] = fo;
        }
    }
}

TYCHE_BLOCK_FN(event_block, event_body)

const tyche_model_kind tyche_model_event = {
    .name = "event",
    .description = "a generic event: exact time from a constant, piecewise or Weibull hazard, log-linear "
                   "in the common factor, parameters and input events; competing causes; a follow-on",
    .n_streams = 3, /* 0: the event and its cause, 1: the follow-on, 2: its delay */
    .declare = declare,
    .decl_free = decl_free,
    .prepare = prepare,
    .cfg_free = cfg_free,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .simulate_block = event_block,
};
