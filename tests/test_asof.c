/* As-of forecasts: conditioning on "not exercised by as_of" by rejection.
 *  - With fixed parameters (memoryless hazard), a run as of a later date
 *    matches the same model started at that date, and the acceptance rate
 *    is the survival probability exp(-h t).
 *  - With an uncertain hazard, the accepted trials' h0 follows the
 *    posterior prior(h) exp(-h t) / Z, whose mean is computed here by
 *    quadrature, independently of the sampler.
 * Fixed seeds; 4 standard errors. */
#include <gsl/gsl_cdf.h>
#include "util.h"
#include "scen.h"
#include "test.h"

#define Y TYCHE_DAYS_PER_YEAR

static tyche_scenario *option(const char *start, const char *extra, const char *h0,
                              tyche_err *err) {
    static char text[8192];
    snprintf(text, sizeof text,
             "{\"name\": \"a\", \"start\": \"%s\", \"horizon\": \"2028-01-31\", %s"
             " \"models\": [{\"name\": \"option\", \"kind\": \"option_exercise\", \"params\": {"
             " \"V0\": 380, \"mu\": 0.3, \"sigma\": 0.4, \"h0\": %s, \"beta_v\": 0, \"beta_z\": 0,"
             " \"q\": 0.5, \"k_D\": 2, \"m_D\": 4}}],"
             " \"statements\": [{\"id\": \"E\", \"text\": \"t\", \"rule\": {\"event\": \"option.exercise_time\", \"by\": \"2027-06-30\"}},"
             " {\"id\": \"B\", \"text\": \"t\", \"rule\": {\"event\": \"option.board_time\", \"by\": \"2027-06-30\"}}]}",
             start, extra, h0);
    return tyche_scenario_parse(text, strlen(text), "test.json", err);
}

static tyche_results *run(const tyche_scenario *s, uint64_t n, uint64_t seed) {
    return run_trials(s, n, seed, 2, TYCHE_STORE_OUTPUTS);
}

TEST(conditioning_on_no_exercise_matches_a_model_started_at_as_of) {
    tyche_err err;
    tyche_scenario *a = option("2026-04-20",
        "\"as_of\": \"2026-10-01\", \"observed\": {\"option.exercise_time\": false},", "0.6", &err);
    ASSERT(a != NULL);
    tyche_scenario *b = option("2026-10-01", "", "0.6", &err);
    ASSERT(b != NULL);
    const uint64_t n = 100000;
    tyche_results *ra = run(a, n, 51), *rb = run(b, n, 52);
    ASSERT(ra && rb);
    for (size_t k = 0; k < 2; k++) {
        tyche_prob pa, pb;
        tyche_results_statement(ra, k, &pa);
        tyche_results_statement(rb, k, &pb);
        ASSERT_NEAR(pa.probability, pb.probability,
                    4 * sqrt(pa.stderr_ * pa.stderr_ + pb.stderr_ * pb.stderr_));
    }
    /* and the closed form, memoryless: exercise within (2027-06-30 end - as_of) days */
    tyche_prob p;
    tyche_results_statement(ra, 0, &p);
    const double want = 1 - exp(-0.6 * (437.0 - 164.0) / Y);
    ASSERT_NEAR(p.probability, want, 4 * sqrt(want * (1 - want) / n));
    /* no accepted trial exercised before as_of */
    const double *ex = tyche_results_output_column(ra, 0);
    for (uint64_t i = 0; i < n; i++) ASSERT(!(ex[i] < 164.0));
    /* acceptance rate = survival to as_of */
    tyche_run_info info;
    tyche_results_info(ra, &info);
    const double acc = (double)info.trials / (double)info.attempts, surv = exp(-0.6 * 164.0 / Y);
    ASSERT_NEAR(acc, surv, 4 * sqrt(surv * (1 - surv) / (double)info.attempts));
    tyche_results_free(ra);
    tyche_results_free(rb);
    tyche_scenario_free(a);
    tyche_scenario_free(b);
}

TEST(surviving_months_without_exercise_update_the_hazard_to_its_posterior) {
    tyche_err err;
    tyche_scenario *s = option("2026-04-20",
        "\"as_of\": \"2027-01-01\", \"observed\": {\"option.exercise_time\": false},",
        "{\"dist\": \"lognormal\", \"median\": 0.3, \"sdlog\": 0.8}", &err);
    ASSERT(s != NULL);
    const uint64_t n = 60000;
    tyche_results *r = run(s, n, 53);
    ASSERT(r != NULL);
    const double *h = tyche_results_param_column(r, 3);
    double sum = 0, sum2 = 0;
    for (uint64_t i = 0; i < n; i++) {
        sum += h[i];
        sum2 += h[i] * h[i];
    }
    const double mean = sum / n, var = sum2 / n - mean * mean;
    /* posterior mean by quadrature over u = log h: weight N(u; log 0.3, 0.8) exp(-e^u t) */
    const double t = 256.0 / Y; /* 2027-01-01 is day 256 */
    double num = 0, den = 0;
    for (double u = log(0.3) - 8 * 0.8; u < log(0.3) + 8 * 0.8; u += 1e-4) {
        const double w = exp(-0.5 * pow((u - log(0.3)) / 0.8, 2)) * exp(-exp(u) * t);
        num += exp(u) * w;
        den += w;
    }
    const double post = num / den;
    ASSERT(post < 0.3 * exp(0.32)); /* below the prior mean */
    ASSERT_NEAR(mean, post, 4 * sqrt(var / n));
    tyche_results_free(r);
    tyche_scenario_free(s);
}

TEST(observations_that_cannot_hold_are_refused) {
    tyche_err err;
    tyche_scenario *s = option("2026-04-20",
        "\"as_of\": \"2026-10-01\", \"observed\": {\"option.exercise_time\": \"2026-11-01\"},", "0.6", &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "observed.option.exercise_time: an observed event must fall between start and as_of");
    s = option("2026-04-20",
        "\"as_of\": \"2026-10-01\", \"observed\": {\"option.board_time\": \"2026-09-01\"},", "0.6", &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "observed: model option: a board change follows an exercise");
    s = option("2026-04-20", "\"observed\": {\"option.valuation_at_deadline\": false},", "0.6", &err);
    ASSERT(s == NULL);
    ASSERT_STR_CONTAINS(err.msg, "observed.option.valuation_at_deadline: no event time named");
    /* an event that always happens before as_of: every redraw fails, a clear error */
    s = option("2026-04-20",
        "\"as_of\": \"2027-06-01\", \"observed\": {\"option.exercise_time\": false},", "1e6", &err);
    ASSERT(s != NULL);
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = 10;
    cfg.seed = 1;
    cfg.threads = 1;
    cfg.rng = NULL;
    cfg.store = TYCHE_STORE_NONE;
    ASSERT(tyche_run(s, &cfg, &err) == NULL);
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "observed: trial 0 was redrawn");
    tyche_scenario_free(s);
}
