/* Statements on hand-made outputs: dates at the day's end, missing values,
 * bands, all/any/not and references; and the errors for bad rules. */
#include <cjson/cJSON.h>
#include "scenario_impl.h"
#include "scen.h"
#include "test.h"

static tyche_scenario *with_statements(const char *st, tyche_err *err) {
    return option_scenario(DEFAULT_OPTION_PARAMS, st, err);
}

/* outputs: exercise_time, board_time, valuation_at_deadline */
static uint8_t eval(const tyche_scenario *s, size_t i, double ex, double bo, double val,
                    const uint8_t *done) {
    double out[3] = {ex, bo, val};
    uint8_t stack[64];
    return tyche_statement_eval(&s->statements[i], out, done, stack);
}

TEST(an_event_by_a_date_counts_until_the_end_of_that_day) {
    tyche_err err;
    tyche_scenario *s = with_statements(
        "{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"event\": \"option.exercise_time\", \"by\": \"2026-04-21\"}},"
        "{\"id\": \"b\", \"text\": \"t\", \"rule\": {\"event\": \"option.exercise_time\", \"after\": \"2026-04-21\"}}",
        &err);
    ASSERT(s != NULL);
    /* start 2026-04-20 is t = 0; the end of 2026-04-21 is t = 2 */
    ASSERT_INT_EQ(eval(s, 0, 2.0, 0, 0, NULL), 1);
    ASSERT_INT_EQ(eval(s, 0, nextafter(2.0, 3), 0, 0, NULL), 0);
    ASSERT_INT_EQ(eval(s, 0, INFINITY, 0, 0, NULL), 0);
    ASSERT_INT_EQ(eval(s, 1, 2.0, 0, 0, NULL), 0);
    ASSERT_INT_EQ(eval(s, 1, INFINITY, 0, 0, NULL), 1);
    tyche_scenario_free(s);
}

TEST(value_comparisons_and_bands_are_false_on_missing_values) {
    tyche_err err;
    tyche_scenario *s = with_statements(
        "{\"id\": \"ge\", \"text\": \"t\", \"rule\": {\"value\": \"option.valuation_at_deadline\", \">=\": 500}},"
        "{\"id\": \"band\", \"text\": \"t\", \"rule\": {\"value\": \"option.valuation_at_deadline\", \"between\": [5, 8]}},"
        "{\"id\": \"lt\", \"text\": \"t\", \"rule\": {\"value\": \"option.valuation_at_deadline\", \"<\": 5}}",
        &err);
    ASSERT(s != NULL);
    ASSERT_INT_EQ(eval(s, 0, 0, 0, 500, NULL), 1);
    ASSERT_INT_EQ(eval(s, 0, 0, 0, 499.9, NULL), 0);
    ASSERT_INT_EQ(eval(s, 0, 0, 0, NAN, NULL), 0);
    ASSERT_INT_EQ(eval(s, 1, 0, 0, 5, NULL), 1);
    ASSERT_INT_EQ(eval(s, 1, 0, 0, 8, NULL), 1);
    ASSERT_INT_EQ(eval(s, 1, 0, 0, 8.0001, NULL), 0);
    ASSERT_INT_EQ(eval(s, 1, 0, 0, NAN, NULL), 0);
    ASSERT_INT_EQ(eval(s, 2, 0, 0, 4.9, NULL), 1);
    ASSERT_INT_EQ(eval(s, 2, 0, 0, NAN, NULL), 0);
    tyche_scenario_free(s);
}

TEST(all_any_not_and_statement_references_combine) {
    tyche_err err;
    tyche_scenario *s = with_statements(
        "{\"id\": \"x\", \"text\": \"t\", \"rule\": {\"event\": \"option.exercise_time\", \"by\": \"2027-06-30\"}},"
        "{\"id\": \"y\", \"text\": \"t\", \"rule\": {\"any\": [{\"statement\": \"x\"},"
        "  {\"value\": \"option.valuation_at_deadline\", \">\": 1000}]}},"
        "{\"id\": \"z\", \"text\": \"t\", \"rule\": {\"all\": [{\"statement\": \"y\"},"
        "  {\"not\": {\"event\": \"option.board_time\", \"by\": \"2027-06-30\"}}]}}",
        &err);
    ASSERT(s != NULL);
    for (int x = 0; x < 2; x++)
        for (int big = 0; big < 2; big++)
            for (int board = 0; board < 2; board++) {
                uint8_t done[3];
                const double ex = x ? 10 : INFINITY, bo = board ? 20 : INFINITY;
                const double v = big ? 2000 : 100;
                done[0] = eval(s, 0, ex, bo, v, done);
                done[1] = eval(s, 1, ex, bo, v, done);
                done[2] = eval(s, 2, ex, bo, v, done);
                ASSERT_INT_EQ(done[0], x);
                ASSERT_INT_EQ(done[1], x || big);
                ASSERT_INT_EQ(done[2], (x || big) && !board);
            }
    ASSERT_STR_CONTAINS(s->statements[2].rule_text, "not option.board_time by 2027-06-30");
    tyche_scenario_free(s);
}

static void expect_error(const char *statements, const char *fragment) {
    tyche_err err = {0};
    tyche_scenario *s = with_statements(statements, &err);
    if (s != NULL) {
        tyche_scenario_free(s);
        FAIL_("accepted: %s", statements);
    }
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, fragment);
}

