/* tyche replay. */
#include <stdio.h>
#include "tyche/tyche.h"

#include "cli.h"

#define REPLAY_SYNOPSIS "SCENARIO --trial N [options]"
const char *const cli_usage_replay = CLI_USAGE_LINE("replay", REPLAY_SYNOPSIS);

static const cli_use replay_uses[] = {
    CLI_USE(TRIAL), CLI_USE(SEED), CLI_USE(RNG), CLI_USE(AS_OF), CLI_USE(OBSERVED), CLI_USE(SET),
    {.id = CLI_O_SAMPLING, .help = "the run's sampling; lhs and qmc need the run's -n and --replicates"},
    {.id = CLI_O_TRIALS, .help = "the run's trial count (needed with --sampling lhs or qmc)",
     .expected = "the run's trial count"},
    {.id = CLI_O_REPLICATES, .help = "the run's replicates (default 10)"},
};

const cli_command cli_replay_command = {
    .name = "replay", .synopsis = REPLAY_SYNOPSIS,
    .about = "Re-simulates trial N (0-based) alone and prints its parameters, outputs and\n"
             "statement outcomes: exactly what `tyche run` computed for it with that seed.\n",
    .uses = replay_uses, .n_uses = CLI_N_USES(replay_uses), .max_positional = 1,
    .fn = cli_cmd_replay,
};

int cli_cmd_replay(int argc, char **argv, char *line) {
    (void)line;
    cli_args args;
    const int prc = cli_parse(&cli_replay_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *scenario = args.positional[0], *rng = args.value[CLI_O_RNG];
    const unsigned long long trial = args.num[CLI_O_TRIAL], trials = args.num[CLI_O_TRIALS];
    const unsigned long long seed = args.given[CLI_O_SEED] ? args.num[CLI_O_SEED] : DEFAULT_SEED;
    const unsigned long long replicates = args.given[CLI_O_REPLICATES] ? args.num[CLI_O_REPLICATES] : 10;
    const tyche_sampling sampling = (tyche_sampling)args.num[CLI_O_SAMPLING]; /* mc, lhs, qmc; 0 (mc) when not given */
    const int have_trial = args.given[CLI_O_TRIAL] != NULL;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
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

