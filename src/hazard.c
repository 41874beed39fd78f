/* Exact event times by inversion of a piecewise-linear cumulative hazard
 * (the essay is in include/tyche/hazard.h). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "tyche/date.h"
#include "tyche/hazard.h"

void tyche_hazard_walk_init(tyche_hazard_walk *w, gsl_rng *r) {
    w->target = gsl_ran_exponential(r, 1.0);
    w->cum = 0.0;
}

int tyche_hazard_walk_step(tyche_hazard_walk *w, double t0, double t1, double rate,
                           double *t_event) {
    if (!(rate > 0.0) || !(t1 > t0)) return 0; /* zero, negative or NaN rate: nothing happens */
    if (isinf(rate)) {
        *t_event = t0;
        return 1;
    }
    const double per_day = rate / TYCHE_DAYS_PER_YEAR;
    const double inc = per_day * (t1 - t0);
    if (w->cum + inc < w->target) {
        w->cum += inc;
        return 0;
    }
    double t = t0 + (w->target - w->cum) / per_day;
    /* rounding can put t at t1 when the remainder is a hair below inc */
    if (!(t < t1)) t = nextafter(t1, t0);
    if (t < t0) t = t0;
    *t_event = t;
    w->cum = w->target;
    return 1;
}

double tyche_hazard_sample(const double *t, const double *h, size_t n, gsl_rng *r) {
    tyche_hazard_walk w;
    double te;
    tyche_hazard_walk_init(&w, r);
    for (size_t i = 0; i < n; i++)
        if (tyche_hazard_walk_step(&w, t[i], t[i + 1], h[i], &te)) return te;
    return INFINITY;
}

/* A cause's rate as a fraction of the largest rate `top` (> 0): 0 for a
 * zero or NaN rate, and with an infinite top 1 for infinite rates, 0 else. */
static double rel_rate(double hc, double top) {
    if (!(hc > 0.0)) return 0.0;
    if (isinf(top)) return isinf(hc) ? 1.0 : 0.0;
    return hc / top;
}

/* The competing-risk walk with target E and the cause's uniform u given,
 * or (r not NULL) u drawn from r once an event falls inside. */
static double competing(const double *t, const double *h, size_t n, size_t k, double target,
                        double u, gsl_rng *r, int *cause) {
    tyche_hazard_walk w = {.target = target, .cum = 0.0};
    double te;
    *cause = -1;
    for (size_t i = 0; i < n; i++) {
        double total = 0.0, top = 0.0;
        for (size_t c = 0; c < k; c++) {
            const double hc = h[c * n + i];
            if (hc > 0.0) total += hc; /* skips NaN and zero */
            if (hc > top) top = hc;
        }
        if (!tyche_hazard_walk_step(&w, t[i], t[i + 1], total, &te)) continue;
        /* choose the cause in proportion to its share of the total rate,
         * reckoned relative to the largest rate: finite rates whose sum
         * overflows (two of 1e308) still split by their ratio, and infinite
         * ones split evenly among themselves, ahead of every finite one */
        double rel_total = 0.0;
        for (size_t c = 0; c < k; c++) rel_total += rel_rate(h[c * n + i], top);
        if (r) u = gsl_rng_uniform(r);
        double acc = 0.0;
        for (size_t c = 0; c < k; c++) {
            const double rel = rel_rate(h[c * n + i], top);
            if (!(rel > 0.0)) continue;
            acc += rel / rel_total;
            *cause = (int)c;
            if (u < acc) break;
        }
        return te;
    }
    return INFINITY;
}

double tyche_hazard_sample_competing(const double *t, const double *h, size_t n, size_t k,
                                     gsl_rng *r, int *cause) {
    const double target = gsl_ran_exponential(r, 1.0);
    return competing(t, h, n, k, target, 0.0, r, cause);
}

double tyche_hazard_competing_given(const double *t, const double *h, size_t n, size_t k,
                                    double target, double u, int *cause) {
    return competing(t, h, n, k, target, u, NULL, cause);
}
