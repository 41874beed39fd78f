/* The backtest on synthetic history drawn from the model itself: with the
 * true parameters as fixed priors, the forecasts are calibrated, so the
 * central intervals cover at their nominal rates and the PITs average 1/2
 * (within 4 binomial standard errors); with too small a volatility, they
 * do not (the test can fail).  And the CRPS of one origin against the
 * lognormal closed form (Baran and Lerch, 2015).
 *
 * The baselines on a history that is a random walk in log revenue: the
 * random walk's intervals cover at their nominal rates; the last growth's,
 * whose centre carries the last growth's noise too (variance 2 sigma^2 at
 * h = 1 against the sigma^2 it assumes), cover 2 Phi(z / sqrt 2) - 1; one
 * baseline CRPS against a numerical integral of (F - 1{x >= y})^2 from the
 * history itself; the skill's standard error against a jackknife over
 * origins. */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "fiscal.h"
#include "kind.h"
#include "test.h"

#define NQ 160
#define NQ_LONG 480 /* a longer history, where a coverage must tell 0.80 from 0.64 */
static int nq = NQ;  /* the history's length */


/* phi = 0: log-growths iid N(0.02, 0.05^2), a random walk in log revenue */
static void write_history_phi(const char *file, double phi) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 71);
    FILE *f = fopen(file, "w");
    fputs("fiscal_quarter,period_end,published,data_center_usd_b,source\n", f);
    tyche_quarter q0;
    tyche_quarter_parse("FY1960Q1", &q0);
    double rev = 10, g = 0.02;
    for (int i = 0; i < nq; i++) {
        char lab[16], d[11], pub[11];
        tyche_quarter_format(q0 + i, lab, sizeof lab);
        tyche_date_format(tyche_quarter_end(q0 + i), d);
        tyche_date_format(tyche_quarter_end(q0 + i) + 24, pub); /* Nvidia's usual lag */
        fprintf(f, "%s,%s,%s,%.17g,synthetic AR(1)\n", lab, d, pub, rev);
        g = 0.02 + phi * (g - 0.02) + 0.05 * gsl_ran_gaussian(r, 1.0);
        rev *= exp(g);
    }
    fclose(f);
    gsl_rng_free(r);
}

static void write_scenario(const char *file, double sigma) {
    FILE *f = fopen(file, "w");
    fprintf(f,
            "{\"name\": \"synthetic\", \"start\": \"1960-10-30\", \"horizon\": \"2000-01-31\","
            " \"models\": [{\"name\": \"rev\", \"kind\": \"revenue_slowdown\", \"settings\": {"
            " \"data\": \"bt_history.csv\", \"target\": \"FY1999Q4\", \"reference\": \"FY1961Q1\"},"
            " \"params\": {\"g_inf\": 0.02, \"phi\": 0.5, \"sigma_g\": %g, \"s_max\": 0.5,"
            " \"k\": 1, \"t_mid\": 1990, \"beta_tz\": 0, \"a\": 0}}], \"statements\": []}",
            sigma);
    fclose(f);
}

static tyche_backtest *backtest_phi(double phi, double sigma, int h, uint64_t trials,
                                    const char *from, const char *to) {
    write_history_phi("bt_history.csv", phi);
    write_scenario("bt_scenario.json", sigma);
    tyche_backtest_config cfg = {"rev", from, to, h, trials, 5, 2, NULL};
    tyche_err err;
    tyche_backtest *b = tyche_backtest_run("bt_scenario.json", NULL, &cfg, &err);
    if (b == NULL) fprintf(stderr, "backtest failed: %s\n", err.msg);
    remove("bt_history.csv");
    remove("bt_scenario.json");
    return b;
}

static tyche_backtest *backtest(double sigma, int h, uint64_t trials, const char *from,
                                const char *to) {
    return backtest_phi(0.5, sigma, h, trials, from, to);
}

