/* Scenario loading: a good file loads with the expected models, parameters
 * and statements; errors name the file and the JSON path; variants with
 * --set overrides share nothing with their base; and the limits of the
 * model-kind interface (kind.h) are checked. */
#include "scenario_impl.h"
#include "scen.h"
#include "test.h"

static tyche_scenario *load_article(tyche_err *err) {
    return tyche_scenario_load(TYCHE_SOURCE_DIR "/models/article.json", err);
}

TEST(the_article_loads_with_its_models_parameters_and_statements) {
    tyche_err err;
    tyche_scenario *s = load_article(&err);
    if (s == NULL) FAIL_("%s", err.msg);
    ASSERT_INT_EQ(tyche_scenario_n_models(s), 3);
    const char *name, *kind;
    tyche_scenario_model(s, 0, &name, &kind);
    ASSERT_STR_EQ(name, "option");
    ASSERT_STR_EQ(kind, "option_exercise");
    tyche_scenario_model(s, 1, &name, &kind);
    ASSERT_STR_EQ(name, "exclusivity");
    ASSERT_STR_EQ(kind, "exclusivity_window");
    tyche_scenario_model(s, 2, &name, &kind);
    ASSERT_STR_EQ(kind, "revenue_slowdown");
    /* 9 + 6 + 8 model parameters, then the common factor */
    ASSERT_INT_EQ(tyche_scenario_n_params(s), 24);
    tyche_param_info pi;
    tyche_scenario_param(s, 0, &pi);
    ASSERT_STR_EQ(pi.name, "option.V0");
    ASSERT_INT_EQ(pi.overridden, 0);
    tyche_scenario_param(s, 23, &pi);
    ASSERT_INT_EQ(pi.prior->kind, TYCHE_DIST_NORMAL);
    ASSERT_INT_EQ(tyche_scenario_n_statements(s), 8);
    tyche_statement_info si;
    tyche_scenario_statement(s, 0, &si);
    ASSERT_STR_EQ(si.id, "P1");
    tyche_output_info oi;
    tyche_scenario_output(s, 0, &oi);
    ASSERT_STR_EQ(oi.name, "option.exercise_time");
    ASSERT_INT_EQ(oi.type, TYCHE_OUTPUT_TIME);
    tyche_scenario_free(s);
}

/* Loads `text` as "bad.json" and checks that it fails with `want` in the message. */
static void expect_error(const char *text, const char *want) {
    tyche_err err;
    tyche_scenario *s = tyche_scenario_parse(text, strlen(text), "bad.json", &err);
    if (s != NULL) {
        tyche_scenario_free(s);
        FAIL_("loaded, expected an error with \"%s\"", want);
    }
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, want);
}

#define HEAD "{\"name\": \"t\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\", "
#define OPTION(params)                                                                       \
    "\"models\": [{\"name\": \"option\", \"kind\": \"option_exercise\", \"params\": {" params "}}], "

TEST(errors_name_the_file_and_the_json_path) {
    expect_error(HEAD "\"models\": [{\"name\": \"m\", \"kind\": \"nope\"}], \"statements\": []}",
                 "bad.json: models[0].kind: unknown model kind \"nope\"");
    expect_error(HEAD OPTION("\"V0\": {\"dist\": \"lognormal\", \"median\": -1, \"sdlog\": 1}, "
                             "\"mu\": 0, \"sigma\": 0.3, \"h0\": 0.3, \"beta_v\": 0, \"beta_z\": 0, "
                             "\"q\": 0.1, \"k_D\": 2, \"m_D\": 4") "\"statements\": []}",
                 "bad.json: models[0].params.V0.median: must be > 0");
    expect_error(HEAD OPTION(DEFAULT_OPTION_PARAMS)
                 "\"statements\": [{\"id\": \"a\", \"text\": \"t\", \"rule\": "
                 "{\"event\": \"option.nothing\", \"by\": \"2027-01-01\"}}]}",
                 "bad.json: statements[0].rule.event: no output named \"option.nothing\"");
    expect_error(HEAD OPTION(DEFAULT_OPTION_PARAMS) "\"statements\": [], \"joint\": [\"zz\"]}",
                 "bad.json: joint[0]: no statement has id \"zz\"");
    expect_error("{\"name\": \"t\",\n  \"start\": }", "bad.json: line 2, column 12: malformed JSON");
}

static double prior_p0(const tyche_scenario *s, const char *name, int *overridden) {
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        tyche_param_info pi;
        tyche_scenario_param(s, i, &pi);
        if (strcmp(pi.name, name) != 0) continue;
        if (overridden) *overridden = pi.overridden;
        return pi.prior->p[0];
    }
    return NAN;
}

