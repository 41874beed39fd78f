/* Expressions (src/expr.c): parse errors with their positions, precedence,
 * every function and operator, NaN, the draws' distributions and sites,
 * and a block of lanes against the same lanes one at a time; statements
 * with {"expr": ...} (src/statement.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "test.h"
#include "expr.h"
#include "draws.h"
#include "statement.h"
#include "kind.h"

/* The names of these tests: a = 2, b = 3, c = -1, n = NaN, inf = +inf, in
 * slots 0-4; "m.x" is slot 5 (= 10); "bad" is refused. */
static const char *const names[] = {"a", "b", "c", "n", "inf", "m.x"};
#define N_NAMES 6
static int resolve(void *ctx, const char *name, uint32_t *slot, char *why, size_t len) {
    (void)ctx;
    if (strcmp(name, "bad") == 0) {
        snprintf(why, len, "\"bad\" is refused");
        return -1;
    }
    for (uint32_t k = 0; k < N_NAMES; k++)
        if (strcmp(names[k], name) == 0) return *slot = k, 1;
    return 0;
}
static void known(void *ctx, char *buf, size_t len) {
    (void)ctx;
    snprintf(buf, len, "a, b, c, n, inf, m.x");
}
static const tyche_expr_scope scope = {.resolve = resolve, .known = known, .allow_draws = 1};

/* One lane: the value of src with the names above (NaN and a message on error). */
static double value_of(const char *src, char *msg) {
    tyche_err err = {0};
    tyche_expr *e;
    if (tyche_expr_compile(src, "x", &scope, &e, &err) != TYCHE_OK) {
        if (msg) snprintf(msg, TYCHE_ERR_MAX, "%s", err.msg);
        return NAN;
    }
    const double v[N_NAMES] = {2, 3, -1, NAN, INFINITY, 10};
    double stack[64], r;
    const tyche_expr_frame f = {.base = v, .stride = 1};
    if (tyche_expr_stack_rows(e) > 64) abort();
    tyche_expr_eval(e, &f, 1, stack, &r);
    tyche_expr_free(e);
    if (msg) msg[0] = '\0';
    return r;
}

static const struct { const char *src; double want; } values[] = {
    /* precedence and associativity */
    {"1 + 2 * 3", 7},           {"(1 + 2) * 3", 9},        {"1 - 2 - 3", -4},
    {"8 / 4 / 2", 1},           {"2 ^ 3 ^ 2", 512},        {"-2 ^ 2", -4},
    {"2 ^ -1", 0.5},            {"(-2) ^ 2", 4},           {"- - a", 2},
    {"+a", 2},                  {"a * b - c", 7},          {"a - b * c", 5},
    {"-a * b", -6},             {"1 + 2 == 3", 1},
    {"not 1 < 2", 0},           {"!0", 1},                 {"not not 3", 1},
    {"1 < 2 and 3 < 2 or 1", 1}, {"0 or 1 and 0", 0},      {"1 || 0 && 0", 1},
    {"a > 1 && b > 2", 1},      {"2 * a ^ 2", 8},          {"m.x / a", 5},
    /* numbers */
    {"1e-3 * 1000", 1},         {".5 + 5.", 5.5},          {"007", 7},
    {"2.5E+1", 25},             {"1.25e0", 1.25},
    /* comparisons */
    {"a < b", 1},   {"a <= 2", 1}, {"a > b", 0}, {"b >= 3", 1}, {"a == 2", 1}, {"a != 2", 0},
    {"a != b", 1},
    /* every function */
    {"exp(0)", 1},           {"log(1)", 0},       {"sqrt(16)", 4},
    {"abs(c)", 1},           {"floor(-1.5)", -2},      {"ceil(-1.5)", -1},
    {"pow(2, 10)", 1024},    {"min(3, 1, 2)", 1},      {"max(3, 1, 2)", 3},
    {"min(a, b)", 2},        {"max(a, c)", 2},         {"if(1, 2, 3)", 2},
    {"if(0, 2, 3)", 3},      {"if(a > b, a, b)", 3},   {"clamp(5, 0, 1)", 1},
    {"clamp(-5, 0, 1)", 0},  {"clamp(0.5, 0, 1)", 0.5}, {"clamp(inf, 0, 1)", 1},
    /* NaN: comparisons false (!= too), false as a truth value */
    {"n < 1", 0},    {"n > 1", 0},    {"n == n", 0},   {"n != 1", 0},  {"n != n", 0},
    {"not n", 1},    {"n and 1", 0},  {"n or 1", 1},   {"if(n, 1, 2)", 2},
    {"1 / 0", INFINITY}, {"-1 / 0", -INFINITY}, {"inf > 1e308", 1}, {"if(inf, 1, 2)", 1},
};

