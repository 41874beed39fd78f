/* Model kind `option_exercise`: an investor's follow-on option (models/README.md).
 *
 * The target's valuation follows a geometric Brownian motion stepped at
 * calendar-month boundaries; the exercise hazard over each month is set by
 * the valuation at the month's start and the common factor, and the
 * exercise time is exact (one Exp(1) draw, a walk over the months, see
 * hazard.h).  After an exercise, with probability q a board restructuring
 * follows after a Gamma-distributed delay.
 *
 * Draws come from three substreams so that each sequence is fixed whatever
 * the others do: 0 the valuation shocks (one per step, in order), 1 the
 * exercise's Exp(1), 2 the board (a uniform, then the delay).  The model
 * runs a block of trials at a time (below), every step to the horizon for
 * every lane.  Observed events (as-of forecasts) replace the simulated
 * times; the valuation path is simulated all the same. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "../kind.h"
#include "../json_util.h"

enum { P_V0, P_MU, P_SIGMA, P_H0, P_BETA_V, P_BETA_Z, P_Q, P_K_D, P_M_D, N_P };
enum { O_EXERCISE, O_BOARD, O_VALUATION, N_O };

static const tyche_param_spec params[N_P] = {
    {"V0", "USD billions", "valuation of the target at the start", 0, INFINITY, 1, 0, 0},
    {"mu", "per year", "valuation drift", -INFINITY, INFINITY, 0, 0, 0},
    {"sigma", "per year", "valuation volatility", 0, INFINITY, 0, 0, 0},
    {"h0", "per year", "baseline exercise hazard", 0, INFINITY, 0, 0, 0},
    {"beta_v", "1", "log-hazard change per unit of log valuation growth", -INFINITY, INFINITY, 0, 0, 0},
    {"beta_z", "1", "log-hazard loading on the common factor", -INFINITY, INFINITY, 0, 0, 0},
    {"q", "1", "probability that an exercise leads to a board restructuring", 0, 1, 0, 0, 0},
    {"k_D", "1", "shape of the Gamma delay from exercise to board change", 0, INFINITY, 1, 0, 0},
    {"m_D", "months", "mean delay from exercise to board change", 0, INFINITY, 1, 0, 0},
};

static const tyche_output_spec outputs[N_O] = {
    {"exercise_time", TYCHE_OUTPUT_TIME, "", "time the option is exercised"},
    {"board_time", TYCHE_OUTPUT_TIME, "", "time the board is restructured"},
    {"valuation_at_deadline", TYCHE_OUTPUT_VALUE, "USD billions",
     "valuation at the end of the deadline day (settings.deadline)"},
};

static const char *const path_names[] = {"valuation"};
static const char *const path_units[] = {"USD billions"};

typedef struct {
    size_t n;            /* steps; grid points t[0..n] */
    double *t;           /* days since start */
    double *dt_years;
    double *sqrt_dt;
    uint8_t *month_start;/* 1 when grid point i starts a calendar month (or is the start) */
    size_t deadline;     /* grid index of the deadline's end */
    char **labels;
} cfg_t;

static void cfg_free(void *p) {
    cfg_t *c = p;
    if (c == NULL) return;
    if (c->labels)
        for (size_t i = 0; i <= c->n; i++) free(c->labels[i]);
    free(c->labels);
    free(c->t);
    free(c->dt_years);
    free(c->sqrt_dt);
    free(c->month_start);
    free(c);
}