TEST(a_backtest_of_the_true_model_is_calibrated) {
    tyche_backtest *b = backtest(0.05, 1, 2000, NULL, NULL);
    ASSERT(b != NULL);
    static const int level[3] = {50, 80, 95};
    for (int l = 0; l < 3; l++) {
        double c, se;
        size_t n;
        tyche_backtest_coverage(b, level[l], 0, &c, &se, &n);
        ASSERT(n > 150);
        const double p = level[l] / 100.0;
        ASSERT_NEAR(c, p, 4 * sqrt(p * (1 - p) / n));
    }
    double pit = 0;
    size_t n = 0;
    for (size_t i = 0; i < tyche_backtest_n_origins(b); i++) {
        const tyche_backtest_step *s = tyche_backtest_get(b, i, 1);
        if (isnan(s->actual)) continue;
        pit += s->pit;
        n++;
    }
    ASSERT_NEAR(pit / n, 0.5, 4 * sqrt(1.0 / 12 / n));
    tyche_backtest_free(b);
}

TEST(a_too_confident_model_undercovers) {
    tyche_backtest *b = backtest(0.015, 1, 2000, NULL, NULL);
    ASSERT(b != NULL);
    double c, se;
    size_t n;
    tyche_backtest_coverage(b, 80, 0, &c, &se, &n);
    ASSERT(c < 0.6);
    tyche_backtest_free(b);
}

TEST(the_crps_matches_the_lognormal_closed_form) {
    /* one origin, one step: log R_(t+1) ~ N(log R_t + mu, 0.05^2) with
     * mu = 0.02 + 0.5 (g_t - 0.02) */
    tyche_backtest *b = backtest(0.05, 1, 40000, "FY1980Q1", "FY1980Q1");
    ASSERT(b != NULL);
    const tyche_backtest_step *s = tyche_backtest_get(b, 0, 1);
    /* recover R_t and g_t from the forecast's own median: exp(m), m = log R_t + mu */
    const double m = log(s->q[3]), sg = 0.05, y = s->actual;
    const double z = (log(y) - m) / sg;
    const double crps = y * (2 * gsl_cdf_ugaussian_P(z) - 1) -
                        2 * exp(m + sg * sg / 2) *
                            (gsl_cdf_ugaussian_P(z - sg) + gsl_cdf_ugaussian_P(sg / sqrt(2)) - 1);
    /* the sample median carries error too: allow 3% of the forecast's scale */
    ASSERT_NEAR(s->crps, crps, 0.03 * sg * y);
    tyche_backtest_free(b);
}

TEST(the_random_walk_baseline_is_calibrated_on_a_random_walk) {
    nq = NQ_LONG;
    tyche_backtest *b = backtest_phi(0.0, 0.05, 1, 200, NULL, NULL);
    nq = NQ;
    ASSERT(b != NULL);
    static const int level[3] = {50, 80, 95};
    for (int l = 0; l < 3; l++) {
        double c, se;
        size_t n;
        tyche_backtest_baseline_coverage(b, TYCHE_BT_RANDOM_WALK, level[l], 0, &c, &se, &n);
        ASSERT(n > 450);
        const double p = level[l] / 100.0;
        ASSERT_NEAR(c, p, 4 * sqrt(p * (1 - p) / n));
        /* the last growth's centre is off by the last growth's noise */
        tyche_backtest_baseline_coverage(b, TYCHE_BT_LAST_GROWTH, level[l], 0, &c, &se, &n);
        const double want = 2 * gsl_cdf_ugaussian_P(gsl_cdf_ugaussian_Pinv(0.5 + p / 2) / sqrt(2.0)) - 1;
        ASSERT_NEAR(c, want, 4 * sqrt(want * (1 - want) / n));
    }
    tyche_backtest_free(b);
}

/* (F(x) - 1{x >= y})^2 of a lognormal (mu, sd), for the integral */
typedef struct {
    double mu, sd, y;
} ln_t;
static double crps_integrand(double x, void *p) {
    const ln_t *l = p;
    const double F = x > 0 ? gsl_cdf_ugaussian_P((log(x) - l->mu) / l->sd) : 0;
    const double d = F - (x >= l->y);
    return d * d;
}