TEST(a_variant_with_overrides_replaces_priors_and_shares_nothing_with_its_base) {
    tyche_err err;
    const char *user[] = {"option.h0=0.5", "option.q=0.2"};
    const tyche_scenario_options opt = {NULL, 2, user, 0, NULL};
    const char *text = HEAD OPTION(DEFAULT_OPTION_PARAMS) "\"statements\": [" P1_STATEMENTS "]}";
    tyche_scenario *base = tyche_scenario_parse_with(text, strlen(text), "t.json", &opt, &err);
    if (base == NULL) FAIL_("%s", err.msg);
    const char *more[] = {"option.h0=0.9", "option.mu=0.1"};
    tyche_scenario *v = tyche_scenario_with_overrides(base, more, 2, &err);
    if (v == NULL) FAIL_("%s", err.msg);
    tyche_scenario *w = tyche_scenario_with_overrides(v, NULL, 0, &err);
    if (w == NULL) FAIL_("%s", err.msg);
    int ov = 0;
    /* the base keeps its own values */
    ASSERT_DBL_IDENTICAL(prior_p0(base, "option.h0", &ov), 0.5);
    ASSERT_DBL_IDENTICAL(prior_p0(base, "option.mu", &ov), 0.6);
    ASSERT_INT_EQ(ov, 0);
    tyche_scenario_free(base); /* the variants must not need it */
    /* a new value replaces the base's of the same name; the others stay */
    ASSERT_DBL_IDENTICAL(prior_p0(v, "option.h0", &ov), 0.9);
    ASSERT_INT_EQ(ov, 1);
    ASSERT_DBL_IDENTICAL(prior_p0(v, "option.q", NULL), 0.2);
    ASSERT_DBL_IDENTICAL(prior_p0(v, "option.mu", NULL), 0.1);
    ASSERT_DBL_IDENTICAL(prior_p0(w, "option.h0", NULL), 0.9);
    ASSERT_INT_EQ(tyche_scenario_n_statements(w), 2);
    ASSERT_STR_EQ(tyche_scenario_file(w), "t.json");
    const char *bad[] = {"option.nope=1"};
    tyche_scenario *x = tyche_scenario_with_overrides(v, bad, 1, &err);
    ASSERT(x == NULL);
    ASSERT_STR_CONTAINS(err.msg, "--set option.nope: no parameter of that name");
    const char *out[] = {"option.q=2"};
    x = tyche_scenario_with_overrides(v, out, 1, NULL); /* err may be NULL */
    ASSERT(x == NULL);
    tyche_scenario_free(v);
    tyche_scenario_free(w);
}

TEST(a_variant_keeps_the_as_of_of_its_base) {
    tyche_err err;
    /* and its --observed: without them a later as_of is refused */
    static const char *const obs[] = {"option.exercise_time=false"};
    const tyche_scenario_options opt = {"2026-06-01", 0, NULL, 1, obs};
    const char *text = HEAD OPTION(DEFAULT_OPTION_PARAMS) "\"statements\": []}";
    tyche_scenario *base = tyche_scenario_parse_with(text, strlen(text), "t.json", &opt, &err);
    if (base == NULL) FAIL_("%s", err.msg);
    tyche_scenario *v = tyche_scenario_with_overrides(base, NULL, 0, &err);
    if (v == NULL) FAIL_("%s", err.msg);
    ASSERT_INT_EQ(tyche_scenario_as_of(v), tyche_scenario_as_of(base));
    int32_t day;
    ASSERT_INT_EQ(tyche_date_parse("2026-06-01", &day, "x", NULL), TYCHE_OK);
    ASSERT_INT_EQ(tyche_scenario_as_of(v), day);
    ASSERT_INT_EQ(tyche_scenario_n_observed(v), 1);
    ASSERT_STR_EQ(tyche_scenario_observed_flags(v), "option.exercise_time=false\n");
    tyche_scenario_free(base);
    tyche_scenario_free(v);
}

/* An as_of after the start must say what every event that could have
 * happened in between did: the P1 stayed 0.00945 as of any date. */
