/* Normal-inverse-gamma calibration of an AR(1) (the essay is in calib.h). */
#include <math.h>
#include <gsl/gsl_randist.h>
#include "calib.h"

/* E f(X) over a prior by its quantile function on a fine midpoint grid:
 * works for every prior kind, closed form or not. */
static double expect(const tyche_dist *d, double (*f)(double)) {
    const int n = 1 << 16;
    double s = 0;
    for (int i = 0; i < n; i++) s += f(tyche_dist_quantile(d, (i + 0.5) / n));
    return s / n;
}

static double p4(double x) { return x * x * x * x; }

int tyche_nig_from_priors(const tyche_dist *g_inf, const tyche_dist *phi, const tyche_dist *sigma,
                          tyche_nig *out) {
    /* E s^2 in closed form; E s^4 by quadrature (it only sets the prior's shape a) */
    const double ms = tyche_dist_mean(sigma);
    const double es2 = tyche_dist_variance(sigma) + ms * ms, vs2 = expect(sigma, p4) - es2 * es2;
    if (!(vs2 > 0) || !(es2 > 0)) return 0;
    const double eg = tyche_dist_mean(g_inf), vg = tyche_dist_variance(g_inf);
    const double ep = tyche_dist_mean(phi), vp = tyche_dist_variance(phi);
    /* a prior without finite moments (a Student-t of df <= 2) has no
     * moment-matched conjugate form */
    if (!isfinite(es2) || !isfinite(vs2) || !isfinite(eg) || !isfinite(vg) || !isfinite(ep) || !isfinite(vp))
        return 0;
    /* c = g (1 - phi), g and phi independent */
    const double ec = eg * (1 - ep);
    const double vc = vg * ((1 - ep) * (1 - ep) + vp) + eg * eg * vp;
    const double cov = -eg * vp;
    out->a = 2 + es2 * es2 / vs2;
    out->b = (out->a - 1) * es2;
    out->m[0] = ec;
    out->m[1] = ep;
    out->V[0][0] = vc / es2;
    out->V[0][1] = out->V[1][0] = cov / es2;
    out->V[1][1] = vp / es2;
    return 1;
}

static int inv2(const double A[2][2], double B[2][2]) {
    const double det = A[0][0] * A[1][1] - A[0][1] * A[1][0];
    if (!(fabs(det) > 0)) return 0;
    B[0][0] = A[1][1] / det;
    B[1][1] = A[0][0] / det;
    B[0][1] = -A[0][1] / det;
    B[1][0] = -A[1][0] / det;
    return 1;
}

void tyche_nig_update(const tyche_nig *prior, const double *x, const double *y, size_t n,
                      tyche_nig *post) {
    double L0[2][2] = {{0, 0}, {0, 0}}, Ln[2][2], xty[2] = {0, 0}, yty = 0;
    inv2(prior->V, L0); /* a singular V (a fixed prior) leaves zero precision */
    double xtx[2][2] = {{0, 0}, {0, 0}};
    for (size_t i = 0; i < n; i++) {
        xtx[0][0] += 1;
        xtx[0][1] += x[i];
        xtx[1][1] += x[i] * x[i];
        xty[0] += y[i];
        xty[1] += x[i] * y[i];
        yty += y[i] * y[i];
    }
    xtx[1][0] = xtx[0][1];
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) Ln[i][j] = L0[i][j] + xtx[i][j];
    inv2(Ln, post->V);
    const double r0 = L0[0][0] * prior->m[0] + L0[0][1] * prior->m[1] + xty[0];
    const double r1 = L0[1][0] * prior->m[0] + L0[1][1] * prior->m[1] + xty[1];
    post->m[0] = post->V[0][0] * r0 + post->V[0][1] * r1;
    post->m[1] = post->V[1][0] * r0 + post->V[1][1] * r1;
    const double q0 = prior->m[0] * (L0[0][0] * prior->m[0] + L0[0][1] * prior->m[1]) +
                      prior->m[1] * (L0[1][0] * prior->m[0] + L0[1][1] * prior->m[1]);
    const double qn = post->m[0] * (Ln[0][0] * post->m[0] + Ln[0][1] * post->m[1]) +
                      post->m[1] * (Ln[1][0] * post->m[0] + Ln[1][1] * post->m[1]);
    post->a = prior->a + 0.5 * (double)n;
    post->b = prior->b + 0.5 * (yty + q0 - qn);
}

void tyche_nig_sample(const tyche_nig *p, gsl_rng *r, double *c, double *phi, double *s2) {
    *s2 = 1.0 / gsl_ran_gamma(r, p->a, 1.0 / p->b);
    /* beta = m + L z with L L' = s2 V (Cholesky of a 2x2) */
    const double l00 = sqrt(*s2 * p->V[0][0]);
    const double l10 = *s2 * p->V[1][0] / l00;
    const double l11 = sqrt(fmax(0.0, *s2 * p->V[1][1] - l10 * l10));
    const double z0 = gsl_ran_gaussian_ziggurat(r, 1.0), z1 = gsl_ran_gaussian_ziggurat(r, 1.0);
    *c = p->m[0] + l00 * z0;
    *phi = p->m[1] + l10 * z0 + l11 * z1;
}
