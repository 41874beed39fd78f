/* The hazard module against closed forms: P(T <= t) = 1 - exp(-H(t)) for
 * constant and piecewise hazards, and the competing-risk cumulative
 * incidence h_k / h (1 - exp(-h t)).  Fixed seeds; 4 standard errors. */
#include <gsl/gsl_rng.h>
#include "test.h"
#include "tyche/date.h"
#include "tyche/hazard.h"

#define N 200000
#define Y TYCHE_DAYS_PER_YEAR

static void check_prob(int hits, double p) {
    const double se = sqrt(p * (1 - p) / N);
    ASSERT_NEAR((double)hits / N, p, 4 * se + 1e-12);
}

TEST(constant_hazard_gives_the_exponential_cdf) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 11);
    const double t[2] = {0, 2 * Y}, h[1] = {0.4};
    int by_half = 0, by_one = 0, by_two = 0;
    for (int i = 0; i < N; i++) {
        const double te = tyche_hazard_sample(t, h, 1, r);
        by_half += te <= 0.5 * Y;
        by_one += te <= Y;
        by_two += te <= 2 * Y;
    }
    check_prob(by_half, 1 - exp(-0.2));
    check_prob(by_one, 1 - exp(-0.4));
    check_prob(by_two, 1 - exp(-0.8));
    gsl_rng_free(r);
}

TEST(piecewise_hazard_gives_one_minus_exp_of_the_integral) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 12);
    const double t[4] = {0, 100, 200, 365}, h[3] = {0.5, 2.0, 0.0};
    int by150 = 0, by300 = 0, in_zero = 0;
    for (int i = 0; i < N; i++) {
        const double te = tyche_hazard_sample(t, h, 3, r);
        by150 += te <= 150;
        by300 += te <= 300;
        in_zero += te > 200 && te <= 365;
    }
    check_prob(by150, 1 - exp(-(0.5 * 100 + 2.0 * 50) / Y));
    check_prob(by300, 1 - exp(-(0.5 * 100 + 2.0 * 100) / Y));
    ASSERT_INT_EQ(in_zero, 0); /* no event where the hazard is zero */
    gsl_rng_free(r);
}

TEST(inversion_is_exact_for_a_given_exponential_target) {
    tyche_hazard_walk w = {0.3, 0.0};
    double te = -1;
    /* rate 1/yr over 100 days adds 100/365.25 = 0.2738 < 0.3: no event */
    ASSERT_INT_EQ(tyche_hazard_walk_step(&w, 0, 100, 1.0, &te), 0);
    /* then 2/yr: the remaining 0.3 - 0.2738 takes (0.3 - 100/Y) / (2/Y) days */
    ASSERT_INT_EQ(tyche_hazard_walk_step(&w, 100, 200, 2.0, &te), 1);
    ASSERT_NEAR(te, 100 + (0.3 - 100 / Y) / (2 / Y), 1e-9);
}

TEST(competing_risks_match_the_cumulative_incidence_closed_form) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 13);
    const double t[3] = {0, Y, 2 * Y};
    const double h[4] = {0.3, 0.3, 0.7, 0.7}; /* cause 0: 0.3/yr, cause 1: 0.7/yr */
    int c0 = 0, c1 = 0;
    for (int i = 0; i < N; i++) {
        int cause;
        const double te = tyche_hazard_sample_competing(t, h, 2, 2, r, &cause);
        if (te <= 1.5 * Y) {
            c0 += cause == 0;
            c1 += cause == 1;
        }
    }
    const double all = 1 - exp(-1.0 * 1.5);
    check_prob(c0, 0.3 * all);
    check_prob(c1, 0.7 * all);
    gsl_rng_free(r);
}

TEST(extreme_rates_neither_loop_nor_leak_nan) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 14);
    const double t[2] = {10, 20};
    const double zero[1] = {0}, tiny[1] = {1e-300}, huge[1] = {1e300}, inf[1] = {INFINITY},
                 nan[1] = {NAN};
    for (int i = 0; i < 1000; i++) {
        ASSERT(isinf(tyche_hazard_sample(t, zero, 1, r)));
        ASSERT(isinf(tyche_hazard_sample(t, tiny, 1, r)));
        ASSERT(isinf(tyche_hazard_sample(t, nan, 1, r)));
        const double te = tyche_hazard_sample(t, huge, 1, r);
        ASSERT(te >= 10 && te < 20);
        ASSERT_NEAR(tyche_hazard_sample(t, inf, 1, r), 10, 0);
    }
    gsl_rng_free(r);
}

/* Two finite rates whose sum overflows to infinity (1e308 + 1e308) still
 * split by their ratio; before, every share was rate / inf = 0 and the last
 * cause always won (an exclusivity deal never beat a blocking event).
 * Infinite rates split evenly among themselves and beat finite ones. */
TEST(competing_causes_split_by_ratio_when_the_sum_overflows) {
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 15);
    const double t[2] = {0, Y};
    const double huge[2] = {1.5e308, 5e307}, infs[3] = {INFINITY, 1e308, INFINITY};
    int first = 0, inf0 = 0, inf2 = 0;
    for (int i = 0; i < N; i++) {
        int cause;
        ASSERT_NEAR(tyche_hazard_sample_competing(t, huge, 1, 2, r, &cause), 0, 1e-300);
        first += cause == 0;
        ASSERT_NEAR(tyche_hazard_sample_competing(t, infs, 1, 3, r, &cause), 0, 0);
        ASSERT(cause != 1);
        inf0 += cause == 0;
        inf2 += cause == 2;
    }
    check_prob(first, 0.75); /* 1.5e308 / 2e308 */
    check_prob(inf0, 0.5);
    ASSERT_INT_EQ(inf0 + inf2, N);
    gsl_rng_free(r);
}
