/* exclusivity_window against closed forms: a constant hazard, the
 * two-piece hazard around a fixed exercise time, the competing blocking
 * risk, and the lognormal window tail.  Fixed seeds; 4 standard errors. */
#include <gsl/gsl_cdf.h>
#include "scenario_impl.h"
#include "scen.h"
#include "test.h"

#define Y TYCHE_DAYS_PER_YEAR
/* the end of 2027-10-20, in days since 2026-04-20 */
#define T_P2 549.0

static tyche_scenario *scenario(const char *option_params, const char *excl_params,
                                const char *extra, tyche_err *err) {
    static char text[8192];
    snprintf(text, sizeof text,
             "{\"name\": \"x\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\", %s"
             " \"models\": [{\"name\": \"option\", \"kind\": \"option_exercise\", \"params\": {%s}},"
             " {\"name\": \"excl\", \"kind\": \"exclusivity_window\","
             "  \"inputs\": {\"exercise_time\": \"option.exercise_time\"}, \"params\": {%s}}],"
             " \"statements\": [{\"id\": \"deal\", \"text\": \"t\", \"rule\": {\"event\": \"excl.deal_time\", \"by\": \"2027-10-20\"}},"
             " {\"id\": \"blocked\", \"text\": \"t\", \"rule\": {\"event\": \"excl.blocked_time\", \"by\": \"2027-10-20\"}}]}",
             extra, option_params, excl_params);
    return tyche_scenario_parse(text, strlen(text), "test.json", err);
}

#define OPTION_NEVER "\"V0\": 380, \"mu\": 0, \"sigma\": 0.3, \"h0\": 0, \"beta_v\": 0, \"beta_z\": 0, \"q\": 0, \"k_D\": 2, \"m_D\": 4"

static tyche_results *run(const tyche_scenario *s, uint64_t n, uint64_t seed) {
    return run_trials(s, n, seed, 2, TYCHE_STORE_OUTPUTS);
}

static void check(const tyche_results *r, size_t stmt, double want, uint64_t n) {
    tyche_prob p;
    tyche_results_statement(r, stmt, &p);
    ASSERT_NEAR(p.probability, want, 4 * sqrt(want * (1 - want) / n) + 1e-12);
}

TEST(a_constant_deal_hazard_gives_one_minus_exp) {
    tyche_err err;
    tyche_scenario *s = scenario(OPTION_NEVER,
        "\"hx0\": 0.3, \"beta_xe\": 1, \"beta_xz\": 0, \"m_W\": 6, \"s_W\": 0.6", "", &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 41);
    ASSERT(r != NULL);
    check(r, 0, 1 - exp(-0.3 * T_P2 / Y), n);
    check(r, 1, 0.0, n);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(the_hazard_steps_up_at_a_fixed_exercise_time) {
    /* exercise observed on 2026-10-01 (fixed at midday: t = 164.5); as_of that day */
    tyche_err err;
    tyche_scenario *s = scenario(OPTION_NEVER,
        "\"hx0\": 0.3, \"beta_xe\": 1, \"beta_xz\": 0, \"m_W\": 6, \"s_W\": 0.6",
        "\"as_of\": \"2026-10-01\", \"observed\": {\"option.exercise_time\": \"2026-10-01\", "
        "\"excl.deal_time\": \"unknown\"},", &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 42);
    ASSERT(r != NULL);
    const double te = 164.5;
    check(r, 0, 1 - exp(-(0.3 * te + 0.3 * exp(1.0) * (T_P2 - te)) / Y), n);
    const double *ex = tyche_results_output_column(r, 0);
    for (uint64_t i = 0; i < n; i++) ASSERT_DBL_IDENTICAL(ex[i], te);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(a_blocking_event_competes_with_the_deal) {
    tyche_err err;
    tyche_scenario *s = scenario(OPTION_NEVER,
        "\"hx0\": 0.3, \"beta_xe\": 1, \"beta_xz\": 0, \"m_W\": 6, \"s_W\": 0.6, \"hb\": 0.5", "", &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 43);
    ASSERT(r != NULL);
    const double all = 1 - exp(-0.8 * T_P2 / Y);
    check(r, 0, 0.3 / 0.8 * all, n);
    check(r, 1, 0.5 / 0.8 * all, n);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(the_window_tail_is_the_lognormal_tail) {
    tyche_err err;
    tyche_scenario *s = scenario(OPTION_NEVER,
        "\"hx0\": 2, \"beta_xe\": 1, \"beta_xz\": 0, \"m_W\": 6, \"s_W\": 0.6", "", &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 44);
    ASSERT(r != NULL);
    const double *w = tyche_results_output_column(r, tyche_scenario_find_output(s, "excl.window_months"));
    const double *d = tyche_results_output_column(r, tyche_scenario_find_output(s, "excl.deal_time"));
    uint64_t deals = 0, long_ones = 0;
    for (uint64_t i = 0; i < n; i++) {
        ASSERT(isfinite(d[i]) == !isnan(w[i])); /* a window exactly when there is a deal */
        if (!isfinite(d[i])) continue;
        deals++;
        long_ones += w[i] >= 12;
    }
    const double want = gsl_cdf_ugaussian_Q(log(12.0 / 6.0) / 0.6);
    ASSERT(deals > n / 2);
    ASSERT_NEAR((double)long_ones / deals, want, 4 * sqrt(want * (1 - want) / deals));
    tyche_results_free(r);
    tyche_scenario_free(s);
}
