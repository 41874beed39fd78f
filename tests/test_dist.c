/* Tests of the prior distributions: every kind's sampler is held to its
 * closed-form mean and variance and to its own quantile function (the
 * empirical CDF at quantile(u) must be u), every JSON form is parsed to its
 * canonical parameters, and bad input is refused with a message that names
 * the offending key.  Draws use mt19937 with a fixed seed, so a failure is
 * reproducible; the seed is printed only when something fails. */
#include <stdlib.h>
#include <cjson/cJSON.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_erf.h>
#include "tyche/dist.h"
#include "dist_impl.h"
#include "files.h"
#include "test.h"

#define SEED 12345
#define N_DRAWS 200000
#define PATH "models/x.json: models[0].params.h0"

/* Parses JSON text into d; a JSON syntax error (a bug in the test) comes back
 * as -1 so the caller's status assert fails loudly. */
static int parse(const char *text, tyche_dist *d, tyche_err *e) {
    cJSON *j = cJSON_Parse(text);
    if (j == NULL) return -1;
    memset(e, 0, sizeof *e);
    const tyche_status st = tyche_dist_from_json(j, PATH, d, e);
    cJSON_Delete(j);
    return (int)st;
}

/* the middle and the tails: 0.001 and 0.999 hold a sampler's tails to its
 * quantile function (about 200 draws beyond each) */
#define N_PROBES 5
static const double probe_u[N_PROBES] = {0.001, 0.05, 0.5, 0.95, 0.999};

/* Tolerances are 4 standard errors, so a correct implementation fails one
 * comparison with probability ~6e-5, and ~0.3% over the whole file:
 *  - mean: sd(sample mean) = sqrt(var / n), from the closed-form variance;
 *  - variance: for large n the sample variance is asymptotically normal with
 *    variance (mu4 - sigma^4) / n (the delta method); mu4 is estimated from
 *    the same draws, which is consistent and avoids a second closed form
 *    per kind; for the heaviest tail here (lognormal, sdlog 0.8, kurtosis
 *    ~34) that still gives a ~5% band, wide enough for the noise in mu4;
 *  - CDF: #{x <= quantile(u)} is binomial(n, F), sd sqrt(F (1 - F) / n).
 * For continuous kinds F = u; for bernoulli and discrete, F is the exact
 * CDF at quantile(u), passed in cdf_at_q. */
/* n draws of d into x: by the engine's block sampler (trials 0 .. n - 1 of
 * `stream`, 256 lanes at a time) or, block 0, by GSL's per-trial sampler
 * (mt19937 seeded with `seed`).  0 when out of memory. */
static int draw_n(const tyche_dist *d, int block, uint64_t seed, uint32_t stream, long n_all, double *x) {
    if (!block) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        if (r == NULL) return 0;
        gsl_rng_set(r, seed);
        for (long i = 0; i < n_all; i++) x[i] = tyche_dist_sample(d, r);
        gsl_rng_free(r);
        return 1;
    }
    tyche_draws *dr = tyche_draws_alloc(NULL, seed, 256, NULL);
    uint64_t trial[256];
    uint32_t redraw[256] = {0};
    double tmp[3 * 256];
    if (dr == NULL) return 0;
    for (long i0 = 0; i0 < n_all; i0 += 256) {
        const size_t n = n_all - i0 < 256 ? (size_t)(n_all - i0) : 256;
        for (size_t i = 0; i < n; i++) trial[i] = (uint64_t)(i0 + (long)i);
        const tyche_lanes L = {n, trial, redraw};
        tyche_dist_sample_block(d, dr, &L, stream, x + i0, tmp);
    }
    tyche_draws_free(dr);
    return 1;
}

static void check_draws_(const tyche_dist *d, const double *cdf_at_q, int block) {
    double *x = malloc(N_DRAWS * sizeof *x);
    ASSERT(x != NULL);
    ASSERT(draw_n(d, block, SEED, 4096, N_DRAWS, x));
    long nonfinite = 0;
    double sum = 0.0;
    for (long i = 0; i < N_DRAWS; i++) {
        if (!isfinite(x[i])) nonfinite++;
        sum += x[i];
    }
    const double mean = sum / N_DRAWS;
    double m2 = 0.0, m4 = 0.0;
    for (long i = 0; i < N_DRAWS; i++) {
        const double dev2 = (x[i] - mean) * (x[i] - mean);
        m2 += dev2;
        m4 += dev2 * dev2;
    }
    const double var = m2 / (N_DRAWS - 1);
    m2 /= N_DRAWS;
    m4 /= N_DRAWS;
    double q[N_PROBES], frac[N_PROBES];
    for (int k = 0; k < N_PROBES; k++) {
        long below = 0;
        q[k] = tyche_dist_quantile(d, probe_u[k]);
        for (long i = 0; i < N_DRAWS; i++) below += x[i] <= q[k];
        frac[k] = (double)below / N_DRAWS;
    }
    free(x);

    ASSERT_INT_EQ(nonfinite, 0);
    const double true_var = tyche_dist_variance(d);
    ASSERT(isfinite(true_var) && true_var >= 0.0);
    ASSERT_NEAR(mean, tyche_dist_mean(d), 4.0 * sqrt(true_var / N_DRAWS));
    ASSERT_NEAR(var, true_var, 4.0 * sqrt(fmax(m4 - m2 * m2, 0.0) / N_DRAWS));
    for (int k = 0; k < N_PROBES; k++) {
        const double f = cdf_at_q ? cdf_at_q[k] : probe_u[k];
        ASSERT(isfinite(q[k]));
        ASSERT_NEAR(frac[k], f, 4.0 * sqrt(f * (1.0 - f) / N_DRAWS));
    }
}

/* Both samplers: GSL's per-trial one (tyche_dist_sample) and the engine's
 * block sampler (tyche_dist_sample_block, Philox streams). */
static void check_draws(const tyche_dist *d, const double *cdf_at_q) {
    for (int block = 0; block < 2 && !test_failed; block++) {
        check_draws_(d, cdf_at_q, block);
        if (test_failed) {
            char buf[256];
            tyche_dist_format(d, buf, sizeof buf);
            fprintf(stderr, "  (%d draws of %s, %s seed %d)\n", N_DRAWS, buf,
                    block ? "the block sampler, philox" : "mt19937", SEED);
        }
    }
}

/* Parses text (which must be valid) and runs check_draws on it. */
static void check_draws_of(const char *text, const double *cdf_at_q) {
    tyche_dist d;
    tyche_err e;
    const int st = parse(text, &d, &e);
    if (st != TYCHE_OK) fprintf(stderr, "  %s\n", e.msg);
    ASSERT_INT_EQ(st, TYCHE_OK);
    check_draws(&d, cdf_at_q);
    tyche_dist_clear(&d);
}

/* Parses text, which must be refused as bad input with a message naming
 * fragment. */
static void check_rejected(const char *text, const char *fragment) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse(text, &d, &e), TYCHE_EINPUT);
    ASSERT_INT_EQ(e.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, PATH);
    ASSERT_STR_CONTAINS(e.msg, fragment);
    /* "holds nothing to free" */
    ASSERT(d.values == NULL && d.cumw == NULL);
}

/* P(X > quantile(0.99)) from 10^5 draws of each sampler (GSL's and the
 * block one), within 4 standard errors of 0.01: the upper tail of the
 * sampler against the quantile function, for laws whose moments alone would
 * not show a wrong tail. */
#define N_TAIL 100000
static void check_upper_tail(const tyche_dist *d) {
    const double q99 = tyche_dist_quantile(d, 0.99);
    ASSERT(isfinite(q99));
    for (int block = 0; block < 2; block++) {
        long above = 0;
        if (block) {
            tyche_draws *dr = tyche_draws_alloc(NULL, SEED + 1, 256, NULL);
            uint64_t trial[256];
            uint32_t redraw[256] = {0};
            double tmp[3 * 256], x[256];
            ASSERT(dr != NULL);
            for (long i0 = 0; i0 < N_TAIL; i0 += 256) {
                const size_t n = N_TAIL - i0 < 256 ? (size_t)(N_TAIL - i0) : 256;
                for (size_t i = 0; i < n; i++) trial[i] = (uint64_t)(i0 + (long)i);
                const tyche_lanes L = {n, trial, redraw};
                tyche_dist_sample_block(d, dr, &L, 77, x, tmp);
                for (size_t i = 0; i < n; i++) above += x[i] > q99;
            }
            tyche_draws_free(dr);
        } else {
            gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
            gsl_rng_set(r, SEED + 1);
            for (long i = 0; i < N_TAIL; i++) above += tyche_dist_sample(d, r) > q99;
            gsl_rng_free(r);
        }
        ASSERT_NEAR((double)above / N_TAIL, 0.01, 4.0 * sqrt(0.01 * 0.99 / N_TAIL));
    }
}

/* Parses text, which must be valid, into d (for the caller to clear). */
static void parse_ok(const char *text, tyche_dist *d) {
    tyche_err e;
    const int st = parse(text, d, &e);
    if (st != TYCHE_OK) fprintf(stderr, "  %s\n", e.msg);
    ASSERT_INT_EQ(st, TYCHE_OK);
}

/* ---- every kind's sampler against its moments and quantiles ------------ */

TEST(fixed_draws_are_always_its_value) {
    static const double cdf[N_PROBES] = {1.0, 1.0, 1.0, 1.0, 1.0};
    check_draws_of("2", cdf);
    check_draws_of("{\"dist\":\"fixed\",\"value\":-3.5}", cdf);
}

TEST(uniform_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"uniform\",\"min\":3,\"max\":9}", NULL);
}

TEST(normal_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"normal\",\"mean\":0.6,\"sd\":0.4}", NULL);
}

TEST(truncnormal_across_the_mean_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"truncnormal\",\"mean\":0.6,\"sd\":0.4,\"min\":0,\"max\":1}", NULL);
    check_draws_of("{\"dist\":\"truncnormal\",\"mean\":2,\"sd\":3,\"min\":0}", NULL);
}

TEST(truncnormal_above_the_mean_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"truncnormal\",\"mean\":0,\"sd\":1,\"min\":1.5,\"max\":3}", NULL);
    check_draws_of("{\"dist\":\"truncnormal\",\"mean\":10,\"sd\":2,\"min\":16}", NULL);
}

TEST(truncnormal_below_the_mean_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"truncnormal\",\"mean\":0,\"sd\":1,\"max\":-2}", NULL);
}

TEST(lognormal_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"lognormal\",\"median\":0.3,\"sdlog\":0.8}", NULL);
}

TEST(beta_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"beta\",\"a\":0.5,\"b\":15}", NULL);
    check_draws_of("{\"dist\":\"beta\",\"a\":2,\"b\":5}", NULL);
    check_draws_of("{\"dist\":\"beta\",\"a\":12,\"b\":88}", NULL);
    check_draws_of("{\"dist\":\"beta\",\"a\":0.2,\"b\":0.3}", NULL);
}

TEST(gamma_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"gamma\",\"shape\":2.5,\"scale\":1.2}", NULL);
    check_draws_of("{\"dist\":\"gamma\",\"shape\":0.5,\"mean\":3}", NULL);
    check_draws_of("{\"dist\":\"gamma\",\"shape\":1,\"scale\":1}", NULL);
    check_draws_of("{\"dist\":\"gamma\",\"shape\":40,\"scale\":0.5}", NULL);
    check_draws_of("{\"dist\":\"gamma\",\"shape\":0.05,\"scale\":1}", NULL);
}

TEST(triangular_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"triangular\",\"min\":3,\"mode\":4,\"max\":9}", NULL);
    check_draws_of("{\"dist\":\"triangular\",\"min\":0,\"mode\":0,\"max\":1}", NULL);
}

TEST(pert_draws_match_its_mean_variance_and_quantiles) {
    check_draws_of("{\"dist\":\"pert\",\"min\":3,\"mode\":4,\"max\":9}", NULL);
    check_draws_of("{\"dist\":\"pert\",\"min\":3,\"mode\":8,\"max\":9,\"lambda\":2}", NULL);
}

TEST(bernoulli_draws_match_its_mean_variance_and_cdf) {
    /* quantiles at 0.001, 0.05, 0.5, 0.95, 0.999 are 0, 0, 0, 1, 1; F(0) = 0.7, F(1) = 1 */
    static const double cdf[N_PROBES] = {0.7, 0.7, 0.7, 1.0, 1.0};
    check_draws_of("{\"dist\":\"bernoulli\",\"p\":0.3}", cdf);
}

TEST(discrete_draws_match_its_mean_variance_and_cdf) {
    /* sorted: 1 (0.1), 2 (0.35), 5 (0.35), 10 (0.2); cumulative 0.1, 0.45, 0.8, 1;
     * quantiles at 0.001, 0.05, 0.5, 0.95, 0.999 are 1, 1, 5, 10, 10 */
    static const double cdf[N_PROBES] = {0.1, 0.1, 0.8, 1.0, 1.0};
    check_draws_of("{\"dist\":\"discrete\",\"values\":[5,1,10,2],\"weights\":[0.35,0.1,0.2,0.35]}",
                   cdf);
}

/* Mean and variance of normal(m, s) restricted to [a, b], by composite
 * Simpson integration of the density: independent of the library's closed
 * forms.  Infinite bounds are cut 12 sd out, beyond which nothing counts. */