TEST(a_baseline_crps_matches_a_numerical_integral) {
    /* origin FY1980Q1 = quarter 80 of the history (FY1960Q1 is 0): 80 growths */
    tyche_backtest *b = backtest_phi(0.0, 0.05, 3, 200, "FY1980Q1", "FY1980Q1");
    ASSERT(b != NULL);
    /* the history again, as write_history_phi draws it */
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 71);
    double rev[NQ], x = 10, g = 0.02;
    for (int i = 0; i < NQ; i++) {
        rev[i] = x;
        g = 0.02 + 0.05 * gsl_ran_gaussian(r, 1.0);
        x *= exp(g);
    }
    gsl_rng_free(r);
    const int io = 80, n = 80, h = 3;
    double m = 0, ss = 0;
    for (int j = 1; j <= io; j++) m += log(rev[j] / rev[j - 1]) / n;
    for (int j = 1; j <= io; j++) ss += pow(log(rev[j] / rev[j - 1]) - m, 2);
    const double s = sqrt(ss / (n - 1));
    gsl_integration_workspace *ws = gsl_integration_workspace_alloc(1000);
    for (int k = 0; k < TYCHE_BT_NB; k++) {
        const tyche_backtest_step *st = tyche_backtest_baseline_get(b, k, 0, h);
        ASSERT_NEAR(st->actual, rev[io + h], 1e-9 * rev[io + h]);
        ln_t l = {log(rev[io]) + h * (k == TYCHE_BT_RANDOM_WALK ? m : log(rev[io] / rev[io - 1])),
                  k == TYCHE_BT_RANDOM_WALK ? s * sqrt(h + (double)h * h / n) : s * sqrt(h), st->actual};
        gsl_function f = {crps_integrand, &l};
        double lo, hi, e;
        gsl_integration_qag(&f, 0, l.y, 1e-12, 1e-10, 1000, GSL_INTEG_GAUSS61, ws, &lo, &e);
        gsl_integration_qagiu(&f, l.y, 1e-12, 1e-10, 1000, ws, &hi, &e);
        ASSERT_NEAR(st->crps, lo + hi, 1e-7 * (lo + hi));
        ASSERT_NEAR(st->pit, gsl_cdf_ugaussian_P((log(l.y) - l.mu) / l.sd), 1e-12);
        ASSERT_NEAR(st->q[3], exp(l.mu), 1e-9 * exp(l.mu));
    }
    gsl_integration_workspace_free(ws);
    tyche_backtest_free(b);
}

TEST(the_skill_and_its_se_match_a_jackknife_over_origins) {
    /* one step ahead: no overlap between origins, so the delta method's se
     * and the jackknife's agree to O(1/n) */
    tyche_backtest *b = backtest_phi(0.5, 0.05, 1, 400, NULL, NULL);
    ASSERT(b != NULL);
    const size_t no = tyche_backtest_n_origins(b);
    double cm[NQ], cb[NQ];
    size_t n = 0;
    for (size_t i = 0; i < no; i++) {
        const tyche_backtest_step *x = tyche_backtest_get(b, i, 1);
        const tyche_backtest_step *y = tyche_backtest_baseline_get(b, TYCHE_BT_RANDOM_WALK, i, 1);
        if (isnan(x->crps) || isnan(y->crps)) continue;
        cm[n] = x->crps;
        cb[n] = y->crps;
        n++;
    }
    double sm = 0, sb = 0;
    for (size_t i = 0; i < n; i++) sm += cm[i], sb += cb[i];
    double skill, se;
    size_t np;
    tyche_backtest_skill(b, TYCHE_BT_RANDOM_WALK, 0, &skill, &se, &np);
    ASSERT(np == n && n > 150);
    ASSERT_NEAR(skill, 1 - sm / sb, 1e-12);
    /* the true model beats a random walk on AR(1) growth */
    ASSERT(skill > 0);
    double jk[NQ], mean = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        jk[i] = 1 - (sm - cm[i]) / (sb - cb[i]);
        mean += jk[i] / n;
    }
    for (size_t i = 0; i < n; i++) v += (jk[i] - mean) * (jk[i] - mean);
    const double se_jk = sqrt(v * (n - 1) / n);
    ASSERT_NEAR(se, se_jk, 0.1 * se_jk);
    /* by horizon: h = 1 is all of them here */
    double s1, e1;
    tyche_backtest_skill(b, TYCHE_BT_RANDOM_WALK, 1, &s1, &e1, &np);
    ASSERT_DBL_IDENTICAL(s1, skill);
    ASSERT_DBL_IDENTICAL(e1, se);
    tyche_backtest_free(b);
}

