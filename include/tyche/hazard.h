/* tyche: exact event times under piecewise-constant hazards.
 *
 * How it works: an event with hazard h(t) happens at the first t where the
 * cumulative hazard H(t) = integral of h reaches E ~ Exp(1).  With h
 * constant on intervals, H is piecewise linear, so one Exp(1) draw and a
 * walk over the intervals gives the time exactly (inversion), with no
 * per-interval coin flips and no discretisation error.  Competing causes:
 * the first event of K causes has the summed hazard; given it falls in an
 * interval, the cause is k with probability h_k / sum h (one more uniform).
 *
 * Time is in days; rates are annual (per 365.25 days).  A rate of 0 (or NaN,
 * treated as 0) adds nothing, +inf fires at the interval's start, and huge
 * finite rates fire just after it: no infinite loops, no NaN times. */
#ifndef TYCHE_HAZARD_H
#define TYCHE_HAZARD_H

#include <gsl/gsl_rng.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Incremental form, for hazards that depend on a path simulated as the
 * walk goes (the rate of the next interval is known only then). */
typedef struct {
    double target; /* E ~ Exp(1) */
    double cum;    /* cumulative hazard so far */
} tyche_hazard_walk;

/* Draws the Exp(1) target from r (one uniform). */
TYCHE_API void tyche_hazard_walk_init(tyche_hazard_walk *w, gsl_rng *r);

/* Advances over [t0, t1) at annual `rate`.  Returns 1 and sets *t_event when
 * the event falls in the interval (t0 <= *t_event < t1); 0 otherwise. */
TYCHE_API int tyche_hazard_walk_step(tyche_hazard_walk *w, double t0, double t1, double rate,
                                     double *t_event);

/* Batch form: breakpoints t[0..n] (increasing), annual rates h[0..n-1].
 * Returns the event time, or INFINITY when it falls after t[n]. */
TYCHE_API double tyche_hazard_sample(const double *t, const double *h, size_t n, gsl_rng *r);

/* K competing causes on the same breakpoints; h[k * n + i] is cause k's rate
 * on interval i.  Returns the first event time (INFINITY if none by t[n]) and
 * sets *cause to its index (-1 if none).  Uses two uniforms at most. */
TYCHE_API double tyche_hazard_sample_competing(const double *t, const double *h, size_t n,
                                               size_t k, gsl_rng *r, int *cause);

/* The same with the draws given: the Exp(1) target and the uniform in
 * [0, 1) that chooses the cause (for draws made a block at a time). */
TYCHE_API double tyche_hazard_competing_given(const double *t, const double *h, size_t n,
                                              size_t k, double target, double u, int *cause);

#ifdef __cplusplus
}
#endif
#endif