static void truncnormal_moments_by_quadrature(double m, double s, double a, double b,
                                              double *mean, double *var) {
    const int n = 20000; /* even */
    const double lo = fmax(a, m - 12.0 * s), hi = fmin(b, m + 12.0 * s);
    const double h = (hi - lo) / n;
    double z = 0.0, s1 = 0.0, s2 = 0.0;
    for (int i = 0; i <= n; i++) {
        const double x = lo + i * h;
        const double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        const double f = w * exp(-0.5 * ((x - m) / s) * ((x - m) / s));
        z += f;
        s1 += f * x;
        s2 += f * x * x;
    }
    *mean = s1 / z;
    *var = s2 / z - *mean * *mean;
}

TEST(truncnormal_moments_agree_with_numerical_integration) {
    static const double cases[][4] = {
        {0.6, 0.4, 0.0, 1.0},       /* across the mean */
        {2.0, 3.0, 0.0, INFINITY},  /* across the mean, one bound */
        {0.0, 1.0, 1.5, 3.0},       /* above the mean */
        {10.0, 2.0, 16.0, INFINITY}, /* above the mean, one bound */
        {0.0, 1.0, -INFINITY, -2.0}, /* below the mean */
        {5.0, 0.5, 3.0, 4.9},       /* below the mean, two bounds */
        {0.0, 1.0, 4.0, 6.0},       /* in the tail, two bounds */
        {0.0, 1.0, -INFINITY, -5.0}, /* in the lower tail */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const tyche_dist d = {.kind = TYCHE_DIST_TRUNCNORMAL,
                              .p = {cases[i][0], cases[i][1], cases[i][2], cases[i][3]}};
        tyche_err e;
        ASSERT_INT_EQ(tyche_dist_validate(&d, PATH, &e), TYCHE_OK);
        double mean, var;
        truncnormal_moments_by_quadrature(d.p[0], d.p[1], d.p[2], d.p[3], &mean, &var);
        ASSERT_NEAR(tyche_dist_mean(&d), mean, 1e-9 * fmax(1.0, fabs(mean)));
        ASSERT_NEAR(tyche_dist_variance(&d), var, 1e-9 * var);
    }
}

TEST(truncnormal_moments_stay_accurate_far_in_the_tail_and_on_narrow_intervals) {
    /* references: the standard formulas evaluated with mpmath at 80 digits */
    static const double cases[][4] = {
        /* min, max, mean, variance, for mean 0 and sd 1 */
        {30.0, INFINITY, 30.033259667433677037, 0.0011037715118900910011},
        {60.0, INFINITY, 60.01665742024112493, 0.00027731588341476922695},
        {1000.0, INFINITY, 1000.00099999800001, 9.9999400004999948201e-7},
        {40.0, 40.001, 40.00049666671399994, 8.3326664146133970066e-8},
        {5.0, 6.0, 5.1831470904771735185, 0.029452430768483057227},
        {3.5, 3.75, 3.6064110905823561569, 0.0049915960886366076101},
        {8.0, 20.0, 8.1213681122361126807, 0.014324883443340910176},
        /* narrow intervals, where the standard formulas cancel */
        {3.0, 3.0000001, 3.0000000499999974182, 8.3333333060569785375e-16},
        {0.5, 0.5000001, 0.50000004999999955702, 8.3333333245607320529e-16},
        {-5e-08, 5e-08, 0.0, 8.3333333333333298014e-16},
        {10.0, 10.04, 10.018667634015556453, 0.00013226223495772761171},
        {2.0, 2.1, 2.0482934302550996141, 0.00083130912547843822111},
        {0.5, 0.9, 0.6907283380286955358, 0.013211041352302727241},
        {-0.1, 0.3, 0.098673799212582214075, 0.013261307587042332757},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tyche_dist d = {.kind = TYCHE_DIST_TRUNCNORMAL, .p = {0.0, 1.0, cases[i][0], cases[i][1]}};
        ASSERT_NEAR(tyche_dist_mean(&d), cases[i][2], 1e-12 * fmax(fabs(cases[i][2]), 1.0));
        ASSERT_NEAR(tyche_dist_variance(&d), cases[i][3], 1e-9 * cases[i][3]);
        /* the mirror image, entirely below the mean */
        d.p[2] = -cases[i][1];
        d.p[3] = -cases[i][0];
        ASSERT_NEAR(tyche_dist_mean(&d), -cases[i][2], 1e-12 * fmax(fabs(cases[i][2]), 1.0));
        ASSERT_NEAR(tyche_dist_variance(&d), cases[i][3], 1e-9 * cases[i][3]);
    }
}

TEST(far_tail_truncnormal_samples_finite_values_above_its_min) {
    /* 30 sd out P(Z > 30) ~ 5e-198 is still a double; 60 sd out it underflows */
    static const char *const texts[2] = {
        "{\"dist\":\"truncnormal\",\"mean\":0,\"sd\":1,\"min\":30}",
        "{\"dist\":\"truncnormal\",\"mean\":0,\"sd\":1,\"min\":60}",
    };
    for (int t = 0; t < 2; t++) {
        tyche_dist d;
        tyche_err e;
        ASSERT_INT_EQ(parse(texts[t], &d, &e), TYCHE_OK);
        const double lo = d.p[2];
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, SEED);
        long bad = 0;
        double sum = 0.0;
        for (int i = 0; i < 10000; i++) {
            const double x = tyche_dist_sample(&d, r);
            if (!isfinite(x) || x < lo) bad++;
            sum += x;
        }
        gsl_rng_free(r);
        ASSERT_INT_EQ(bad, 0);
        const double median = tyche_dist_quantile(&d, 0.5);
        ASSERT(isfinite(median) && median >= lo);
        /* beyond a the excess over a is close to Exp(rate a): median ~ a + ln 2 / a */
        ASSERT_NEAR(median, lo + log(2.0) / lo, 0.01 / lo);
        /* exactly: P(Z > q) / P(Z > a) = 1 - u, in logs via erfc as Q underflows */
        for (int k = 0; k < 3; k++) {
            const double q = tyche_dist_quantile(&d, probe_u[k]);
            const double log_ratio =
                gsl_sf_log_erfc(q / M_SQRT2) - gsl_sf_log_erfc(lo / M_SQRT2);
            ASSERT_NEAR(log_ratio, log1p(-probe_u[k]), 1e-9);
        }
        const double var = tyche_dist_variance(&d);
        ASSERT(isfinite(var) && var > 0.0);
        ASSERT_NEAR(sum / 10000, tyche_dist_mean(&d), 4.0 * sqrt(var / 10000));
        /* mean of the excess is ~ 1/a (Mills ratio), to O(1/a^3) */
        ASSERT_NEAR(tyche_dist_mean(&d), lo + 1.0 / lo, 2.0 / (lo * lo * lo));
    }
}

TEST(beta_and_gamma_quantiles_hold_where_gsl_pinv_gives_up) {
    /* closed forms: Beta(a, 1) has F = x^a, Beta(1, b) has F = 1 - (1 - x)^b,
     * Gamma(1, scale) is exponential */
    static const double us[] = {1e-9, 0.01, 0.5, 0.99, 1.0 - 1e-9};
    for (size_t i = 0; i < sizeof us / sizeof us[0]; i++) {
        const double u = us[i];
        tyche_dist d = {.kind = TYCHE_DIST_BETA, .p = {0.01, 1.0}};
        const double q = tyche_dist_quantile(&d, u), exact = pow(u, 100.0);
        ASSERT_NEAR(q, exact, fmax(1e-10 * exact, 1e-300)); /* 1e-9^100 underflows */
        d.p[0] = 1.0;
        d.p[1] = 0.05;
        ASSERT_NEAR(tyche_dist_quantile(&d, u), -expm1(log1p(-u) * 20.0), 1e-12);
        d.kind = TYCHE_DIST_GAMMA;
        d.p[0] = 1.0;
        d.p[1] = 2.5;
        const double e = -2.5 * log1p(-u);
        ASSERT_NEAR(tyche_dist_quantile(&d, u), e, 1e-12 * e);
    }
    /* against the CDF, in the tail the quantile lies in */
    const tyche_dist b = {.kind = TYCHE_DIST_BETA, .p = {1000.0, 10000.0}};
    const double qb = tyche_dist_quantile(&b, 0.999);
    ASSERT_NEAR(gsl_cdf_beta_Q(qb, 1000.0, 10000.0), 0.001, 1e-12);
    const tyche_dist g = {.kind = TYCHE_DIST_GAMMA, .p = {0.01, 3.0}};
    const double qg = tyche_dist_quantile(&g, 0.01);
    ASSERT(qg > 0.0);
    ASSERT_NEAR(gsl_cdf_gamma_P(qg, 0.01, 3.0), 0.01, 1e-12);
    const tyche_dist p = {.kind = TYCHE_DIST_PERT, .p = {0.0, 1.0, 2.0, 1e6}};
    ASSERT_NEAR(tyche_dist_quantile(&p, 0.5), 1.0, 1e-6); /* huge lambda: all mass at the mode */
}

/* ---- log-uniform ---------------------------------------------------------- */

static const double qprobe_u[5] = {0.001, 0.01, 0.5, 0.99, 0.999};

TEST(loguniform_quantile_is_min_times_the_ratio_to_the_u) {
    static const double ranges[][2] = {{0.01, 100.0}, {2.0, 3.0}, {1e-300, 1e300}, {5.0, 5.0001}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        const tyche_dist d = {.kind = TYCHE_DIST_LOGUNIFORM, .p = {ranges[i][0], ranges[i][1]}};
        for (int k = 0; k < 5; k++) {
            const double u = qprobe_u[k];
            const double exact = ranges[i][0] * pow(ranges[i][1] / ranges[i][0], u);
            ASSERT_NEAR(tyche_dist_quantile(&d, u), exact, 1e-12 * exact);
        }
        ASSERT_NEAR(tyche_dist_quantile(&d, 0.0), ranges[i][0], 1e-15 * ranges[i][0]);
        ASSERT_NEAR(tyche_dist_quantile(&d, 1.0), ranges[i][1], 1e-15 * ranges[i][1]);
    }
}

TEST(loguniform_draws_match_its_mean_variance_quantiles_and_tail) {
    check_draws_of("{\"dist\":\"loguniform\",\"min\":0.01,\"max\":100}", NULL);
    check_draws_of("{\"dist\":\"loguniform\",\"min\":2,\"max\":3}", NULL);
    tyche_dist d;
    parse_ok("{\"dist\":\"loguniform\",\"min\":0.01,\"max\":100}", &d);
    check_upper_tail(&d);
}

/* E[X] and Var[X] by composite Simpson over t in [0, 1], X = min exp(t L)
 * with L = ln(max / min) and t uniform: independent of the library's atanh
 * forms.  Worked in X - min = min expm1(t L) and integrated about the mean,
 * so that nothing cancels on a narrow range. */
static void loguniform_moments_by_quadrature(double lo, double hi, double *mean, double *var) {
    const int n = 20000;
    const double l = log1p((hi - lo) / lo), h = 1.0 / n;
    double s1 = 0.0, s2 = 0.0;
    for (int i = 0; i <= n; i++) {
        const double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        s1 += w * lo * expm1(i * h * l);
    }
    const double excess = s1 * h / 3.0;
    for (int i = 0; i <= n; i++) {
        const double w = (i == 0 || i == n) ? 1.0 : (i % 2 ? 4.0 : 2.0);
        const double dev = lo * expm1(i * h * l) - excess;
        s2 += w * dev * dev;
    }
    *mean = lo + excess;
    *var = s2 * h / 3.0;
}

TEST(loguniform_moments_match_the_closed_form_and_quadrature) {
    static const double ranges[][2] = {{0.01, 100.0}, {2.0, 3.0}, {1.0, 1.0001}, {1.0, 1.5},
                                       {1e-6, 1.0}, {7.0, 7.0000007}};
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        /* log1p: log(hi / lo) would round the ratio first, 1e-9 of a narrow span */
        const double lo = ranges[i][0], hi = ranges[i][1], l = log1p((hi - lo) / lo);
        const tyche_dist d = {.kind = TYCHE_DIST_LOGUNIFORM, .p = {lo, hi}};
        tyche_err e;
        ASSERT_INT_EQ(tyche_dist_validate(&d, PATH, &e), TYCHE_OK);
        const double m = (hi - lo) / l;
        ASSERT_NEAR(tyche_dist_mean(&d), m, 1e-12 * m);
        double qm, qv;
        loguniform_moments_by_quadrature(lo, hi, &qm, &qv);
        ASSERT_NEAR(tyche_dist_mean(&d), qm, 1e-11 * qm);
        ASSERT_NEAR(tyche_dist_variance(&d), qv, 1e-9 * qv);
        /* the textbook form, where it does not cancel */
        if (hi / lo > 1.4) {
            const double v = (hi * hi - lo * lo) / (2.0 * l) - m * m;
            ASSERT_NEAR(tyche_dist_variance(&d), v, 1e-10 * v);
        }
    }
}

