/* tyche replay. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/tyche.h"
#ifdef TYCHE_MPI
#include <mpi.h>
#endif

#include "cli.h"

const char *const cli_usage_replay =
    "usage: tyche replay SCENARIO --trial N [-s SEED] [--rng NAME] [--as-of DATE]\n"
    "                    [--set NAME=VALUE ...] [--sampling lhs|qmc -n TRIALS --replicates R]\n"
    "\n"
    "Re-simulates trial N (0-based) alone and prints its parameters, outputs and\n"
    "statement outcomes: exactly what `tyche run` computed for it with that seed.\n";

int cli_cmd_replay(int argc, char **argv, char *line) {
    (void)line;
    const char *scenario = NULL, *rng = NULL;
    unsigned long long trial = 0, seed = DEFAULT_SEED, trials = 0, replicates = 10;
    tyche_sampling sampling = TYCHE_SAMPLING_MC;
    int have_trial = 0;
    cli_scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = cli_scenario_flag(argc, argv, &i, &sf, cli_usage_replay);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        if ((strcmp(a, "--trial") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0 ||
             strcmp(a, "--rng") == 0 || strcmp(a, "--sampling") == 0 || strcmp(a, "-n") == 0 ||
             strcmp(a, "--replicates") == 0) && i + 1 >= argc)
            return cli_usage_error(cli_usage_replay, "%s: needs a value", a);
        if (strcmp(a, "--sampling") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "mc") == 0) sampling = TYCHE_SAMPLING_MC;
            else if (strcmp(v, "lhs") == 0) sampling = TYCHE_SAMPLING_LHS;
            else if (strcmp(v, "qmc") == 0) sampling = TYCHE_SAMPLING_QMC;
            else return cli_usage_error(cli_usage_replay, "--sampling: expected mc, lhs or qmc, got \"%s\"", v);
        } else if (strcmp(a, "-n") == 0) {
            if (!cli_parse_u64(argv[++i], &trials) || trials == 0 || trials > TYCHE_MAX_TRIALS)
                return cli_usage_error(cli_usage_replay, "-n: expected the run's trial count, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--replicates") == 0) {
            if (!cli_parse_u64(argv[++i], &replicates) || replicates < 2 || replicates > 1000)
                return cli_usage_error(cli_usage_replay, "--replicates: expected 2 to 1000, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--trial") == 0) {
            if (!cli_parse_u64(argv[++i], &trial))
                return cli_usage_error(cli_usage_replay, "--trial: expected a trial index >= 0, got \"%s\"", argv[i]);
            have_trial = 1;
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!cli_parse_u64(argv[++i], &seed))
                return cli_usage_error(cli_usage_replay, "-s: expected a whole number 0..2^64-1, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--rng") == 0) {
            rng = argv[++i];
        } else if (a[0] == '-') {
            return cli_usage_error(cli_usage_replay, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return cli_usage_error(cli_usage_replay, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return cli_usage_error(cli_usage_replay, "%s", "replay: which scenario?");
    if (!have_trial) return cli_usage_error(cli_usage_replay, "%s", "replay: --trial N is required");
    tyche_err err = {0};
    tyche_scenario *s = cli_load(scenario, &sf, &err);
    if (s == NULL) return cli_report(&err);
    tyche_trial_record *t = tyche_trial_record_alloc(s);
    if (t == NULL) {
        tyche_scenario_free(s);
        fprintf(stderr, "tyche: out of memory\n");
        return 1;
    }
    if (sampling != TYCHE_SAMPLING_MC && trials == 0) {
        tyche_trial_record_free(t);
        tyche_scenario_free(s);
        return cli_usage_error(cli_usage_replay, "%s", "--sampling lhs|qmc: -n TRIALS (the run's) is needed: the design depends on it");
    }
    tyche_run_config rc;
    tyche_run_config_init(&rc);
    rc.trials = trials ? trials : trial + 1;
    rc.seed = seed;
    rc.threads = 1;
    rc.rng = rng;
    rc.store = TYCHE_STORE_NONE;
    rc.sampling = sampling;
    rc.replicates = sampling == TYCHE_SAMPLING_MC ? 0 : (int)replicates;
    tyche_status st = tyche_replay_run(s, &rc, trial, t, &err);
    if (st == TYCHE_OK) {
        printf("trial %llu, seed %llu (%s)", trial, seed, tyche_scenario_file(s));
        if (tyche_scenario_n_observed(s)) printf(", accepted after %u as-of redraws", t->redraws);
        printf("\n\nparameters:\n");
        for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
            tyche_param_info pi;
            tyche_scenario_param(s, i, &pi);
            printf("  %-28s %.17g\n", pi.name, t->params[i]);
        }
        printf("\noutputs:\n");
        for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
            tyche_output_info oi;
            char d[16];
            tyche_scenario_output(s, i, &oi);
            if (oi.type == TYCHE_OUTPUT_TIME) {
                cli_fmt_time(s, t->outputs[i], d, sizeof d);
                printf("  %-28s %.17g (%s)\n", oi.name, t->outputs[i], d);
            } else {
                printf("  %-28s %.17g %s\n", oi.name, t->outputs[i], oi.units);
            }
        }
        printf("\nstatements:\n");
        for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
            tyche_statement_info si;
            tyche_scenario_statement(s, i, &si);
            printf("  %-12s %s\n", si.id, t->statements[i] ? "true" : "false");
        }
    }
    tyche_trial_record_free(t);
    tyche_scenario_free(s);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}


