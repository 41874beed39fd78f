/* Tests of the block draws (src/draws.c): the documented layout against an
 * independent computation from Random123's scalar Philox and libm, each
 * lane's numbers independent of the block it is drawn in (I1), every
 * vector path bit-identical (I11), and the samplers' distributions against
 * closed forms, in the tails too. */
#include <stdlib.h>
#include <gsl/gsl_cdf.h>
#include <Random123/philox.h>
#include "draws.h"
#include "test.h"

#define SEED 20261201ULL
#define STREAM 4100u

/* Words of block blk of (trial, stream, redraw), straight from Random123. */
static philox4x32_ctr_t ref_block(uint64_t seed, uint64_t trial, uint32_t stream, uint32_t redraw,
                                  uint32_t blk) {
    philox4x32_ctr_t c = {{blk, (stream & 0xffffu) | (redraw << 16), (uint32_t)trial,
                           (uint32_t)(trial >> 32)}};
    philox4x32_key_t k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    return philox4x32_R(10, c, k);
}

static double ref_u01(uint32_t a, uint32_t b) {
    return ((double)((((uint64_t)a << 32) | b) >> 12) + 0.5) / 4503599627370496.0;
}

TEST(normals_follow_the_documented_box_muller_layout) {
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, 64, NULL);
    ASSERT(d != NULL);
    uint64_t trial[5] = {0, 1, 77, 1ULL << 40, 123456789};
    uint32_t redraw[5] = {0, 3, 0, 0, 65535};
    const tyche_lanes L = {5, trial, redraw};
    double z[7 * 5];
    tyche_draws_normals(d, &L, STREAM, 7, z, 5);
    for (size_t i = 0; i < 5; i++)
        for (size_t k = 0; k < 7; k++) {
            const philox4x32_ctr_t w = ref_block(SEED, trial[i], STREAM, redraw[i], (uint32_t)(k / 2));
            const double r = sqrt(-2.0 * log(ref_u01(w.v[0], w.v[1])));
            const double a = 6.283185307179586 * ref_u01(w.v[2], w.v[3]);
            const double want = r * (k % 2 ? sin(a) : cos(a));
            ASSERT_NEAR(z[k * 5 + i], want, 1e-14 * fmax(1.0, fabs(want)));
        }
    double e[5], u[5], u2[5];
    tyche_draws_exponential(d, &L, STREAM, 3, e);
    tyche_draws_uniform(d, &L, STREAM, 3, u, u2);
    for (size_t i = 0; i < 5; i++) {
        const philox4x32_ctr_t w = ref_block(SEED, trial[i], STREAM, redraw[i], 3);
        ASSERT_DBL_IDENTICAL(u[i], ref_u01(w.v[0], w.v[1]));
        ASSERT_DBL_IDENTICAL(u2[i], ref_u01(w.v[2], w.v[3]));
        ASSERT_NEAR(e[i], -log(u[i]), 1e-15 * fmax(1.0, e[i]));
        ASSERT(u[i] > 0.0 && u[i] < 1.0);
    }
    tyche_draws_free(d);
}

/* Every draw function on lanes 0..n-1, and each lane alone: the same bits. */
TEST(a_lanes_draws_do_not_depend_on_the_other_lanes) {
    enum { N = 203 };
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, N, NULL);
    ASSERT(d != NULL);
    uint64_t trial[N];
    uint32_t redraw[N];
    double shape[N], all[4][5 * N], one[5];
    for (size_t i = 0; i < N; i++) {
        trial[i] = 1000 + 7 * i;
        redraw[i] = (uint32_t)(i % 3);
        shape[i] = i % 4 == 0 ? 0.3 : 1.0 + (double)(i % 9); /* below 1 too: the boost */
    }
    const tyche_lanes L = {N, trial, redraw};
    tyche_draws_normals(d, &L, STREAM, 5, all[0], N);
    tyche_draws_exponential(d, &L, STREAM, 2, all[1]);
    tyche_draws_gamma(d, &L, STREAM, 9, shape, all[2]);
    tyche_draws_uniform(d, &L, STREAM, 1, all[3], all[3] + N);
    for (size_t i = 0; i < N; i++) {
        const tyche_lanes L1 = {1, trial + i, redraw + i};
        tyche_draws_normals(d, &L1, STREAM, 5, one, 1);
        for (size_t k = 0; k < 5; k++) ASSERT_DBL_IDENTICAL(one[k], all[0][k * N + i]);
        tyche_draws_exponential(d, &L1, STREAM, 2, one);
        ASSERT_DBL_IDENTICAL(one[0], all[1][i]);
        tyche_draws_gamma(d, &L1, STREAM, 9, shape + i, one);
        ASSERT_DBL_IDENTICAL(one[0], all[2][i]);
        tyche_draws_uniform(d, &L1, STREAM, 1, one, one + 1);
        ASSERT_DBL_IDENTICAL(one[0], all[3][i]);
        ASSERT_DBL_IDENTICAL(one[1], all[3][N + i]);
    }
    tyche_draws_free(d);
}

