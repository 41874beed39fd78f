/* tyche backtest. */
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

const char *const cli_usage_backtest =
    "usage: tyche backtest SCENARIO --model NAME [--origins Q1..Q2] [--horizon H] [options]\n"
    "\n"
    "For each origin quarter, forecasts the revenue_slowdown model NAME from the history\n"
    "up to it, H quarters ahead, and compares with the data: PIT values, coverage of the\n"
    "central 50/80/95% intervals, CRPS.\n"
    "\n"
    "  --origins Q1..Q2     e.g. FY2025Q1..FY2026Q4 (default: every quarter with history\n"
    "                       before it and data after it)\n"
    "  --horizon H          quarters ahead (default 4)\n"
    "  -n, --trials N       trials per origin (default 4000)\n"
    "  -s, --seed S         seed (default 1)\n"
    "  -t, --threads T      threads (default: all cores)\n"
    "  -o, --output FILE    HDF5 (default: the scenario file's name, -backtest.h5)\n"
    "      --json FILE      JSON (default: beside the HDF5 file, .json)\n"
    "      --set NAME=VALUE override a parameter (repeatable)\n"
    "  -q, --quiet          no table\n";

static tyche_status w_bt_h5(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_hdf5(o, p, e); }
static tyche_status w_bt_js(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_json(o, p, e); }

int cli_cmd_backtest(int argc, char **argv, char *line) {
    (void)line;
    const char *scenario = NULL, *model = NULL, *origins = NULL, *out = NULL, *json = NULL;
    unsigned long long trials = 4000, seed = DEFAULT_SEED, threads = 0, horizon = 4;
    int quiet = 0;
    cli_scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = cli_scenario_flag(argc, argv, &i, &sf, cli_usage_backtest);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "--model") == 0 || strcmp(a, "--origins") == 0 ||
                        strcmp(a, "--horizon") == 0 || strcmp(a, "-n") == 0 ||
                        strcmp(a, "--trials") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 ||
                        strcmp(a, "--threads") == 0 || strcmp(a, "-o") == 0 ||
                        strcmp(a, "--output") == 0 || strcmp(a, "--json") == 0;
        if (val && i + 1 >= argc) return cli_usage_error(cli_usage_backtest, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--origins") == 0) origins = v;
        else if (strcmp(a, "--horizon") == 0) {
            if (!cli_parse_u64(v, &horizon) || horizon < 1 || horizon > 40)
                return cli_usage_error(cli_usage_backtest, "--horizon: expected 1 to 40 quarters, got \"%s\"", v);
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            if (!cli_parse_u64(v, &trials) || trials < 100 || trials > TYCHE_MAX_TRIALS)
                return cli_usage_error(cli_usage_backtest, "-n: expected a whole number of trials from 100 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!cli_parse_u64(v, &seed))
                return cli_usage_error(cli_usage_backtest, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!cli_parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return cli_usage_error(cli_usage_backtest, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) out = v;
        else if (strcmp(a, "--json") == 0) json = v;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) quiet = 1;
        else if (a[0] == '-') return cli_usage_error(cli_usage_backtest, "unknown option \"%s\"", a);
        else if (scenario == NULL) scenario = a;
        else return cli_usage_error(cli_usage_backtest, "unexpected argument \"%s\"", a);
    }
    if (scenario == NULL) return cli_usage_error(cli_usage_backtest, "%s", "backtest: which scenario?");
    if (model == NULL) return cli_usage_error(cli_usage_backtest, "%s", "backtest: --model NAME is required");
    if (sf.as_of) return cli_usage_error(cli_usage_backtest, "%s", "--as-of: a backtest sets the as-of date of each origin itself");
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
    tyche_scenario_options o = {NULL, sf.n_set, sf.set};
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
        printf("\nresults: %s\njson: %s\n", out, json);
    }
    tyche_backtest_free(b);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

