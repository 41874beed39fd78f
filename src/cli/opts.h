/* The options of the `tyche` command: one table of every option (opts.c),
 * each with one spelling and one meaning in every command; each command
 * names the options it takes (a cli_command), and one parser reads any
 * command's arguments against its list, writes its --help from the table
 * and words its usage errors. */
#ifndef TYCHE_CLI_OPTS_H
#define TYCHE_CLI_OPTS_H

#include <stddef.h>
#include <stdio.h>

/* Every option tyche knows.  The order is the table's (opts.c). */
typedef enum {
    CLI_O_TRIALS, CLI_O_SEED, CLI_O_THREADS, CLI_O_OUTPUT, CLI_O_SUMMARY, CLI_O_STORE, CLI_O_COMPRESS,
    CLI_O_RNG, CLI_O_AS_OF, CLI_O_SET, CLI_O_PRECISION, CLI_O_MAX_TRIALS, CLI_O_CHECKPOINT, CLI_O_EVERY,
    CLI_O_RESUME, CLI_O_SHARD, CLI_O_SAMPLING, CLI_O_REPLICATES, CLI_O_LOG, CLI_O_QUIET, CLI_O_PROGRESS,
    CLI_O_TRIAL, CLI_O_LOW, CLI_O_HIGH, CLI_O_GRID, CLI_O_BASE, CLI_O_TARGET, CLI_O_BOOTSTRAP,
    CLI_O_MODEL, CLI_O_ORIGINS, CLI_O_HORIZON, CLI_O_OBSERVED, CLI_O_INNER, CLI_O_HELP,
    CLI_O_N
} cli_opt_id;

/* What an option's value is, and how it is checked as it is read. */
typedef enum {
    CLI_FLAG,   /* no value */
    CLI_WHOLE,  /* a whole number in [lo, hi] (cli_parse_u64: no signs, no exponents) */
    CLI_REAL,   /* a number strictly between rlo and rhi */
    CLI_ENUM,   /* one of choices; its index is the value */
    CLI_DATE,   /* YYYY-MM-DD, a calendar date */
    CLI_STRING  /* anything (a file, a name; the command checks what it means) */
} cli_kind;

typedef struct {
    char short_name;            /* 'n' for -n; 0: none */
    const char *long_name;      /* "trials" for --trials */
    const char *metavar;        /* "N" in the help; NULL for a flag */
    cli_kind kind;
    unsigned long long lo, hi;  /* CLI_WHOLE */
    double rlo, rhi;            /* CLI_REAL */
    const char *expected;       /* "<flag>: expected <this>, got \"V\"" (CLI_WHOLE, CLI_REAL) */
    const char *const *choices; /* CLI_ENUM, NULL-terminated */
    unsigned max;               /* repeatable up to this many; 0: once, the last one wins */
    int once;                   /* given twice is an error */
    const char *help;           /* the help line(s), '\n' between lines */
} cli_option;

extern const cli_option cli_options[CLI_O_N];

/* An option as one command takes it: the table's, but for a command's own
 * default in the help, or a narrower range (a backtest needs 100 trials). */
typedef struct {
    cli_opt_id id;
    const char *help;          /* NULL: the table's */
    unsigned long long lo, hi; /* both 0: the table's */
    const char *expected;      /* NULL: the table's */
} cli_use;

/* An option a command refuses with a reason of its own. */
typedef struct {
    cli_opt_id id;
    const char *why;
} cli_refusal;

typedef struct cli_command {
    const char *name;
    const char *synopsis;      /* the usage line after "tyche NAME " */
    const char *more_usage;    /* further usage lines in the help (NULL: none) */
    const char *about;         /* the help's paragraph */
    const cli_use *uses;
    size_t n_uses;
    size_t max_positional;     /* arguments that are not options (SIZE_MAX: any) */
    const cli_refusal *refused;
    size_t n_refused;
    int (*fn)(int argc, char **argv, char *line);
} cli_command;

/* The one-line usage shown under a usage error. */
#define CLI_USAGE_LINE(name, synopsis) \
    "usage: tyche " name " " synopsis "  (tyche " name " --help for all options)\n"
#define CLI_N_USES(a) (sizeof(a) / sizeof((a)[0]))
/* An option as the table has it, in a command's list. */
#define CLI_USE(name) {.id = CLI_O_##name}

/* Every command, in main.c's order. */
extern const cli_command *const cli_commands[];
extern const size_t cli_n_commands;

/* What a command was given.  Values point into argv (DIR/args finds the
 * paths by identity). */
typedef struct {
    const char *given[CLI_O_N];       /* the flag as typed (NULL: not given) */
    const char *value[CLI_O_N];       /* its value as typed (the last one) */
    unsigned long long num[CLI_O_N];  /* CLI_WHOLE: the number; CLI_ENUM: the choice's index */
    double real[CLI_O_N];             /* CLI_REAL */
    size_t count[CLI_O_N];            /* times given */
    size_t n_positional;
    const char *positional[2];        /* the first two (cli_args_values for all) */
    const cli_command *cmd;
    int argc;
    char **argv;
} cli_args;

/* Reads argv[1..argc-1] (argv[0] is the command's name) against the
 * command's options.  Returns 0; -1 after printing the help (-h/--help
 * anywhere but as a value: exit 0); 2 after a usage error: one line naming
 * the flag (prefixed by `where`, the file the arguments came from, when not
 * "") and the usage line. */
int cli_parse(const cli_command *c, int argc, char **argv, cli_args *a, const char *where);

/* The values of a repeatable option (or, for CLI_O_N, the positional
 * arguments) in the order given, at most max; returns how many. */
size_t cli_args_values(const cli_args *a, cli_opt_id id, const char **out, size_t max);

/* The help of a command, generated from the table. */
void cli_help(const cli_command *c, FILE *f);

/* The candidate nearest to `typed` (edit distance <= 2, or the only one
 * typed begins), or NULL. */
const char *cli_nearest(const char *typed, const char *const *names, size_t n);

#endif