/* The same draws on every vector path the processor has (memcmp). */
TEST(every_vector_path_draws_the_same_bits) {
    enum { N = 256, K = 9, TRIALS = 20000 };
    static const char *const paths[] = {"sse2", "avx2", "avx512"};
    static double ref[3][TRIALS], got[3][TRIALS];
    double shape[N];
    uint64_t trial[N];
    uint32_t redraw[N] = {0};
    for (size_t i = 0; i < N; i++) shape[i] = i % 2 ? 0.4 : 2.7;
    int ran = 0;
    for (int p = 0; p < 3; p++) {
        if (tyche_vm_select(paths[p], NULL) != TYCHE_OK) continue;
        tyche_draws *d = tyche_draws_alloc(NULL, SEED, N, NULL);
        ASSERT(d != NULL);
        for (size_t i0 = 0; i0 < TRIALS; i0 += N) {
            const size_t n = TRIALS - i0 < N ? TRIALS - i0 : N;
            for (size_t i = 0; i < n; i++) trial[i] = i0 + i;
            const tyche_lanes L = {n, trial, redraw};
            double z[K * N];
            tyche_draws_normals(d, &L, STREAM, K, z, n);
            for (size_t i = 0; i < n; i++) {
                double sum = 0;
                for (size_t k = 0; k < K; k++) sum += z[k * n + i];
                got[0][i0 + i] = sum;
            }
            tyche_draws_gamma(d, &L, STREAM, 0, shape, got[1] + i0);
            tyche_draws_exponential(d, &L, STREAM, 100, got[2] + i0);
        }
        tyche_draws_free(d);
        if (ran++ == 0)
            memcpy(ref, got, sizeof ref);
        else if (memcmp(ref, got, sizeof ref) != 0)
            FAIL_("path %s draws other bits than %s", paths[p], paths[0]);
    }
    ASSERT(tyche_vm_select("auto", NULL) == TYCHE_OK);
    ASSERT(ran >= 1);
    fprintf(stderr, "  (%d vector paths compared)\n", ran);
}

/* Kolmogorov-Smirnov distance of x[0..n) (sorted here) from cdf. */
static int by_value(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}
static double ks(double *x, size_t n, double (*cdf)(double, double), double par) {
    qsort(x, n, sizeof *x, by_value);
    double dmax = 0;
    for (size_t i = 0; i < n; i++) {
        const double f = cdf(x[i], par);
        dmax = fmax(dmax, fmax(fabs(f - (double)i / n), fabs((double)(i + 1) / n - f)));
    }
    return dmax;
}
static double phi(double x, double unused) {
    (void)unused;
    return gsl_cdf_ugaussian_P(x);
}
static double gam(double x, double a) { return gsl_cdf_gamma_P(x, a, 1.0); }

/* Normals and gammas from trials 0..n-1: the KS distance below its 0.1%
 * critical value (1.95 / sqrt(n)), and the tail counts P(z > 3), P(z < -4),
 * P(X > the 0.999 quantile) within 4 binomial standard errors. */