TEST(loguniform_parses_and_refuses_bad_bounds_naming_the_key) {
    tyche_dist d;
    parse_ok("{\"dist\":\"loguniform\",\"min\":0.5,\"max\":8}", &d);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_LOGUNIFORM);
    ASSERT(d.p[0] == 0.5 && d.p[1] == 8.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.5), 2.0, 1e-15); /* the geometric mean */
    double lo, hi;
    int open = -1;
    tyche_dist_support(&d, &lo, &hi, &open);
    ASSERT(lo == 0.5 && hi == 8.0 && open == 0);
    char buf[64];
    tyche_dist_format(&d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "loguniform(min 0.5, max 8)");
    check_rejected("{\"dist\":\"loguniform\",\"min\":0,\"max\":8}", PATH ".min: must be > 0");
    check_rejected("{\"dist\":\"loguniform\",\"min\":-1,\"max\":8}", PATH ".min: must be > 0");
    check_rejected("{\"dist\":\"loguniform\",\"min\":8,\"max\":8}",
                   PATH ".min: must be < max (8 >= 8)");
    check_rejected("{\"dist\":\"loguniform\",\"min\":1}", PATH ": missing key \"max\"");
    check_rejected("{\"dist\":\"loguniform\",\"min\":1,\"max\":2,\"sd\":1}",
                   PATH ": unknown key \"sd\"");
    /* an override is checked the same way */
    d.p[0] = -2.0;
    tyche_err e;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "--set h0", &e), TYCHE_EINPUT);
    ASSERT_STR_EQ(e.msg, "--set h0.min: must be > 0");
}

/* ---- Student-t ------------------------------------------------------------ */

TEST(studentt_quantile_matches_cauchy_and_the_df_2_closed_form) {
    for (int k = 0; k < 5; k++) {
        const double u = qprobe_u[k];
        /* df 1 is Cauchy */
        const tyche_dist c = {.kind = TYCHE_DIST_STUDENTT,
                              .p = {1.5, 2.0, 1.0, -INFINITY, INFINITY}};
        const double xc = 1.5 + 2.0 * tan(M_PI * (u - 0.5));
        ASSERT_NEAR(tyche_dist_quantile(&c, u), xc, 1e-12 * fmax(1.0, fabs(xc)));
        /* df 2: F(t) = 1/2 + t / (2 sqrt(2 + t^2)), so t = (2u - 1) / sqrt(2u (1 - u)) */
        const tyche_dist t2 = {.kind = TYCHE_DIST_STUDENTT,
                               .p = {-3.0, 0.5, 2.0, -INFINITY, INFINITY}};
        const double x2 = -3.0 + 0.5 * (2.0 * u - 1.0) / sqrt(2.0 * u * (1.0 - u));
        ASSERT_NEAR(tyche_dist_quantile(&t2, u), x2, 1e-12 * fmax(1.0, fabs(x2)));
    }
    /* u near 1 stays exact: Cauchy at 1 - 1e-12 is cot(pi 1e-12) */
    const tyche_dist c = {.kind = TYCHE_DIST_STUDENTT, .p = {0.0, 1.0, 1.0, -INFINITY, INFINITY}};
    const double far = 1.0 / tan(M_PI * 1e-12);
    ASSERT_NEAR(tyche_dist_quantile(&c, 1.0 - 1e-12), far, 1e-3 * far);
}

TEST(truncated_studentt_quantile_spans_min_to_max_and_inverts_the_cdf) {
    static const double cases[][5] = {
        /* location, scale, df, min, max */
        {0.0, 1.0, 3.0, -1.0, 2.0},       /* across the location */
        {1.0, 2.0, 1.0, 5.0, INFINITY},   /* above it, Cauchy, one bound */
        {0.0, 1.0, 0.5, -INFINITY, -40.0}, /* far below it, very heavy */
        {0.0, 1.0, 30.0, 4.0, 6.0},       /* in a light tail */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const double *c = cases[i];
        const tyche_dist d = {.kind = TYCHE_DIST_STUDENTT, .p = {c[0], c[1], c[2], c[3], c[4]}};
        tyche_err e;
        ASSERT_INT_EQ(tyche_dist_validate(&d, PATH, &e), TYCHE_OK);
        ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.0), c[3]);
        ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 1.0), c[4]);
        if (isfinite(c[3])) ASSERT_NEAR(tyche_dist_quantile(&d, 1e-15), c[3], 1e-9 * fmax(1.0, fabs(c[3])));
        if (isfinite(c[4])) ASSERT_NEAR(tyche_dist_quantile(&d, 1.0 - 1e-15), c[4], 1e-9 * fmax(1.0, fabs(c[4])));
        const double za = (c[3] - c[0]) / c[1], zb = (c[4] - c[0]) / c[1];
        const double fa = isinf(za) ? 0.0 : gsl_cdf_tdist_P(za, c[2]);
        const double fb = isinf(zb) ? 1.0 : gsl_cdf_tdist_P(zb, c[2]);
        double before = -INFINITY;
        for (int k = 1; k < 1000; k++) {
            const double u = k / 1000.0, x = tyche_dist_quantile(&d, u);
            ASSERT(x >= before && x >= c[3] && x <= c[4]);
            before = x;
        }
        for (int k = 0; k < 5; k++) {
            const double u = qprobe_u[k], z = (tyche_dist_quantile(&d, u) - c[0]) / c[1];
            /* through the tail that holds the interval, so far bounds keep digits */
            const double f = za >= 0.0 ? (gsl_cdf_tdist_Q(za, c[2]) - gsl_cdf_tdist_Q(z, c[2])) /
                                             (gsl_cdf_tdist_Q(za, c[2]) - (isinf(zb) ? 0.0 : gsl_cdf_tdist_Q(zb, c[2])))
                                       : (gsl_cdf_tdist_P(z, c[2]) - fa) / (fb - fa);
            ASSERT_NEAR(f, u, 1e-9 * fmin(u, 1.0 - u));
        }
    }
}

/* Fractions of draws (10^5 from each sampler) at or below quantile(0.25),
 * (0.5), (0.75) and above quantile(0.99), each within 4 binomial standard
 * errors: the median, interquartile range and upper tail of a law whose
 * variance is infinite. */
static void check_quartiles_and_tail(const tyche_dist *d) {
    static const double us[4] = {0.25, 0.5, 0.75, 0.99};
    double q[4];
    for (int k = 0; k < 4; k++) q[k] = tyche_dist_quantile(d, us[k]);
    double *x = malloc(N_TAIL * sizeof *x);
    ASSERT(x != NULL);
    for (int block = 0; block < 2; block++) {
        ASSERT(draw_n(d, block, SEED + 2, 9, N_TAIL, x));
        for (int k = 0; k < 4; k++) {
            long below = 0;
            for (long i = 0; i < N_TAIL; i++) below += x[i] <= q[k];
            const double f = (double)below / N_TAIL;
            if (fabs(f - us[k]) > 4.0 * sqrt(us[k] * (1.0 - us[k]) / N_TAIL)) free(x);
            ASSERT_NEAR(f, us[k], 4.0 * sqrt(us[k] * (1.0 - us[k]) / N_TAIL));
        }
    }
    free(x);
}

TEST(studentt_draws_match_its_moments_quantiles_and_tail) {
    check_draws_of("{\"dist\":\"studentt\",\"location\":2,\"scale\":0.5,\"df\":5}", NULL);
    check_draws_of("{\"dist\":\"studentt\",\"scale\":1,\"df\":1,\"min\":-3,\"max\":10}", NULL);
    check_draws_of("{\"dist\":\"studentt\",\"scale\":1,\"df\":4,\"min\":1}", NULL);
    const char *heavy[] = {
        "{\"dist\":\"studentt\",\"location\":2,\"scale\":0.5,\"df\":5}",
        "{\"dist\":\"studentt\",\"location\":1,\"scale\":3,\"df\":1}",
        "{\"dist\":\"studentt\",\"scale\":1,\"df\":1.5}",
        "{\"dist\":\"studentt\",\"scale\":1,\"df\":0.7,\"min\":-2}",
    };
    for (size_t i = 0; i < sizeof heavy / sizeof heavy[0]; i++) {
        tyche_dist d;
        parse_ok(heavy[i], &d);
        check_upper_tail(&d);
        check_quartiles_and_tail(&d);
    }
}

TEST(studentt_moments_match_closed_forms) {
    /* untruncated: mean and variance exist from df 1 and 2 on */
    tyche_dist d = {.kind = TYCHE_DIST_STUDENTT, .p = {2.0, 0.5, 5.0, -INFINITY, INFINITY}};
    ASSERT_NEAR(tyche_dist_mean(&d), 2.0, 0.0);
    ASSERT_NEAR(tyche_dist_variance(&d), 0.25 * 5.0 / 3.0, 1e-15);
    d.p[2] = 1.5;
    ASSERT(tyche_dist_variance(&d) == INFINITY);
    d.p[2] = 1.0;
    ASSERT(isnan(tyche_dist_mean(&d)) && isnan(tyche_dist_variance(&d)));
    /* truncated at the location it is a half-t: E|T| = 2 sqrt(nu) G((nu+1)/2) /
     * (sqrt(pi) (nu - 1) G(nu/2)), E T^2 = nu / (nu - 2) */
    for (double nu = 2.5; nu < 40.0; nu *= 2.0) {
        const tyche_dist h = {.kind = TYCHE_DIST_STUDENTT, .p = {1.0, 3.0, nu, 1.0, INFINITY}};
        const double m = 2.0 * sqrt(nu) * exp(lgamma(0.5 * (nu + 1.0)) - lgamma(0.5 * nu)) /
                         (sqrt(M_PI) * (nu - 1.0));
        ASSERT_NEAR(tyche_dist_mean(&h), 1.0 + 3.0 * m, 1e-9 * (1.0 + 3.0 * m));
        const double v = 9.0 * (nu / (nu - 2.0) - m * m);
        ASSERT_NEAR(tyche_dist_variance(&h), v, 1e-9 * v);
        const tyche_dist l = {.kind = TYCHE_DIST_STUDENTT, .p = {1.0, 3.0, nu, -INFINITY, 1.0}};
        ASSERT_NEAR(tyche_dist_mean(&l), 1.0 - 3.0 * m, 1e-9 * fabs(1.0 - 3.0 * m));
        ASSERT_NEAR(tyche_dist_variance(&l), v, 1e-9 * v);
    }
    /* two bounds, any df: df 1 (Cauchy) and df 2 in closed form */
    static const double bounds[][2] = {{-3.0, 10.0}, {0.5, 2.0}, {-1e4, 1e5}, {-20.0, -1.0}};
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
        const double a = bounds[i][0], b = bounds[i][1];
        /* Cauchy: mass (atan b - atan a)/pi, E T = ln((1 + b^2)/(1 + a^2)) / (2 pi mass),
         * E T^2 = (b - a - (atan b - atan a)) / (pi mass) */
        const double z1 = (atan(b) - atan(a)) / M_PI;
        const double m1 = log((1.0 + b * b) / (1.0 + a * a)) / (2.0 * M_PI * z1);
        const double v1 = (b - a - (atan(b) - atan(a))) / (M_PI * z1) - m1 * m1;
        const tyche_dist c = {.kind = TYCHE_DIST_STUDENTT, .p = {0.0, 1.0, 1.0, a, b}};
        ASSERT_NEAR(tyche_dist_mean(&c), m1, 1e-9 * fmax(1.0, fabs(m1)));
        ASSERT_NEAR(tyche_dist_variance(&c), v1, 1e-8 * v1);
        /* df 2: F = 1/2 + t / (2 r), r = sqrt(2 + t^2); primitives -1/r of t f and
         * asinh(t / sqrt 2) - t / r of t^2 f */
        const double ra = sqrt(2.0 + a * a), rb = sqrt(2.0 + b * b);
        const double z2 = 0.5 * (b / rb - a / ra);
        const double m2 = (1.0 / ra - 1.0 / rb) / z2;
        const double s2 = (asinh(b / M_SQRT2) - b / rb - asinh(a / M_SQRT2) + a / ra) / z2;
        const tyche_dist t2 = {.kind = TYCHE_DIST_STUDENTT, .p = {0.0, 1.0, 2.0, a, b}};
        ASSERT_NEAR(tyche_dist_mean(&t2), m2, 1e-9 * fmax(1.0, fabs(m2)));
        ASSERT_NEAR(tyche_dist_variance(&t2), s2 - m2 * m2, 1e-8 * (s2 - m2 * m2));
    }
    /* far out and narrow, where the closed forms above cancel: references by
     * mpmath quadrature at 40 digits */
    const tyche_dist n1 = {.kind = TYCHE_DIST_STUDENTT, .p = {0.0, 1.0, 1.0, 50.0, 51.0}};
    ASSERT_NEAR(tyche_dist_mean(&n1), 50.496700899057113607, 1e-12 * 50.0);
    ASSERT_NEAR(tyche_dist_variance(&n1), 0.08332897887114826499, 1e-9 * 0.083);
    const tyche_dist n2 = {.kind = TYCHE_DIST_STUDENTT, .p = {0.0, 1.0, 2.0, 50.0, 51.0}};
    ASSERT_NEAR(tyche_dist_mean(&n2), 50.495053384648511852, 1e-12 * 50.0);
    ASSERT_NEAR(tyche_dist_variance(&n2), 0.083321912088725956398, 1e-9 * 0.083);
}

