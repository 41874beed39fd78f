/* The option table of every `tyche` command, the one parser that reads a
 * command's arguments against it, the help it writes and the usage errors
 * it words (opts.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tyche/tyche.h"

#include "cli.h"
#include "opts.h"

static const char *const store_choices[] = {"none", "outputs", "paths", NULL};
static const char *const sampling_choices[] = {"mc", "lhs", "qmc", NULL};

/* One spelling and one meaning per option in every command: -o is always
 * the result file and --summary always the JSON summary. */
const cli_option cli_options[CLI_O_N] = {
    [CLI_O_TRIALS] = {.short_name = 'n', .long_name = "trials", .metavar = "N", .kind = CLI_WHOLE, .lo = 1,
        .hi = TYCHE_MAX_TRIALS, .expected = "a whole number of trials from 1 to 2^53",
        .help = "number of trials"},
    [CLI_O_SEED] = {.short_name = 's', .long_name = "seed", .metavar = "S", .kind = CLI_WHOLE,
        .hi = 18446744073709551615ULL, .expected = "a whole number 0..2^64-1",
        .help = "seed, 0..2^64-1 (default 1); same seed, same results"},
    [CLI_O_THREADS] = {.short_name = 't', .long_name = "threads", .metavar = "T", .kind = CLI_WHOLE,
        .lo = 1, .hi = 4096, .expected = "a thread count 1..4096",
        .help = "OpenMP threads (default: all cores); results do not depend on it"},
    [CLI_O_OUTPUT] = {.short_name = 'o', .long_name = "output", .metavar = "FILE", .kind = CLI_STRING,
        .help = "the result file, HDF5"},
    [CLI_O_SUMMARY] = {.long_name = "summary", .metavar = "FILE", .kind = CLI_STRING,
        .help = "the JSON summary (default: beside the result file, .json)"},
    [CLI_O_STORE] = {.long_name = "store", .metavar = "LEVEL", .kind = CLI_ENUM, .choices = store_choices,
        .help = "per-trial data in the HDF5 file: none, outputs (default), paths"},
    [CLI_O_COMPRESS] = {.long_name = "compress", .metavar = "N", .kind = CLI_WHOLE, .hi = 9,
        .expected = "a level 0-9", .help = "deflate level 0-9 for the HDF5 datasets (default 0)"},
    [CLI_O_RNG] = {.long_name = "rng", .metavar = "NAME", .kind = CLI_STRING,
        .help = "generator: philox (default) or any GSL generator name"},
    [CLI_O_AS_OF] = {.long_name = "as-of", .metavar = "DATE", .kind = CLI_DATE,
        .help = "forecast as of DATE (YYYY-MM-DD), replacing the scenario's as_of"},
    [CLI_O_SET] = {.long_name = "set", .metavar = "NAME=VALUE", .kind = CLI_STRING, .max = MAX_SETS,
        .help = "override a parameter (model.param) with a number or a prior in\n"
                "JSON, e.g. --set option.h0=0.5 or\n"
                "--set 'option.h0={\"dist\":\"lognormal\",\"median\":0.5,\"sdlog\":0.5}'\n"
                "(repeatable)"},
    [CLI_O_OBSERVED] = {.long_name = "observed", .metavar = "EVENT=WHAT", .kind = CLI_STRING, .max = MAX_SETS,
        .help = "what an event (model.output) did by the as-of date: a date\n"
                "(YYYY-MM-DD), false (had not happened) or unknown (averaged\n"
                "over), replacing the scenario's \"observed\" entry; an as-of\n"
                "date after the start needs every event that could have\n"
                "happened in between said (repeatable)"},
    [CLI_O_PRECISION] = {.long_name = "precision", .metavar = "H", .kind = CLI_STRING, .max = MAX_SETS,
        .help = "stop once every statement's 95% interval is at most +-H wide\n"
                "(checked every 65536 trials; ID=H for one statement; repeatable)"},
    [CLI_O_MAX_TRIALS] = {.long_name = "max-trials", .metavar = "N", .kind = CLI_WHOLE, .lo = 1,
        .hi = TYCHE_MAX_TRIALS, .expected = "a whole number from 1 to 2^53",
        .help = "the most trials a --precision run may take (default 10000000)"},
    [CLI_O_CHECKPOINT] = {.long_name = "checkpoint", .metavar = "DIR", .kind = CLI_STRING, .once = 1,
        .help = "record the run in DIR part by part (every --checkpoint-every\n"
                "blocks of 2048 trials, default 64); SIGTERM or SIGINT stop it\n"
                "after the current part with exit status 3, SIGKILL loses at most\n"
                "that part; --resume DIR finishes it, bit for bit the same run"},
    [CLI_O_EVERY] = {.long_name = "checkpoint-every", .metavar = "N", .kind = CLI_WHOLE, .lo = 1,
        .hi = 1000000, .expected = "a number of blocks >= 1",
        .help = "blocks of 2048 trials in a checkpoint's part (default 64)"},
    [CLI_O_RESUME] = {.long_name = "resume", .metavar = "DIR", .kind = CLI_STRING, .once = 1,
        .help = "finish a checkpointed run: its settings come from DIR/args;\n"
                "only -t, --quiet, --progress and --log may be given with it"},
    [CLI_O_SHARD] = {.long_name = "shard", .metavar = "I/N", .kind = CLI_STRING,
        .help = "run only the I-th (0-based) of N equal parts of the trials (a job\n"
                "array's task); tyche merge joins the parts' files"},
    [CLI_O_SAMPLING] = {.long_name = "sampling", .metavar = "KIND", .kind = CLI_ENUM,
        .choices = sampling_choices,
        .help = "parameters drawn by mc (default), lhs (Latin hypercube) or qmc\n"
                "(randomized Sobol); process noise stays pseudo-random"},
    [CLI_O_REPLICATES] = {.long_name = "replicates", .metavar = "R", .kind = CLI_WHOLE, .lo = 2,
        .hi = 1000, .expected = "2 to 1000",
        .help = "independent LHS/QMC designs the trials are split into, for\n"
                "the error estimate (default 10; must divide the trials)"},
    [CLI_O_LOG] = {.long_name = "log", .metavar = "FILE", .kind = CLI_STRING,
        .help = "append this forecast (as-of date, scenario hash, seed,\n"
                "probabilities) to FILE, one JSON object per line"},
    [CLI_O_QUIET] = {.short_name = 'q', .long_name = "quiet", .kind = CLI_FLAG, .help = "no table"},
    [CLI_O_PROGRESS] = {.long_name = "progress", .kind = CLI_FLAG,
        .help = "draw the progress bar even when stderr is not a terminal\n"
                "(under mpirun, whose pipe it is), and even with --quiet"},
    [CLI_O_TRIAL] = {.long_name = "trial", .metavar = "N", .kind = CLI_WHOLE,
        .hi = 18446744073709551615ULL, .expected = "a trial index >= 0",
        .help = "the trial to re-simulate (0-based)"},
    [CLI_O_LOW] = {.long_name = "low", .metavar = "Q", .kind = CLI_REAL, .rhi = 1,
        .expected = "a quantile level in (0, 1)",
        .help = "the low quantile level of each parameter (default 0.1)"},
    [CLI_O_HIGH] = {.long_name = "high", .metavar = "Q", .kind = CLI_REAL, .rhi = 1,
        .expected = "a quantile level in (0, 1)",
        .help = "the high quantile level of each parameter (default 0.9)"},
    [CLI_O_GRID] = {.long_name = "grid", .metavar = "NAME=V1,V2,...", .kind = CLI_STRING, .max = 8,
        .help = "an axis of the grid: a parameter (model.param or the common\n"
                "factor) and its values (repeatable, at most 8 axes)"},
    [CLI_O_BASE] = {.long_name = "base", .metavar = "N", .kind = CLI_WHOLE, .lo = 100, .hi = 10000000,
        .expected = "100 to 10000000",
        .help = "base sample size (default 4096): N (d + 2) trials for d parameters"},
    [CLI_O_TARGET] = {.long_name = "target", .metavar = "NAME", .kind = CLI_STRING, .max = 64,
        .help = "also analyse this scalar output, e.g. revenue.slowdown_pp\n"
                "(repeatable)"},
    [CLI_O_BOOTSTRAP] = {.long_name = "bootstrap", .metavar = "B", .kind = CLI_WHOLE, .lo = 10,
        .hi = 100000, .expected = "10 to 100000", .help = "resamples for the intervals (default 200)"},
    [CLI_O_INNER] = {.long_name = "inner", .metavar = "M", .kind = CLI_WHOLE, .hi = 1000000,
        .expected = "0 to 1000000",
        .help = "inner trials per design point of the probability view (default\n"
                "128; 0: the indicator view only)"},
    [CLI_O_MODEL] = {.long_name = "model", .metavar = "NAME", .kind = CLI_STRING,
        .help = "the revenue_slowdown model to forecast (required)"},
    [CLI_O_ORIGINS] = {.long_name = "origins", .metavar = "Q1..Q2", .kind = CLI_STRING,
        .help = "e.g. FY2025Q1..FY2026Q4 (default: every quarter with history\n"
                "before it and data after it)"},
    [CLI_O_HORIZON] = {.long_name = "horizon", .metavar = "H", .kind = CLI_WHOLE, .lo = 1, .hi = 40,
        .expected = "1 to 40 quarters", .help = "quarters ahead (default 4)"},
    [CLI_O_HELP] = {.short_name = 'h', .long_name = "help", .kind = CLI_FLAG, .help = "this help"},
};