TEST(block_normals_and_gammas_have_their_distributions_into_the_tails) {
    enum { N = 256 };
    const size_t n = 512 * 782; /* whole chunks of 2N and of N */
    double *x = malloc(n * sizeof *x);
    ASSERT(x != NULL);
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, N, NULL);
    ASSERT(d != NULL);
    uint64_t trial[N];
    uint32_t redraw[N] = {0};
    double z[2 * N];
    /* normals 0 and 1 of each trial's sequence: the cos and the sin halves */
    for (size_t i0 = 0; i0 < n; i0 += 2 * N) {
        for (size_t i = 0; i < N; i++) trial[i] = i0 / 2 + i;
        const tyche_lanes L = {N, trial, redraw};
        tyche_draws_normals(d, &L, STREAM, 2, z, N);
        memcpy(x + i0, z, 2 * N * sizeof *x);
    }
    size_t above3 = 0, below4 = 0;
    double sum = 0, sum2 = 0, sum4 = 0;
    for (size_t i = 0; i < n; i++) {
        above3 += x[i] > 3.0;
        below4 += x[i] < -4.0;
        sum += x[i];
        sum2 += x[i] * x[i];
        sum4 += x[i] * x[i] * x[i] * x[i];
    }
    const double p3 = gsl_cdf_ugaussian_Q(3.0), p4 = gsl_cdf_ugaussian_P(-4.0);
    ASSERT_NEAR((double)above3 / n, p3, 4 * sqrt(p3 * (1 - p3) / n));
    ASSERT_NEAR((double)below4 / n, p4, 4 * sqrt(p4 * (1 - p4) / n) + 1.0 / n);
    ASSERT_NEAR(sum / n, 0.0, 4 * sqrt(1.0 / n));
    ASSERT_NEAR(sum2 / n, 1.0, 4 * sqrt(2.0 / n));
    ASSERT_NEAR(sum4 / n, 3.0, 4 * sqrt(96.0 / n)); /* var z^4 = 105 - 9 */
    ASSERT(ks(x, n, phi, 0) < 1.95 / sqrt((double)n));
    static const double shapes[] = {0.3, 1.0, 2.5, 30.0};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        double sh[N];
        for (size_t i = 0; i < N; i++) sh[i] = shapes[s];
        for (size_t i0 = 0; i0 < n; i0 += N) {
            for (size_t i = 0; i < N; i++) trial[i] = i0 + i;
            const tyche_lanes L = {N, trial, redraw};
            tyche_draws_gamma(d, &L, STREAM + 1, 0, sh, x + i0);
        }
        const double q = gsl_cdf_gamma_Qinv(0.001, shapes[s], 1.0);
        size_t tail = 0;
        double m = 0;
        for (size_t i = 0; i < n; i++) {
            tail += x[i] > q;
            m += x[i];
        }
        ASSERT_NEAR((double)tail / n, 0.001, 4 * sqrt(0.001 * 0.999 / n));
        ASSERT_NEAR(m / n, shapes[s], 4 * sqrt(shapes[s] / n));
        const double D = ks(x, n, gam, shapes[s]);
        if (!(D < 1.95 / sqrt((double)n))) FAIL_("gamma(%g): KS distance %g", shapes[s], D);
    }
    tyche_draws_free(d);
    free(x);
}

TEST(a_gsl_generator_draws_reproducibly_by_lane) {
    tyche_draws *d = tyche_draws_alloc("mt19937", SEED, 8, NULL);
    ASSERT(d != NULL);
    uint64_t trial[3] = {5, 6, 7};
    uint32_t redraw[3] = {0, 0, 1};
    const tyche_lanes L = {3, trial, redraw}, L1 = {1, trial + 2, redraw + 2};
    double a[3 * 3], b[3];
    tyche_draws_normals(d, &L, STREAM, 3, a, 3);
    tyche_draws_normals(d, &L1, STREAM, 3, b, 1);
    for (size_t k = 0; k < 3; k++) ASSERT_DBL_IDENTICAL(a[k * 3 + 2], b[k]);
    ASSERT(a[0] != a[1]);
    tyche_draws_free(d);
    tyche_err e;
    ASSERT(tyche_draws_alloc("no-such", SEED, 8, &e) == NULL);
    ASSERT_STR_CONTAINS(e.msg, "--rng");
}