TEST(a_later_as_of_names_every_event_left_unsaid) {
    tyche_err err;
    const char *text = HEAD OPTION(DEFAULT_OPTION_PARAMS) "\"statements\": []}";
    const tyche_scenario_options later = {"2026-06-01", 0, NULL, 0, NULL};
    tyche_scenario *s = tyche_scenario_parse_with(text, strlen(text), "t.json", &later, &err);
    ASSERT(s == NULL);
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "--as-of 2026-06-01 is after the start 2026-04-20");
    /* both could have happened (the board change after an exercise) */
    ASSERT_STR_CONTAINS(err.msg, "could have happened in between");
    ASSERT_STR_CONTAINS(err.msg, ": option.exercise_time, option.board_time");
    /* an exercise dated by then still leaves the board change to say */
    static const char *const dated[] = {"option.exercise_time=2026-05-01"};
    const tyche_scenario_options d = {"2026-06-01", 0, NULL, 1, dated};
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", &d, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "this event could have happened in between");
    ASSERT_STR_CONTAINS(err.msg, ": option.board_time");
    /* "false" for the exercise rules the board change out too; "unknown" is a word */
    static const char *const no[] = {"option.exercise_time=false"};
    const tyche_scenario_options n1 = {"2026-06-01", 0, NULL, 1, no};
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", &n1, &err);
    if (s == NULL) FAIL_("%s", err.msg);
    ASSERT_INT_EQ(tyche_scenario_n_observed(s), 1);
    tyche_scenario_free(s);
    static const char *const unk[] = {"option.exercise_time=unknown", "option.board_time=unknown"};
    const tyche_scenario_options u = {"2026-06-01", 0, NULL, 2, unk};
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", &u, &err);
    if (s == NULL) FAIL_("%s", err.msg);
    ASSERT_INT_EQ(tyche_scenario_n_observed(s), 0);
    tyche_scenario_free(s);
    /* a flag replaces the file's entry; a bad one is named */
    static const char *const bad[] = {"option.exercise_time=maybe"};
    const tyche_scenario_options b = {"2026-06-01", 0, NULL, 1, bad};
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", &b, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "--observed option.exercise_time");
    static const char *const noeq[] = {"option.exercise_time"};
    const tyche_scenario_options ne = {"2026-06-01", 0, NULL, 1, noeq};
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", &ne, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "--observed option.exercise_time: expected NAME=DATE, NAME=false or NAME=unknown");
    /* as_of at the start asks nothing */
    s = tyche_scenario_parse_with(text, strlen(text), "t.json", NULL, &err);
    if (s == NULL) FAIL_("%s", err.msg);
    tyche_scenario_free(s);
}

/* ---- the limits of kind.h ------------------------------------------------ */

static void fake_posterior(const void *cfg, double *params, gsl_rng *r) {
    (void)cfg;
    (void)params;
    (void)r;
}

TEST(every_registered_kind_keeps_the_limits_of_the_kind_interface) {
    ASSERT(tyche_model_kind_count() >= 4);
    for (size_t i = 0; i < tyche_model_kind_count(); i++) {
        tyche_err err;
        const tyche_model_kind *k = tyche_model_kind_at(i);
        ASSERT(tyche_model_kind_find(k->name) == k);
        if (tyche_model_kind_check(k, "x.json: models[0]", &err) != TYCHE_OK)
            FAIL_("%s", err.msg);
    }
    ASSERT(tyche_model_kind_at(tyche_model_kind_count()) == NULL);
}

/* Checks kind k as models[0] of x.json: accepted, or refused with `want`. */
static void expect_kind(const tyche_model_kind *k, const char *want) {
    tyche_err err;
    const tyche_status st = tyche_model_kind_check(k, "x.json: models[0]", &err);
    if (want == NULL && st != TYCHE_OK) FAIL_("refused: %s", err.msg);
    if (want == NULL) return;
    ASSERT_INT_EQ(st, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, want);
    ASSERT_INT_EQ(tyche_model_kind_check(k, "x.json: models[0]", NULL), TYCHE_EINPUT);
}

TEST(a_kind_that_would_use_the_posterior_substream_is_refused) {
    tyche_model_kind k = *tyche_model_kind_find("ishigami");
    k.n_streams = TYCHE_STREAMS_PER_MODEL;
    expect_kind(&k, NULL);
    k.n_streams = TYCHE_STREAMS_PER_MODEL + 1;
    expect_kind(&k, "x.json: models[0].kind: kind ishigami uses 9 substreams");
    k.posterior = fake_posterior;
    k.n_streams = TYCHE_POSTERIOR_SUBSTREAM;
    expect_kind(&k, NULL);
    k.n_streams = TYCHE_POSTERIOR_SUBSTREAM + 1;
    expect_kind(&k, "x.json: models[0].kind: kind ishigami uses 8 substreams, more than the 7 a "
                    "model has besides its posterior's (substream 7)");
}