/* Spellings given up for one name in every command. */
static const struct {
    const char *old, *now;
} renamed[] = {
    {"--json", "--summary"},
    {"--output-file", "-o/--output"},
};

static const cli_use help_use = CLI_USE(HELP);

/* Whether `a` is option o as typed: -x or --long. */
static int spells(const cli_option *o, const char *a) {
    if (a[0] != '-') return 0;
    if (o->short_name && a[1] == o->short_name && a[2] == '\0') return 1;
    return a[1] == '-' && strcmp(a + 2, o->long_name) == 0;
}

static const cli_use *use_of(const cli_command *c, const char *a) {
    if (a[0] != '-' || a[1] == '\0') return NULL;
    for (size_t k = 0; k < c->n_uses; k++)
        if (spells(&cli_options[c->uses[k].id], a)) return &c->uses[k];
    return spells(&cli_options[CLI_O_HELP], a) ? &help_use : NULL;
}

static int takes(const cli_command *c, cli_opt_id id) {
    for (size_t k = 0; k < c->n_uses; k++)
        if (c->uses[k].id == id) return 1;
    return id == CLI_O_HELP;
}

/* "tyche: [where: ]<message>" and the command's usage line; returns 2. */
static int usage_error(const cli_command *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int usage_error(const cli_command *c, const char *where, const char *fmt, ...) {
    char msg[1024], usage[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(usage, sizeof usage, "usage: tyche %s %s  (tyche %s --help for all options)\n", c->name,
             c->synopsis, c->name);
    return cli_usage_error(usage, "%s%s%s", where, where[0] ? ": " : "", msg);
}

static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b), row[64];
    if (la >= 63 || lb >= 63) return 99;
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            const size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *cli_nearest(const char *typed, const char *const *names, size_t n) {
    const size_t lt = strlen(typed);
    const char *prefixed = NULL, *best = NULL;
    size_t n_prefixed = 0, best_d = 3;
    for (size_t k = 0; k < n; k++) {
        if (lt >= 2 && strncmp(names[k], typed, lt) == 0) {
            prefixed = names[k];
            n_prefixed++;
        }
        const size_t d = edit_distance(typed, names[k]);
        if (d < best_d && d < lt) best = names[k], best_d = d;
    }
    return best ? best : n_prefixed == 1 ? prefixed : NULL;
}

/* Why `a` (option-like, not one of c's) is refused: renamed, refused by the
 * command, another command's, or unknown (with the nearest of c's). */
static int unknown_option(const cli_command *c, const char *a, const char *where) {
    for (size_t k = 0; k < sizeof renamed / sizeof renamed[0]; k++)
        if (strcmp(a, renamed[k].old) == 0)
            return usage_error(c, where, "%s: renamed %s (one name in every command)", a, renamed[k].now);
    for (size_t k = 0; k < c->n_refused; k++)
        if (spells(&cli_options[c->refused[k].id], a)) return usage_error(c, where, "%s: %s", a, c->refused[k].why);
    /* --flag=value: the flag is looked up without its value */
    const char *eq = strchr(a, '=');
    char flag[128];
    snprintf(flag, sizeof flag, "%.*s", eq ? (int)(eq - a) : (int)strlen(a), a);
    if (eq && use_of(c, flag))
        return usage_error(c, where, "%s: give the value as an argument of its own: %s %s", a, flag, eq + 1);
    for (int id = 0; id < CLI_O_N; id++) {
        if (!spells(&cli_options[id], flag)) continue;
        char who[512] = "";
        size_t used = 0, n = 0, total = 0;
        for (size_t k = 0; k < cli_n_commands; k++) total += takes(cli_commands[k], (cli_opt_id)id);
        for (size_t k = 0; k < cli_n_commands && used + 64 < sizeof who; k++) {
            if (!takes(cli_commands[k], (cli_opt_id)id)) continue;
            n++;
            used += (size_t)snprintf(who + used, sizeof who - used, "%s%s's", n == 1 ? "tyche " : n == total ? " and tyche " : ", tyche ",
                                     cli_commands[k]->name);
        }
        return usage_error(c, where, "%s: not an option of tyche %s (it is %s)", flag, c->name, who);
    }
    const char *names[CLI_O_N + 1];
    size_t n = 0;
    for (size_t k = 0; k < c->n_uses; k++) names[n++] = cli_options[c->uses[k].id].long_name;
    names[n++] = "help";
    const char *bare = flag;
    while (*bare == '-') bare++;
    const char *near = cli_nearest(bare, names, n);
    if (near) return usage_error(c, where, "unknown option \"%s\"; did you mean --%s?", a, near);
    return usage_error(c, where, "unknown option \"%s\"", a);
}

/* Checks a value of its kind; 0, or 2 after the message. */
static int check_value(const cli_command *c, const cli_use *u, const char *flag, const char *v, cli_args *a,
                       const char *where) {
    const cli_option *o = &cli_options[u->id];
    const char *expected = u->expected ? u->expected : o->expected;
    switch (o->kind) {
    case CLI_WHOLE: {
        const unsigned long long lo = u->lo || u->hi ? u->lo : o->lo, hi = u->lo || u->hi ? u->hi : o->hi;
        unsigned long long x;
        if (!cli_parse_u64(v, &x) || x < lo || x > hi)
            return usage_error(c, where, "%s: expected %s, got \"%s\"", flag, expected, v);
        a->num[u->id] = x;
        return 0;
    }
    case CLI_REAL: {
        char *end;
        const double x = strtod(v, &end);
        if (*v == '\0' || *end != '\0' || !(x > o->rlo && x < o->rhi))
            return usage_error(c, where, "%s: expected %s, got \"%s\"", flag, expected, v);
        a->real[u->id] = x;
        return 0;
    }
    case CLI_ENUM: {
        char list[256] = "";
        size_t used = 0, n = 0;
        while (o->choices[n]) n++;
        for (size_t k = 0; k < n; k++) {
            if (strcmp(v, o->choices[k]) == 0) {
                a->num[u->id] = k;
                return 0;
            }
            used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k == 0 ? "" : k + 1 == n ? " or " : ", ",
                                     o->choices[k]);
        }
        return usage_error(c, where, "%s: expected %s, got \"%s\"", flag, list, v);
    }
    case CLI_DATE: {
        int32_t d;
        tyche_err e;
        if (tyche_date_parse(v, &d, flag, &e) != TYCHE_OK) return usage_error(c, where, "%s", e.msg);
        return 0;
    }
    default:
        return 0;
    }
}

