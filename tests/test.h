/* tyche's test harness: one runner, a registry, typed asserts that print
 * both operands.  A test is `TEST(name) { ... }` in any tests/test_*.c file
 * listed in tests/CMakeLists.txt; `tyche_tests NAME` runs one, `tyche_tests
 * --suite dist` the tests of tests/test_dist.c, `tyche_tests` all.  Statistical tests use a fixed seed and print it on failure. */
#ifndef TYCHE_TEST_H
#define TYCHE_TEST_H

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *file, const char *name, test_fn fn);
extern int test_failed;

#define TEST(name)                                                            \
    static void test_##name(void);                                           \
    __attribute__((constructor)) static void reg_##name(void) {               \
        test_register(__FILE__, #name, test_##name);                                    \
    }                                                                         \
    static void test_##name(void)

#define FAIL_(...)                                                            \
    do {                                                                      \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                       \
        fprintf(stderr, __VA_ARGS__);                                         \
        fputc('\n', stderr);                                                  \
        test_failed = 1;                                                      \
        return;                                                               \
    } while (0)

#define ASSERT(c)                                                             \
    do { if (!(c)) FAIL_("assertion failed: %s", #c); } while (0)
#define ASSERT_INT_EQ(a, b)                                                   \
    do { long long a_ = (long long)(a), b_ = (long long)(b);                  \
         if (a_ != b_) FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); } while (0)
#define ASSERT_STR_EQ(a, b)                                                   \
    do { const char *a_ = (a), *b_ = (b);                                     \
         if (strcmp(a_, b_) != 0) FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_, b_); } while (0)
#define ASSERT_STR_CONTAINS(hay, needle)                                      \
    do { const char *h_ = (hay), *n_ = (needle);                              \
         if (!strstr(h_, n_)) FAIL_("\"%s\" does not contain \"%s\"", h_, n_); } while (0)
/* |a - b| <= tol */
#define ASSERT_NEAR(a, b, tol)                                                \
    do { double a_ = (a), b_ = (b), t_ = (tol);                               \
         if (!(fabs(a_ - b_) <= t_))                                          \
             FAIL_("%s ~ %s: %.17g vs %.17g (diff %.3g > tol %.3g)", #a, #b,  \
                   a_, b_, fabs(a_ - b_), t_); } while (0)
/* bit-identical doubles (NaN == NaN) */
#define ASSERT_DBL_IDENTICAL(a, b)                                            \
    do { double a_ = (a), b_ = (b);                                           \
         if (memcmp(&a_, &b_, sizeof a_) != 0)                                \
             FAIL_("%s identical to %s: %.17g vs %.17g", #a, #b, a_, b_); } while (0)

#endif
