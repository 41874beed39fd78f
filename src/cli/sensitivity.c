/* tyche tornado and tyche sweep. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

#include "cli.h"

#define TORNADO_SYNOPSIS "SCENARIO [--low Q] [--high Q] [options]"
#define SWEEP_SYNOPSIS "SCENARIO --grid NAME=V1,V2,... [--grid ...] [options]"
const char *const cli_usage_tornado = CLI_USAGE_LINE("tornado", TORNADO_SYNOPSIS);
const char *const cli_usage_sweep = CLI_USAGE_LINE("sweep", SWEEP_SYNOPSIS);

/* What tornado and sweep share; `what` names the default result file. */
#define SENSITIVITY_USES(what)                                                                          \
    {.id = CLI_O_TRIALS, .help = "trials per run (default 20000)"}, CLI_USE(SEED), CLI_USE(THREADS),      \
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: the scenario file's name, -" what ".h5)"}, \
    CLI_USE(SUMMARY), CLI_USE(AS_OF), CLI_USE(OBSERVED), CLI_USE(SET), CLI_USE(QUIET)

static const cli_use tornado_uses[] = {
    CLI_USE(LOW), CLI_USE(HIGH),
    SENSITIVITY_USES("tornado"),
};
static const cli_use sweep_uses[] = {
    CLI_USE(GRID),
    SENSITIVITY_USES("sweep"),
};

const cli_command cli_tornado_command = {
    .name = "tornado", .synopsis = TORNADO_SYNOPSIS,
    .about = "Each uncertain parameter in turn fixed at the quantiles --low and --high of its\n"
             "prior, the scenario rerun with the same seed (common random numbers), and each\n"
             "statement's swing P(high) - P(low), largest first.\n",
    .uses = tornado_uses, .n_uses = CLI_N_USES(tornado_uses), .max_positional = 1,
    .fn = cli_cmd_tornado,
};
const cli_command cli_sweep_command = {
    .name = "sweep", .synopsis = SWEEP_SYNOPSIS,
    .about = "The scenario at every point of a grid of parameter values (NAME is model.param or\n"
             "the common factor), with common random numbers.\n",
    .uses = sweep_uses, .n_uses = CLI_N_USES(sweep_uses), .max_positional = 1, .fn = cli_cmd_sweep,
};

static tyche_status w_sens_h5(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_hdf5(o, p, e); }
static tyche_status w_sens_js(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_json(o, p, e); }

/* ---- tornado and sweep ------------------------------------------------------ */

#define MAX_AXES 8
#define MAX_VALUES 1000

static int cmd_sensitivity(int argc, char **argv, int sweep) {
    const char *const usage = sweep ? cli_usage_sweep : cli_usage_tornado;
    cli_args args;
    const int prc = cli_parse(sweep ? &cli_sweep_command : &cli_tornado_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *scenario = args.positional[0], *out = args.value[CLI_O_OUTPUT], *json = args.value[CLI_O_SUMMARY];
    const unsigned long long trials = args.given[CLI_O_TRIALS] ? args.num[CLI_O_TRIALS] : 20000;
    const unsigned long long seed = args.given[CLI_O_SEED] ? args.num[CLI_O_SEED] : DEFAULT_SEED;
    const unsigned long long threads = args.num[CLI_O_THREADS];
    const double low = args.given[CLI_O_LOW] ? args.real[CLI_O_LOW] : 0.1;
    const double high = args.given[CLI_O_HIGH] ? args.real[CLI_O_HIGH] : 0.9;
    const int quiet = args.given[CLI_O_QUIET] != NULL;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
    static char names[MAX_AXES][128];
    static double values[MAX_AXES][MAX_VALUES];
    const char *grid[MAX_AXES];
    size_t counts[MAX_AXES];
    const size_t n_axes = cli_args_values(&args, CLI_O_GRID, grid, MAX_AXES);
    for (size_t k = 0; k < n_axes; k++) {
        const char *v = grid[k], *eq = strchr(v, '=');
        char *end;
        if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof names[0])
            return cli_usage_error(usage, "--grid: expected NAME=V1,V2,..., got \"%s\"", v);
        snprintf(names[k], sizeof names[k], "%.*s", (int)(eq - v), v);
        size_t c = 0;
        for (const char *p = eq + 1;; p = end + 1) {
            const double x = strtod(p, &end);
            if (end == p || (*end != ',' && *end != '\0') || !isfinite(x) || c == MAX_VALUES)
                return cli_usage_error(usage, "--grid %s: expected up to %d numbers separated by commas, got \"%s\"",
                                       names[k], MAX_VALUES, eq + 1);
            values[k][c++] = x;
            if (*end == '\0') break;
        }
        counts[k] = c;
    }
    if (scenario == NULL) return cli_usage_error(usage, "%s", "which scenario?");
    if (sweep && n_axes == 0) return cli_usage_error(usage, "%s", "sweep: at least one --grid NAME=V1,V2,...");
    tyche_tornado_config cfg = {trials, seed, (int)threads, NULL, low, high, NULL};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set, sf.n_observed, sf.observed};
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
    if (cli_refuse_clobber(scenario, out, json, usage)) {
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
            uint64_t k1, of;
            if (tyche_sensitivity_rare(t, j, &k1, &of)) {
                printf("\n%s (baseline %.4f): too rare for this sample (%llu of %llu trials true); raise -n\n",
                       tyche_sensitivity_statement(t, j), tyche_sensitivity_baseline(t, j), (unsigned long long)k1,
                       (unsigned long long)of);
                continue;
            }
            printf("\n%s (baseline %.4f)\n  %-24s %12s %12s %9s %9s %9s %8s\n", tyche_sensitivity_statement(t, j),
                   tyche_sensitivity_baseline(t, j), "parameter", "low value", "high value", "P(low)", "P(high)", "swing",
                   "+- se");
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
                printf("  %-24s %12.5g %12.5g %9.4f %9.4f %+9.4f %8.4f\n", tyche_tornado_param(t, rows[r].k), lo, hi, a,
                       b, b - a, tyche_tornado_swing_se(t, rows[r].k, j));
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
    if (st == TYCHE_OK && !quiet) printf("\nresults: %s\nsummary: %s\n", out, json);
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