int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a, const char *where) {
    memset(a, 0, sizeof *a);
    a->cmd = c;
    a->argc = argc;
    a->argv = argv;
    /* -h/--help anywhere, even where a value should be (`-o --help` asks for
     * help; it would otherwise write a file named --help): the help,
     * whatever else is wrong */
    for (int i = 1; where[0] == '\0' && i < argc; i++) {
        const cli_use *u = use_of(c, argv[i]);
        if (u && u->id == CLI_O_HELP) {
            if (cli_mpi_rank == 0) cli_help(c, stdout);
            return -1;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        const cli_use *u = use_of(c, s);
        if (u == NULL) {
            if (s[0] == '-' && s[1] != '\0') return unknown_option(c, s, where);
            if (a->n_positional == c->max_positional)
                return usage_error(c, where, "unexpected argument \"%s\"", s);
            if (a->n_positional < 2) a->positional[a->n_positional] = s;
            a->n_positional++;
            continue;
        }
        const cli_option *o = &cli_options[u->id];
        if (u->id == CLI_O_HELP) return usage_error(c, where, "%s: not among a run's arguments", s);
        if (o->once && a->given[u->id]) return usage_error(c, where, "--%s: given twice", o->long_name);
        if (o->max && a->count[u->id] == o->max) return usage_error(c, where, "--%s: at most %u", o->long_name, o->max);
        const char *v = NULL;
        if (o->kind != CLI_FLAG) {
            if (i + 1 >= argc) return usage_error(c, where, "%s: needs a value", s);
            v = argv[++i];
            const int rc = check_value(c, u, s, v, a, where);
            if (rc) return rc;
        }
        a->given[u->id] = s;
        a->value[u->id] = v;
        a->count[u->id]++;
    }
    return 0;
}

size_t cli_args_values(const cli_args *a, cli_opt_id id, const char **out, size_t max) {
    size_t n = 0;
    for (int i = 1; i < a->argc && n < max; i++) {
        const cli_use *u = use_of(a->cmd, a->argv[i]);
        if (u == NULL) {
            if (id == CLI_O_N) out[n++] = a->argv[i];
            continue;
        }
        if (cli_options[u->id].kind == CLI_FLAG) continue;
        i++;
        if (u->id == id && i < a->argc) out[n++] = a->argv[i];
    }
    return n;
}

void cli_help(const cli_command *c, FILE *f) {
    fprintf(f, "usage: tyche %s %s\n%s\n%s\noptions:\n", c->name, c->synopsis, c->more_usage ? c->more_usage : "",
            c->about);
    for (size_t k = 0; k <= c->n_uses; k++) {
        const cli_use *u = k < c->n_uses ? &c->uses[k] : &help_use;
        const cli_option *o = &cli_options[u->id];
        char left[64];
        snprintf(left, sizeof left, "%c%c%c --%s%s%s", o->short_name ? '-' : ' ', o->short_name ? o->short_name : ' ',
                 o->short_name ? ',' : ' ', o->long_name, o->metavar ? " " : "", o->metavar ? o->metavar : "");
        if (strlen(left) > 20) fprintf(f, "  %s\n%23s", left, "");
        else fprintf(f, "  %-20s ", left);
        for (const char *h = u->help ? u->help : o->help; *h;) {
            const char *nl = strchr(h, '\n');
            const size_t len = nl ? (size_t)(nl - h) : strlen(h);
            fprintf(f, "%.*s\n", (int)len, h);
            if (nl == NULL) break;
            h = nl + 1;
            fprintf(f, "%23s", "");
        }
    }
}
