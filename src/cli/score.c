/* tyche score. */
#include <stdio.h>
#include "tyche/tyche.h"

#include "cli.h"

#define SCORE_SYNOPSIS "SUMMARY.json OUTCOMES.json [--summary FILE]"
const char *const cli_usage_score = CLI_USAGE_LINE("score", SCORE_SYNOPSIS);

static const cli_use score_uses[] = {
    {.id = CLI_O_SUMMARY, .help = "the scores as JSON (default: none, the table only)"},
};
static const cli_refusal score_refused[] = {
    {.id = CLI_O_OUTPUT, .why = "tyche score writes no result file, only its JSON summary: --summary FILE"},
};

const cli_command cli_score_command = {
    .name = "score", .synopsis = SCORE_SYNOPSIS,
    .about = "Scores a run's statement probabilities against what happened: Brier score, log\n"
             "score (ln p of the outcome) and the baseline-relative log score 100 log2(p / 0.5)\n"
             "per resolved statement and overall; unresolved statements are listed as such.\n"
             "OUTCOMES.json: {\"outcomes\": {\"P1\": {\"outcome\": false, \"resolved\": \"2027-06-30\"}}}\n",
    .uses = score_uses, .n_uses = CLI_N_USES(score_uses), .max_positional = 2,
    .refused = score_refused, .n_refused = CLI_N_USES(score_refused), .fn = cli_cmd_score,
};

static tyche_status w_scores_js(const void *o, const char *p, tyche_err *e) { return tyche_scores_write_json(o, p, e); }

int cli_cmd_score(int argc, char **argv, char *line) {
    (void)line;
    cli_args args;
    const int prc = cli_parse(&cli_score_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *const *files = args.positional, *json = args.value[CLI_O_SUMMARY];
    if (args.n_positional != 2) return cli_usage_error(cli_usage_score, "%s", "score: expected SUMMARY.json OUTCOMES.json");
    tyche_err err = {0};
    tyche_scores *sc = tyche_score_files(files[0], files[1], &err);
    if (sc == NULL) return cli_report(&err);
    printf("%-20s %8s %-8s %-11s %8s %10s %10s\n", "statement", "P", "outcome", "resolved", "Brier",
           "log score", "baseline");
    for (size_t i = 0; i < tyche_scores_n(sc); i++) {
        const tyche_score_row *r = tyche_scores_row(sc, i);
        if (r->resolved)
            printf("%-20s %8.4f %-8s %-11s %8.4f %10.4f %10.1f\n", r->id, r->p,
                   r->outcome ? "true" : "false", r->resolved_on, r->brier, r->log_score, r->baseline);
    }
    double b, l, m;
    size_t n;
    tyche_scores_overall(sc, &b, &l, &m, &n);
    printf("%-20s %8s %-8s %-11s %8.4f %10.4f %10.1f\n", "overall (mean)", "", "", "", b, l, m);
    printf("\n%zu resolved", n);
    int first = 1;
    for (size_t i = 0; i < tyche_scores_n(sc); i++) {
        const tyche_score_row *r = tyche_scores_row(sc, i);
        if (r->resolved) continue;
        printf("%s%s", first ? "; not yet resolved: " : ", ", r->id);
        first = 0;
    }
    printf("\n");
    int rc = 0;
    if (json) {
        const tyche_result_file file = {json, w_scores_js, sc};
        if (cli_commit(&file, 1, NULL, &err) != TYCHE_OK) rc = cli_report(&err);
    }
    tyche_scores_free(sc);
    return rc;
}

