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

double tyche_hazard_sample_competing(const double *t, const double *h, size_t n, size_t k,
                                     gsl_rng *r, int *cause) {
    tyche_hazard_walk w;
    double te;
    tyche_hazard_walk_init(&w, r);
    *cause = -1;
    for (size_t i = 0; i < n; i++) {
        double total = 0.0;
        int any_inf = 0;
        for (size_t c = 0; c < k; c++) {
            const double hc = h[c * n + i];
            if (hc > 0.0) total += hc; /* skips NaN and zero */
            if (isinf(hc)) any_inf = 1;
        }
        if (!tyche_hazard_walk_step(&w, t[i], t[i + 1], total, &te)) continue;
        /* choose the cause in proportion to its share of the total rate */
        const double u = gsl_rng_uniform(r);
        double acc = 0.0;
        for (size_t c = 0; c < k; c++) {
            const double hc = h[c * n + i];
            if (!(hc > 0.0)) continue;
            if (any_inf) {
                if (isinf(hc)) { *cause = (int)c; break; }
                continue;
            }
            acc += hc / total;
            *cause = (int)c;
            if (u < acc) break;
        }
        return te;
    }
    return INFINITY;
}