TEST(studentt_parses_and_refuses_bad_input_naming_the_key) {
    tyche_dist d;
    parse_ok("{\"dist\":\"studentt\",\"scale\":2,\"df\":3}", &d);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_STUDENTT);
    ASSERT(d.p[0] == 0.0 && d.p[1] == 2.0 && d.p[2] == 3.0 && d.p[3] == -INFINITY &&
           d.p[4] == INFINITY);
    char buf[96];
    tyche_dist_format(&d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "studentt(location 0, scale 2, df 3)");
    parse_ok("{\"dist\":\"studentt\",\"location\":1,\"scale\":2,\"df\":3,\"max\":4}", &d);
    ASSERT(d.p[0] == 1.0 && d.p[3] == -INFINITY && d.p[4] == 4.0);
    tyche_dist_format(&d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "studentt(location 1, scale 2, df 3, max 4)");
    double lo, hi;
    int open = -1;
    tyche_dist_support(&d, &lo, &hi, &open);
    ASSERT(lo == -INFINITY && hi == 4.0 && open == 0);
    check_rejected("{\"dist\":\"studentt\",\"df\":3}", PATH ": missing key \"scale\"");
    check_rejected("{\"dist\":\"studentt\",\"scale\":1}", PATH ": missing key \"df\"");
    check_rejected("{\"dist\":\"studentt\",\"scale\":0,\"df\":3}", PATH ".scale: must be > 0");
    check_rejected("{\"dist\":\"studentt\",\"scale\":1,\"df\":0}", PATH ".df: must be > 0");
    check_rejected("{\"dist\":\"studentt\",\"scale\":1,\"df\":-2}", PATH ".df: must be > 0");
    check_rejected("{\"dist\":\"studentt\",\"scale\":1,\"df\":3,\"min\":2,\"max\":2}",
                   PATH ".min: must be < max (2 >= 2)");
    /* t(30) beyond 1e4: probability ~1e-120 */
    check_rejected("{\"dist\":\"studentt\",\"scale\":1,\"df\":30,\"min\":1e4}",
                   PATH ".min: [min, max] = [10000, inf] holds probability");
    check_rejected("{\"dist\":\"studentt\",\"scale\":1,\"df\":3,\"sd\":1}",
                   PATH ": unknown key \"sd\"");
}

/* ---- parsing: each JSON form to its canonical parameters ---------------- */

TEST(bare_number_and_fixed_object_parse_as_fixed) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("2.5", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_FIXED);
    ASSERT_NEAR(d.p[0], 2.5, 0.0);
    ASSERT_INT_EQ(parse("{\"dist\":\"fixed\",\"value\":-1,\"description\":\"x\"}", &d, &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_FIXED);
    ASSERT_NEAR(d.p[0], -1.0, 0.0);
    ASSERT(tyche_dist_is_fixed(&d));
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.3), -1.0, 0.0);
}

TEST(uniform_normal_and_truncnormal_parse_to_canonical_parameters) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"uniform\",\"min\":3,\"max\":9}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_UNIFORM);
    ASSERT(d.p[0] == 3.0 && d.p[1] == 9.0);
    ASSERT_INT_EQ(parse("{\"dist\":\"normal\",\"mean\":0.6,\"sd\":0.4}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_NORMAL);
    ASSERT(d.p[0] == 0.6 && d.p[1] == 0.4);
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2,\"min\":0,\"max\":5}", &d,
                        &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_TRUNCNORMAL);
    ASSERT(d.p[0] == 1.0 && d.p[1] == 2.0 && d.p[2] == 0.0 && d.p[3] == 5.0);
}

TEST(truncnormal_bounds_are_optional_and_default_to_infinity) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2,\"min\":0}", &d, &e),
                  TYCHE_OK);
    ASSERT(d.p[2] == 0.0 && d.p[3] == INFINITY);
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2,\"max\":0}", &d, &e),
                  TYCHE_OK);
    ASSERT(d.p[2] == -INFINITY && d.p[3] == 0.0);
    /* with no bounds at all it is the normal distribution */
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2}", &d, &e), TYCHE_OK);
    ASSERT_NEAR(tyche_dist_mean(&d), 1.0, 1e-12);
    ASSERT_NEAR(tyche_dist_variance(&d), 4.0, 1e-12);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.975), 1.0 + 2.0 * 1.959963984540054, 1e-9);
}

TEST(truncnormal_moments_match_the_half_normal) {
    /* truncated at its mean it is half-normal: mean sd sqrt(2/pi), var sd^2 (1 - 2/pi) */
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2,\"min\":1}", &d, &e),
                  TYCHE_OK);
    ASSERT_NEAR(tyche_dist_mean(&d), 1.0 + 2.0 * sqrt(2.0 / M_PI), 1e-12);
    ASSERT_NEAR(tyche_dist_variance(&d), 4.0 * (1.0 - 2.0 / M_PI), 1e-12);
    ASSERT_INT_EQ(parse("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":2,\"max\":1}", &d, &e),
                  TYCHE_OK);
    ASSERT_NEAR(tyche_dist_mean(&d), 1.0 - 2.0 * sqrt(2.0 / M_PI), 1e-12);
    ASSERT_NEAR(tyche_dist_variance(&d), 4.0 * (1.0 - 2.0 / M_PI), 1e-12);
}

TEST(lognormal_by_median_parses_to_log_median_and_sdlog) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"lognormal\",\"median\":0.3,\"sdlog\":0.8}", &d, &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_LOGNORMAL);
    ASSERT_NEAR(d.p[0], log(0.3), 1e-15);
    ASSERT(d.p[1] == 0.8);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.5), 0.3, 1e-15);
}

TEST(lognormal_by_quantiles_hits_its_p05_and_p95) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"lognormal\",\"p95\":2.5,\"p05\":0.04}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_LOGNORMAL);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.05), 0.04, 1e-9 * 0.04);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.95), 2.5, 1e-9 * 2.5);
    /* symmetric percentiles: the median is their geometric mean */
    ASSERT_NEAR(exp(d.p[0]), sqrt(0.04 * 2.5), 1e-12);
    ASSERT_INT_EQ(parse("{\"dist\":\"lognormal\",\"p10\":1,\"p2.5\":0.5}", &d, &e), TYCHE_OK);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.025), 0.5, 1e-9 * 0.5);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.10), 1.0, 1e-9);
}

TEST(beta_parses_from_shapes_or_from_mean_and_concentration) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"beta\",\"a\":0.5,\"b\":15}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_BETA);
    ASSERT(d.p[0] == 0.5 && d.p[1] == 15.0);
    ASSERT_INT_EQ(parse("{\"dist\":\"beta\",\"mean\":0.25,\"concentration\":8}", &d, &e),
                  TYCHE_OK);
    ASSERT_NEAR(d.p[0], 2.0, 1e-15);
    ASSERT_NEAR(d.p[1], 6.0, 1e-15);
    ASSERT_NEAR(tyche_dist_mean(&d), 0.25, 1e-15);
}

TEST(gamma_parses_from_shape_with_mean_or_scale) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"gamma\",\"shape\":2,\"scale\":1.5}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_GAMMA);
    ASSERT(d.p[0] == 2.0 && d.p[1] == 1.5);
    ASSERT_INT_EQ(parse("{\"dist\":\"gamma\",\"shape\":4,\"mean\":10}", &d, &e), TYCHE_OK);
    ASSERT_NEAR(d.p[1], 2.5, 1e-15);
    ASSERT_NEAR(tyche_dist_mean(&d), 10.0, 1e-12);
}

TEST(triangular_and_pert_parse_with_pert_lambda_defaulting_to_4) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"triangular\",\"min\":3,\"mode\":4,\"max\":9}", &d, &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_TRIANGULAR);
    ASSERT(d.p[0] == 3.0 && d.p[1] == 4.0 && d.p[2] == 9.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 1.0 / 6.0), 4.0, 1e-12); /* F(mode) = 1/6 */
    /* F = (x - 3)^2 / 6 below the mode, 1 - (9 - x)^2 / 30 above it */
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.05), 3.0 + sqrt(0.3), 1e-12);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.9), 9.0 - sqrt(3.0), 1e-12);
    ASSERT_INT_EQ(parse("{\"dist\":\"pert\",\"min\":3,\"mode\":4,\"max\":9}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_PERT);
    ASSERT(d.p[0] == 3.0 && d.p[1] == 4.0 && d.p[2] == 9.0 && d.p[3] == 4.0);
    /* the classic PERT mean (min + 4 mode + max) / 6 */
    ASSERT_NEAR(tyche_dist_mean(&d), (3.0 + 16.0 + 9.0) / 6.0, 1e-12);
    /* a Beta(1 + 4/6, 1 + 20/6) stretched over [3, 9] */
    for (int i = 1; i < 10; i++) {
        const double u = i / 10.0, x = (tyche_dist_quantile(&d, u) - 3.0) / 6.0;
        ASSERT_NEAR(gsl_cdf_beta_P(x, 1.0 + 4.0 / 6.0, 1.0 + 20.0 / 6.0), u, 1e-12);
    }
    ASSERT_INT_EQ(parse("{\"dist\":\"pert\",\"min\":0,\"mode\":1,\"max\":2,\"lambda\":6}", &d,
                        &e),
                  TYCHE_OK);
    ASSERT(d.p[3] == 6.0);
}

TEST(bernoulli_parses_and_is_a_point_mass_only_at_0_or_1) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"bernoulli\",\"p\":0.3}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_BERNOULLI);
    ASSERT(d.p[0] == 0.3);
    ASSERT(!tyche_dist_is_fixed(&d));
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.7), 0.0, 0.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.71), 1.0, 0.0);
    ASSERT_INT_EQ(parse("{\"dist\":\"bernoulli\",\"p\":1}", &d, &e), TYCHE_OK);
    ASSERT(tyche_dist_is_fixed(&d));
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.01), 1.0, 0.0);
}

TEST(discrete_parses_sorted_by_value_with_cumulative_weights) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[5,1,10],\"weights\":[0.5,0.2,0.3]}",
                        &d, &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(d.kind, TYCHE_DIST_DISCRETE);
    ASSERT_INT_EQ(d.n, 3);
    ASSERT(d.values[0] == 1.0 && d.values[1] == 5.0 && d.values[2] == 10.0);
    ASSERT_NEAR(d.cumw[0], 0.2, 1e-15);
    ASSERT_NEAR(d.cumw[1], 0.7, 1e-15);
    ASSERT(d.cumw[2] == 1.0);
    /* generalised inverse: smallest value whose CDF reaches u */
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.2), 1.0, 0.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.21), 5.0, 0.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.99), 10.0, 0.0);
    ASSERT_NEAR(tyche_dist_mean(&d), 0.2 + 2.5 + 3.0, 1e-12);
    ASSERT(!tyche_dist_is_fixed(&d));
    tyche_dist_clear(&d);
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[7],\"weights\":[1]}", &d, &e),
                  TYCHE_OK);
    ASSERT(tyche_dist_is_fixed(&d));
    tyche_dist_clear(&d);
}

TEST(discrete_never_draws_or_returns_a_zero_weight_value) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[1,2,3],\"weights\":[0,1,0]}", &d,
                        &e),
                  TYCHE_OK);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, SEED);
    int other = 0;
    for (int i = 0; i < 1000; i++) other += tyche_dist_sample(&d, r) != 2.0;
    gsl_rng_free(r);
    const double q0 = tyche_dist_quantile(&d, 0.0), q1 = tyche_dist_quantile(&d, 1.0);
    const int fixed = tyche_dist_is_fixed(&d);
    tyche_dist_clear(&d);
    ASSERT_INT_EQ(other, 0);
    ASSERT_NEAR(q0, 2.0, 0.0);
    ASSERT_NEAR(q1, 2.0, 0.0);
    ASSERT(fixed);
}

TEST(description_is_allowed_on_any_object) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"description\":\"half-life\",\"dist\":\"normal\",\"mean\":1,\"sd\":1}",
                        &d, &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[1],\"weights\":[1],"
                        "\"description\":\"one\"}",
                        &d, &e),
                  TYCHE_OK);
    tyche_dist_clear(&d);
}

/* ---- bad input ----------------------------------------------------------- */

TEST(normal_with_sd_not_positive_is_rejected_naming_sd) {
    check_rejected("{\"dist\":\"normal\",\"mean\":1,\"sd\":0}", PATH ".sd: must be > 0");
    check_rejected("{\"dist\":\"truncnormal\",\"mean\":1,\"sd\":-2}", PATH ".sd: must be > 0");
    check_rejected("{\"dist\":\"lognormal\",\"median\":1,\"sdlog\":0}",
                   PATH ".sdlog: must be > 0");
}

TEST(lognormal_with_median_not_positive_is_rejected_naming_median) {
    check_rejected("{\"dist\":\"lognormal\",\"median\":0,\"sdlog\":1}",
                   PATH ".median: must be > 0");
}

TEST(beta_with_a_not_positive_is_rejected_naming_a) {
    check_rejected("{\"dist\":\"beta\",\"a\":0,\"b\":1}", PATH ".a: must be > 0");
    check_rejected("{\"dist\":\"beta\",\"a\":1,\"b\":-1}", PATH ".b: must be > 0");
    check_rejected("{\"dist\":\"beta\",\"mean\":1,\"concentration\":3}", PATH ".mean: must be");
    check_rejected("{\"dist\":\"beta\",\"mean\":0.5,\"concentration\":0}",
                   PATH ".concentration: must be > 0");
}

