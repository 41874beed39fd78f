/* tyche sobol. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

#include "cli.h"

#define SOBOL_SYNOPSIS "SCENARIO [--base N] [--target NAME ...] [options]"
const char *const cli_usage_sobol = CLI_USAGE_LINE("sobol", SOBOL_SYNOPSIS);

static const cli_use sobol_uses[] = {
    CLI_USE(BASE), CLI_USE(INNER), CLI_USE(TARGET), CLI_USE(BOOTSTRAP), CLI_USE(SEED), CLI_USE(THREADS),
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: the scenario file's name, -sobol.h5)"},
    CLI_USE(SUMMARY), CLI_USE(AS_OF), CLI_USE(OBSERVED), CLI_USE(SET), CLI_USE(QUIET),
};

const cli_command cli_sobol_command = {
    .name = "sobol", .synopsis = SOBOL_SYNOPSIS,
    .about = "First-order and total Sobol indices of every statement's probability, and of every\n"
             "statement's yes/no value and each --target (a scalar output such as\n"
             "revenue.slowdown_pp), with respect to every uncertain parameter: Saltelli\n"
             "sampling (N (d + 2) points for d parameters), Jansen's estimators, 95%\n"
             "percentile-bootstrap intervals.  The probability view, P(statement | parameters),\n"
             "says which assumption moves the probability: each point gets --inner trials of\n"
             "process noise (N (d + 2) M trials), their noise taken out of the estimators; its\n"
             "remainder, 1 - the sum of first-order indices, is interactions.  The indicator\n"
             "view apportions the variance of the 0/1 value, mostly the coin flip given the\n"
             "parameters (its remainder holds the process noise).  A statement with fewer than\n"
             "50 trials of one outcome is flagged, its indices not shown.\n",
    .uses = sobol_uses, .n_uses = CLI_N_USES(sobol_uses), .max_positional = 1, .fn = cli_cmd_sobol,
};

/* --output was once sobol's targets: an output's name given to it (not a
 * .h5 file) is most likely an old command line.  1 after the message. */
static int output_names_target(const char *scenario, const cli_scen_flags *sf, const char *out) {
    const size_t n = strlen(out);
    if (n >= 3 && strcmp(out + n - 3, ".h5") == 0) return 0;
    tyche_scenario *s = cli_load(scenario, sf, NULL);
    int hit = 0;
    for (size_t i = 0; s && !hit && i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        hit = strcmp(oi.name, out) == 0;
    }
    tyche_scenario_free(s);
    if (hit)
        cli_usage_error(cli_usage_sobol, "-o/--output %s: the result file in every command; %s is an output of "
                        "the scenario: did you mean --target %s?", out, out, out);
    return hit;
}

static tyche_status w_sobol_h5(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_hdf5(o, p, e); }
static tyche_status w_sobol_js(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_json(o, p, e); }

/* The 8 parameters of largest total index of target i, from `get` (one view's). */
static void print_indices(const tyche_sobol *t, size_t i, size_t d, cli_swing_row *rows,
                          void (*get)(const tyche_sobol *, size_t, size_t, double *, double *)) {
    printf("  %-24s %8s %-19s %8s %-19s\n", "parameter", "first", "  95% CI", "total", "  95% CI");
    for (size_t k = 0; k < d; k++) {
        double a[3], b[3];
        get(t, i, k, a, b);
        rows[k].swing = isnan(b[0]) ? 0 : b[0];
        rows[k].k = k;
    }
    qsort(rows, d, sizeof *rows, cli_by_swing);
    for (size_t r = 0; r < d && r < 8; r++) {
        double a[3], b[3];
        get(t, i, rows[r].k, a, b);
        printf("  %-24s %8.3f [%7.3f, %7.3f] %8.3f [%7.3f, %7.3f]\n", tyche_sobol_param(t, rows[r].k), a[0], a[1],
               a[2], b[0], b[1], b[2]);
    }
}