TEST(a_kind_with_more_inputs_than_the_engine_buffer_is_refused) {
    static const tyche_input_spec many[TYCHE_KIND_MAX_INPUTS + 1];
    tyche_model_kind k = *tyche_model_kind_find("ishigami");
    k.inputs = many;
    k.n_inputs = TYCHE_KIND_MAX_INPUTS;
    expect_kind(&k, NULL);
    k.n_inputs = TYCHE_KIND_MAX_INPUTS + 1;
    expect_kind(&k, "x.json: models[0].kind: kind ishigami declares 17 inputs");
}

TEST(a_kind_with_a_posterior_and_more_parameters_than_its_mask_is_refused) {
    static const tyche_param_spec many[TYCHE_KIND_MAX_POSTERIOR_PARAMS + 1];
    tyche_model_kind k = *tyche_model_kind_find("ishigami");
    k.params = many;
    k.n_params = TYCHE_KIND_MAX_POSTERIOR_PARAMS + 1;
    expect_kind(&k, NULL); /* without a posterior the mask is not used */
    k.posterior = fake_posterior;
    k.n_params = TYCHE_KIND_MAX_POSTERIOR_PARAMS;
    expect_kind(&k, NULL);
    k.n_params = TYCHE_KIND_MAX_POSTERIOR_PARAMS + 1;
    expect_kind(&k, "x.json: models[0].kind: kind ishigami has 33 parameters");
}

/* The option model alone, with or without a common factor, a statement "Z". */
static tyche_scenario *option_cf(int with_cf, tyche_err *err) {
    static char text[8192];
    snprintf(text, sizeof text,
             "{\"name\": \"t\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\",%s"
             " \"models\": [{\"name\": \"option\", \"kind\": \"option_exercise\","
             " \"settings\": {\"deadline\": \"2027-06-30\"}, \"params\": {%s}}],"
             " \"statements\": [%s%s]}",
             with_cf ? " \"common_factor\": {\"name\": \"Z\"}," : "", DEFAULT_OPTION_PARAMS,
             P1_STATEMENTS,
             with_cf ? "" : ", {\"id\": \"Z\", \"text\": \"z\", \"rule\": "
                            "{\"event\": \"option.exercise_time\", \"by\": \"2027-01-31\"}}");
    return tyche_scenario_parse(text, strlen(text), "test.json", err);
}