TEST(lognormal_with_p05_not_below_p95_is_rejected_naming_both) {
    check_rejected("{\"dist\":\"lognormal\",\"p05\":0.5,\"p95\":0.4}",
                   PATH ".p05: must be < p95 (0.5 >= 0.4)");
    check_rejected("{\"dist\":\"lognormal\",\"p05\":0,\"p95\":0.4}", PATH ".p05: must be > 0");
    check_rejected("{\"dist\":\"lognormal\",\"p05\":0.1}", "two quantiles");
    check_rejected("{\"dist\":\"lognormal\",\"p05\":0.1,\"p5\":0.2}", "same percentile");
    check_rejected("{\"dist\":\"lognormal\",\"p05\":0.1,\"p100\":0.2}", PATH ".p100: percentile");
    check_rejected("{\"dist\":\"lognormal\",\"median\":1,\"p95\":3}", "not both");
}

TEST(discrete_weights_not_summing_to_one_are_rejected) {
    check_rejected("{\"dist\":\"discrete\",\"values\":[1,2,3],\"weights\":[0.2,0.3,0.4]}",
                   PATH ".weights: must sum to 1 (sum is 0.9)");
    check_rejected("{\"dist\":\"discrete\",\"values\":[1,2],\"weights\":[1.5,-0.5]}",
                   PATH ".weights[1]: must be >= 0");
}

TEST(discrete_with_bad_arrays_is_rejected_naming_the_element) {
    check_rejected("{\"dist\":\"discrete\",\"values\":[1,2,\"x\"],\"weights\":[0.2,0.3,0.5]}",
                   PATH ".values[2]: must be a finite number");
    check_rejected("{\"dist\":\"discrete\",\"values\":[1,2],\"weights\":[1]}",
                   PATH ".weights: must have as many entries as values");
    check_rejected("{\"dist\":\"discrete\",\"values\":[],\"weights\":[]}",
                   PATH ".values: must not be empty");
    check_rejected("{\"dist\":\"discrete\",\"values\":3,\"weights\":[1]}",
                   PATH ".values: must be an array");
}

TEST(unknown_key_is_rejected_naming_it) {
    check_rejected("{\"dist\":\"lognormal\",\"medain\":0.3,\"sdlog\":0.8}",
                   PATH ": unknown key \"medain\"");
    /* keys are case-sensitive, and keys of another kind are not accepted */
    check_rejected("{\"dist\":\"normal\",\"Mean\":0.3,\"sd\":0.8}", ": unknown key \"Mean\"");
    check_rejected("{\"dist\":\"normal\",\"mean\":0.3,\"sd\":0.8,\"max\":1}",
                   ": unknown key \"max\"");
    check_rejected("{\"dist\":\"normal\",\"mean\":0.3,\"sd\":0.8,\"p05\":1}",
                   ": unknown key \"p05\"");
    check_rejected("{\"dist\":\"normal\",\"mean\":0.3,\"sd\":0.8,\"sd\":1}",
                   ": duplicate key \"sd\"");
}

TEST(unknown_dist_is_rejected_listing_the_known_ones) {
    check_rejected("{\"dist\":\"lognorm\",\"median\":0.3,\"sdlog\":0.8}",
                   PATH ".dist: unknown distribution \"lognorm\" (expected one of fixed, uniform, "
                        "normal, truncnormal, lognormal, beta, gamma, triangular, pert, "
                        "bernoulli, discrete, loguniform, studentt, mixture, metalog, empirical)");
    check_rejected("{\"dist\":3}", PATH ".dist: must be a string");
}

TEST(wrong_type_is_rejected_naming_the_key) {
    check_rejected("{\"dist\":\"normal\",\"mean\":\"0.6\",\"sd\":0.4}",
                   PATH ".mean: must be a number");
    check_rejected("{\"dist\":\"normal\",\"mean\":0.6,\"sd\":true}", PATH ".sd: must be a number");
    check_rejected("\"0.6\"", PATH ": expected a number or an object with \"dist\"");
    check_rejected("[1,2]", PATH ": expected a number or an object with \"dist\"");
    check_rejected("{\"median\":0.3,\"sdlog\":0.8}",
                   PATH ": expected a number or an object with \"dist\"");
    check_rejected("{\"dist\":\"fixed\",\"value\":1,\"description\":2}",
                   PATH ".description: must be a string");
}

TEST(non_finite_numbers_are_rejected) {
    /* cJSON reads an overflowing literal as infinity */
    check_rejected("1e999", PATH ": must be a finite number");
    check_rejected("{\"dist\":\"normal\",\"mean\":-1e999,\"sd\":1}",
                   PATH ".mean: must be a finite number");
}

TEST(missing_key_is_rejected_naming_it) {
    check_rejected("{\"dist\":\"normal\",\"mean\":0.6}", PATH ": missing key \"sd\"");
    check_rejected("{\"dist\":\"beta\",\"a\":1}", PATH ": missing key \"b\"");
    check_rejected("{\"dist\":\"beta\",\"mean\":0.5}", PATH ": missing key \"concentration\"");
    check_rejected("{\"dist\":\"gamma\",\"shape\":1}", PATH ": missing key \"mean\"");
    check_rejected("{\"dist\":\"lognormal\",\"sdlog\":1}", PATH ": missing key \"median\"");
    check_rejected("{\"dist\":\"discrete\",\"values\":[1]}", PATH ": missing key \"weights\"");
}

TEST(mixed_parameterisations_are_rejected) {
    check_rejected("{\"dist\":\"beta\",\"a\":1,\"b\":2,\"mean\":0.3}",
                   PATH ": give either a and b, or mean and concentration, not both");
    check_rejected("{\"dist\":\"gamma\",\"shape\":1,\"mean\":2,\"scale\":2}",
                   PATH ": give either mean or scale, not both");
}

TEST(truncnormal_and_uniform_with_min_not_below_max_are_rejected) {
    check_rejected("{\"dist\":\"truncnormal\",\"mean\":0,\"sd\":1,\"min\":2,\"max\":2}",
                   PATH ".min: must be < max (2 >= 2)");
    check_rejected("{\"dist\":\"uniform\",\"min\":9,\"max\":3}", PATH ".min: must be < max");
}

TEST(triangular_and_pert_with_mode_outside_are_rejected) {
    check_rejected("{\"dist\":\"triangular\",\"min\":3,\"mode\":12,\"max\":9}",
                   PATH ".mode: must be within [min, max] (12 is outside [3, 9])");
    check_rejected("{\"dist\":\"pert\",\"min\":3,\"mode\":1,\"max\":9}", PATH ".mode: must be");
    check_rejected("{\"dist\":\"pert\",\"min\":3,\"mode\":4,\"max\":9,\"lambda\":0}",
                   PATH ".lambda: must be > 0");
}

TEST(bernoulli_with_p_outside_0_1_is_rejected) {
    check_rejected("{\"dist\":\"bernoulli\",\"p\":1.5}", PATH ".p: must be between 0 and 1");
}

/* ---- validate, copy, clear, format -------------------------------------- */

TEST(validate_checks_canonical_parameters_as_after_an_override) {
    tyche_dist d;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"normal\",\"mean\":0.6,\"sd\":0.4}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(tyche_dist_validate(&d, "--set h0", &e), TYCHE_OK);
    d.p[1] = -1.0;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "--set h0", &e), TYCHE_EINPUT);
    ASSERT_STR_EQ(e.msg, "--set h0.sd: must be > 0");
    d.p[1] = NAN;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "--set h0", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "--set h0.sd: must be a finite number");
    d.kind = TYCHE_DIST_BERNOULLI;
    d.p[0] = -0.1;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "--set h0", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "--set h0.p: must be between 0 and 1");
}

TEST(copy_duplicates_discrete_arrays_and_clear_is_safe_twice) {
    tyche_dist d, c;
    tyche_err e;
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[1,2],\"weights\":[0.25,0.75]}", &d,
                        &e),
                  TYCHE_OK);
    ASSERT_INT_EQ(tyche_dist_copy(&c, &d, &e), TYCHE_OK);
    ASSERT(c.values != d.values && c.cumw != d.cumw);
    ASSERT_INT_EQ(c.n, 2);
    ASSERT(c.values[1] == 2.0 && c.cumw[0] == 0.25 && c.cumw[1] == 1.0);
    tyche_dist_clear(&d);
    tyche_dist_clear(&d);
    ASSERT(d.values == NULL && d.cumw == NULL && d.n == 0);
    /* the copy outlives the original */
    ASSERT_NEAR(tyche_dist_mean(&c), 1.75, 1e-15);
    tyche_dist_clear(&c);
    tyche_dist_clear(&c);

    ASSERT_INT_EQ(parse("{\"dist\":\"normal\",\"mean\":0.6,\"sd\":0.4}", &d, &e), TYCHE_OK);
    ASSERT_INT_EQ(tyche_dist_copy(&c, &d, &e), TYCHE_OK);
    ASSERT(c.kind == TYCHE_DIST_NORMAL && c.p[0] == 0.6 && c.p[1] == 0.4);
    tyche_dist_clear(&c);
}

TEST(format_gives_short_readable_forms) {
    static const struct {
        const char *json, *text;
    } cases[] = {
        {"2", "fixed 2"},
        {"{\"dist\":\"uniform\",\"min\":3,\"max\":9}", "uniform(3, 9)"},
        {"{\"dist\":\"normal\",\"mean\":0.6,\"sd\":0.4}", "normal(mean 0.6, sd 0.4)"},
        {"{\"dist\":\"truncnormal\",\"mean\":0.6,\"sd\":0.4,\"min\":0}",
         "truncnormal(mean 0.6, sd 0.4, min 0)"},
        {"{\"dist\":\"lognormal\",\"median\":0.3,\"sdlog\":0.8}",
         "lognormal(median 0.3, sdlog 0.8)"},
        {"{\"dist\":\"beta\",\"a\":0.5,\"b\":15}", "beta(a 0.5, b 15)"},
        {"{\"dist\":\"gamma\",\"shape\":2,\"scale\":1.5}", "gamma(shape 2, scale 1.5)"},
        {"{\"dist\":\"triangular\",\"min\":3,\"mode\":4,\"max\":9}",
         "triangular(min 3, mode 4, max 9)"},
        {"{\"dist\":\"pert\",\"min\":3,\"mode\":4,\"max\":9}", "pert(min 3, mode 4, max 9)"},
        {"{\"dist\":\"pert\",\"min\":3,\"mode\":4,\"max\":9,\"lambda\":2}",
         "pert(min 3, mode 4, max 9, lambda 2)"},
        {"{\"dist\":\"bernoulli\",\"p\":0.3}", "bernoulli(p 0.3)"},
        {"{\"dist\":\"discrete\",\"values\":[2,1],\"weights\":[0.75,0.25]}",
         "discrete(1: 0.25, 2: 0.75)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tyche_dist d;
        tyche_err e;
        char buf[128];
        ASSERT_INT_EQ(parse(cases[i].json, &d, &e), TYCHE_OK);
        tyche_dist_format(&d, buf, sizeof buf);
        tyche_dist_clear(&d);
        ASSERT_STR_EQ(buf, cases[i].text);
    }
}

TEST(format_truncates_long_discrete_lists_without_overflowing) {
    tyche_dist d;
    tyche_err e;
    char buf[40];
    ASSERT_INT_EQ(parse("{\"dist\":\"discrete\",\"values\":[1,2,3,4,5,6,7,8],"
                        "\"weights\":[0.125,0.125,0.125,0.125,0.125,0.125,0.125,0.125]}",
                        &d, &e),
                  TYCHE_OK);
    tyche_dist_format(&d, buf, sizeof buf);
    tyche_dist_clear(&d);
    ASSERT(strlen(buf) < sizeof buf);
    ASSERT_STR_CONTAINS(buf, "discrete(1: 0.125");
    ASSERT_STR_CONTAINS(buf, "...)");
}

TEST(kind_names_are_the_json_names) {
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_TRUNCNORMAL), "truncnormal");
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_DISCRETE), "discrete");
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_FIXED), "fixed");
}

