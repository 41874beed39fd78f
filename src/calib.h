/* Conjugate calibration of an AR(1) on history.
 *
 * The regression g_q = c + phi g_(q-1) + e, e ~ N(0, s2), has the
 * normal-inverse-gamma conjugate prior
 *     beta = (c, phi) | s2 ~ N(m, s2 V),    s2 ~ InvGamma(a, b),
 * so its posterior given n pairs (x = g_(q-1), y = g_q) is NIG again:
 *     Vn = (V^-1 + X'X)^-1,  mn = Vn (V^-1 m + X'y),
 *     an = a + n/2,  bn = b + (y'y + m'V^-1 m - mn'Vn^-1 mn) / 2.
 * The prior comes from the scenario's priors on (g_inf, phi, sigma_g) by
 * matching moments: c = g_inf (1 - phi) with g_inf and phi independent
 * gives E c, Var c and Cov(c, phi); s2 = sigma_g^2 gives E s2 and Var s2,
 * hence a = 2 + (E s2)^2 / Var s2, b = (a - 1) E s2; and V = Cov(beta) /
 * E s2, since the NIG's marginal Cov(beta) is V b / (a - 1). */
#ifndef TYCHE_CALIB_H
#define TYCHE_CALIB_H

#include <gsl/gsl_rng.h>
#include "tyche/dist.h"

typedef struct {
    double m[2];     /* (c, phi) */
    double V[2][2];
    double a, b;
} tyche_nig;

/* The moment-matched prior.  Returns 0 when sigma_g's prior has no
 * variance (a point mass cannot be an inverse gamma). */
int tyche_nig_from_priors(const tyche_dist *g_inf, const tyche_dist *phi, const tyche_dist *sigma,
                          tyche_nig *out);

/* Posterior after n pairs (x[i], y[i]). */
void tyche_nig_update(const tyche_nig *prior, const double *x, const double *y, size_t n,
                      tyche_nig *post);

/* One draw of (c, phi, s2) from p. */
void tyche_nig_sample(const tyche_nig *p, gsl_rng *r, double *c, double *phi, double *s2);

#endif
