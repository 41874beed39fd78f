/* tyche tornado and tyche sweep. */
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

const char *const cli_usage_tornado =
    "usage: tyche tornado SCENARIO [--low Q] [--high Q] [options]\n"
    "       tyche sweep SCENARIO --grid NAME=V1,V2,... [--grid ...] [options]\n"
    "\n"
    "tornado: each uncertain parameter in turn fixed at the quantiles --low and --high of\n"
    "its prior (default 0.1 and 0.9), the scenario rerun with the same seed (common random\n"
    "numbers), and each statement's swing P(high) - P(low), largest first.\n"
    "sweep: the scenario at every point of a grid of parameter values (NAME is model.param\n"
    "or the common factor), with common random numbers.\n"
    "\n"
    "  -n, --trials N       trials per run (default 20000)\n"
    "  -s, --seed S         seed (default 1)\n"
    "  -t, --threads T      threads (default: all cores)\n"
    "  -o, --output FILE    HDF5 (default: the scenario file's name, -tornado.h5 or -sweep.h5)\n"
    "      --json FILE      JSON (default: beside the HDF5 file, .json)\n"
    "      --as-of DATE, --set NAME=VALUE   as for tyche run\n"
    "  -q, --quiet          no table\n";

static tyche_status w_sens_h5(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_hdf5(o, p, e); }
static tyche_status w_sens_js(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_json(o, p, e); }

/* ---- tornado and sweep ------------------------------------------------------ */

#define MAX_AXES 8
#define MAX_VALUES 1000