static int same(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

TEST(expressions_follow_precedence_and_every_function_its_definition) {
    char msg[TYCHE_ERR_MAX];
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
        const double v = value_of(values[k].src, msg);
        if (msg[0]) FAIL_("%s: %s", values[k].src, msg);
        if (!same(v, values[k].want)) FAIL_("%s = %.17g, want %.17g", values[k].src, v, values[k].want);
    }
    ASSERT_NEAR(value_of("exp(1)", NULL), exp(1.0), 0);
    ASSERT_NEAR(value_of("log(exp(2))", NULL), 2, 1e-15);
    ASSERT_NEAR(value_of("sqrt(2)", NULL), sqrt(2.0), 0);
    ASSERT_NEAR(value_of("0.1 + 0.2", NULL), 0.1 + 0.2, 0);
}

TEST(nan_goes_through_arithmetic_and_functions_without_stopping) {
    static const char *const nan_srcs[] = {
        "n + 1", "-n", "n * 0", "exp(n)", "log(-1)", "sqrt(-1)", "0 / 0", "min(n, 1)", "min(1, n)",
        "max(n, 1)", "max(1, n)", "clamp(n, 0, 1)", "clamp(0.5, 1, 0)", "clamp(0.5, n, 1)",
        "if(1, n, 2)", "inf - inf", "pow(-8, 1 / 3)", "abs(n)", "floor(n)", "ceil(n)"};
    for (size_t k = 0; k < sizeof nan_srcs / sizeof nan_srcs[0]; k++) {
        char msg[TYCHE_ERR_MAX];
        const double v = value_of(nan_srcs[k], msg);
        if (msg[0]) FAIL_("%s: %s", nan_srcs[k], msg);
        if (!isnan(v)) FAIL_("%s = %.17g, want NaN", nan_srcs[k], v);
    }
}

static const struct { const char *src, *msg; } errors[] = {
    {"a + sigmaa", "x: at character 5: unknown name \"sigmaa\" (known: a, b, c, n, inf, m.x)"},
    {"max(a, (b + c)", "x: at character 15: expected \",\" or \")\" in the arguments of max, got the end"},
    {"(a + b", "x: at character 7: expected \")\", got the end"},
    {"normal(a)", "x: at character 1: normal takes 2 arguments, got 1"},
    {"exp()", "x: at character 1: exp takes 1 argument, got 0"},
    {"min(1)", "x: at character 1: min takes at least 2 arguments, got 1"},
    {"if(1, 2)", "x: at character 1: if takes 3 arguments, got 2"},
    {"a +", "x: at character 4: expected a number, a name or \"(\", got the end"},
    {"", "x: at character 1: expected a number, a name or \"(\", got the end"},
    {"a b", "x: at character 3: unexpected \"b\" (expected an operator or the end)"},
    {"a < b < c", "x: at character 7: comparisons do not chain"},
    {"a = b", "x: at character 3: unexpected \"=\" (write == to compare)"},
    {"a & b", "x: at character 3: unexpected \"&\""},
    {"a ** 2", "x: at character 3: unexpected \"**\" (write ^ for a power)"},
    {"foo(1)", "x: at character 1: unknown function \"foo\""},
    {"1 + exp", "x: at character 5: exp is a function: write exp(...)"},
    {"2x", "x: at character 1: malformed number \"2x\""},
    {"1e+", "x: at character 1: malformed number \"1e+\" (an exponent needs digits)"},
    {"1.2.3", "x: at character 1: malformed number \"1.2.3\""},
    {"1e999", "x: at character 1: number \"1e999\" is out of range"},
    {"a + bad", "x: at character 5: \"bad\" is refused"},
    {"m.", "x: at character 1: expected an output name after \"m.\""},
    {"a.b.c", "x: at character 4: a name has at most one '.'"},
    {"a # b", "x: at character 3: unexpected character '#'"},
    {"a\x01", "x: at character 2: unexpected character (byte 0x01)"},
    {"max(a b)", "x: at character 7: expected \",\" or \")\" in the arguments of max, got \"b\""},
};

