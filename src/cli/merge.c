/* tyche merge. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tyche/tyche.h"

#include "cli.h"

#define MERGE_SYNOPSIS "SHARD.h5 ... -o FILE.h5 [--summary FILE.json] [-q]"
const char *const cli_usage_merge = CLI_USAGE_LINE("merge", MERGE_SYNOPSIS);

static const cli_use merge_uses[] = {
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (required)"},
    CLI_USE(SUMMARY),
    {.id = CLI_O_QUIET, .help = "no table, no progress bar"},
};

const cli_command cli_merge_command = {
    .name = "merge", .synopsis = MERGE_SYNOPSIS,
    .about = "Joins the results files of `tyche run --shard I/N` (a job array) into the file and\n"
             "summary one run would have written: the same per-trial data and the same summary.\n"
             "The shards must come from the same scenario, --set values, as-of date, seed,\n"
             "generator, sampling, trial count and tyche version, and cover every part once.\n",
    .uses = merge_uses, .n_uses = CLI_N_USES(merge_uses), .max_positional = (size_t)-1,
    .fn = cli_cmd_merge,
};

int cli_cmd_merge(int argc, char **argv, char *cmdline) {
    cli_args args;
    const int prc = cli_parse(&cli_merge_command, argc, argv, &args, "");
    if (prc) return prc < 0 ? 0 : prc;
    const char *out = args.value[CLI_O_OUTPUT], *summary = args.value[CLI_O_SUMMARY];
    const int quiet = args.given[CLI_O_QUIET] != NULL;
    const char **files = tyche_calloc(args.n_positional + 1, sizeof *files);
    if (files == NULL) {
        fputs("tyche: out of memory\n", stderr);
        return 1;
    }
    const size_t nf = cli_args_values(&args, CLI_O_N, files, args.n_positional);
    if (nf == 0 || out == NULL) {
        free(files);
        return cli_usage_error(cli_usage_merge, "%s", "merge: give the shard files and -o FILE.h5");
    }
    char dsum[1024];
    if (summary == NULL) {
        size_t n = strlen(out);
        if (n > 3 && strcmp(out + n - 3, ".h5") == 0) n -= 3;
        snprintf(dsum, sizeof dsum, "%.*s.json", (int)n, out);
        summary = dsum;
    }
    for (size_t k = 0; k < nf; k++)
        if (cli_same_file(files[k], out) || cli_same_file(files[k], summary)) {
            const char *clash = files[k]; /* an argv string: outlives files */
            free(files);
            return cli_usage_error(cli_usage_merge, "\"%s\" is one of the shards: choose another -o or --summary", clash);
        }
    /* the outputs' folders before the shards are read */
    tyche_tmp_sweep(out, 0, cli_said_swept, NULL);
    tyche_tmp_sweep(summary, 0, cli_said_swept, NULL);
    int rc = cli_check_writable("-o", out);
    if (!rc) rc = cli_check_writable("--summary", summary);
    if (rc) {
        free(files);
        return rc;
    }
    const int bars = !quiet && isatty(2);
    cli_progress_state mp = {.phase = "merging"}, wp = {.phase = "writing", .bytes = 1};
    tyche_err err = {0};
    tyche_scenario *s = NULL;
    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tyche_provenance prov = {cmdline, created, 0, bars ? cli_progress : NULL, &wp};
    /* streamed: the merged file is laid out once the shards are checked, and
     * their rows copied into it a slice at a time (memory: one slice) */
    cli_stream cs;
    cli_stream_init(&cs, out, summary, &prov, NULL);
    tyche_results *r = tyche_merge_shards_stream(files, nf, &s, bars ? cli_progress : NULL, &mp, cli_stream_begin,
                                                 &cs, &err);
    free(files);
    if (r == NULL) {
        cli_stream_free(&cs, &err);
        tyche_scenario_free(s);
        return cli_report(&err);
    }
    tyche_status st = cli_stream_finish(&cs, r, NULL, &err);
    if (st == TYCHE_OK && bars) cli_progress(&wp, 1, 1);
    if (st == TYCHE_OK && !quiet) {
        tyche_run_info info;
        tyche_results_info(r, &info);
        printf("tyche %s  merged %zu shards: %s (%s)\nseed %llu, %llu trials, generator %s\n", tyche_version(),
               nf, tyche_scenario_title(s), tyche_scenario_file(s), (unsigned long long)info.seed,
               (unsigned long long)info.trials, info.rng);
        cli_print_statements(s, r);
        cli_print_outputs(s, r);
        printf("\nresults: %s\nsummary: %s\n", out, summary);
    }
    tyche_results_free(r);
    tyche_scenario_free(s);
    return st == TYCHE_OK ? 0 : cli_report(&err);
}