static int cmd_sensitivity(int argc, char **argv, int sweep) {
    const char *scenario = NULL, *out = NULL, *json = NULL;
    unsigned long long trials = 20000, seed = DEFAULT_SEED, threads = 0;
    double low = 0.1, high = 0.9;
    int quiet = 0;
    cli_scen_flags sf = {0};
    static char names[MAX_AXES][128];
    static double values[MAX_AXES][MAX_VALUES];
    size_t counts[MAX_AXES], n_axes = 0;
    for (int i = 1; i < argc; i++) {
        const int sfr = cli_scenario_flag(argc, argv, &i, &sf, cli_usage_tornado);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0 ||
                        strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--json") == 0 ||
                        strcmp(a, "--low") == 0 || strcmp(a, "--high") == 0 || strcmp(a, "--grid") == 0;
        if (val && i + 1 >= argc) return cli_usage_error(cli_usage_tornado, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        char *end;
        if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            if (!cli_parse_u64(v, &trials) || trials == 0 || trials > TYCHE_MAX_TRIALS)
                return cli_usage_error(cli_usage_tornado, "-n: expected a whole number of trials from 1 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!cli_parse_u64(v, &seed))
                return cli_usage_error(cli_usage_tornado, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!cli_parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return cli_usage_error(cli_usage_tornado, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (!sweep && (strcmp(a, "--low") == 0 || strcmp(a, "--high") == 0)) {
            const double q = strtod(v, &end);
            if (*end != '\0' || !(q > 0 && q < 1))
                return cli_usage_error(cli_usage_tornado, "%s: expected a quantile level in (0, 1), got \"%s\"", a, v);
            if (a[2] == 'l') low = q; else high = q;
        } else if (sweep && strcmp(a, "--grid") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof names[0])
                return cli_usage_error(cli_usage_tornado, "--grid: expected NAME=V1,V2,..., got \"%s\"", v);
            if (n_axes == MAX_AXES) return cli_usage_error(cli_usage_tornado, "--grid: at most %d axes", MAX_AXES);
            snprintf(names[n_axes], sizeof names[n_axes], "%.*s", (int)(eq - v), v);
            size_t c = 0;
            for (const char *p = eq + 1;; p = end + 1) {
                const double x = strtod(p, &end);
                if (end == p || (*end != ',' && *end != '\0') || !isfinite(x) || c == MAX_VALUES)
                    return cli_usage_error(cli_usage_tornado, "--grid %s: expected up to %d numbers separated by commas, got \"%s\"",
                                       names[n_axes], MAX_VALUES, eq + 1);
                values[n_axes][c++] = x;
                if (*end == '\0') break;
            }
            counts[n_axes++] = c;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            return cli_usage_error(cli_usage_tornado, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return cli_usage_error(cli_usage_tornado, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return cli_usage_error(cli_usage_tornado, "%s", "which scenario?");
    if (sweep && n_axes == 0) return cli_usage_error(cli_usage_tornado, "%s", "sweep: at least one --grid NAME=V1,V2,...");
    tyche_tornado_config cfg = {trials, seed, (int)threads, NULL, low, high};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set};
    tyche_err err = {0};
    tyche_sensitivity *t;
    if (sweep) {
        const char *np[MAX_AXES];
        const double *vp[MAX_AXES];
        for (size_t k = 0; k < n_axes; k++) np[k] = names[k], vp[k] = values[k];
        t = tyche_sweep_run(scenario, &o, n_axes, np, vp, counts, &cfg, &err);
    } else {
        t = tyche_tornado_run(scenario, &o, &cfg, &err);
    }
    if (t == NULL) return cli_report(&err);
    char dout[600], djson[700];
    cli_default_outputs(scenario, sweep ? "sweep" : "tornado", &out, &json, dout, sizeof dout, djson,
                    sizeof djson);
    if (cli_refuse_clobber(scenario, out, json, cli_usage_tornado)) {
        tyche_sensitivity_free(t);
        return 2;
    }
    const tyche_result_file files[2] = {{json, w_sens_js, t}, {out, w_sens_h5, t}};
    tyche_status st = cli_commit(files, 2, NULL, &err);
    const size_t ns = tyche_sensitivity_n_statements(t);
    if (st == TYCHE_OK && !quiet && !sweep) {
        const size_t np = tyche_tornado_n(t);
        cli_swing_row *rows = tyche_malloc((np + 1) * sizeof *rows);
        printf("tornado of %s: %llu trials per run, seed %llu, parameters at their %g and %g quantiles\n",
               scenario, trials, seed, low, high);
        for (size_t j = 0; rows && j < ns; j++) {
            printf("\n%s (baseline %.4f)\n  %-24s %12s %12s %9s %9s %9s\n", tyche_sensitivity_statement(t, j),
                   tyche_sensitivity_baseline(t, j), "parameter", "low value", "high value", "P(low)", "P(high)", "swing");
            for (size_t k = 0; k < np; k++) {
                double a, b;
                tyche_tornado_prob(t, k, j, &a, &b);
                rows[k].swing = b - a;
                rows[k].k = k;
            }
            qsort(rows, np, sizeof *rows, cli_by_swing);
            for (size_t r = 0; r < np && r < 8; r++) {
                double a, b, lo, hi;
                tyche_tornado_prob(t, rows[r].k, j, &a, &b);
                tyche_tornado_values(t, rows[r].k, &lo, &hi);
                printf("  %-24s %12.5g %12.5g %9.4f %9.4f %+9.4f\n", tyche_tornado_param(t, rows[r].k), lo, hi, a, b, b - a);
            }
        }
        free(rows);
    } else if (st == TYCHE_OK && !quiet) {
        printf("sweep of %s: %llu trials per point, seed %llu\n\n", scenario, trials, seed);
        for (size_t k = 0; k < n_axes; k++) printf("%-18s ", names[k]);
        for (size_t j = 0; j < ns && j < 6; j++) printf("%12s ", tyche_sensitivity_statement(t, j));
        printf("\n");
        for (size_t i = 0; i < tyche_sweep_n(t); i++) {
            for (size_t k = 0; k < n_axes; k++) printf("%-18.6g ", tyche_sweep_value(t, i, k));
            for (size_t j = 0; j < ns && j < 6; j++) {
                double p, se;
                tyche_sweep_prob(t, i, j, &p, &se);
                printf("%12.4f ", p);
            }
            printf("\n");
        }
    }
    if (st == TYCHE_OK && !quiet) printf("\nresults: %s\njson: %s\n", out, json);
    tyche_sensitivity_free(t);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

/* ---- sobol ------------------------------------------------------------------ */


int cli_cmd_tornado(int argc, char **argv, char *line) {
    (void)line;
    return cmd_sensitivity(argc, argv, 0);
}

int cli_cmd_sweep(int argc, char **argv, char *line) {
    (void)line;
    return cmd_sensitivity(argc, argv, 1);
}
