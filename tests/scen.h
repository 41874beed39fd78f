/* Test helper: a scenario from JSON text, with the option model's
 * parameters given as a JSON fragment. */
#ifndef TYCHE_TEST_SCEN_H
#define TYCHE_TEST_SCEN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

/* A one-model option_exercise scenario: `params` is the body of "params",
 * `statements` the body of the "statements" array. */
static inline tyche_scenario *option_scenario(const char *params, const char *statements,
                                              tyche_err *err) {
    static char text[65536];
    snprintf(text, sizeof text,
             "{\"name\": \"t\", \"start\": \"2026-04-20\", \"horizon\": \"2028-01-31\","
             " \"models\": [{\"name\": \"option\", \"kind\": \"option_exercise\","
             " \"settings\": {\"deadline\": \"2027-06-30\"}, \"params\": {%.4000s}}],"
             " \"statements\": [%.40000s]}",
             params, statements);
    return tyche_scenario_parse(text, strlen(text), "test.json", err);
}

/* Runs s for n trials; prints the error and returns NULL on failure. */
static inline tyche_results *run_trials(const tyche_scenario *s, uint64_t n, uint64_t seed,
                                        int threads, tyche_store store) {
    tyche_err err;
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = n;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.rng = NULL;
    cfg.store = store;
    tyche_results *r = tyche_run(s, &cfg, &err);
    if (r == NULL) fprintf(stderr, "run failed: %s\n", err.msg);
    return r;
}

#define DEFAULT_OPTION_PARAMS                                                      \
    "\"V0\": {\"dist\": \"lognormal\", \"median\": 380, \"sdlog\": 0.05},"          \
    "\"mu\": {\"dist\": \"normal\", \"mean\": 0.6, \"sd\": 0.4},"                   \
    "\"sigma\": {\"dist\": \"lognormal\", \"median\": 0.45, \"sdlog\": 0.3},"       \
    "\"h0\": {\"dist\": \"lognormal\", \"median\": 0.3, \"sdlog\": 0.8},"           \
    "\"beta_v\": {\"dist\": \"normal\", \"mean\": 0.5, \"sd\": 0.25},"              \
    "\"beta_z\": {\"dist\": \"normal\", \"mean\": 0.3, \"sd\": 0.2},"               \
    "\"q\": {\"dist\": \"beta\", \"a\": 0.5, \"b\": 15}, \"k_D\": 2, \"m_D\": 4"

#define DEFAULT_OPTION_PARAMS_FIXED_DELAY                                         \
    "\"V0\": 380, \"mu\": 0.6, \"sigma\": 0.45, \"h0\": 0.8, \"beta_v\": 0.5, \"beta_z\": 0.3," \
    "\"q\": 1, \"k_D\": 1e12, \"m_D\": 3"

#define P1_STATEMENTS                                                              \
    "{\"id\": \"P1\", \"text\": \"p1\", \"rule\": {\"all\": ["                        \
    "{\"event\": \"option.exercise_time\", \"by\": \"2027-06-30\"},"                 \
    "{\"event\": \"option.board_time\", \"by\": \"2027-06-30\"}]}},"                  \
    "{\"id\": \"E\", \"text\": \"exercise\", \"rule\": "                              \
    "{\"event\": \"option.exercise_time\", \"by\": \"2027-06-30\"}}"

#endif
