/* tyche describe. */
#include <stdio.h>
#include "tyche/tyche.h"

#include "cli.h"

#define DESCRIBE_SYNOPSIS "SCENARIO [--as-of DATE] [--set NAME=VALUE ...]"
const char *const cli_usage_describe = CLI_USAGE_LINE("describe", DESCRIBE_SYNOPSIS);

static const cli_use describe_uses[] = {
    CLI_USE(AS_OF), CLI_USE(SET),
};

const cli_command cli_describe_command = {
    .name = "describe", .synopsis = DESCRIBE_SYNOPSIS,
    .about = "Prints the scenario's dates, models, every parameter with its prior and its\n"
             "5%, 50% and 95% values (marked * where --set replaced it), every output and\n"
             "every statement with its rule.\n",
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
    printf("\n%-24s %-14s %-44s %10s %10s %10s\n", "parameter", "units", "prior", "p05", "p50", "p95");
    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        tyche_param_info pi;
        char prior[128], a[16], b[16], c[16];
        tyche_scenario_param(s, i, &pi);
        tyche_dist_format(pi.prior, prior, sizeof prior);
        cli_fmt_value(tyche_dist_quantile(pi.prior, 0.05), a, sizeof a);
        cli_fmt_value(tyche_dist_quantile(pi.prior, 0.50), b, sizeof b);
        cli_fmt_value(tyche_dist_quantile(pi.prior, 0.95), c, sizeof c);
        char name[64];
        snprintf(name, sizeof name, "%s%s", pi.name, pi.overridden ? " *" : "");
        printf("%-24s %-14s %-44s %10s %10s %10s\n", name, pi.units, prior, a, b, c);
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

/* ---- replay ---------------------------------------------------------------- */

