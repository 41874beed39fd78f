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
    CLI_USE(BASE), CLI_USE(TARGET), CLI_USE(BOOTSTRAP), CLI_USE(SEED), CLI_USE(THREADS),
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: the scenario file's name, -sobol.h5)"},
    CLI_USE(SUMMARY), CLI_USE(AS_OF), CLI_USE(OBSERVED), CLI_USE(SET), CLI_USE(QUIET),
};

const cli_command cli_sobol_command = {
    .name = "sobol", .synopsis = SOBOL_SYNOPSIS,
    .about = "First-order and total Sobol indices of every statement (and each --target, a scalar\n"
             "output such as revenue.slowdown_pp) with respect to every uncertain parameter:\n"
             "Saltelli sampling, N (d + 2) trials for d parameters, Jansen's estimators, 95%\n"
             "percentile-bootstrap intervals; 1 - sum of first-order indices is the remainder\n"
             "(interactions and process noise).\n",
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
    const int quiet = args.given[CLI_O_QUIET] != NULL;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
    if (scenario == NULL) return cli_usage_error(cli_usage_sobol, "%s", "sobol: which scenario?");
    const char *outs[8];
    const size_t n_outs = cli_args_values(&args, CLI_O_OUTPUT, outs, 8); /* each, not just the last */
    for (size_t k = 0; k < n_outs; k++)
        if (output_names_target(scenario, &sf, outs[k])) return 2;
    tyche_sobol_config cfg = {base, seed, (int)threads, NULL, (int)boot, outputs, n_out};
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
        printf("\nresults: %s\nsummary: %s\n", out, json);
    }
    tyche_sobol_free(t);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

