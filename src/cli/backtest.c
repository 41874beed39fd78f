/* tyche backtest. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "tyche/tyche.h"

#include "cli.h"

#define BACKTEST_SYNOPSIS "SCENARIO --model NAME [--origins Q1..Q2] [--horizon H] [options]"
const char *const cli_usage_backtest = CLI_USAGE_LINE("backtest", BACKTEST_SYNOPSIS);

static const cli_use backtest_uses[] = {
    CLI_USE(MODEL), CLI_USE(ORIGINS), CLI_USE(HORIZON),
    {.id = CLI_O_TRIALS, .help = "trials per origin (default 4000; at least 100)", .lo = 100, .hi = TYCHE_MAX_TRIALS,
     .expected = "a whole number of trials from 100 to 2^53"},
    CLI_USE(SEED), CLI_USE(THREADS),
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: the scenario file's name, -backtest.h5)"},
    CLI_USE(SUMMARY), CLI_USE(SET), CLI_USE(QUIET),
};
static const cli_refusal backtest_refused[] = {
    {CLI_O_AS_OF, "a backtest sets the as-of date of each origin itself"},
};

const cli_command cli_backtest_command = {
    .name = "backtest", .synopsis = BACKTEST_SYNOPSIS,
    .about = "For each origin quarter, forecasts the revenue_slowdown model NAME from the history\n"
             "up to it, H quarters ahead, and compares with the data: PIT values, coverage of the\n"
             "central 50/80/95% intervals, CRPS.\n",
    .uses = backtest_uses, .n_uses = CLI_N_USES(backtest_uses), .max_positional = 1,
    .refused = backtest_refused, .n_refused = CLI_N_USES(backtest_refused), .fn = cli_cmd_backtest,
};

static tyche_status w_bt_h5(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_hdf5(o, p, e); }
static tyche_status w_bt_js(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_json(o, p, e); }

int cli_cmd_backtest(int argc, char **argv, char *line) {
    (void)line;
    cli_args args;
    const int prc = cli_parse(&cli_backtest_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *scenario = args.positional[0], *model = args.value[CLI_O_MODEL], *origins = args.value[CLI_O_ORIGINS];
    const char *out = args.value[CLI_O_OUTPUT], *json = args.value[CLI_O_SUMMARY];
    const unsigned long long trials = args.given[CLI_O_TRIALS] ? args.num[CLI_O_TRIALS] : 4000;
    const unsigned long long seed = args.given[CLI_O_SEED] ? args.num[CLI_O_SEED] : DEFAULT_SEED;
    const unsigned long long threads = args.num[CLI_O_THREADS];
    const unsigned long long horizon = args.given[CLI_O_HORIZON] ? args.num[CLI_O_HORIZON] : 4;
    const int quiet = args.given[CLI_O_QUIET] != NULL;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
    if (scenario == NULL) return cli_usage_error(cli_usage_backtest, "%s", "backtest: which scenario?");
    if (model == NULL) return cli_usage_error(cli_usage_backtest, "%s", "backtest: --model NAME is required");
    char from[32] = "", to[32] = "";
    if (origins) {
        const char *dots = strstr(origins, "..");
        if (dots == NULL || dots - origins >= 31 || strlen(dots + 2) >= 31)
            return cli_usage_error(cli_usage_backtest, "--origins: expected Q1..Q2, e.g. FY2025Q1..FY2026Q4, got \"%s\"", origins);
        memcpy(from, origins, (size_t)(dots - origins));
        strcpy(to, dots + 2);
    }
    tyche_backtest_config cfg = {model, origins ? from : NULL, origins ? to : NULL, (int)horizon,
                                 trials, seed, (int)threads, NULL};
    tyche_err err = {0};
    tyche_scenario_options o = {NULL, sf.n_set, sf.set, 0, NULL};
    tyche_backtest *b = tyche_backtest_run(scenario, &o, &cfg, &err);
    if (b == NULL) return cli_report(&err);
    char dout[600], djson[700];
    cli_default_outputs(scenario, "backtest", &out, &json, dout, sizeof dout, djson, sizeof djson);
    if (cli_refuse_clobber(scenario, out, json, cli_usage_backtest)) {
        tyche_backtest_free(b);
        return 2;
    }
    const tyche_result_file files[2] = {{json, w_bt_js, b}, {out, w_bt_h5, b}};
    tyche_status st = cli_commit(files, 2, NULL, &err);
    if (st == TYCHE_OK && !quiet) {
        const int H = tyche_backtest_horizon(b);
        printf("backtest of %s in %s: revenue, %d quarter(s) ahead, %llu trials per origin, seed %llu\n\n",
               model, scenario, H, trials, seed);
        printf("%-10s %-10s %10s %10s %10s %10s %6s %8s\n", "origin", "quarter", "actual", "p2.5",
               "median", "p97.5", "PIT", "CRPS");
        for (size_t i = 0; i < tyche_backtest_n_origins(b); i++)
            for (int h = 1; h <= H; h++) {
                const tyche_backtest_step *x = tyche_backtest_get(b, i, h);
                if (isnan(x->actual)) continue;
                printf("%-10s %-10s %10.2f %10.2f %10.2f %10.2f %6.3f %8.3f\n",
                       h == 1 ? tyche_backtest_origin(b, i) : "", x->quarter, x->actual, x->q[0],
                       x->q[3], x->q[6], x->pit, x->crps);
            }
        printf("\n%-12s %18s %18s %18s %10s\n", "horizon", "coverage 50%", "coverage 80%",
               "coverage 95%", "CRPS");
        for (int h = 0; h <= H; h++) {
            char lab[16];
            if (h) snprintf(lab, sizeof lab, "h = %d", h);
            else snprintf(lab, sizeof lab, "all");
            printf("%-12s", lab);
            size_t n = 0;
            static const int lv[3] = {50, 80, 95};
            for (int l = 0; l < 3; l++) {
                double c, se;
                tyche_backtest_coverage(b, lv[l], h, &c, &se, &n);
                printf(" %9.2f +- %5.2f", c, se);
            }
            printf(" %10.3f  (n = %zu)\n", tyche_backtest_crps(b, h), n);
        }
        /* the model beside what a forecaster gets for free, on the same pairs */
        printf("\n%-12s %18s %18s %18s %10s %16s\n", "forecaster", "coverage 50%", "coverage 80%",
               "coverage 95%", "CRPS", "model's skill");
        for (int k = -1; k < TYCHE_BT_NB; k++) {
            static const int lv[3] = {50, 80, 95};
            size_t n = 0;
            printf("%-12s", k < 0 ? "model" : tyche_backtest_baseline_label(k));
            for (int l = 0; l < 3; l++) {
                double c, se;
                if (k < 0) tyche_backtest_coverage(b, lv[l], 0, &c, &se, &n);
                else tyche_backtest_baseline_coverage(b, k, lv[l], 0, &c, &se, &n);
                printf(" %9.2f +- %5.2f", c, se);
            }
            if (k < 0) {
                printf(" %10.3f %16s  (n = %zu)\n", tyche_backtest_crps(b, 0), "", n);
                continue;
            }
            double sk, sse;
            size_t np;
            tyche_backtest_skill(b, k, 0, &sk, &sse, &np);
            printf(" %10.3f %7.2f +- %5.2f  (n = %zu)\n", tyche_backtest_baseline_crps(b, k, 0), sk,
                   sse, n);
        }
        printf("skill = 1 - CRPS_model / CRPS_baseline on the pairs both scored (se: delta method,\n"
               "Newey-West over origins); the baselines: models/README.md\n");
        printf("\nresults: %s\nsummary: %s\n", out, json);
    }
    tyche_backtest_free(b);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

