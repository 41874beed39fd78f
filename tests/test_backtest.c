/* The backtest on synthetic history drawn from the model itself: with the
 * true parameters as fixed priors, the forecasts are calibrated, so the
 * central intervals cover at their nominal rates and the PITs average 1/2
 * (within 4 binomial standard errors); with too small a volatility, they
 * do not (the test can fail).  And the CRPS of one origin against the
 * lognormal closed form (Baran and Lerch, 2015). */
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "fiscal.h"
#include "kind.h"
#include "test.h"

#define NQ 160

static void write_history(const char *file) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 71);
    FILE *f = fopen(file, "w");
    fputs("fiscal_quarter,period_end,published,data_center_usd_b,source\n", f);
    tyche_quarter q0;
    tyche_quarter_parse("FY1960Q1", &q0);
    double rev = 10, g = 0.02;
    for (int i = 0; i < NQ; i++) {
        char lab[16], d[11], pub[11];
        tyche_quarter_format(q0 + i, lab, sizeof lab);
        tyche_date_format(tyche_quarter_end(q0 + i), d);
        tyche_date_format(tyche_quarter_end(q0 + i) + 24, pub); /* Nvidia's usual lag */
        fprintf(f, "%s,%s,%s,%.17g,synthetic AR(1)\n", lab, d, pub, rev);
        g = 0.02 + 0.5 * (g - 0.02) + 0.05 * gsl_ran_gaussian(r, 1.0);
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

static tyche_backtest *backtest(double sigma, int h, uint64_t trials, const char *from,
                                const char *to) {
    write_history("bt_history.csv");
    write_scenario("bt_scenario.json", sigma);
    tyche_backtest_config cfg = {"rev", from, to, h, trials, 5, 2, NULL};
    tyche_err err;
    tyche_backtest *b = tyche_backtest_run("bt_scenario.json", NULL, &cfg, &err);
    if (b == NULL) fprintf(stderr, "backtest failed: %s\n", err.msg);
    remove("bt_history.csv");
    remove("bt_scenario.json");
    return b;
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
