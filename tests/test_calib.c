/* The AR(1) conjugate calibration: the normal-inverse-gamma update against
 * values computed independently (NumPy, with the residual form
 * bn = b + r'r/2 + (mn - m)' V^-1 (mn - m)/2, not the form the code uses),
 * the moment-matched prior against closed forms, and the sampler against
 * the posterior's moments.  Fixed seeds; 4 standard errors. */
#include <gsl/gsl_rng.h>
#include "calib.h"
#include "util.h"
#include "test.h"

TEST(the_nig_update_matches_an_independent_computation) {
    const tyche_nig prior = {{0.01, 0.5}, {{2, 0.1}, {0.1, 1.0}}, 3.0, 0.02};
    const double x[5] = {0.1, 0.2, 0.05, 0.15, 0.3}, y[5] = {0.12, 0.18, 0.07, 0.16, 0.22};
    tyche_nig post;
    tyche_nig_update(&prior, x, y, 5, &post);
    /* numpy: mn = solve(V^-1 + X'X, V^-1 m + X'y), Vn = inv(V^-1 + X'X) */
    ASSERT_NEAR(post.m[0], 0.06322885621068745, 1e-13);
    ASSERT_NEAR(post.m[1], 0.5094799091775954, 1e-13);
    ASSERT_NEAR(post.V[0][0], 0.1991208528069853, 1e-13);
    ASSERT_NEAR(post.V[0][1], -0.12759607120408104, 1e-13);
    ASSERT_NEAR(post.V[1][1], 0.9364456968396028, 1e-13);
    ASSERT_NEAR(post.a, 5.5, 0);
    ASSERT_NEAR(post.b, 0.0212489338843682, 1e-14);
}

TEST(the_prior_matches_the_scenario_priors_moments) {
    /* g_inf ~ N(0.04, 0.03), phi ~ U(0.4, 0.9), sigma_g ~ lognormal(log 0.06, 0.3) */
    tyche_dist g = {TYCHE_DIST_NORMAL, {0.04, 0.03, 0, 0}, 0, NULL, NULL, NULL, NULL};
    tyche_dist phi = {TYCHE_DIST_UNIFORM, {0.4, 0.9, 0, 0}, 0, NULL, NULL, NULL, NULL};
    tyche_dist sg = {TYCHE_DIST_LOGNORMAL, {log(0.06), 0.3, 0, 0}, 0, NULL, NULL, NULL, NULL};
    tyche_nig p;
    ASSERT(tyche_nig_from_priors(&g, &phi, &sg, &p));
    /* lognormal moments: E s^2 = exp(2 mu + 2 sd^2), E s^4 = exp(4 mu + 8 sd^2) */
    const double es2 = exp(2 * log(0.06) + 2 * 0.09), es4 = exp(4 * log(0.06) + 8 * 0.09);
    const double vs2 = es4 - es2 * es2;
    ASSERT_NEAR(p.b / (p.a - 1), es2, 1e-12 * es2); /* E s2: closed form */
    /* Var s2: by quadrature over the quantile function, to 1% */
    ASSERT_NEAR(p.b * p.b / ((p.a - 1) * (p.a - 1) * (p.a - 2)), vs2, 1e-2 * vs2);
    const double ep = 0.65, vp = 0.25 / 12;
    ASSERT_NEAR(p.m[1], ep, 1e-12);
    ASSERT_NEAR(p.m[0], 0.04 * (1 - ep), 1e-12);
    /* the marginal Cov(beta) = V E s2 */
    ASSERT_NEAR(p.V[1][1] * es2, vp, 1e-12 * vp);
    ASSERT_NEAR(p.V[0][1] * es2, -0.04 * vp, 1e-12 * 0.04 * vp);
    const double vc = 0.03 * 0.03 * ((1 - ep) * (1 - ep) + vp) + 0.04 * 0.04 * vp;
    ASSERT_NEAR(p.V[0][0] * es2, vc, 1e-12 * vc);
    /* a fixed sigma_g cannot be matched */
    tyche_dist fixed = {TYCHE_DIST_FIXED, {0.06, 0, 0, 0}, 0, NULL, NULL, NULL, NULL};
    ASSERT(!tyche_nig_from_priors(&g, &phi, &fixed, &p));
}

TEST(posterior_draws_have_the_posterior_moments) {
    /* marginals: s2 ~ InvGamma(a, b): mean b / (a - 1), var mean^2 / (a - 2);
     * beta ~ Student t: mean m, Cov = V b / (a - 1) */
    const tyche_nig p = {{0.02, 0.6}, {{0.5, -0.2}, {-0.2, 0.9}}, 12.0, 0.044};
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 61);
    const int n = 200000;
    double sc = 0, sp = 0, ss = 0, sp2 = 0, scp = 0, ss2 = 0;
    for (int i = 0; i < n; i++) {
        double c, phi, s2;
        tyche_nig_sample(&p, r, &c, &phi, &s2);
        sc += c;
        sp += phi;
        ss += s2;
        sp2 += phi * phi;
        scp += c * phi;
        ss2 += s2 * s2;
    }
    const double es2 = p.b / (p.a - 1), vs2 = es2 * es2 / (p.a - 2);
    const double vphi = p.V[1][1] * es2, vc = p.V[0][0] * es2, cov = p.V[0][1] * es2;
    ASSERT_NEAR(ss / n, es2, 4 * sqrt(vs2 / n));
    /* the inverse gamma's variance, estimated: heavy-tailed, so 10% */
    ASSERT_NEAR(ss2 / n - (ss / n) * (ss / n), vs2, 0.1 * vs2);
    ASSERT_NEAR(sp / n, p.m[1], 4 * sqrt(vphi / n));
    ASSERT_NEAR(sc / n, p.m[0], 4 * sqrt(vc / n));
    const double mp = sp / n, mc = sc / n;
    /* t with 2a = 24 degrees of freedom: kurtosis is modest, 5% is > 4 se */
    ASSERT_NEAR(sp2 / n - mp * mp, vphi, 0.05 * vphi);
    ASSERT_NEAR(scp / n - mc * mp, cov, 0.05 * fabs(cov) + 0.02 * sqrt(vc * vphi));
    gsl_rng_free(r);
}