/* Support from the table of priors, against each law's definition. */
TEST(every_prior_knows_its_support) {
    static const struct {
        const char *json;
        double lo, hi;
        int open;
    } cases[] = {
        {"3", 3, 3, 0},
        {"{\"dist\": \"uniform\", \"min\": -1, \"max\": 2}", -1, 2, 0},
        {"{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}", -INFINITY, INFINITY, 0},
        {"{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"min\": -0.5}", -0.5, INFINITY, 0},
        {"{\"dist\": \"lognormal\", \"median\": 1, \"sdlog\": 1}", 0, INFINITY, 1},
        {"{\"dist\": \"beta\", \"a\": 2, \"b\": 3}", 0, 1, 1},
        {"{\"dist\": \"gamma\", \"shape\": 2, \"scale\": 3}", 0, INFINITY, 1},
        {"{\"dist\": \"triangular\", \"min\": 1, \"mode\": 2, \"max\": 5}", 1, 5, 0},
        {"{\"dist\": \"pert\", \"min\": 1, \"mode\": 2, \"max\": 6}", 1, 6, 0},
        {"{\"dist\": \"bernoulli\", \"p\": 0.3}", 0, 1, 0},
        {"{\"dist\": \"bernoulli\", \"p\": 1}", 1, 1, 0},
        {"{\"dist\": \"discrete\", \"values\": [4, -2, 7], \"weights\": [0.2, 0.3, 0.5]}", -2, 7, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tyche_err err;
        tyche_dist d;
        cJSON *j = cJSON_Parse(cases[i].json);
        ASSERT(j != NULL);
        if (tyche_dist_from_json(j, "x", &d, &err) != TYCHE_OK) FAIL_("%s", err.msg);
        cJSON_Delete(j);
        double lo, hi;
        int open = -1;
        tyche_dist_support(&d, &lo, &hi, &open);
        ASSERT_DBL_IDENTICAL(lo, cases[i].lo);
        ASSERT_DBL_IDENTICAL(hi, cases[i].hi);
        ASSERT_INT_EQ(open, cases[i].open);
        tyche_dist_support(&d, &lo, &hi, NULL);
        tyche_dist_clear(&d);
    }
    /* a kind outside the table: unbounded, described and refused as unknown */
    tyche_dist u = {0};
    u.kind = (tyche_dist_kind)99;
    double lo, hi;
    tyche_dist_support(&u, &lo, &hi, NULL);
    ASSERT(lo == -INFINITY && hi == INFINITY);
    char buf[64];
    tyche_dist_format(&u, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "unknown distribution");
    ASSERT_STR_EQ(tyche_dist_kind_name(u.kind), "unknown");
    ASSERT(isnan(tyche_dist_sample(&u, NULL)));
    ASSERT(isnan(tyche_dist_quantile(&u, 0.5)));
    tyche_err err;
    ASSERT_INT_EQ(tyche_dist_validate(&u, "x", &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "x: unknown distribution kind 99");
}

/* ---- CDFs of every kind ---------------------------------------------------- */

/* The CDF undoes the quantile, each tail from its own side: F(Q(u)) = u for
 * u <= 1/2 and P(X > Q(u)) = 1 - u above, relative, at u = 1e-9 .. 1 - 1e-9. */
TEST(every_continuous_prior_cdf_inverts_its_quantile_in_both_tails) {
    static const struct {
        const char *json;
        double tol; /* relative, in the tail's probability */
    } laws[] = {
        {"{\"dist\": \"uniform\", \"min\": -1, \"max\": 2}", 1e-7},
        {"{\"dist\": \"normal\", \"mean\": 1, \"sd\": 2}", 1e-7},
        {"{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"min\": -0.5, \"max\": 3}", 1e-7},
        {"{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"min\": 4}", 1e-5},
        {"{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"max\": -4}", 1e-5},
        {"{\"dist\": \"lognormal\", \"median\": 2, \"sdlog\": 0.7}", 1e-7},
        {"{\"dist\": \"beta\", \"a\": 2, \"b\": 5}", 1e-7},
        {"{\"dist\": \"gamma\", \"shape\": 2.5, \"scale\": 3}", 1e-7},
        {"{\"dist\": \"triangular\", \"min\": 1, \"mode\": 2, \"max\": 5}", 1e-7},
        {"{\"dist\": \"pert\", \"min\": 1, \"mode\": 2, \"max\": 6}", 1e-7},
        {"{\"dist\": \"loguniform\", \"min\": 0.001, \"max\": 10}", 1e-7},
        {"{\"dist\": \"studentt\", \"location\": 1, \"scale\": 2, \"df\": 3}", 1e-7},
        {"{\"dist\": \"studentt\", \"scale\": 1, \"df\": 3, \"min\": 0, \"max\": 5}", 1e-7},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}}", 1e-7},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, \"min\": 0, "
        "\"max\": 10}", 1e-7},
        {"{\"dist\": \"mixture\", \"weights\": [0.3, 0.7], \"components\": [{\"dist\": \"normal\", "
        "\"mean\": 0, \"sd\": 1}, {\"dist\": \"gamma\", \"shape\": 2, \"scale\": 1}]}", 1e-7},
    };
    static const double us[] = {1e-9, 1e-4, 0.1, 0.5, 0.8, 1 - 1e-4, 1 - 1e-9};
    for (size_t i = 0; i < sizeof laws / sizeof laws[0] && !test_failed; i++) {
        tyche_dist d;
        parse_ok(laws[i].json, &d);
        const double tol = laws[i].tol;
        for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
            const double u = us[k], x = tyche_dist_quantile(&d, u);
            const double lo = tyche_dist_cdf(&d, x), hi = tyche_dist_sf(&d, x);
            if (test_failed) break;
            if (u <= 0.5) {
                if (!(fabs(lo - u) <= tol * u)) fprintf(stderr, "  %s at u = %g\n", laws[i].json, u);
                ASSERT_NEAR(lo, u, tol * u);
            } else {
                if (!(fabs(hi - (1 - u)) <= tol * (1 - u)))
                    fprintf(stderr, "  %s at u = %g\n", laws[i].json, u);
                ASSERT_NEAR(hi, 1 - u, tol * (1 - u));
            }
            ASSERT_NEAR(lo + hi, 1.0, 1e-12);
        }
        double lo, hi;
        tyche_dist_support(&d, &lo, &hi, NULL);
        ASSERT(tyche_dist_cdf(&d, lo - 1) == 0.0 || lo == -INFINITY);
        ASSERT(tyche_dist_sf(&d, hi + 1) == 0.0 || hi == INFINITY);
        ASSERT(isnan(tyche_dist_cdf(&d, NAN)));
        tyche_dist_clear(&d);
    }
}

/* Against closed forms written out here, and the steps of the discrete laws
 * (right-continuous). */
TEST(cdfs_match_closed_forms_and_steps) {
    tyche_dist d;
    parse_ok("{\"dist\": \"triangular\", \"min\": 1, \"mode\": 2, \"max\": 5}", &d);
    ASSERT_NEAR(tyche_dist_cdf(&d, 1.5), 0.25 / 4.0, 1e-15);        /* (x-a)^2/((b-a)(c-a)) */
    ASSERT_NEAR(tyche_dist_sf(&d, 4.0), 1.0 / 12.0, 1e-15);         /* (b-x)^2/((b-a)(b-c)) */
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"loguniform\", \"min\": 1, \"max\": 100}", &d);
    ASSERT_NEAR(tyche_dist_cdf(&d, 10.0), 0.5, 1e-15);
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"pert\", \"min\": 0, \"mode\": 1, \"max\": 4}", &d); /* Beta(2, 4) */
    ASSERT_NEAR(tyche_dist_cdf(&d, 2.0), gsl_cdf_beta_P(0.5, 2.0, 4.0), 1e-15);
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"min\": -1, \"max\": 2}", &d);
    const double z = gsl_cdf_ugaussian_P(2) - gsl_cdf_ugaussian_P(-1);
    ASSERT_NEAR(tyche_dist_cdf(&d, 0.5), (gsl_cdf_ugaussian_P(0.5) - gsl_cdf_ugaussian_P(-1)) / z,
                1e-14);
    tyche_dist_clear(&d);
    /* next to a bound 4 sd out: (Q(4) - Q(x)) / Q(4) by mpmath at 40 digits */
    parse_ok("{\"dist\": \"truncnormal\", \"mean\": 0, \"sd\": 1, \"min\": 4}", &d);
    ASSERT_NEAR(tyche_dist_cdf(&d, 4.0000000002366516), 9.999966372189485e-10, 1e-13 * 1e-9);
    ASSERT_NEAR(tyche_dist_cdf(&d, 4.0000023665350293), 9.9999999966024776e-06, 1e-13 * 1e-5);
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"studentt\", \"location\": 1, \"scale\": 2, \"df\": 1}", &d); /* Cauchy */
    ASSERT_NEAR(tyche_dist_cdf(&d, 3.0), 0.5 + atan(1.0) / M_PI, 1e-14);
    tyche_dist_clear(&d);
    /* upper tails far out, where 1 - F would keep nothing: Gamma(2, 1) has
     * P(X > x) = e^-x (1 + x); beta(1, 2) has P(X > x) = (1 - x)^2 */
    parse_ok("{\"dist\": \"gamma\", \"shape\": 2, \"scale\": 1}", &d);
    ASSERT_NEAR(tyche_dist_sf(&d, 30.0), 31.0 * exp(-30.0), 1e-12 * 31.0 * exp(-30.0));
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"beta\", \"a\": 1, \"b\": 2}", &d);
    ASSERT_NEAR(tyche_dist_sf(&d, 1.0 - 1e-6), 1e-12, 1e-9 * 1e-12);
    ASSERT_NEAR(tyche_dist_cdf(&d, 1e-6), 2e-6 - 1e-12, 1e-12 * 2e-6);
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"normal\", \"mean\": 1, \"sd\": 2}", &d);
    ASSERT_NEAR(tyche_dist_sf(&d, 21.0), 0.5 * gsl_sf_erfc(10.0 / M_SQRT2),
                1e-12 * 0.5 * gsl_sf_erfc(10.0 / M_SQRT2));
    tyche_dist_clear(&d);
    parse_ok("3", &d);
    ASSERT(tyche_dist_cdf(&d, 2.999) == 0.0 && tyche_dist_cdf(&d, 3.0) == 1.0);
    ASSERT(tyche_dist_sf(&d, 3.0) == 0.0 && tyche_dist_sf(&d, 2.999) == 1.0);
    parse_ok("{\"dist\": \"bernoulli\", \"p\": 0.3}", &d);
    ASSERT(tyche_dist_cdf(&d, -0.1) == 0.0 && tyche_dist_cdf(&d, 0.0) == 0.7);
    ASSERT(tyche_dist_cdf(&d, 0.99) == 0.7 && tyche_dist_cdf(&d, 1.0) == 1.0);
    ASSERT(tyche_dist_sf(&d, 0.0) == 0.3 && tyche_dist_sf(&d, 1.0) == 0.0);
    parse_ok("{\"dist\": \"discrete\", \"values\": [4, -2, 7], \"weights\": [0.2, 0.3, 0.5]}", &d);
    ASSERT_NEAR(tyche_dist_cdf(&d, -2.0), 0.3, 1e-15);
    ASSERT_NEAR(tyche_dist_cdf(&d, 3.9), 0.3, 1e-15);
    ASSERT_NEAR(tyche_dist_cdf(&d, 4.0), 0.5, 1e-15);
    ASSERT(tyche_dist_cdf(&d, -2.1) == 0.0 && tyche_dist_cdf(&d, 7.0) == 1.0);
    ASSERT_NEAR(tyche_dist_sf(&d, 4.0), 0.5, 1e-15);
    tyche_dist_clear(&d);
}

/* ---- mixture -------------------------------------------------------------- */

#define MIX3 "{\"dist\": \"mixture\", \"weights\": [0.3, 0.5, 0.2], \"components\": [" \
             "{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}, "                          \
             "{\"dist\": \"lognormal\", \"median\": 2, \"sdlog\": 0.5}, "               \
             "{\"dist\": \"uniform\", \"min\": -1, \"max\": 3}]}"

/* the same law, from GSL's CDFs directly */
static double mix3_cdf(double x, int upper) {
    const double n = upper ? gsl_cdf_ugaussian_Q(x) : gsl_cdf_ugaussian_P(x);
    const double l = x <= 0 ? (upper ? 1 : 0)
                            : (upper ? gsl_cdf_lognormal_Q(x, log(2.0), 0.5)
                                     : gsl_cdf_lognormal_P(x, log(2.0), 0.5));
    const double u = upper ? gsl_cdf_flat_Q(x, -1, 3) : gsl_cdf_flat_P(x, -1, 3);
    return 0.3 * n + 0.5 * l + 0.2 * u;
}

TEST(mixture_cdf_and_quantile_match_the_components_cdfs_in_both_tails) {
    tyche_dist d;
    parse_ok(MIX3, &d);
    for (double x = -8; x <= 12; x += 0.0625) {
        ASSERT_NEAR(tyche_dist_cdf(&d, x), mix3_cdf(x, 0), 1e-15 + 1e-13 * mix3_cdf(x, 0));
        ASSERT_NEAR(tyche_dist_sf(&d, x), mix3_cdf(x, 1), 1e-15 + 1e-13 * mix3_cdf(x, 1));
    }
    static const double us[] = {1e-12, 1e-9, 1e-6, 0.01, 0.1, 0.25, 0.3, 0.5, 0.75, 0.9, 0.99,
                                1 - 1e-6, 1 - 1e-9};
    double prev = -INFINITY;
    for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
        const double u = us[k], x = tyche_dist_quantile(&d, u);
        ASSERT(x > prev);
        prev = x;
        /* the direct CDF at the answer is u, from the tail it lies in */
        if (u <= 0.5)
            ASSERT_NEAR(mix3_cdf(x, 0), u, 1e-12 * u);
        else
            ASSERT_NEAR(mix3_cdf(x, 1), 1 - u, 1e-9 * (1 - u));
    }
    /* monotone on a fine grid */
    prev = -INFINITY;
    for (int i = 1; i < 4000; i++) {
        const double x = tyche_dist_quantile(&d, i / 4000.0);
        ASSERT(x >= prev);
        prev = x;
    }
    ASSERT(tyche_dist_quantile(&d, 0.0) == -INFINITY && tyche_dist_quantile(&d, 1.0) == INFINITY);
    tyche_dist_clear(&d);
}