TEST(bad_rules_are_refused_with_their_json_path) {
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"event\": \"option.nope\", \"by\": \"2027-01-01\"}}",
                 "test.json: statements[0].rule.event: no output named \"option.nope\"");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"event\": \"option.valuation_at_deadline\", \"by\": \"2027-01-01\"}}",
                 "statements[0].rule.event: \"option.valuation_at_deadline\" is a value");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"all\": [{\"event\": \"option.exercise_time\", \"by\": \"2027-02-30\"}]}}",
                 "statements[0].rule.all[0].by: \"2027-02-30\" is not a calendar date");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"value\": \"option.valuation_at_deadline\", \"between\": [8, 5]}}",
                 "statements[0].rule.between");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"statement\": \"a\"}}",
                 "statements[0].rule.statement: \"a\" is not a statement listed before this one");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"sometimes\": 1}}",
                 "statements[0].rule: unknown rule \"sometimes\"");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"all\": []}}",
                 "statements[0].rule.all: expected a non-empty array");
    expect_error("{\"id\": \"a\", \"text\": \"t\"}", "statements[0]: missing key \"rule\"");
    expect_error("{\"id\": \"a.b\", \"text\": \"t\", \"rule\": {\"statement\": \"x\"}}",
                 "statements[0].id");
    expect_error("{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"event\": \"option.exercise_time\", \"by\": \"2027-01-01\"}},"
                 "{\"id\": \"a\", \"text\": \"t\", \"rule\": {\"statement\": \"a\"}}",
                 "statements[1].id: \"a\" is already used");
}

TEST(deep_nesting_compiles_to_a_bounded_stack) {
    /* 200 nested "not"s: evaluation is iterative, the stack stays at depth 1 */
    static char buf[32768];
    size_t n = 0;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"id\": \"d\", \"text\": \"t\", \"rule\": ");
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"not\": ");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"event\": \"option.exercise_time\", \"by\": \"2027-01-01\"}");
    for (int i = 0; i < 200; i++) n += (size_t)snprintf(buf + n, sizeof buf - n, "}");
    snprintf(buf + n, sizeof buf - n, "}");
    tyche_err err;
    tyche_scenario *s = with_statements(buf, &err);
    ASSERT(s != NULL);
    ASSERT_INT_EQ(s->statements[0].max_stack, 1);
    ASSERT_INT_EQ(eval(s, 0, 5, 0, 0, NULL), 1); /* even number of nots */
    tyche_scenario_free(s);
}

/* The compiler's scope for the test below: two outputs, no statements. */
static const char *const scope_names[2] = {"m.t", "m.v"};
static size_t find_out(const void *ctx, const char *name) {
    (void)ctx;
    for (size_t i = 0; i < 2; i++)
        if (strcmp(scope_names[i], name) == 0) return i;
    return (size_t)-1;
}
static const char *out_name(const void *ctx, size_t i) {
    (void)ctx;
    return scope_names[i];
}
static tyche_output_type out_type(const void *ctx, size_t i) {
    (void)ctx;
    return i == 0 ? TYCHE_OUTPUT_TIME : TYCHE_OUTPUT_VALUE;
}
static size_t find_none(const void *ctx, const char *id, size_t before) {
    (void)ctx;
    (void)id;
    (void)before;
    return (size_t)-1;
}

TEST(a_rule_compiles_against_an_output_lookup_without_a_scenario) {
    tyche_err err;
    int32_t start, horizon;
    ASSERT_INT_EQ(tyche_date_parse("2026-01-01", &start, "x", NULL), TYCHE_OK);
    ASSERT_INT_EQ(tyche_date_parse("2026-12-31", &horizon, "x", NULL), TYCHE_OK);
    const tyche_stmt_scope scope = {.n_outputs = 2, .find_output = find_out,
                                    .output_name = out_name, .output_type = out_type,
                                    .find_statement = find_none, .start = start,
                                    .horizon = horizon};
    cJSON *rule = cJSON_Parse("{\"all\": [{\"event\": \"m.t\", \"by\": \"2026-01-02\"},"
                              " {\"value\": \"m.v\", \">\": 3}]}");
    ASSERT(rule != NULL);
    tyche_statement st = {0};
    tyche_status rc = tyche_statement_compile(&scope, 0, rule, "r", &st, &err);
    if (rc != TYCHE_OK) FAIL_("%s", err.msg);
    ASSERT_STR_EQ(st.rule_text, "(m.t by 2026-01-02 and m.v > 3)");
    uint8_t stack[8];
    const double yes[2] = {2.0, 4.0}, late[2] = {2.5, 4.0};
    ASSERT_INT_EQ(tyche_statement_eval(&st, yes, NULL, stack), 1);
    ASSERT_INT_EQ(tyche_statement_eval(&st, late, NULL, stack), 0);
    free(st.prog);
    free(st.rule_text);
    /* a value is not an event; an unknown statement is named */
    cJSON *bad = cJSON_Parse("{\"event\": \"m.v\", \"by\": \"2026-01-02\"}");
    ASSERT_INT_EQ(tyche_statement_compile(&scope, 0, bad, "r", &st, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "r.event: \"m.v\" is a value, not an event time");
    cJSON_Delete(bad);
    bad = cJSON_Parse("{\"statement\": \"x\"}");
    ASSERT_INT_EQ(tyche_statement_compile(&scope, 0, bad, "r", &st, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "r.statement: \"x\" is not a statement listed before this one");
    cJSON_Delete(bad);
    cJSON_Delete(rule);
}
