/* The summary's building blocks (stats.h): moments merged block by block
 * against a two-pass mean and variance; sketch quantiles against the exact
 * order statistics of the sorted data, within the sketch's stated error
 * (one bucket: 2^-7 of the value's magnitude); sketches merged equal the
 * sketch of all the data. */
#include <stdlib.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include "stats.h"
#include "test.h"

#define SEED 4242UL
#define N 100000

static int cmp_dbl(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n draws: a mixture of signs and scales (negative normal values, a
 * long-tailed lognormal, exact zeros), the cases the sketch treats apart. */
static double *draws(size_t n, unsigned long seed) {
    double *x = malloc(n * sizeof *x);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    for (size_t i = 0; x && i < n; i++) {
        const double u = gsl_rng_uniform(g);
        x[i] = u < 0.4 ? gsl_ran_gaussian(g, 50.0) - 20
             : u < 0.95 ? gsl_ran_lognormal(g, 2.0, 1.5)
             : 0.0;
    }
    gsl_rng_free(g);
    return x;
}

TEST(moments_merged_block_by_block_match_a_two_pass_mean_and_variance) {
    double *x = draws(N, SEED);
    ASSERT(x != NULL);
    /* blocks of uneven sizes, merged in order */
    tyche_moments all = {0, 0, 0};
    size_t i = 0;
    for (size_t b = 0; i < N; b++) {
        tyche_moments blk = {0, 0, 0};
        const size_t len = 1 + (b * 7919) % 3000;
        for (size_t k = 0; k < len && i < N; k++, i++) tyche_moments_add(&blk, x[i]);
        tyche_moments_merge(&all, &blk);
    }
    double sum = 0;
    for (size_t k = 0; k < N; k++) sum += x[k];
    const double mean = sum / N;
    double ss = 0;
    for (size_t k = 0; k < N; k++) ss += (x[k] - mean) * (x[k] - mean);
    ASSERT_INT_EQ(all.n, N);
    ASSERT_NEAR(all.mean, mean, 1e-10 * fabs(mean));
    ASSERT_NEAR(all.m2 / (N - 1), ss / (N - 1), 1e-10 * ss / (N - 1));
    /* an empty block on either side changes nothing */
    tyche_moments empty = {0, 0, 0}, copy = all;
    tyche_moments_merge(&copy, &empty);
    ASSERT(memcmp(&copy, &all, sizeof copy) == 0);
    tyche_moments_merge(&empty, &all);
    ASSERT(memcmp(&empty, &all, sizeof all) == 0);
    free(x);
}

TEST(sketch_quantiles_are_within_one_bucket_of_the_exact_order_statistics) {
    double *x = draws(N, SEED + 1);
    ASSERT(x != NULL);
    tyche_sketch k;
    ASSERT(tyche_sketch_init(&k));
    for (size_t i = 0; i < N; i++) tyche_sketch_add(&k, x[i]);
    qsort(x, N, sizeof *x, cmp_dbl);
    const double levels[] = {0.0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.4, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0};
    for (size_t j = 0; j < sizeof levels / sizeof *levels; j++) {
        const double q = levels[j];
        const double exact = x[(size_t)floor(q * (N - 1))]; /* the rank the sketch estimates */
        const double est = tyche_sketch_quantile(&k, q);
        /* a bucket spans 2^-7 of its lower bound; values below 2^-30 count as 0 */
        const double tol = ldexp(fabs(exact), -TYCHE_SKETCH_BITS) + ldexp(1.0, TYCHE_SKETCH_EMIN);
        if (!(fabs(est - exact) <= tol))
            FAIL_("q=%g (seed %lu): sketch %.17g, exact %.17g, tolerance %.3g", q, SEED + 1, est,
                  exact, tol);
    }
    /* never outside the exact extremes */
    for (double q = 0; q <= 1.0; q += 0.01) {
        const double est = tyche_sketch_quantile(&k, q);
        ASSERT(est >= x[0] && est <= x[N - 1]);
    }
    tyche_sketch_clear(&k);
    free(x);
}

TEST(sketches_merged_equal_the_sketch_of_all_the_data) {
    double *x = draws(N, SEED + 2);
    ASSERT(x != NULL);
    tyche_sketch all, a, b;
    ASSERT(tyche_sketch_init(&all) && tyche_sketch_init(&a) && tyche_sketch_init(&b));
    for (size_t i = 0; i < N; i++) tyche_sketch_add(&all, x[i]);
    for (size_t i = 0; i < N; i++) tyche_sketch_add(i % 3 ? &a : &b, x[i]); /* any split */
    tyche_sketch_merge(&b, &a);
    ASSERT_INT_EQ(b.n, all.n);
    ASSERT_DBL_IDENTICAL(b.min, all.min);
    ASSERT_DBL_IDENTICAL(b.max, all.max);
    ASSERT(memcmp(b.bins, all.bins, TYCHE_SKETCH_BINS * sizeof *b.bins) == 0);
    tyche_sketch_clear(&all);
    tyche_sketch_clear(&a);
    tyche_sketch_clear(&b);
    free(x);
}

TEST(an_empty_sketch_has_no_quantile_and_a_constant_one_its_value) {
    tyche_sketch k;
    ASSERT(tyche_sketch_init(&k));
    ASSERT(isnan(tyche_sketch_quantile(&k, 0.5)));
    for (int i = 0; i < 10; i++) tyche_sketch_add(&k, 2.5);
    ASSERT_DBL_IDENTICAL(tyche_sketch_quantile(&k, 0.3), 2.5);
    tyche_sketch_clear(&k);
}

TEST(wilson_bounds_match_the_closed_form_and_are_exact_at_0_and_n) {
    /* the score interval: (p + z^2/2n +- z sqrt(p(1-p)/n + z^2/4n^2)) / (1 + z^2/n) */
    const double z = 1.959963984540054;
    const uint64_t ks[] = {0, 1, 7, 50, 99, 100};
    for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
        const uint64_t k = ks[i], n = 100;
        const double p = (double)k / n, d = 1 + z * z / n;
        const double c = (p + z * z / (2.0 * n)) / d, h = z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / d;
        double lo, hi;
        tyche_wilson(k, n, &lo, &hi);
        ASSERT_NEAR(lo, fmax(0.0, c - h), 1e-15);
        ASSERT_NEAR(hi, fmin(1.0, c + h), 1e-15);
    }
    /* a statement never (always) true: the bound is 0 (1), not a remainder */
    for (uint64_t n = 1; n < 2000000; n = n * 3 + 1) {
        double lo, hi;
        tyche_wilson(0, n, &lo, &hi);
        ASSERT(lo == 0.0 && hi > 0.0);
        tyche_wilson(n, n, &lo, &hi);
        ASSERT(hi == 1.0 && lo < 1.0);
    }
}