TEST(a_scenario_without_a_common_factor_has_no_Z_and_models_see_z_0) {
    tyche_err err;
    tyche_scenario *none = option_cf(0, &err);
    if (none == NULL) FAIL_("%s", err.msg);
    tyche_scenario *with = option_cf(1, &err);
    if (with == NULL) FAIL_("%s", err.msg);
    /* no parameter Z at all: the nine option parameters (and "Z" is free
     * for a statement); with the factor it is the tenth */
    ASSERT_INT_EQ(tyche_scenario_n_params(none), 9);
    ASSERT_INT_EQ(tyche_scenario_n_params(with), 10);
    tyche_param_info pi;
    for (size_t i = 0; i < 9; i++) {
        tyche_scenario_param(none, i, &pi);
        ASSERT(strcmp(pi.name, "Z") != 0);
    }
    tyche_scenario_param(with, 9, &pi);
    ASSERT_STR_EQ(pi.name, "Z");
    /* --set of a common factor the scenario lacks is refused */
    const char *set_z = "Z=1";
    ASSERT(tyche_scenario_with_overrides(none, &set_z, 1, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "--set Z: no parameter of that name");
    /* the other parameters' streams do not move, and the models see z = 0:
     * the run equals one with the factor fixed at 0, bit for bit */
    const char *z0 = "Z=0";
    tyche_scenario *fixed0 = tyche_scenario_with_overrides(with, &z0, 1, &err);
    if (fixed0 == NULL) FAIL_("%s", err.msg);
    const uint64_t n = 3000;
    tyche_results *a = run_trials(none, n, 11, 2, TYCHE_STORE_OUTPUTS);
    tyche_results *b = run_trials(with, n, 11, 2, TYCHE_STORE_OUTPUTS);
    tyche_results *c = run_trials(fixed0, n, 11, 2, TYCHE_STORE_OUTPUTS);
    ASSERT(a && b && c);
    for (size_t p = 0; p < 9; p++) {
        const double *pa = tyche_results_param_column(a, p), *pb = tyche_results_param_column(b, p),
                     *pc = tyche_results_param_column(c, p);
        for (uint64_t t = 0; t < n; t++) {
            ASSERT_DBL_IDENTICAL(pa[t], pb[t]);
            ASSERT_DBL_IDENTICAL(pa[t], pc[t]);
        }
    }
    for (size_t o = 0; o < tyche_scenario_n_outputs(none); o++) {
        const double *oa = tyche_results_output_column(a, o), *oc = tyche_results_output_column(c, o);
        for (uint64_t t = 0; t < n; t++)
            if (!(isnan(oa[t]) && isnan(oc[t]))) ASSERT_DBL_IDENTICAL(oa[t], oc[t]);
    }
    tyche_results_free(a);
    tyche_results_free(b);
    tyche_results_free(c);
    tyche_scenario_free(fixed0);
    tyche_scenario_free(with);
    tyche_scenario_free(none);
}

/* The as-of rule through an event's causes and follow-on (kind.h's layout):
 * what settles what, the contradictions refused, and a load that stays
 * fast with many causes (a recursive rule once took 40 s at 12). */
static tyche_scenario *event_asof(int n_causes, const char *const *obs, size_t n_obs, tyche_err *err) {
    static char text[8192];
    size_t at = (size_t)snprintf(text, sizeof text,
                                 "{\"name\": \"t\", \"start\": \"2026-01-01\", \"horizon\": \"2027-12-31\", "
                                 "\"as_of\": \"2026-06-01\", \"models\": [{\"name\": \"e\", \"kind\": \"event\", "
                                 "\"params\": {\"r\": 0.5}, \"settings\": {\"causes\": [");
    for (int k = 0; k < n_causes; k++)
        at += (size_t)snprintf(text + at, sizeof text - at, "%s{\"name\": \"c%d\", \"rate\": \"r\"}", k ? ", " : "", k);
    snprintf(text + at, sizeof text - at,
             "], \"follow_on\": {\"name\": \"f\", \"p\": 0.5, \"delay\": {\"fixed\": 2}}}}], \"statements\": []}");
    const tyche_scenario_options o = {NULL, 0, NULL, n_obs, obs};
    return tyche_scenario_parse_with(text, strlen(text), "t.json", &o, err);
}

TEST(an_event_s_causes_and_follow_on_are_settled_by_what_is_said) {
    tyche_err err;
    tyche_scenario *s = event_asof(2, NULL, 0, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, ": e.time, e.c0_time, e.c1_time, e.f_time");
    static const char *const no[] = {"e.time=false"}; /* no event: no cause, no follow-on */
    if ((s = event_asof(2, no, 1, &err)) == NULL) FAIL_("%s", err.msg);
    tyche_scenario_free(s);
    static const char *const one[] = {"e.c0_time=2026-03-01"}; /* settles the event and the other cause */
    s = event_asof(2, one, 1, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "this event could have happened in between");
    ASSERT_STR_CONTAINS(err.msg, ": e.f_time"); /* the follow-on, two months later, could have */
    static const char *const unk[] = {"e.time=unknown", "e.f_time=false"};
    if ((s = event_asof(2, unk, 2, &err)) == NULL) FAIL_("%s", err.msg);
    tyche_scenario_free(s);
    static const char *const two[] = {"e.c0_time=2026-03-01", "e.c1_time=2026-04-01", "e.f_time=unknown"};
    ASSERT(event_asof(2, two, 3, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.c0_time and e.c1_time are both dated, but only one of these competing causes");
    static const char *const apart[] = {"e.time=2026-02-01", "e.c0_time=2026-03-01", "e.f_time=unknown"};
    ASSERT(event_asof(2, apart, 3, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.c0_time and e.time (its event) are dated differently");
    static const char *const neg[] = {"e.c0_time=2026-03-01", "e.time=false"};
    ASSERT(event_asof(2, neg, 2, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.c0_time is dated, but e.time (its event) is declared false");
    static const char *const early[] = {"e.c0_time=2026-03-01", "e.f_time=2026-02-01"};
    ASSERT(event_asof(2, early, 2, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.f_time is dated before e.time, which it follows");
    static const char *const after_none[] = {"e.time=false", "e.f_time=2026-02-01"};
    ASSERT(event_asof(2, after_none, 2, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.f_time is dated, but e.time, which it follows, had not happened by as_of");
    /* twelve causes, more than the layout's table of follow pairs holds */
    if ((s = event_asof(12, no, 1, &err)) == NULL) FAIL_("%s", err.msg);
    tyche_scenario_free(s);
    ASSERT(event_asof(12, NULL, 0, &err) == NULL);
    ASSERT_STR_CONTAINS(err.msg, "e.c11_time, e.f_time");
}