static tyche_status prepare(const tyche_model_setup *su, const void *settings, void **out,
                            tyche_model_layout *paths, tyche_err *err) {
    static const char *const keys[] = {"deadline", NULL};
    const cJSON *js = settings;
    char path[600];
    snprintf(path, sizeof path, "%s.settings", su->path);
    int32_t deadline = su->horizon;
    tyche_status st;
    if (js) {
        if ((st = tyche_json_check_keys(js, keys, path, err))) return st;
        if ((st = tyche_json_date(js, "deadline", 0, su->horizon, path, &deadline, err)))
            return st;
        if (deadline < su->start || deadline > su->horizon)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "%s.deadline: must lie between the scenario's start and horizon",
                                 path);
    }
    const double t_end = (double)(su->horizon + 1 - su->start);
    const double t_dead = (double)(deadline + 1 - su->start);
    /* count grid points: start, each month start inside, the deadline, the end */
    size_t cap = 4;
    for (int32_t d = tyche_date_next_month(su->start); d <= su->horizon; d = tyche_date_next_month(d))
        cap++;
    cfg_t *c = tyche_calloc(1, sizeof *c);
    if (c == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    c->t = tyche_malloc(cap * sizeof *c->t);
    c->month_start = tyche_calloc(cap, 1);
    c->labels = tyche_calloc(cap, sizeof *c->labels);
    c->dt_years = tyche_malloc(cap * sizeof *c->dt_years);
    c->sqrt_dt = tyche_malloc(cap * sizeof *c->sqrt_dt);
    if (!c->t || !c->month_start || !c->labels || !c->dt_years || !c->sqrt_dt) {
        cfg_free(c);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    size_t k = 0;
    c->t[k] = 0.0;
    c->month_start[k++] = 1;
    for (int32_t d = tyche_date_next_month(su->start); d <= su->horizon;
         d = tyche_date_next_month(d)) {
        const double t = (double)(d - su->start);
        if (t_dead > c->t[k - 1] && t_dead < t) c->t[k++] = t_dead;
        c->t[k] = t;
        c->month_start[k++] = 1;
    }
    if (t_dead > c->t[k - 1] && t_dead < t_end) c->t[k++] = t_dead;
    c->t[k] = t_end;
    c->n = k;
    c->deadline = 0;
    for (size_t i = 0; i <= c->n; i++) {
        if (c->t[i] == t_dead) c->deadline = i;
        char date[11];
        tyche_date_format(su->start + (int32_t)c->t[i], date);
        if ((c->labels[i] = tyche_strdup(date)) == NULL) {
            cfg_free(c);
            return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        }
    }
    for (size_t i = 0; i < c->n; i++) {
        c->dt_years[i] = (c->t[i + 1] - c->t[i]) / TYCHE_DAYS_PER_YEAR;
        c->sqrt_dt[i] = sqrt(c->dt_years[i]);
    }
    paths->n_vars = 1;
    paths->var_names = path_names;
    paths->var_units = path_units;
    paths->dim = "month";
    paths->n_points = c->n + 1;
    paths->labels = c->labels;
    paths->times = c->t;
    /* the board follows the exercise: no exercise by as_of, no board change either */
    paths->follows[0].later = O_BOARD;
    paths->follows[0].earlier = O_EXERCISE;
    paths->n_follows = 1;
    /* a hazard or a board probability fixed at 0: that event cannot happen */
    if (su->priors && tyche_dist_is_fixed(&su->priors[P_H0]) && tyche_dist_mean(&su->priors[P_H0]) == 0.0)
        paths->never |= UINT64_C(1) << O_EXERCISE;
    if (su->priors && tyche_dist_is_fixed(&su->priors[P_Q]) && tyche_dist_mean(&su->priors[P_Q]) == 0.0)
        paths->never |= UINT64_C(1) << O_BOARD;
    *out = c;
    return TYCHE_OK;
}

/* ---- the block form: the same model for TYCHE_LANES trials at once ------
 *
 * Draws (draws.h): substream 0 the valuation shocks, normal k for step k
 * (every step's, even past the point a trial no longer needs them: a
 * block does not stop early, and the numbers are fixed per step anyway);
 * substream 1 the exercise's Exp(1), block 0; substream 2 the board: its
 * uniform from block 0, its Gamma delay from blocks 1, 2, ... */

typedef struct {
    double *mem;                      /* the one allocation (tyche_lane_columns) */
    double *z;                        /* n steps x TYCHE_LANES shocks */
    double *lv0, *lv, *drift, *hz, *rate, *ex, *vd, *target, *cum, *t1, *t2;
    uint8_t *hit;                     /* per lane: the walk's target falls in this step */
} ws_t;

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
    double *hit;
    double **cols[] = {&w->z,  &w->lv0,    &w->lv,  &w->drift, &w->hz, &w->rate, &w->ex,
                       &w->vd, &w->target, &w->cum, &w->t1,    &w->t2, &hit};
    const size_t rows[] = {c->n + 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    if ((w->mem = tyche_lane_columns(cols, rows, sizeof rows / sizeof rows[0])) == NULL) {
        free(w);
        return NULL;
    }
    w->hit = (uint8_t *)hit; /* a column of doubles holds TYCHE_LANES bytes */
    return w;
}

static inline __attribute__((always_inline)) void option_body(const void *vc,
                                                              tyche_model_block *b) {
    const cfg_t *c = vc;
    ws_t *w = b->ws;
    const size_t n = b->n, S = b->stride;
    const double *p = b->params;
    const tyche_vm_ops *vm = tyche_draws_vm(b->draws);
    tyche_draws_normals(b->draws, b->lanes, b->stream0 + 0, c->n, w->z, TYCHE_LANES);
    tyche_draws_exponential(b->draws, b->lanes, b->stream0 + 1, 0, w->target);
    vm->log(n, p + P_V0 * S, w->lv0);
    const double fixed_ex = b->fixed[O_EXERCISE];
    for (size_t i = 0; i < n; i++) {
        const double sg = p[P_SIGMA * S + i];
        w->lv[i] = w->lv0[i];
        w->drift[i] = p[P_MU * S + i] - 0.5 * sg * sg;
        w->hz[i] = p[P_BETA_Z * S + i] * b->z[i];
        w->ex[i] = isnan(fixed_ex) ? INFINITY : fixed_ex;
        w->cum[i] = 0.0;
        w->rate[i] = 0.0;
    }
    /* the lanes' columns, restrict-qualified: none aliases another, so the
     * compiler may vectorise the loops (IEEE operations lane by lane: the
     * same bits in any width) */
    double *restrict lv = w->lv, *restrict rate = w->rate, *restrict ex = w->ex;
    double *restrict cum = w->cum, *restrict t1 = w->t1, *restrict t2 = w->t2;
    const double *restrict lv0 = w->lv0, *restrict hz = w->hz, *restrict drift = w->drift;
    const double *restrict target = w->target, *restrict beta_v = p + P_BETA_V * S;
    const double *restrict h0 = p + P_H0 * S, *restrict sigma = p + P_SIGMA * S;
    uint8_t *restrict hit = w->hit;
    for (size_t k = 0; k <= c->n; k++) {
        if (b->paths || k == c->deadline) {
            vm->exp(n, lv, t1);
            if (k == c->deadline) memcpy(w->vd, t1, n * sizeof *w->vd);
            if (b->paths)
                for (size_t i = 0; i < n; i++) b->paths[i * b->path_stride + k] = t1[i];
        }
        if (k == c->n) break;
        if (c->month_start[k]) {
            for (size_t i = 0; i < n; i++) t2[i] = beta_v[i] * (lv[i] - lv0[i]) + hz[i];
            vm->exp(n, t2, t2);
            for (size_t i = 0; i < n; i++) rate[i] = h0[i] * t2[i];
        }
        /* the hazard walk (hazard.h), its common case over all lanes at
         * once: a step adds rate x its length in years to the cumulative
         * hazard (a multiply, where tyche_hazard_walk_step divides by the
         * days in a year: the two may differ in the last bit, which only
         * moves the step that reaches the target by a hair); the rare lanes
         * whose target falls in this step (or whose rate is infinite) go
         * through the walk itself, from the cumulative hazard before it */
        const double span_years = c->dt_years[k]; /* the step in years: rates are annual */
        int any = 0;
        for (size_t i = 0; i < n; i++) {
            const double r = rate[i];
            const double next = cum[i] + r * span_years;
            /* & not &&: no branch; h also for an infinite rate */
            const int live = (ex[i] == INFINITY) & (r > 0.0), h = live & !(next < target[i]);
            hit[i] = (uint8_t)h;
            any |= h;
            cum[i] = (live & !h) ? next : cum[i];
        }
        for (size_t i = 0; any && i < n; i++) {
            if (!hit[i]) continue;
            tyche_hazard_walk walk = {.target = target[i], .cum = cum[i]};
            double te;
            if (tyche_hazard_walk_step(&walk, c->t[k], c->t[k + 1], rate[i], &te)) ex[i] = te;
            cum[i] = walk.cum;
        }
        const double dt = c->dt_years[k], sq = c->sqrt_dt[k];
        const double *restrict z = w->z + k * TYCHE_LANES;
        for (size_t i = 0; i < n; i++) lv[i] += drift[i] * dt + sigma[i] * sq * z[i];
    }
    /* the board change: a uniform and a Gamma delay for every lane (used
     * where the option was exercised) */
    double *u = t1, *delay = t2; /* through the restrict pointers above */
    tyche_draws_uniform(b->draws, b->lanes, b->stream0 + 2, 0, u, NULL);
    tyche_draws_gamma(b->draws, b->lanes, b->stream0 + 2, 1, p + P_K_D * S, delay);
    for (size_t i = 0; i < n; i++) {
        const double exercise = w->ex[i];
        double board = INFINITY;
        if (!isnan(b->fixed[O_BOARD])) {
            board = b->fixed[O_BOARD];
        } else if (exercise != INFINITY && u[i] < p[P_Q * S + i]) {
            const double delay_months = delay[i] * (p[P_M_D * S + i] / p[P_K_D * S + i]);
            board = exercise + delay_months * (TYCHE_DAYS_PER_YEAR / 12.0);
            if (!(board < c->t[c->n])) board = INFINITY; /* after the horizon: not observed */
        }
        b->out[O_EXERCISE * S + i] = exercise;
        b->out[O_BOARD * S + i] = board;
        b->out[O_VALUATION * S + i] = w->vd[i];
    }
}

TYCHE_BLOCK_FN(option_block, option_body)

/* A board change follows an exercise: observing one without the other would
 * leave trials whose exercise comes after the observed board change. */
static const char *check_observed(const double *fixed) {
    if (!isnan(fixed[O_BOARD]) && isnan(fixed[O_EXERCISE]))
        return "a board change follows an exercise: give the exercise's date too";
    if (!isnan(fixed[O_BOARD]) && fixed[O_BOARD] < fixed[O_EXERCISE])
        return "the board change is dated before the exercise";
    return NULL;
}

const tyche_model_kind tyche_model_option_exercise = {
    .name = "option_exercise",
    .description = "an investor's follow-on option: exercise hazard driven by a GBM valuation, "
                   "then a board change",
    .params = params,
    .n_params = N_P,
    .outputs = outputs,
    .n_outputs = N_O,
    .n_streams = 3, /* 0: the valuation, 1: the hazard walk, 2: the board change */
    .prepare = prepare,
    .cfg_free = cfg_free,
    .ws_alloc = ws_alloc,
    .ws_free = ws_free,
    .simulate_block = option_block,
    .check_observed = check_observed,
};
