/* Sobol indices of a statement's probability (the probability view of
 * tyche sobol) against a closed form computed by quadrature here.
 *
 * The scenario: one exclusivity_window model, nothing connected to its
 * input and no common factor, so its deal hazard is the constant hx0;
 * statement "deal by 2027-10-20 and a window of at least 12 months".
 * Given the parameters the deal time and the window draw from different
 * streams, so
 *   p(hx0, m_W) = g1(hx0) g2(m_W),  g1(h) = 1 - exp(-h T),
 *   g2(m) = P(lognormal(log m, 0.6) >= 12) = 1 - Phi((log 12 - log m) / 0.6),
 * with hx0 ~ uniform(0.2, 1.0), m_W ~ uniform(3, 15) independent.  For a
 * product of independent factors the indices are E[g]s and E[g^2]s:
 *   V = Q1 Q2 - E1^2 E2^2,  V1 = (Q1 - E1^2) E2^2,  V2 = (Q2 - E2^2) E1^2,
 *   S_i = V_i / V,  ST_1 = 1 - V2 / V,  ST_2 = 1 - V1 / V,
 * each E and Q a one-dimensional integral (Simpson, 4000 intervals). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include "test.h"
#include "tyche/tyche.h"

#define T_DAYS 549.0 /* 2026-04-20 to the end of 2027-10-20 */

static double g1(double h) { return 1 - exp(-h * T_DAYS / TYCHE_DAYS_PER_YEAR); }
static double g2(double m) { return 1 - gsl_cdf_ugaussian_P((log(12.0) - log(m)) / 0.6); }

/* The mean of f and of f^2 for x ~ uniform(a, b), by Simpson's rule. */
static void moments(double (*f)(double), double a, double b, double *e, double *q) {
    const int n = 4000;
    const double h = (b - a) / n;
    double s1 = 0, s2 = 0;
    for (int i = 0; i <= n; i++) {
        const double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2), y = f(a + i * h);
        s1 += w * y;
        s2 += w * y * y;
    }
    *e = s1 * h / 3 / (b - a);
    *q = s2 * h / 3 / (b - a);
}

static const char *write_scenario(void) {
    static const char *file = "sobol_product.json";
    FILE *f = fopen(file, "w");
    fputs("{\"name\": \"product\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\","
          " \"models\": [{\"name\": \"x\", \"kind\": \"exclusivity_window\", \"params\": {"
          "   \"hx0\": {\"dist\": \"uniform\", \"min\": 0.2, \"max\": 1.0},"
          "   \"beta_xe\": 1, \"beta_xz\": 0,"
          "   \"m_W\": {\"dist\": \"uniform\", \"min\": 3, \"max\": 15}, \"s_W\": 0.6}}],"
          " \"statements\": ["
          "   {\"id\": \"long_deal\", \"text\": \"t\", \"rule\": {\"all\": ["
          "      {\"event\": \"x.deal_time\", \"by\": \"2027-10-20\"},"
          "      {\"value\": \"x.window_months\", \">=\": 12}]}},"
          "   {\"id\": \"first_day\", \"text\": \"t\", \"rule\": {\"event\": \"x.deal_time\", \"by\": \"2026-04-20\"}}]}",
          f);
    fclose(f);
    return file;
}

TEST(the_probability_view_matches_the_closed_form_of_a_product) {
    double e1, q1, e2, q2;
    moments(g1, 0.2, 1.0, &e1, &q1);
    moments(g2, 3.0, 15.0, &e2, &q2);
    const double V = q1 * q2 - e1 * e1 * e2 * e2, V1 = (q1 - e1 * e1) * e2 * e2, V2 = (q2 - e2 * e2) * e1 * e1;
    const double want_s[2] = {V1 / V, V2 / V}, want_st[2] = {1 - V2 / V, 1 - V1 / V};
    const char *file = write_scenario();
    tyche_sobol_config cfg = {4000, 7, 2, NULL, 200, NULL, 0, 64, NULL};
    tyche_err err;
    tyche_sobol *t = tyche_sobol_run(file, NULL, &cfg, &err);
    if (t == NULL) FAIL_("%s", err.msg);
    ASSERT_INT_EQ(tyche_sobol_n_params(t), 2);
    ASSERT_INT_EQ(tyche_sobol_n_statements(t), 2);
    ASSERT_INT_EQ(tyche_sobol_inner(t), 64);
    ASSERT(!tyche_sobol_prob_rare(t, 0, NULL, NULL));
    for (size_t k = 0; k < 2; k++) {
        double a[3], b[3];
        tyche_sobol_prob_index(t, 0, k, a, b);
        /* 4 standard errors, the bootstrap interval's half-width / 1.96 */
        const double se_a = (a[2] - a[1]) / 3.92, se_b = (b[2] - b[1]) / 3.92;
        printf("  %s: S %.4f (exact %.4f, se %.4f), ST %.4f (exact %.4f, se %.4f)\n", tyche_sobol_param(t, k), a[0],
               want_s[k], se_a, b[0], want_st[k], se_b);
        ASSERT(se_a > 0 && se_a < 0.05 && se_b > 0 && se_b < 0.05);
        ASSERT(fabs(a[0] - want_s[k]) < 4 * se_a);
        ASSERT(fabs(b[0] - want_st[k]) < 4 * se_b);
    }
    /* the variance of p(theta) itself, whose noise the estimator removed:
     * the indicator view's variance is p(1 - p), far above it */
    const double v = tyche_sobol_prob_variance(t, 0);
    printf("  V %.5f (exact %.5f); indicator view's %.4f\n", v, V, tyche_sobol_variance(t, 0));
    ASSERT(fabs(v - V) < 0.06 * V); /* about 3 standard errors of a variance from 2N = 8000 values */
    ASSERT(tyche_sobol_variance(t, 0) > 5 * V);
    /* a statement almost never true at this sample size is flagged */
    uint64_t k1, of;
    ASSERT(tyche_sobol_rare(t, 1, &k1, &of));
    ASSERT(k1 < TYCHE_SOBOL_RARE && of == 8000);
    tyche_sobol_free(t);
    remove(file);
}