TEST(mixture_moments_follow_the_law_of_total_variance_and_draws_match) {
    tyche_dist d;
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.4, 0.6], \"components\": ["
             "{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}, "
             "{\"dist\": \"normal\", \"mean\": 3, \"sd\": 2}]}",
             &d);
    /* 0.4 N(0, 1) + 0.6 N(3, 4): mean 1.8, variance 0.4 + 2.4 + 0.4 1.8^2 + 0.6 1.2^2 */
    ASSERT_NEAR(tyche_dist_mean(&d), 1.8, 1e-15);
    ASSERT_NEAR(tyche_dist_variance(&d), 4.96, 1e-14);
    check_draws(&d, NULL);
    check_upper_tail(&d);
    tyche_dist_clear(&d);
    parse_ok(MIX3, &d);
    const double m = 0.5 * exp(log(2.0) + 0.125) + 0.2 * 1.0;
    ASSERT_NEAR(tyche_dist_mean(&d), m, 1e-14);
    check_draws(&d, NULL);
    tyche_dist_clear(&d);
}

/* A point mass among the components: the quantile is the generalised
 * inverse, flat over the mass's share, and draws keep the step. */
TEST(mixture_with_a_point_mass_has_a_step_quantile) {
    tyche_dist d;
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": [2, "
             "{\"dist\": \"normal\", \"mean\": 0, \"sd\": 1}]}",
             &d);
    const double below = 0.5 * gsl_cdf_ugaussian_P(2.0); /* F(2-) */
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.6), 2.0);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, below + 0.5), 2.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.3), gsl_cdf_ugaussian_Pinv(0.6), 1e-13);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.995), gsl_cdf_ugaussian_Pinv(0.99), 1e-12);
    ASSERT_NEAR(tyche_dist_cdf(&d, 2.0), below + 0.5, 1e-15);
    ASSERT(!tyche_dist_is_fixed(&d));
    const double cdf[N_PROBES] = {0.001, 0.05, tyche_dist_cdf(&d, tyche_dist_quantile(&d, 0.5)),
                                  tyche_dist_cdf(&d, 2.0), 0.999};
    check_draws(&d, cdf);
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": [2, "
             "{\"dist\": \"fixed\", \"value\": 2}]}",
             &d);
    ASSERT(tyche_dist_is_fixed(&d));
    tyche_dist_clear(&d);
    /* an atom below most of the mass: every u on its step comes back as the
     * atom itself, not a few ulps off it (which would put two u out of order) */
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.3, 0.3, 0.4], \"components\": ["
             "{\"dist\": \"normal\", \"mean\": 1.77479, \"sd\": 0.175063}, -1.92194, "
             "{\"dist\": \"normal\", \"mean\": -1.11061, \"sd\": 0.387327}]}",
             &d);
    const double f_below = 0.4 * gsl_cdf_gaussian_P(-1.92194 + 1.11061, 0.387327);
    for (int i = 1; i < 1000; i++) {
        const double u = f_below + 0.3 * i / 1000.0;
        ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, u), -1.92194);
    }
    double prev = -INFINITY;
    for (int i = 1; i < 20000; i++) {
        const double x = tyche_dist_quantile(&d, i / 20000.0);
        ASSERT(x >= prev);
        prev = x;
    }
    tyche_dist_clear(&d);
    /* a gap between the components: F is flat at 1/2 over [1, 2], and the
     * generalised inverse takes the gap's left end */
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": ["
             "{\"dist\": \"uniform\", \"min\": 0, \"max\": 1}, "
             "{\"dist\": \"uniform\", \"min\": 2, \"max\": 3}]}",
             &d);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.5), 1.0, 1e-14);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.25), 0.5, 1e-14);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.75), 2.5, 1e-14);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.5 + 1e-12), 2.0, 1e-11);
    tyche_dist_clear(&d);
}

TEST(mixture_nests_copies_deeply_and_knows_its_support) {
    tyche_dist d, c;
    tyche_err e;
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.25, 0.75], \"components\": ["
             "{\"dist\": \"lognormal\", \"median\": 1, \"sdlog\": 1}, "
             "{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": ["
             "{\"dist\": \"gamma\", \"shape\": 2, \"scale\": 1}, "
             "{\"dist\": \"discrete\", \"values\": [1, 2], \"weights\": [0.5, 0.5]}]}]}",
             &d);
    ASSERT_INT_EQ(tyche_dist_copy(&c, &d, &e), TYCHE_OK);
    const double q = tyche_dist_quantile(&d, 0.3), m = tyche_dist_mean(&d);
    ASSERT(c.comp != d.comp && c.comp[1].comp != d.comp[1].comp &&
           c.comp[1].comp[1].values != d.comp[1].comp[1].values);
    tyche_dist_clear(&d);
    tyche_dist_clear(&d);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&c, 0.3), q);
    ASSERT_NEAR(m, 0.25 * exp(0.5) + 0.75 * (0.5 * 2 + 0.5 * 1.5), 1e-14);
    double lo, hi;
    int open;
    tyche_dist_support(&c, &lo, &hi, &open);
    ASSERT(lo == 0.0 && hi == INFINITY && open == 1);
    char buf[256];
    tyche_dist_format(&c, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "mixture(0.25 lognormal(median 1, sdlog 1); 0.75 mixture(0.5 gamma(shape "
                       "2, scale 1); 0.5 discrete(1: 0.5, 2: 0.5)))");
    tyche_dist_clear(&c);
    /* a closed component at the same least value closes the support */
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": ["
             "{\"dist\": \"lognormal\", \"median\": 1, \"sdlog\": 1}, "
             "{\"dist\": \"uniform\", \"min\": 0, \"max\": 1}]}",
             &d);
    tyche_dist_support(&d, &lo, &hi, &open);
    ASSERT(lo == 0.0 && hi == INFINITY && open == 0);
    tyche_dist_clear(&d);
    /* zero-weight components take no values */
    parse_ok("{\"dist\": \"mixture\", \"weights\": [1, 0], \"components\": ["
             "{\"dist\": \"uniform\", \"min\": 0, \"max\": 1}, 7]}",
             &d);
    tyche_dist_support(&d, &lo, &hi, &open);
    ASSERT(lo == 0.0 && hi == 1.0);
    ASSERT_NEAR(tyche_dist_quantile(&d, 0.999), 0.999, 1e-13);
    tyche_dist_clear(&d);
}

TEST(mixture_refuses_bad_input_naming_the_path) {
    check_rejected("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5, 0.0], \"components\": [1, 2, "
                   "{\"dist\": \"normal\", \"mean\": 0, \"sd\": 0}]}",
                   PATH ".components[2].sd: must be > 0");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [0.5, 0.4], \"components\": [1, 2]}",
                   PATH ".weights: must sum to 1 (they sum to 0.9)");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [1.5, -0.5], \"components\": [1, 2]}",
                   PATH ".weights[1]: must be >= 0");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [1], \"components\": [1, 2]}",
                   PATH ".weights: must have as many entries as components (1 vs 2)");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [1], \"components\": 3}",
                   PATH ".components: must be an array");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [1]}", PATH ": missing key \"components\"");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [], \"components\": []}", PATH ".weights");
    check_rejected("{\"dist\": \"mixture\", \"weights\": [1], \"components\": [{\"dist\": "
                   "\"mixture\", \"weights\": [1], \"components\": [{\"dist\": \"lognorm\"}]}]}",
                   PATH ".components[0].components[0].dist: unknown distribution \"lognorm\"");
    /* 17 components */
    char buf[1024];
    size_t pos = (size_t)snprintf(buf, sizeof buf, "{\"dist\": \"mixture\", \"weights\": [");
    for (int i = 0; i < 17; i++) pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s0.0625", i ? "," : "");
    pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "], \"components\": [");
    for (int i = 0; i < 17; i++) pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%d", i ? "," : "", i);
    snprintf(buf + pos, sizeof buf - pos, "]}");
    check_rejected(buf, PATH ".components: must hold 1 to 16 priors (has 17)");
    /* five deep */
    char deep[1024] = "1";
    for (int i = 0; i < 5; i++) {
        char next[1024];
        snprintf(next, sizeof next, "{\"dist\": \"mixture\", \"weights\": [1], \"components\": [%s]}", deep);
        strcpy(deep, next);
    }
    check_rejected(deep, "mixtures nest at most 4 deep");
    /* four deep is fine */
    tyche_dist d;
    parse_ok(strstr(deep + 1, "{"), &d);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.5), 1.0);
    tyche_dist_clear(&d);
}

/* ---- metalog -------------------------------------------------------------- */

/* Fitted through its quantiles exactly, whatever the terms and bounds. */
TEST(metalog_passes_through_its_quantiles) {
    static const struct {
        const char *json;
        double p[5], x[5];
        int n;
    } cases[] = {
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}}",
         {0.1, 0.5, 0.9}, {1, 2, 4}, 3},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p90\": 4, \"p10\": 1, \"p50\": 2}, \"min\": 0}",
         {0.1, 0.5, 0.9}, {1, 2, 4}, 3},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, \"max\": 10}",
         {0.1, 0.5, 0.9}, {1, 2, 4}, 3},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, \"min\": 0, "
         "\"max\": 10}",
         {0.1, 0.5, 0.9}, {1, 2, 4}, 3},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p5\": -3, \"p25\": -1, \"p75\": 1.5, \"p95\": 5}}",
         {0.05, 0.25, 0.75, 0.95}, {-3, -1, 1.5, 5}, 4},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p25\": 2, \"p50\": 2.5, \"p75\": 3, "
         "\"p90\": 5}}",
         {0.1, 0.25, 0.5, 0.75, 0.9}, {1, 2, 2.5, 3, 5}, 5},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p2.5\": 100, \"p50\": 130, \"p97.5\": 200}, "
         "\"min\": 50, \"max\": 400}",
         {0.025, 0.5, 0.975}, {100, 130, 200}, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tyche_dist d;
        parse_ok(cases[i].json, &d);
        if (test_failed) return;
        ASSERT_INT_EQ(d.n, cases[i].n);
        for (int k = 0; k < cases[i].n; k++) {
            ASSERT_NEAR(tyche_dist_quantile(&d, cases[i].p[k]), cases[i].x[k],
                        1e-9 * fabs(cases[i].x[k]) + 1e-12);
            ASSERT_NEAR(tyche_dist_cdf(&d, cases[i].x[k]), cases[i].p[k], 1e-9);
        }
        /* strictly increasing far into both tails */
        double prev = -INFINITY;
        for (int k = -30; k <= 30; k++) {
            const double u = 1.0 / (1.0 + exp(-k)), x = tyche_dist_quantile(&d, u);
            ASSERT(x > prev);
            prev = x;
        }
        tyche_dist_clear(&d);
    }
}

/* Quantiles whose 3-term fit has a3 / a2 = 2 > 1.66711 (Keelin's bound):
 * y (1 - y) M'(y) dips to -0.45 near p = 0.083.  And a 4-term set whose
 * fit decreases in both tails. */
TEST(metalog_refuses_infeasible_quantiles_saying_where) {
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 0, \"p50\": 1, \"p90\": 10}}",
                   PATH ".quantiles: these quantiles give an infeasible metalog (its density "
                        "would be negative near p=0.08");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p30\": 1.1, \"p50\": 3, "
                   "\"p90\": 4}}",
                   "move them or give fewer");
    /* just inside Keelin's bound is fine: 0 / 1 / 6 gives a3 / a2 = 5/3, the
     * least slope 4e-4 of a2; 0 / 1 / 6.1 gives 1.68 and is refused */
    tyche_dist d;
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 0, \"p50\": 1, \"p90\": 6}}", &d);
    ASSERT_NEAR(d.values[2] / d.values[1], 5.0 / 3.0, 1e-12);
    tyche_dist_clear(&d);
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 0, \"p50\": 1, \"p90\": 6.1}}",
                   "infeasible metalog");
    /* a3 / a2 = 1.6671125: above Keelin's 1.66711, below the true bound
     * 1.6671131 (the least slope is 5e-7 of a2, between the grid's points):
     * Keelin's closed form alone refuses it */
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 0, \"p50\": 1, "
                   "\"p90\": 6.0032117182692755}}",
                   "infeasible metalog");
}

/* Symmetric quantiles give a3 = 0: the logistic law, mean p50 and variance
 * pi^2 a2^2 / 3 with a2 = (p90 - p50) / ln 9; an asymmetric one's mean is
 * a1 + a3 / 2 (Keelin's closed form), and its variance, with the bounded
 * forms', is held to scipy's quad of Q(y) over (0, 1) (epsabs 1e-14). */
