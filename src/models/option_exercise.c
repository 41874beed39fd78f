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
 * exercise's Exp(1), 2 the board (a uniform, then the delay).  Stopping the
 * valuation path early (when nothing later is needed) therefore changes no
 * other number.  Observed events (as-of forecasts) replace the simulated
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
    *out = c;
    return TYCHE_OK;
}

static void simulate(const void *vc, tyche_model_ctx *x) {
    const cfg_t *c = vc;
    const double *p = x->params;
    const double log_v0 = log(p[P_V0]);
    const double drift = p[P_MU] - 0.5 * p[P_SIGMA] * p[P_SIGMA];
    const double hz_z = p[P_BETA_Z] * x->z;
    double *path = x->paths;
    tyche_hazard_walk walk;
    tyche_hazard_walk_init(&walk, tyche_model_stream(x, 1));
    gsl_rng *r = tyche_model_stream(x, 0);

    /* an exercise observed by as_of is fixed to its date */
    const double fixed_ex = x->fixed[O_EXERCISE];
    double log_v = log_v0, rate = 0.0, exercise = isnan(fixed_ex) ? INFINITY : fixed_ex;
    double v_dead = NAN;
    for (size_t i = 0; i <= c->n; i++) {
        if (path) path[i] = exp(log_v);
        if (i == c->deadline) v_dead = exp(log_v);
        if (i == c->n) break;
        if (c->month_start[i]) rate = p[P_H0] * exp(p[P_BETA_V] * (log_v - log_v0) + hz_z);
        if (exercise == INFINITY) {
            double te;
            if (tyche_hazard_walk_step(&walk, c->t[i], c->t[i + 1], rate, &te)) exercise = te;
        }
        /* nothing after this point is needed: stop the path */
        if (!path && exercise != INFINITY && i >= c->deadline) break;
        log_v += drift * c->dt_years[i] + p[P_SIGMA] * c->sqrt_dt[i] * gsl_ran_gaussian_ziggurat(r, 1.0);
    }

    double board = INFINITY;
    if (!isnan(x->fixed[O_BOARD])) {
        board = x->fixed[O_BOARD];
    } else if (exercise != INFINITY) {
        gsl_rng *rb = tyche_model_stream(x, 2);
        const double u = gsl_rng_uniform(rb);
        const double delay_months = gsl_ran_gamma(rb, p[P_K_D], p[P_M_D] / p[P_K_D]);
        if (u < p[P_Q]) {
            board = exercise + delay_months * (TYCHE_DAYS_PER_YEAR / 12.0);
            if (!(board < c->t[c->n])) board = INFINITY; /* after the horizon: not observed */
        }
    }
    x->out[O_EXERCISE] = exercise;
    x->out[O_BOARD] = board;
    x->out[O_VALUATION] = v_dead;
}

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
    .simulate = simulate,
    .check_observed = check_observed,
};
