/* The generator: Random123's known-answer vectors, and the stream contract
 * (same (seed, trial, stream, redraw), same numbers; different, different). */
#include <Random123/philox.h>
#include <gsl/gsl_rng.h>
#include "test.h"
#include "tyche/rng.h"

/* Random123 kat_vectors: philox4x32 10, counter and key all zero. */
TEST(philox_matches_the_random123_known_answer_for_zero_counter_and_key) {
    gsl_rng *r = gsl_rng_alloc(tyche_rng_philox);
    gsl_rng_set(r, 0);
    const unsigned long want[4] = {0x6627e8d5UL, 0xe169c58dUL, 0xbc57ac4cUL, 0x9b00dbd8UL};
    for (int i = 0; i < 4; i++) ASSERT_INT_EQ(gsl_rng_get(r), want[i]);
    gsl_rng_free(r);
}

/* Random123 kat_vectors: philox4x32 10 with the digits of pi as counter and key. */
TEST(philox_round_function_matches_the_random123_pi_vector) {
    philox4x32_ctr_t c = {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}};
    philox4x32_key_t k = {{0xa4093822, 0x299f31d0}};
    philox4x32_ctr_t o = philox4x32_R(10, c, k);
    ASSERT_INT_EQ(o.v[0], 0xd16cfe09u);
    ASSERT_INT_EQ(o.v[1], 0x94fdccebu);
    ASSERT_INT_EQ(o.v[2], 0x5001e420u);
    ASSERT_INT_EQ(o.v[3], 0x24126ea1u);
}

/* The stream for (trial, stream, redraw) is block 0.. of counter
 * (blk, stream | redraw << 16, trial lo, trial hi) under key = seed. */
TEST(seek_addresses_the_documented_counter) {
    tyche_err err;
    const uint64_t seed = 0x299f31d0a4093822ULL;
    tyche_rng *r = tyche_rng_alloc("philox", seed, &err);
    ASSERT(r != NULL);
    tyche_rng_seek(r, 0x0370734413198a2eULL, 0x08d3, 0x85a3);
    philox4x32_ctr_t c = {{0, 0x85a308d3, 0x13198a2e, 0x03707344}};
    philox4x32_key_t k = {{0xa4093822, 0x299f31d0}};
    for (uint32_t blk = 0; blk < 3; blk++) {
        c.v[0] = blk;
        philox4x32_ctr_t o = philox4x32_R(10, c, k);
        for (int i = 0; i < 4; i++) ASSERT_INT_EQ(gsl_rng_get(tyche_rng_gsl(r)), o.v[i]);
    }
    tyche_rng_free(r);
}

static void draw(tyche_rng *r, uint64_t trial, uint32_t stream, uint32_t redraw, double *out,
                 int n) {
    tyche_rng_seek(r, trial, stream, redraw);
    for (int i = 0; i < n; i++) out[i] = gsl_rng_uniform(tyche_rng_gsl(r));
}

static void check_streams(const char *name) {
    tyche_err err;
    tyche_rng *a = tyche_rng_alloc(name, 42, &err), *b = tyche_rng_alloc(name, 42, &err);
    tyche_rng *c = tyche_rng_alloc(name, 43, &err);
    ASSERT(a && b && c);
    double x[8], y[8];
    draw(a, 7, 3, 0, x, 8);
    draw(b, 7, 3, 0, y, 8);
    ASSERT(memcmp(x, y, sizeof x) == 0);
    /* interleaving other seeks does not change a stream */
    draw(a, 9, 1, 0, y, 8);
    draw(a, 7, 3, 0, y, 8);
    ASSERT(memcmp(x, y, sizeof x) == 0);
    draw(a, 8, 3, 0, y, 8);
    ASSERT(memcmp(x, y, sizeof x) != 0);
    draw(a, 7, 4, 0, y, 8);
    ASSERT(memcmp(x, y, sizeof x) != 0);
    draw(a, 7, 3, 1, y, 8);
    ASSERT(memcmp(x, y, sizeof x) != 0);
    draw(c, 7, 3, 0, y, 8);
    ASSERT(memcmp(x, y, sizeof x) != 0);
    tyche_rng_free(a);
    tyche_rng_free(b);
    tyche_rng_free(c);
}

TEST(philox_streams_depend_on_seed_trial_stream_and_redraw_only) { check_streams("philox"); }
TEST(gsl_generators_reseeded_per_stream_are_reproducible_too) { check_streams("mt19937"); }

TEST(an_unknown_generator_name_is_refused_with_the_known_ones) {
    tyche_err err;
    ASSERT(tyche_rng_alloc("nonesuch", 1, &err) == NULL);
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "--rng");
    ASSERT_STR_CONTAINS(err.msg, "mt19937");
}

/* Uniform on [0,1): mean 1/2 and variance 1/12, across many short streams
 * (the way the engine uses them). 4 standard errors, seed 2024. */
TEST(short_streams_are_uniform_in_mean_and_variance) {
    tyche_err err;
    tyche_rng *r = tyche_rng_alloc("philox", 2024, &err);
    const int n = 400000;
    double s = 0, s2 = 0;
    for (int i = 0; i < n; i++) {
        tyche_rng_seek(r, (uint64_t)i / 4, (uint32_t)i % 4, 0);
        const double u = gsl_rng_uniform(tyche_rng_gsl(r));
        s += u;
        s2 += u * u;
    }
    const double mean = s / n, var = s2 / n - mean * mean;
    ASSERT_NEAR(mean, 0.5, 4 * sqrt(1.0 / 12 / n));
    /* Var of U^2 is 4/45; the variance estimate's error is about sqrt((1/80 - 1/144)/n) */
    ASSERT_NEAR(var, 1.0 / 12, 4 * sqrt((1.0 / 80 - 1.0 / 144) / n));
    tyche_rng_free(r);
}
