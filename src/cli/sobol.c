/* tyche sobol. */
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

const char *const cli_usage_sobol =
    "usage: tyche sobol SCENARIO --base N [--output NAME ...] [options]\n"
    "\n"
    "First-order and total Sobol indices of every statement (and each --output, a scalar\n"
    "output such as revenue.slowdown_pp) with respect to every uncertain parameter:\n"
    "Saltelli sampling, N (d + 2) trials for d parameters, Jansen's estimators, 95%\n"
    "percentile-bootstrap intervals; 1 - sum of first-order indices is the remainder\n"
    "(interactions and process noise).\n"
    "\n"
    "  --base N             base sample size (default 4096)\n"
    "  --output NAME        also analyse this output (repeatable)\n"
    "  --bootstrap B        resamples for the intervals (default 200)\n"
    "  -s, --seed S; -t, --threads T; --set NAME=VALUE; --as-of DATE   as for tyche run\n"
    "  -o, --output-file FILE   HDF5 (default: the scenario file's name, -sobol.h5); --json FILE\n"
    "  -q, --quiet          no table\n";

static tyche_status w_sobol_h5(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_hdf5(o, p, e); }
static tyche_status w_sobol_js(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_json(o, p, e); }

int cli_cmd_sobol(int argc, char **argv, char *line) {
    (void)line;
    const char *scenario = NULL, *out = NULL, *json = NULL;
    const char *outputs[64];
    size_t n_out = 0;
    unsigned long long base = 4096, seed = DEFAULT_SEED, threads = 0, boot = 200;
    int quiet = 0;
    cli_scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = cli_scenario_flag(argc, argv, &i, &sf, cli_usage_sobol);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "--base") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0 ||
                        strcmp(a, "-o") == 0 || strcmp(a, "--output-file") == 0 ||
                        strcmp(a, "--json") == 0 || strcmp(a, "--bootstrap") == 0;
        if (val && i + 1 >= argc) return cli_usage_error(cli_usage_sobol, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        if (strcmp(a, "--base") == 0) {
            if (!cli_parse_u64(v, &base) || base < 100 || base > 10000000)
                return cli_usage_error(cli_usage_sobol, "--base: expected 100 to 10000000, got \"%s\"", v);
        } else if (strcmp(a, "--output") == 0) {
            if (n_out == 64) return cli_usage_error(cli_usage_sobol, "%s", "--output: at most 64");
            outputs[n_out++] = v;
        } else if (strcmp(a, "--bootstrap") == 0) {
            if (!cli_parse_u64(v, &boot) || boot < 10 || boot > 100000)
                return cli_usage_error(cli_usage_sobol, "--bootstrap: expected 10 to 100000, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!cli_parse_u64(v, &seed))
                return cli_usage_error(cli_usage_sobol, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!cli_parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return cli_usage_error(cli_usage_sobol, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output-file") == 0) {
            out = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            return cli_usage_error(cli_usage_sobol, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return cli_usage_error(cli_usage_sobol, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return cli_usage_error(cli_usage_sobol, "%s", "sobol: which scenario?");
    tyche_sobol_config cfg = {base, seed, (int)threads, NULL, (int)boot, outputs, n_out};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set};
    tyche_err err = {0};
    tyche_sobol *t = tyche_sobol_run(scenario, &o, &cfg, &err);
    if (t == NULL) return cli_report(&err);
    char dout[600], djson[700];
    cli_default_outputs(scenario, "sobol", &out, &json, dout, sizeof dout, djson, sizeof djson);
    if (cli_refuse_clobber(scenario, out, json, cli_usage_sobol)) {
        tyche_sobol_free(t);
        return 2;
    }
    const tyche_result_file files[2] = {{json, w_sobol_js, t}, {out, w_sobol_h5, t}};
    tyche_status st = cli_commit(files, 2, NULL, &err);
    if (st == TYCHE_OK && !quiet) {
        const size_t d = tyche_sobol_n_params(t);
        printf("Sobol indices of %s: base %llu (%llu trials), seed %llu, 95%% bootstrap intervals (%llu resamples)\n",
               scenario, base, base * (d + 2), seed, boot);
        cli_swing_row *rows = tyche_malloc((d + 1) * sizeof *rows);
        for (size_t i = 0; rows && i < tyche_sobol_n_targets(t); i++) {
            printf("\n%s (variance %.4g; remainder, interactions and process noise: %.3f)\n", tyche_sobol_target(t, i),
                   tyche_sobol_variance(t, i), tyche_sobol_remainder(t, i));
            printf("  %-24s %8s %-19s %8s %-19s\n", "parameter", "first", "  95% CI", "total", "  95% CI");
            for (size_t k = 0; k < d; k++) {
                double a[3], b[3];
                tyche_sobol_index(t, i, k, a, b);
                rows[k].swing = isnan(b[0]) ? 0 : b[0];
                rows[k].k = k;
            }
            qsort(rows, d, sizeof *rows, cli_by_swing);
            for (size_t r = 0; r < d && r < 8; r++) {
                double a[3], b[3];
                tyche_sobol_index(t, i, rows[r].k, a, b);
                printf("  %-24s %8.3f [%7.3f, %7.3f] %8.3f [%7.3f, %7.3f]\n", tyche_sobol_param(t, rows[r].k),
                       a[0], a[1], a[2], b[0], b[1], b[2]);
            }
        }
        free(rows);
        printf("\nresults: %s\njson: %s\n", out, json);
    }
    tyche_sobol_free(t);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

/* ---- merge ------------------------------------------------------------------ */

