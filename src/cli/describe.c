/* tyche describe. */
#include <stdio.h>
#include <string.h>
#include "tyche/tyche.h"

#include "cli.h"

#define DESCRIBE_SYNOPSIS "SCENARIO [--as-of DATE] [--set NAME=VALUE ...]"
const char *const cli_usage_describe = CLI_USAGE_LINE("describe", DESCRIBE_SYNOPSIS);

static const cli_use describe_uses[] = {
    CLI_USE(AS_OF), CLI_USE(OBSERVED), CLI_USE(SET),
};

const cli_command cli_describe_command = {
    .name = "describe", .synopsis = DESCRIBE_SYNOPSIS,
    .about = "Prints the scenario's dates, models, every parameter with what it is drawn\n"
             "from (its prior, or the calibration's posterior given the data) and that\n"
             "distribution's 5%, 50% and 95% values (marked * where --set replaced it),\n"
             "every output and every statement with its rule.\n",
    .uses = describe_uses, .n_uses = CLI_N_USES(describe_uses), .max_positional = 1,
    .fn = cli_cmd_describe,
};

int cli_cmd_describe(int argc, char **argv, char *line) {
    (void)line;
    cli_args args;
    const int prc = cli_parse(&cli_describe_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    cli_scen_flags sf;
    cli_scen_from(&args, &sf);
    const char *file = args.positional[0];
    if (file == NULL)
        return cli_usage_error(cli_usage_describe, "%s", "describe: expected a scenario file");
    tyche_err err = {0};
    tyche_scenario *s = cli_load(file, &sf, &err);
    if (s == NULL) return cli_report(&err);
    char d0[11], d1[11], d2[11];
    tyche_date_format(tyche_scenario_start(s), d0);
    tyche_date_format(tyche_scenario_horizon(s), d1);
    tyche_date_format(tyche_scenario_as_of(s), d2);
    printf("%s (%s)\nscenario %s: start %s, horizon %s, as of %s\n\nmodels:\n",
           tyche_scenario_title(s), tyche_scenario_file(s), tyche_scenario_name(s), d0, d1, d2);
    for (size_t i = 0; i < tyche_scenario_n_models(s); i++) {
        const char *name, *kind;
        tyche_scenario_model(s, i, &name, &kind);
        printf("  %-16s %s\n", name, kind);
    }
    /* the prior column as wide as its longest entry (a posterior's is long) */
    int width = 44;
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        char prior[256];
        tyche_scenario_param_format(s, i, prior, sizeof prior);
        if ((int)strlen(prior) > width) width = (int)strlen(prior);
    }
    printf("\n%-24s %-14s %-*s %10s %10s %10s\n", "parameter", "units", width, "prior", "p05", "p50",
           "p95");
    static const double probs[3] = {0.05, 0.50, 0.95};
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        tyche_param_info pi;
        char prior[256], a[16], b[16], c[16];
        double q[3];
        tyche_scenario_param(s, i, &pi);
        /* a calibrated parameter: what is drawn, the posterior, and its values */
        tyche_scenario_param_format(s, i, prior, sizeof prior);
        if (tyche_scenario_param_quantiles(s, i, probs, 3, q, &err)) {
            tyche_scenario_free(s);
            return cli_report(&err);
        }
        cli_fmt_value(q[0], a, sizeof a);
        cli_fmt_value(q[1], b, sizeof b);
        cli_fmt_value(q[2], c, sizeof c);
        char name[64];
        snprintf(name, sizeof name, "%s%s", pi.name, pi.overridden ? " *" : "");
        printf("%-24s %-14s %-*s %10s %10s %10s\n", name, pi.units, width, prior, a, b, c);
    }
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        tyche_param_info pi;
        tyche_scenario_param(s, i, &pi);
        if (pi.overridden) {
            printf("(* replaced by --set)\n");
            break;
        }
    }
    printf("\noutputs:\n");
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        printf("  %-34s %-24s %s\n", oi.name, oi.units, oi.description);
    }
    printf("\nstatements:\n");
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        printf("  %s%s%s%s: %s\n      rule: %s\n", si.id, si.group[0] ? " [" : "", si.group,
               si.group[0] ? "]" : "", si.text, si.rule);
    }
    tyche_scenario_free(s);
    return 0;
}

