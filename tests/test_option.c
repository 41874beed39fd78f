/* option_exercise against closed forms (models/README.md):
 *  - beta_v = beta_z = 0, fixed h0: P(exercise by T) = 1 - exp(-h0 T);
 *  - q = 1 and a (practically) fixed delay: board = exercise + delay;
 *  - fixed V0, mu, sigma: the GBM valuation at the deadline is lognormal
 *    with mean V0 exp(mu T) and variance mean^2 (exp(sigma^2 T) - 1).
 * Fixed seeds, tolerances of 4 Monte Carlo standard errors. */
#include "scenario_impl.h"
#include "scen.h"
#include "test.h"

#define Y TYCHE_DAYS_PER_YEAR
/* the end of 2027-06-30, in days since 2026-04-20 */
#define DEADLINE 437.0

static tyche_results *run(const tyche_scenario *s, uint64_t n, uint64_t seed) {
    return run_trials(s, n, seed, 2, TYCHE_STORE_OUTPUTS);
}

TEST(constant_hazard_exercise_probability_is_one_minus_exp) {
    tyche_err err;
    tyche_scenario *s = option_scenario(
        "\"V0\": 380, \"mu\": 0.6, \"sigma\": 0.45, \"h0\": 0.5, \"beta_v\": 0, \"beta_z\": 0,"
        "\"q\": 0.03, \"k_D\": 2, \"m_D\": 4", P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 7);
    ASSERT(r != NULL);
    tyche_prob p;
    tyche_results_statement(r, 1, &p);
    const double want = 1 - exp(-0.5 * DEADLINE / Y);
    ASSERT_NEAR(p.probability, want, 4 * sqrt(want * (1 - want) / n));
    /* and the whole incidence curve, month by month */
    for (size_t m = 0; m < tyche_results_n_months(r); m++) {
        const double t = tyche_results_month_time(r, m), w = 1 - exp(-0.5 * t / Y);
        tyche_results_incidence(r, 0, m, &p);
        ASSERT_NEAR(p.probability, w, 4 * sqrt(w * (1 - w) / n) + 1e-12);
    }
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(with_q_one_and_a_fixed_delay_the_board_follows_the_exercise_by_the_delay) {
    tyche_err err;
    /* shape 1e12: the Gamma delay has sd m_D / 1e6, i.e. fixed to 1e-4 days */
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS_FIXED_DELAY, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 20000;
    tyche_results *r = run(s, n, 8);
    ASSERT(r != NULL);
    const double *ex = tyche_results_output_column(r, 0), *bo = tyche_results_output_column(r, 1);
    const double delay = 3 * Y / 12, end = s->horizon_time;
    int boards = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (isfinite(ex[i]) && ex[i] + delay < end - 1e-3) {
            ASSERT_NEAR(bo[i] - ex[i], delay, 1e-3);
            boards++;
        } else if (!(isfinite(ex[i]) && ex[i] + delay < end + 1e-3)) {
            ASSERT(isinf(bo[i]));
        }
    }
    ASSERT(boards > 1000);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(the_valuation_at_the_deadline_is_the_gbm_lognormal) {
    tyche_err err;
    tyche_scenario *s = option_scenario(
        "\"V0\": 380, \"mu\": 0.6, \"sigma\": 0.45, \"h0\": 0.3, \"beta_v\": 0.5, \"beta_z\": 0.3,"
        "\"q\": 0.03, \"k_D\": 2, \"m_D\": 4", P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const uint64_t n = 100000;
    tyche_results *r = run(s, n, 9);
    ASSERT(r != NULL);
    const double T = DEADLINE / Y, mean = 380 * exp(0.6 * T);
    const double var = mean * mean * (exp(0.45 * 0.45 * T) - 1);
    tyche_output_summary os;
    tyche_results_output(r, 2, &os);
    ASSERT_NEAR(os.mean, mean, 4 * sqrt(var / n));
    /* the median of a lognormal: V0 exp((mu - sigma^2/2) T); sketch error below 1/128 */
    const double med = 380 * exp((0.6 - 0.5 * 0.45 * 0.45) * T);
    const double dens = 1 / (med * 0.45 * sqrt(T) * sqrt(2 * 3.14159265358979323846)); /* density at the median */
    ASSERT_NEAR(os.q[4], med, 4 * 0.5 / (dens * sqrt((double)n)) + med / 128);
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(a_prior_outside_a_parameters_domain_is_refused) {
    tyche_err err;
    tyche_scenario *s = option_scenario(
        "\"V0\": 380, \"mu\": 0.6, \"sigma\": {\"dist\": \"normal\", \"mean\": 0.45, \"sd\": 0.1},"
        "\"h0\": 0.3, \"beta_v\": 0, \"beta_z\": 0, \"q\": 0.03, \"k_D\": 2, \"m_D\": 4",
        P1_STATEMENTS, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "models[0].params.sigma");
    ASSERT_STR_CONTAINS(err.msg, "domain");
    s = option_scenario(
        "\"V0\": 380, \"mu\": 0.6, \"sigma\": 0.4, \"h0\": 0.3, \"beta_v\": 0, \"beta_z\": 0,"
        "\"q\": 0.03, \"k_D\": 2", P1_STATEMENTS, &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "models[0].params: missing parameter \"m_D\"");
}