TEST(metalog_moments_match_closed_forms_and_quadrature) {
    tyche_dist d;
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 7, \"p50\": 10, \"p90\": 13}}", &d);
    ASSERT_NEAR(d.values[2], 0.0, 1e-15);
    const double a2 = 3.0 / log(9.0);
    ASSERT_NEAR(tyche_dist_mean(&d), 10.0, 1e-12);
    ASSERT_NEAR(tyche_dist_variance(&d), M_PI * M_PI / 3.0 * a2 * a2, 1e-11);
    check_draws(&d, NULL);
    tyche_dist_clear(&d);
    static const struct {
        const char *json;
        double mean, var;
    } cases[] = {
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}}",
         2.284449758320888, 1.6489470845904148},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, \"min\": 0}",
         2.3692381460456984, 3.03669722137428},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, \"min\": 0, "
         "\"max\": 10}",
         2.2975226697574485, 1.651046051227928},
        {"{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p25\": 2, \"p50\": 2.5, \"p75\": 3, "
         "\"p90\": 5}}",
         2.880582124937766, 6.355648247784889},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0] && !test_failed; i++) {
        parse_ok(cases[i].json, &d);
        ASSERT_NEAR(tyche_dist_mean(&d), cases[i].mean, 1e-9 * cases[i].mean);
        ASSERT_NEAR(tyche_dist_variance(&d), cases[i].var, 1e-8 * cases[i].var);
        if (i == 0) ASSERT_NEAR(tyche_dist_mean(&d), d.values[0] + 0.5 * d.values[2], 1e-10);
        check_draws(&d, NULL);
        tyche_dist_clear(&d);
    }
    /* a log metalog whose upper tail is too heavy for a variance, or a mean:
     * e^M ~ (1 - y)^-(a2 + a3/2) */
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 10, \"p90\": 1000}, "
             "\"min\": 0}",
             &d);
    ASSERT(d.values[1] + 0.5 * d.values[2] >= 1.0);
    ASSERT(tyche_dist_mean(&d) == INFINITY);
    tyche_dist_clear(&d);
}

TEST(bounded_metalog_stays_inside_its_bounds) {
    tyche_dist d;
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 0.02, \"p50\": 0.1, \"p90\": 0.6}, "
             "\"min\": 0, \"max\": 1}",
             &d);
    double lo, hi;
    int open;
    tyche_dist_support(&d, &lo, &hi, &open);
    ASSERT(lo == 0.0 && hi == 1.0 && open == 1);
    for (int k = 2; k <= 300; k++) {
        const double u = pow(10.0, -k);
        const double a = tyche_dist_quantile(&d, u), b = tyche_dist_quantile(&d, 1.0 - u);
        ASSERT(a >= 0.0 && a < 0.02);
        ASSERT(b <= 1.0 && b > 0.6);
    }
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, SEED);
    for (int i = 0; i < 100000; i++) {
        const double x = tyche_dist_sample(&d, r);
        ASSERT(x >= 0.0 && x <= 1.0);
    }
    gsl_rng_free(r);
    char buf[128];
    tyche_dist_format(&d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "metalog(p10 0.02, p50 0.1, p90 0.6, min 0, max 1)");
    /* a copy owns its terms */
    tyche_dist c;
    tyche_err e;
    ASSERT_INT_EQ(tyche_dist_copy(&c, &d, &e), TYCHE_OK);
    const double q = tyche_dist_quantile(&d, 0.7);
    tyche_dist_clear(&d);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&c, 0.7), q);
    tyche_dist_clear(&c);
}

TEST(metalog_refuses_bad_input_naming_the_key) {
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p90\": 4}}",
                   PATH ".quantiles: give 3 to 5 quantiles (got 2)");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 5, \"p90\": 4}}",
                   PATH ".quantiles.p90: must be > p50");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"median\": 4}}",
                   PATH ".quantiles: unknown key \"median\"");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p100\": 4}}",
                   PATH ".quantiles.p100: percentile must be between 0 and 100");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": \"2\", \"p90\": 4}}",
                   PATH ".quantiles.p50: must be a number");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, "
                   "\"min\": 1}",
                   PATH ".min: must be below every quantile");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}, "
                   "\"max\": 3}",
                   PATH ".max: must be above every quantile");
    check_rejected("{\"dist\": \"metalog\", \"quantiles\": [1, 2, 4]}", PATH ".quantiles: must be an object");
    check_rejected("{\"dist\": \"metalog\", \"p10\": 1}", PATH ": unknown key \"p10\"");
}

/* ---- empirical ------------------------------------------------------------ */

/* writes text to dir/name */
static void write_file(const char *dir, const char *name, const char *text) {
    char p[600];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* parses text with files relative to dir */
static int parse_in(const char *text, const char *dir, tyche_dist *d, tyche_err *e) {
    cJSON *j = cJSON_Parse(text);
    if (j == NULL) return -1;
    memset(e, 0, sizeof *e);
    const tyche_status st = tyche_dist_from_json_in(j, PATH, dir, d, e);
    cJSON_Delete(j);
    return (int)st;
}

TEST(empirical_resamples_a_csv_column_with_equal_weight) {
    char dir[64];
    folder_make(dir, sizeof dir, "empirical");
    ASSERT(dir[0] != '\0');
    write_file(dir, "x.csv", "year,\"growth\" ,other\r\n2019, 0.25,a\n2020,-0.5,b\n\n2021,1e-1,c\n"
                             "2022,0.75,d\n2023,0.25,e\n");
    tyche_dist d;
    tyche_err e;
    const int st = parse_in("{\"dist\": \"empirical\", \"file\": \"x.csv\", \"column\": \"growth\"}",
                            dir, &d, &e);
    if (st) fprintf(stderr, "  %s\n", e.msg);
    ASSERT_INT_EQ(st, TYCHE_OK);
    ASSERT_INT_EQ(d.n, 5);
    /* sorted: -0.5, 0.1, 0.25, 0.25, 0.75, each of weight 1/5 */
    ASSERT_NEAR(tyche_dist_mean(&d), (0.25 - 0.5 + 0.1 + 0.75 + 0.25) / 5.0, 1e-16);
    const double m = 0.17;
    const double v = ((0.25 - m) * (0.25 - m) * 2 + (-0.5 - m) * (-0.5 - m) + (0.1 - m) * (0.1 - m) +
                      (0.75 - m) * (0.75 - m)) / 5.0;
    ASSERT_NEAR(tyche_dist_variance(&d), v, 1e-15);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.1), -0.5);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.2), -0.5);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.2000001), 0.1);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.5), 0.25);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.8), 0.25);
    ASSERT_DBL_IDENTICAL(tyche_dist_quantile(&d, 0.81), 0.75);
    ASSERT_NEAR(tyche_dist_cdf(&d, 0.25), 0.8, 1e-15);
    double lo, hi;
    tyche_dist_support(&d, &lo, &hi, NULL);
    ASSERT(lo == -0.5 && hi == 0.75);
    char buf[128];
    tyche_dist_format(&d, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "empirical(x.csv, column growth: 5 values, -0.5 to 0.75)");
    const double cdf[N_PROBES] = {0.2, 0.2, 0.8, 1.0, 1.0};
    check_draws(&d, cdf);
    tyche_dist c;
    ASSERT_INT_EQ(tyche_dist_copy(&c, &d, &e), TYCHE_OK);
    tyche_dist_clear(&d);
    tyche_dist_format(&c, buf, sizeof buf);
    ASSERT_STR_EQ(buf, "empirical(x.csv, column growth: 5 values, -0.5 to 0.75)");
    tyche_dist_clear(&c);
    /* an absolute file name ignores dir; a file of one value repeated is a point mass */
    char abs[128];
    write_file(dir, "same.csv", "v\n3\n3\n");
    snprintf(abs, sizeof abs, "{\"dist\": \"empirical\", \"file\": \"%s/same.csv\", \"column\": \"v\"}",
             dir);
    ASSERT_INT_EQ(parse_in(abs, "/nonexistent", &d, &e), TYCHE_OK);
    ASSERT(tyche_dist_is_fixed(&d));
    tyche_dist_clear(&d);
    folder_remove(dir);
}

static void check_empirical_rejected(const char *dir, const char *csv, const char *json,
                                     const char *fragment) {
    tyche_dist d;
    tyche_err e;
    if (csv) write_file(dir, "bad.csv", csv);
    ASSERT_INT_EQ(parse_in(json, dir, &d, &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, PATH);
    ASSERT_STR_CONTAINS(e.msg, fragment);
    ASSERT(d.values == NULL && d.cumw == NULL && d.source == NULL);
}

TEST(empirical_refuses_bad_files_naming_file_line_and_column) {
    char dir[64];
    folder_make(dir, sizeof dir, "empirical");
    ASSERT(dir[0] != '\0');
    const char *j = "{\"dist\": \"empirical\", \"file\": \"bad.csv\", \"column\": \"x\"}";
    char frag[200];
    check_empirical_rejected(dir, "a,x\n1,2\n3,abc\n", j, "");
    snprintf(frag, sizeof frag, ".file: %s/bad.csv line 3, column \"x\": \"abc\" is not a finite number", dir);
    check_empirical_rejected(dir, NULL, j, frag);
    snprintf(frag, sizeof frag, ".file: %s/bad.csv line 4, column \"x\": missing value", dir);
    check_empirical_rejected(dir, "a,x\n1,2\n3,4\n5\n", j, frag);
    check_empirical_rejected(dir, "a,x\n1,2\n3,\n", j, "line 3, column \"x\": missing value");
    check_empirical_rejected(dir, "a,y\n1,2\n3,4\n", j, ".column: ");
    check_empirical_rejected(dir, NULL, j, "has no column \"x\"");
    check_empirical_rejected(dir, "a,x\n1,2\n", j, "has 1 value in column \"x\"; an empirical prior needs at least 2");
    check_empirical_rejected(dir, "", j, "is empty");
    check_empirical_rejected(dir, "x\n1\n1e999\n", j, "line 3, column \"x\": \"1e999\" is not a finite number");
    check_empirical_rejected(dir, NULL, "{\"dist\": \"empirical\", \"file\": \"none.csv\", \"column\": \"x\"}",
                             "none.csv (No such file or directory)");
    check_empirical_rejected(dir, NULL, "{\"dist\": \"empirical\", \"file\": \"/dev/null/\", \"column\": \"x\"}",
                             "cannot read /dev/null/");
    check_empirical_rejected(dir, NULL, "{\"dist\": \"empirical\", \"file\": \".\", \"column\": \"x\"}",
                             "(not a regular file)");
    check_empirical_rejected(dir, NULL, "{\"dist\": \"empirical\", \"file\": \"bad.csv\"}",
                             ": missing key \"column\"");
    check_empirical_rejected(dir, NULL, "{\"dist\": \"empirical\", \"file\": 3, \"column\": \"x\"}",
                             ".file: must be a file name");
    folder_remove(dir);
}

/* Each new kind draws through the table, under its JSON name. */
TEST(new_kinds_are_named_and_appended_to_the_enum) {
    ASSERT_INT_EQ(TYCHE_DIST_MIXTURE, 13);
    ASSERT_INT_EQ(TYCHE_DIST_METALOG, 14);
    ASSERT_INT_EQ(TYCHE_DIST_EMPIRICAL, 15);
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_MIXTURE), "mixture");
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_METALOG), "metalog");
    ASSERT_STR_EQ(tyche_dist_kind_name(TYCHE_DIST_EMPIRICAL), "empirical");
}

/* validate (after --set) rechecks what the parse built: a metalog's terms
 * against its quantiles, a mixture's components under their own paths. */
TEST(validate_rechecks_metalog_terms_and_mixture_components) {
    tyche_dist d;
    tyche_err e;
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 1, \"p50\": 2, \"p90\": 4}}", &d);
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_OK);
    d.values[0] += 1e-3;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "x.quantiles: the metalog's terms do not fit its quantiles");
    d.values[0] -= 1e-3;
    d.p[0] = 1.5; /* a min above p10 */
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "x.min: must be below every quantile");
    tyche_dist_clear(&d);
    parse_ok("{\"dist\": \"mixture\", \"weights\": [0.5, 0.5], \"components\": [1, "
             "{\"dist\": \"mixture\", \"weights\": [1], \"components\": [{\"dist\": \"gamma\", "
             "\"shape\": 2, \"scale\": 1}]}]}",
             &d);
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_OK);
    d.comp[1].comp[0].p[1] = -1.0;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "x.components[1].components[0].scale: must be > 0");
    d.comp[1].comp[0].p[1] = 1.0;
    d.cumw[1] = 0.9;
    ASSERT_INT_EQ(tyche_dist_validate(&d, "x", &e), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(e.msg, "x.weights: must sum to 1");
    tyche_dist_clear(&d);
}

/* A log metalog with a tail too heavy for a mean (x grows as (1 - y)^-3.3):
 * its CDF still inverts its quantile, far out (a scan found Newton on x
 * crawling to a wrong answer here). */
TEST(metalog_cdf_inverts_a_very_heavy_tail) {
    tyche_dist d;
    parse_ok("{\"dist\": \"metalog\", \"quantiles\": {\"p10\": 2.0164055156337213, \"p25\": "
             "2.2752702310108388, \"p50\": 3.8998200451175196}, \"min\": 1.151262329377484}",
             &d);
    ASSERT(tyche_dist_mean(&d) == INFINITY);
    static const double us[] = {0.6, 0.9, 0.97, 0.99, 1 - 1e-4, 1 - 1e-7};
    for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
        const double x = tyche_dist_quantile(&d, us[k]);
        ASSERT_NEAR(tyche_dist_sf(&d, x), 1 - us[k], 1e-8 * (1 - us[k]));
    }
    tyche_dist_clear(&d);
}