TEST(the_skill_se_over_several_horizons_is_newey_west_over_origins) {
    /* the documented estimator, spelled out: per-origin sums of
     * (crps_m - ratio crps_b) / mean(crps_b), Bartlett weights to H - 1 lags */
    const int H = 3;
    tyche_backtest *b = backtest_phi(0.5, 0.05, H, 200, "FY1961Q1", "FY1990Q4");
    ASSERT(b != NULL);
    const size_t no = tyche_backtest_n_origins(b);
    for (int k = 0; k < TYCHE_BT_NB; k++) {
        double sm = 0, sb = 0, u[NQ] = {0};
        size_t n = 0;
        for (size_t i = 0; i < no; i++)
            for (int h = 1; h <= H; h++) {
                sm += tyche_backtest_get(b, i, h)->crps;
                sb += tyche_backtest_baseline_get(b, k, i, h)->crps;
                n++;
            }
        const double ratio = sm / sb;
        for (size_t i = 0; i < no; i++)
            for (int h = 1; h <= H; h++)
                u[i] += (tyche_backtest_get(b, i, h)->crps - ratio * tyche_backtest_baseline_get(b, k, i, h)->crps) /
                        (sb / n);
        double v = 0;
        for (size_t i = 0; i < no; i++) v += u[i] * u[i];
        for (size_t i = 0; i + 1 < no; i++) v += 2 * (2.0 / 3) * u[i] * u[i + 1];
        for (size_t i = 0; i + 2 < no; i++) v += 2 * (1.0 / 3) * u[i] * u[i + 2];
        double skill, se;
        size_t np;
        tyche_backtest_skill(b, k, 0, &skill, &se, &np);
        ASSERT(np == n && n == no * H);
        ASSERT_NEAR(skill, 1 - ratio, 1e-12);
        ASSERT_NEAR(se, sqrt(v) / n, 1e-12 * sqrt(v) / n);
    }
    tyche_backtest_free(b);
}

TEST(a_baseline_needs_two_growths_and_a_skill_se_two_origins) {
    /* FY1960Q2 has one growth before it (no baseline), FY1960Q3 two */
    tyche_backtest *b = backtest_phi(0.5, 0.05, 2, 200, "FY1960Q2", "FY1960Q3");
    ASSERT(b != NULL);
    const tyche_backtest_step *s = tyche_backtest_baseline_get(b, TYCHE_BT_RANDOM_WALK, 0, 1);
    ASSERT(!isnan(s->actual) && isnan(s->crps) && isnan(s->q[3]));
    ASSERT(!isnan(tyche_backtest_baseline_get(b, TYCHE_BT_LAST_GROWTH, 1, 2)->crps));
    double c, se, skill;
    size_t n, np;
    tyche_backtest_baseline_coverage(b, TYCHE_BT_RANDOM_WALK, 80, 0, &c, &se, &n);
    ASSERT_INT_EQ(n, 2);
    tyche_backtest_coverage(b, 80, 0, &c, &se, &n);
    ASSERT_INT_EQ(n, 4);
    tyche_backtest_skill(b, TYCHE_BT_RANDOM_WALK, 0, &skill, &se, &np);
    ASSERT_INT_EQ(np, 2);
    ASSERT(!isnan(skill) && isnan(se));
    tyche_backtest_free(b);
}