TEST(parse_errors_name_the_character_and_what_was_expected) {
    for (size_t k = 0; k < sizeof errors / sizeof errors[0]; k++) {
        tyche_err err = {0};
        tyche_expr *e = (tyche_expr *)1;
        const tyche_status st = tyche_expr_compile(errors[k].src, "x", &scope, &e, &err);
        if (st != TYCHE_EINPUT) FAIL_("%s: status %d, want TYCHE_EINPUT", errors[k].src, (int)st);
        if (e != NULL) FAIL_("%s: *out not NULL on failure", errors[k].src);
        if (strstr(err.msg, errors[k].msg) != err.msg)
            FAIL_("%s: message \"%s\", want it to start \"%s\"", errors[k].src, err.msg, errors[k].msg);
    }
    /* draws where the scope refuses them */
    tyche_expr_scope no_draws = scope;
    no_draws.allow_draws = 0;
    tyche_err err = {0};
    tyche_expr *e;
    ASSERT_INT_EQ(tyche_expr_compile("1 + uniform(0, 1)", "s", &no_draws, &e, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "s: at character 5: uniform is a random draw");
}

TEST(nesting_is_bounded_with_a_clear_error_and_the_stack_is_sized) {
    char src[400];
    size_t k = 0;
    for (int i = 0; i < TYCHE_EXPR_MAX_NESTING; i++) src[k++] = '(';
    src[k++] = 'a';
    for (int i = 0; i < TYCHE_EXPR_MAX_NESTING; i++) src[k++] = ')';
    src[k] = '\0';
    char msg[TYCHE_ERR_MAX];
    ASSERT_NEAR(value_of(src, msg), 2, 0); /* 64 levels: fine */
    memmove(src + 1, src, k + 1);
    src[0] = '(';
    src[k + 1] = ')';
    src[k + 2] = '\0';
    tyche_err err = {0};
    tyche_expr *e;
    ASSERT_INT_EQ(tyche_expr_compile(src, "x", &scope, &e, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "x: at character 65: nested too deeply (more than 64 levels)");
    /* unary minus and not count too */
    memset(src, '-', 100);
    strcpy(src + 100, "a");
    ASSERT_INT_EQ(tyche_expr_compile(src, "x", &scope, &e, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "nested too deeply");
    /* the scratch: a right-leaning sum needs one column per term; a draw
     * one above its arguments */
    ASSERT_INT_EQ(tyche_expr_compile("1 + (2 + (3 + 4))", "x", &scope, &e, &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_expr_stack_rows(e), 4);
    tyche_expr_free(e);
    ASSERT_INT_EQ(tyche_expr_compile("1 + 2 + 3 + 4", "x", &scope, &e, &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_expr_stack_rows(e), 2);
    tyche_expr_free(e);
    ASSERT_INT_EQ(tyche_expr_compile("normal(0, 1)", "x", &scope, &e, &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_expr_stack_rows(e), 3);
    ASSERT_INT_EQ(tyche_expr_n_sites(e), 1);
    tyche_expr_free(e);
}

#define SEED 20261201u

static tyche_expr *compile_or_die(const char *src, uint32_t first_site) {
    tyche_expr_scope s = scope;
    s.first_site = first_site;
    tyche_err err = {0};
    tyche_expr *e = NULL;
    if (tyche_expr_compile(src, "x", &s, &e, &err) != TYCHE_OK) {
        fprintf(stderr, "%s: %s\n", src, err.msg);
        return NULL;
    }
    return e;
}

/* out[i] for trials 0 .. count - 1, TYCHE_LANES at a time (the slots: a, b, c
 * constant, n NaN, inf, m.x = the trial index / count) */
static int eval_trials(const tyche_expr *e, tyche_draws *d, size_t count, size_t lanes, double *out) {
    double cols[N_NAMES][TYCHE_LANES];
    uint64_t trial[TYCHE_LANES];
    uint32_t redraw[TYCHE_LANES] = {0};
    double *stack = malloc(tyche_expr_stack_rows(e) * TYCHE_LANES * sizeof *stack);
    if (stack == NULL) return 0;
    for (size_t at = 0; at < count; at += lanes) {
        const size_t n = count - at < lanes ? count - at : lanes;
        for (size_t i = 0; i < n; i++) {
            trial[i] = at + i;
            cols[0][i] = 2, cols[1][i] = 3, cols[2][i] = -1, cols[3][i] = NAN, cols[4][i] = INFINITY;
            cols[5][i] = (double)(at + i) / (double)count;
        }
        const double *ptr[N_NAMES] = {cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]};
        const tyche_lanes L = {n, trial, redraw};
        const tyche_expr_frame f = {.cols = ptr, .draws = d, .lanes = &L, .stream = 16};
        tyche_expr_eval(e, &f, n, stack, out + at);
    }
    free(stack);
    return 1;
}

TEST(a_block_of_lanes_gives_the_bits_of_each_lane_alone) {
    const char *src =
        "if(m.x < 0.5, normal(a, b) * m.x, lognormal(b, 0.5)) + uniform(c, a) ^ 2 - "
        "exponential(1 + m.x) / max(m.x, 0.01, c) + bernoulli(m.x) * exp(-m.x) - log(1 + m.x) + "
        "sqrt(m.x) * pow(m.x, 1.5) + clamp(m.x * 3, 1, 2) + (m.x > 0.3 and m.x <= 0.9 or not (m.x != 0.2)) "
        "+ floor(m.x * 7) - ceil(m.x * 5) + abs(c * m.x) + min(m.x, 0.4)";
    tyche_expr *e = compile_or_die(src, 0);
    ASSERT(e != NULL);
    ASSERT_INT_EQ(tyche_expr_n_sites(e), 5);
    enum { COUNT = 1000 };
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, TYCHE_LANES, NULL);
    double *wide = malloc(COUNT * sizeof *wide), *one = malloc(COUNT * sizeof *one),
           *odd = malloc(COUNT * sizeof *odd);
    ASSERT(d && wide && one && odd);
    ASSERT(eval_trials(e, d, COUNT, TYCHE_LANES, wide));
    ASSERT(eval_trials(e, d, COUNT, 1, one));
    ASSERT(eval_trials(e, d, COUNT, 37, odd));
    for (size_t i = 0; i < COUNT; i++) {
        ASSERT(isfinite(wide[i]));
        ASSERT_DBL_IDENTICAL(wide[i], one[i]);
        ASSERT_DBL_IDENTICAL(wide[i], odd[i]);
    }
    tyche_expr_free(e);
    /* a NaN column: every lane NaN, none stopped */
    const char *finite = "normal(a, b) * m.x + uniform(c, a) + exponential(1 + m.x) + 0 * n";
    e = compile_or_die(finite, 0);
    ASSERT(e != NULL);
    ASSERT(eval_trials(e, d, COUNT, TYCHE_LANES, wide));
    ASSERT(eval_trials(e, d, COUNT, 1, one));
    for (size_t i = 0; i < COUNT; i++) {
        ASSERT(isnan(wide[i]));
        ASSERT_DBL_IDENTICAL(wide[i], one[i]);
    }
    tyche_expr_free(e);
    free(wide);
    free(one);
    free(odd);
    tyche_draws_free(d);
}

/* mean and variance of out[0..n) */
static void moments(const double *x, size_t n, double *mean, double *var) {
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    *mean = s / (double)n;
    for (size_t i = 0; i < n; i++) ss += (x[i] - *mean) * (x[i] - *mean);
    *var = ss / (double)(n - 1);
}

TEST(draws_have_their_distributions_and_each_site_its_own_numbers) {
    enum { COUNT = 100000 };
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, TYCHE_LANES, NULL);
    double *x = malloc(COUNT * sizeof *x), *y = malloc(COUNT * sizeof *y);
    ASSERT(d && x && y);
    const double N = COUNT;
    static const struct { const char *src; double mean, var; } cases[] = {
        {"normal(1, 2)", 1, 4},
        {"lognormal(2, 0.5)", 2 * 1.1331484530668263 /* exp(0.125) */,
         4 * 1.2840254166877414 * (1.2840254166877414 - 1) /* m^2 e^{s^2} (e^{s^2} - 1) */},
        {"uniform(2, 5)", 3.5, 9.0 / 12},
        {"bernoulli(0.3)", 0.3, 0.21},
        {"exponential(2)", 0.5, 0.25},
        /* two sites: independent, so the variance adds up (the same uniform would give 0) */
        {"normal(0, 1) - normal(0, 1)", 0, 2},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        tyche_expr *e = compile_or_die(cases[k].src, 0);
        ASSERT(e != NULL);
        ASSERT(eval_trials(e, d, COUNT, TYCHE_LANES, x));
        tyche_expr_free(e);
        double m, v;
        moments(x, COUNT, &m, &v);
        const double se = sqrt(cases[k].var / N);
        if (fabs(m - cases[k].mean) > 4 * se)
            FAIL_("%s: mean %.6g, want %.6g +- 4 x %.3g (seed %u)", cases[k].src, m, cases[k].mean, se,
                  SEED);
        if (fabs(v / cases[k].var - 1) > 0.05)
            FAIL_("%s: variance %.6g, want %.6g (seed %u)", cases[k].src, v, cases[k].var, SEED);
    }
    /* P(normal > 1.645) = 0.05 */
    tyche_expr *e = compile_or_die("normal(0, 1) > 1.645", 0);
    ASSERT(e && eval_trials(e, d, COUNT, TYCHE_LANES, x));
    tyche_expr_free(e);
    double m, v;
    moments(x, COUNT, &m, &v);
    ASSERT_NEAR(m, 0.049985, 4 * sqrt(0.05 * 0.95 / N));
    /* arguments out of the domain: NaN */
    static const char *const bad[] = {"normal(0, -1)", "lognormal(0, 1)", "lognormal(1, -1)",
                                      "uniform(3, 2)", "bernoulli(1.5)", "bernoulli(-0.1)",
                                      "exponential(0)", "exponential(n)", "normal(n, 1)"};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        e = compile_or_die(bad[k], 0);
        ASSERT(e && eval_trials(e, d, 300, TYCHE_LANES, x));
        tyche_expr_free(e);
        for (size_t i = 0; i < 300; i++)
            if (!isnan(x[i])) FAIL_("%s: lane %zu = %g, want NaN", bad[k], i, x[i]);
    }
    /* site j is block first_site + j whatever the branch: the second site
     * of "if(...)" is the first of an expression that starts at site 1 */
    e = compile_or_die("if(m.x < 0.5, 0, normal(0, 1)) + 0 * normal(0, 1) + normal(5, 1)", 0);
    ASSERT(e && eval_trials(e, d, 2000, TYCHE_LANES, x));
    tyche_expr_free(e);
    e = compile_or_die("normal(5, 1)", 2);
    ASSERT(e && eval_trials(e, d, 2000, TYCHE_LANES, y));
    tyche_expr_free(e);
    e = compile_or_die("normal(0, 1)", 0);
    double *z0 = malloc(2000 * sizeof *z0);
    ASSERT(z0 && e && eval_trials(e, d, 2000, TYCHE_LANES, z0));
    tyche_expr_free(e);
    for (size_t i = 0; i < 2000; i++) {
        const double first = (double)i / 2000 < 0.5 ? 0 : z0[i];
        ASSERT_DBL_IDENTICAL(x[i], first + 0 * 0 + y[i]);
    }
    free(z0);
    free(x);
    free(y);
    tyche_draws_free(d);
}

/* ---- statements with expressions ---------------------------------------------- */

static const char *const st_names[3] = {"m.t", "m.v", "k.w"};
static size_t st_find(const void *ctx, const char *name) {
    (void)ctx;
    for (size_t i = 0; i < 3; i++)
        if (strcmp(st_names[i], name) == 0) return i;
    return (size_t)-1;
}
static const char *st_name(const void *ctx, size_t i) {
    (void)ctx;
    return st_names[i];
}
static tyche_output_type st_type(const void *ctx, size_t i) {
    (void)ctx;
    return i == 0 ? TYCHE_OUTPUT_TIME : TYCHE_OUTPUT_VALUE;
}
static size_t st_none(const void *ctx, const char *id, size_t before) {
    (void)ctx, (void)id, (void)before;
    return (size_t)-1;
}

TEST(a_statement_rule_may_be_an_expression_nested_or_not) {
    const tyche_stmt_scope sc = {.n_outputs = 3, .find_output = st_find, .output_name = st_name,
                                 .output_type = st_type, .find_statement = st_none,
                                 .start = 20454, .horizon = 20818};
    cJSON *rule = cJSON_Parse("{\"all\": [{\"expr\": \"m.v - k.w > 0\"}, {\"not\": {\"expr\": \"m.t <= 30 or k.w\"}},"
                              " {\"value\": \"m.v\", \"<\": 100}]}");
    ASSERT(rule != NULL);
    tyche_statement st = {0};
    tyche_err err = {0};
    if (tyche_statement_compile(&sc, 0, rule, "r", &st, &err) != TYCHE_OK) FAIL_("%s", err.msg);
    cJSON_Delete(rule);
    ASSERT_STR_EQ(st.rule_text, "((m.v - k.w > 0) and not (m.t <= 30 or k.w) and m.v < 100)");
    ASSERT_INT_EQ(st.n_exprs, 2);
    ASSERT_INT_EQ(st.expr_at % 8, 0);
    ASSERT_INT_EQ(st.max_stack, st.expr_at + 2 * sizeof(double)); /* two columns: m.v - k.w, then > 0 */
    /* rows: (m.t, v, k.w ...) trials as SoA, each against one at a time */
    enum { N = 7 };
    const double t[N] = {10, 40, 40, 40, INFINITY, 40, NAN};
    const double v[N] = {5, 5, 5, 1, 5, NAN, 5};
    const double w[N] = {1, 0, NAN, 0, 0, 0, 0};
    const uint8_t want[N] = {0, 1, 0, 1, 1, 0, 1};
    double soa[3 * N];
    for (size_t i = 0; i < N; i++) soa[i] = t[i], soa[N + i] = v[i], soa[2 * N + i] = w[i];
    double *stack = NULL;
    ASSERT((stack = malloc(st.max_stack * N + 8)) != NULL);
    uint8_t got[N];
    tyche_statement_eval_lanes(&st, soa, NULL, N, N, (uint8_t *)stack, got);
    for (size_t i = 0; i < N; i++) {
        const double row[3] = {t[i], v[i], w[i]};
        const uint8_t one = tyche_statement_eval(&st, row, NULL, (uint8_t *)stack);
        if (one != want[i] || got[i] != want[i])
            FAIL_("trial %zu: scalar %d, lanes %d, want %d", i, one, got[i], want[i]);
    }
    tyche_statement_release(&st);
    /* a value, not a comparison: true when nonzero and not NaN */
    rule = cJSON_Parse("{\"expr\": \"m.v * k.w\"}");
    ASSERT(rule != NULL);
    if (tyche_statement_compile(&sc, 0, rule, "r", &st, &err) != TYCHE_OK) FAIL_("%s", err.msg);
    cJSON_Delete(rule);
    ASSERT_STR_EQ(st.rule_text, "m.v * k.w");
    const uint8_t want2[N] = {1, 0, 0, 0, 0, 0, 0}; /* 5, 0, NaN, 0, 0, NaN, 0 */
    tyche_statement_eval_lanes(&st, soa, NULL, N, N, (uint8_t *)stack, got);
    for (size_t i = 0; i < N; i++) {
        const double row[3] = {t[i], v[i], w[i]};
        const uint8_t one = tyche_statement_eval(&st, row, NULL, (uint8_t *)stack);
        if (one != want2[i] || got[i] != want2[i])
            FAIL_("m.v * k.w, trial %zu: scalar %d, lanes %d, want %d", i, one, got[i], want2[i]);
    }
    tyche_statement_release(&st);
    free(stack);
    /* errors name the rule's path and the character; draws are refused */
    static const struct { const char *rule, *msg; } bad[] = {
        {"{\"expr\": \"m.v > \"}", "r.expr: at character 7: expected a number"},
        {"{\"any\": [{\"expr\": \"m.vv > 1\"}]}",
         "r.any[0].expr: at character 1: unknown name \"m.vv\" (known: m.t, m.v, k.w)"},
        {"{\"expr\": \"normal(0, 1) > 0\"}", "r.expr: at character 1: normal is a random draw"},
        {"{\"expr\": 3}", "r.expr: expected an expression (a string), got a number"},
        {"{\"expr\": \"1\", \"by\": \"2026-01-02\"}", "r: unknown key \"by\""},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        cJSON *r = cJSON_Parse(bad[k].rule);
        ASSERT(r != NULL);
        tyche_statement s2 = {0};
        const tyche_status rc = tyche_statement_compile(&sc, 0, r, "r", &s2, &err);
        cJSON_Delete(r);
        if (rc != TYCHE_EINPUT) FAIL_("%s: status %d", bad[k].rule, (int)rc);
        if (!strstr(err.msg, bad[k].msg)) FAIL_("%s: \"%s\" lacks \"%s\"", bad[k].rule, err.msg, bad[k].msg);
    }
}

/* Random expressions from the grammar, some with a character deleted,
 * doubled or replaced: whatever compiles evaluates within the scratch it
 * asked for (exactly that much is allocated, so ASan sees an overrun) and
 * gives each lane's bits alone; whatever does not fails with a position.
 * A fixed generator, so a failure repeats. */
static uint64_t rng_state = 88172645463325252ull;
static uint64_t next_u64(void) {
    rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
    return rng_state;
}
static void gen(char *buf, size_t *len, size_t cap, int depth) {
    static const char *const leaves[] = {"a", "b", "c", "n", "inf", "m.x", "1", "0", "2.5", "1e-3", ".5"};
    static const char *const bins[] = {" + ", " - ", " * ", " / ", " ^ ", " < ", " <= ", " > ", " >= ",
                                       " == ", " != ", " and ", " or ", " && ", " || "};
    static const struct { const char *name; int args; } fns[] = {
        {"exp", 1}, {"log", 1}, {"sqrt", 1}, {"abs", 1}, {"floor", 1}, {"ceil", 1}, {"pow", 2},
        {"min", 3}, {"max", 2}, {"if", 3}, {"clamp", 3}, {"normal", 2}, {"lognormal", 2},
        {"uniform", 2}, {"bernoulli", 1}, {"exponential", 1}};
#define PUT(str) do { const char *s_ = (str); size_t l_ = strlen(s_); \
        if (*len + l_ < cap) memcpy(buf + *len, s_, l_), *len += l_; } while (0)
    const uint64_t r = next_u64();
    const int kind = depth <= 0 ? 0 : (int)(r % 6);
    switch (kind) {
    case 0: PUT(leaves[(r >> 8) % (sizeof leaves / sizeof leaves[0])]); break;
    case 1: case 2:
        gen(buf, len, cap, depth - 1);
        PUT(bins[(r >> 8) % (sizeof bins / sizeof bins[0])]);
        gen(buf, len, cap, depth - 1);
        break;
    case 3: PUT((r >> 8) % 2 ? "-" : "not "); gen(buf, len, cap, depth - 1); break;
    case 4: PUT("("); gen(buf, len, cap, depth - 1); PUT(")"); break;
    default: {
        const size_t f = (r >> 8) % (sizeof fns / sizeof fns[0]);
        PUT(fns[f].name);
        PUT("(");
        for (int k = 0; k < fns[f].args; k++) {
            if (k) PUT(", ");
            gen(buf, len, cap, depth - 1);
        }
        PUT(")");
    }
    }
#undef PUT
}

TEST(random_expressions_compile_or_fail_cleanly_and_stay_in_their_scratch) {
    tyche_draws *d = tyche_draws_alloc(NULL, SEED, TYCHE_LANES, NULL);
    ASSERT(d != NULL);
    size_t compiled = 0, refused = 0;
    for (int k = 0; k < 20000; k++) {
        char src[1200];
        size_t len = 0;
        gen(src, &len, sizeof src - 2, (int)(next_u64() % 7));
        src[len] = '\0';
        const uint64_t m = next_u64();
        if (m % 4 == 0 && len > 0) { /* mutate one character */
            static const char junk[] = "()+-*/^<>=!&|,.e0123456789abmx ";
            const size_t at = (m >> 8) % len;
            switch ((m >> 40) % 3) {
            case 0: memmove(src + at, src + at + 1, len - at); len--; break;
            case 1: memmove(src + at + 1, src + at, len - at + 1); len++; break;
            default: src[at] = junk[(m >> 20) % (sizeof junk - 1)]; break;
            }
        }
        tyche_err err = {0};
        tyche_expr *e = NULL;
        const tyche_status st = tyche_expr_compile(src, "x", &scope, &e, &err);
        if (st != TYCHE_OK) {
            if (st != TYCHE_EINPUT || strncmp(err.msg, "x: at character ", 16) != 0 || e != NULL)
                FAIL_("\"%s\": status %d, message \"%s\"", src, (int)st, err.msg);
            refused++;
            continue;
        }
        compiled++;
        enum { L = 5 };
        double *stack = malloc(tyche_expr_stack_rows(e) * L * sizeof *stack);
        double *one = malloc(tyche_expr_stack_rows(e) * sizeof *one);
        ASSERT(stack && one);
        double cols[N_NAMES][L];
        uint64_t trial[L];
        uint32_t redraw[L] = {0};
        for (size_t i = 0; i < L; i++) {
            trial[i] = (uint64_t)k * L + i;
            cols[0][i] = 2, cols[1][i] = 3, cols[2][i] = -1, cols[3][i] = NAN, cols[4][i] = INFINITY;
            cols[5][i] = (double)i / 4;
        }
        const double *ptr[N_NAMES] = {cols[0], cols[1], cols[2], cols[3], cols[4], cols[5]};
        const tyche_lanes lanes = {L, trial, redraw};
        double res[L];
        const tyche_expr_frame f = {.cols = ptr, .draws = d, .lanes = &lanes, .stream = 16};
        tyche_expr_eval(e, &f, L, stack, res);
        for (size_t i = 0; i < L; i++) {
            const double *p1[N_NAMES] = {cols[0] + i, cols[1] + i, cols[2] + i,
                                         cols[3] + i, cols[4] + i, cols[5] + i};
            const tyche_lanes l1 = {1, trial + i, redraw};
            const tyche_expr_frame f1 = {.cols = p1, .draws = d, .lanes = &l1, .stream = 16};
            double x;
            tyche_expr_eval(e, &f1, 1, one, &x);
            if (memcmp(&x, &res[i], sizeof x) != 0)
                FAIL_("\"%s\": lane %zu alone %.17g, in the block %.17g", src, i, x, res[i]);
        }
        free(stack);
        free(one);
        tyche_expr_free(e);
    }
    tyche_draws_free(d);
    /* both outcomes, or the test tests less than it says */
    if (compiled < 5000 || refused < 1000) FAIL_("compiled %zu, refused %zu of 20000", compiled, refused);
}