int cli_cmd_sobol(int argc, char **argv, char *line) {
    (void)line;
    cli_args args;
    const int prc = cli_parse(&cli_sobol_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *scenario = args.positional[0], *out = args.value[CLI_O_OUTPUT], *json = args.value[CLI_O_SUMMARY];
    const char *outputs[64];
    const size_t n_out = cli_args_values(&args, CLI_O_TARGET, outputs, 64);
    const unsigned long long base = args.given[CLI_O_BASE] ? args.num[CLI_O_BASE] : 4096;
    const unsigned long long seed = args.given[CLI_O_SEED] ? args.num[CLI_O_SEED] : DEFAULT_SEED;
    const unsigned long long threads = args.num[CLI_O_THREADS];
    const unsigned long long boot = args.given[CLI_O_BOOTSTRAP] ? args.num[CLI_O_BOOTSTRAP] : 200;
    const unsigned long long inner = args.given[CLI_O_INNER] ? args.num[CLI_O_INNER] : 128;
    if (inner == 1)
        return cli_usage_error(cli_usage_sobol, "%s", "--inner: expected 0 (no probability view) or at least 2 "
                               "(the inner noise is estimated from the trials of a point)");
    const int quiet = args.given[CLI_O_QUIET] != NULL;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
    if (scenario == NULL) return cli_usage_error(cli_usage_sobol, "%s", "sobol: which scenario?");
    const char *outs[8];
    const size_t n_outs = cli_args_values(&args, CLI_O_OUTPUT, outs, 8); /* each, not just the last */
    for (size_t k = 0; k < n_outs; k++)
        if (output_names_target(scenario, &sf, outs[k])) return 2;
    tyche_sobol_config cfg = {base, seed, (int)threads, NULL, (int)boot, outputs, n_out, inner, NULL};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set, sf.n_observed, sf.observed};
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
        const size_t d = tyche_sobol_n_params(t), ns = tyche_sobol_n_statements(t);
        printf("Sobol indices of %s: base %llu, seed %llu, 95%% bootstrap intervals (%llu resamples)\n", scenario,
               base, seed, boot);
        cli_swing_row *rows = tyche_malloc((d + 1) * sizeof *rows);
        if (inner > 0 && ns > 0) {
            printf("\n== the probability view: P(statement | parameters), %llu inner trials per point "
                   "(%llu trials) ==\n",
                   inner, base * (d + 2) * inner);
            for (size_t j = 0; rows && j < ns; j++) {
                uint64_t k1, of;
                if (tyche_sobol_prob_rare(t, j, &k1, &of)) {
                    printf("\n%s: too rare for this sample (%llu of %llu inner trials true); raise --base or --inner\n",
                           tyche_sobol_target(t, j), (unsigned long long)k1, (unsigned long long)of);
                    continue;
                }
                const double v = tyche_sobol_prob_variance(t, j);
                printf("\n%s (variance of the probability %.4g, its sd %.4g; remainder, interactions: %.3f)\n",
                       tyche_sobol_target(t, j), v, v > 0 ? sqrt(v) : 0.0, tyche_sobol_prob_remainder(t, j));
                print_indices(t, j, d, rows, tyche_sobol_prob_index);
            }
            printf("\n== the indicator view: the variance of each statement's 0/1 value (and of each "
                   "--target), %llu trials ==\n",
                   base * (d + 2));
        }
        for (size_t i = 0; rows && i < tyche_sobol_n_targets(t); i++) {
            uint64_t k1, of;
            if (tyche_sobol_rare(t, i, &k1, &of)) {
                printf("\n%s: too rare for this sample (%llu of %llu trials true); raise --base\n",
                       tyche_sobol_target(t, i), (unsigned long long)k1, (unsigned long long)of);
                continue;
            }
            printf("\n%s (variance %.4g; remainder, interactions and process noise: %.3f)\n", tyche_sobol_target(t, i),
                   tyche_sobol_variance(t, i), tyche_sobol_remainder(t, i));
            print_indices(t, i, d, rows, tyche_sobol_index);
        }
        free(rows);
        printf("\nresults: %s\nsummary: %s\n", out, json);
    }
    tyche_sobol_free(t);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

