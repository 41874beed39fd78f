/* tyche run: options, checkpointed runs, the results table. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "tyche/tyche.h"
#include "args_file.h"

#include "cli.h"

#define RUN_SYNOPSIS "SCENARIO [options]"
const char *const cli_usage_run = CLI_USAGE_LINE("run", RUN_SYNOPSIS);

static const cli_use run_uses[] = {
    {.id = CLI_O_TRIALS, .help = "number of trials (default 100000)"},
    CLI_USE(SEED), CLI_USE(THREADS),
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: <scenario name>.h5)"},
    CLI_USE(SUMMARY), CLI_USE(STORE), CLI_USE(COMPRESS), CLI_USE(RNG), CLI_USE(AS_OF), CLI_USE(OBSERVED),
    CLI_USE(PRECISION), CLI_USE(MAX_TRIALS), CLI_USE(CHECKPOINT), CLI_USE(EVERY), CLI_USE(RESUME),
    CLI_USE(SHARD), CLI_USE(SAMPLING), CLI_USE(REPLICATES), CLI_USE(LOG), CLI_USE(SET),
    CLI_USE(PROGRESS),
    {.id = CLI_O_QUIET, .help = "no table, no progress bar (but for --progress)"},
};

const cli_command cli_run_command = {
    .name = "run", .synopsis = RUN_SYNOPSIS,
    .more_usage = "       tyche run --resume DIR [-t T] [-q] [--progress] [--log FILE]\n",
    .about = "Simulates the scenario's trials; prints a table of the statements' probabilities and\n"
             "the outputs, writes the per-trial results (HDF5) and a JSON summary.\n",
    .uses = run_uses, .n_uses = CLI_N_USES(run_uses), .max_positional = 1, .fn = cli_cmd_run,
};

/* ---- the options of run -------------------------------------------------------- */

/* Every option of `tyche run`, as given: the parser records which were
 * given (and how they were spelled), so combinations that mean nothing and
 * options that --resume cannot take are refused by name.  The names are
 * the option table's (opts.h). */
enum {
    RO_TRIALS = CLI_O_TRIALS, RO_SEED = CLI_O_SEED, RO_THREADS = CLI_O_THREADS, RO_OUTPUT = CLI_O_OUTPUT,
    RO_SUMMARY = CLI_O_SUMMARY, RO_STORE = CLI_O_STORE, RO_COMPRESS = CLI_O_COMPRESS, RO_RNG = CLI_O_RNG,
    RO_AS_OF = CLI_O_AS_OF, RO_SET = CLI_O_SET, RO_PRECISION = CLI_O_PRECISION, RO_MAX_TRIALS = CLI_O_MAX_TRIALS,
    RO_CHECKPOINT = CLI_O_CHECKPOINT, RO_EVERY = CLI_O_EVERY, RO_RESUME = CLI_O_RESUME, RO_SHARD = CLI_O_SHARD,
    RO_SAMPLING = CLI_O_SAMPLING, RO_REPLICATES = CLI_O_REPLICATES, RO_LOG = CLI_O_LOG, RO_QUIET = CLI_O_QUIET,
    RO_PROGRESS = CLI_O_PROGRESS, RO_OBSERVED = CLI_O_OBSERVED, RO_N = CLI_O_N
};

typedef struct {
    const char *scenario, *out, *summary, *rng, *log_file, *checkpoint, *resume;
    unsigned long long trials, seed, threads, compress, max_trials, replicates, every;
    tyche_store store;
    int quiet, progress;
    cli_scen_flags sf;
    const char *prec[MAX_SETS];
    size_t n_prec;
    tyche_sampling sampling;
    uint32_t shard_index, shard_count;
    const char *given[RO_N]; /* the flag as typed (NULL: not given) */
    const char *value[RO_N]; /* its value as typed (the last one) */
} run_opts;

static void run_opts_init(run_opts *o) {
    memset(o, 0, sizeof *o);
    o->trials = DEFAULT_TRIALS;
    o->seed = DEFAULT_SEED;
    o->store = TYCHE_STORE_OUTPUTS;
    o->max_trials = 10000000ULL;
    o->replicates = 10;
    o->sampling = TYCHE_SAMPLING_MC;
    o->every = 64;
}

/* Parses run's arguments (argv[0] is "run") into o (run_opts_init'ed).
 * Returns 0, -1 after the help, or 2 after the message (which names
 * `where` when the arguments came from a file). */
static int parse_run(int argc, char **argv, run_opts *o, const char *where) {
    cli_args a;
    const int rc = cli_parse(&cli_run_command, argc, argv, &a, where);
    if (rc) return rc;
    memcpy(o->given, a.given, sizeof o->given);
    memcpy(o->value, a.value, sizeof o->value);
    const char *const *v = a.value;
    o->scenario = a.positional[0];
    o->out = v[RO_OUTPUT];
    o->summary = v[RO_SUMMARY];
    o->rng = v[RO_RNG];
    o->log_file = v[RO_LOG];
    o->checkpoint = v[RO_CHECKPOINT];
    o->resume = v[RO_RESUME];
    if (a.given[RO_TRIALS]) o->trials = a.num[RO_TRIALS];
    if (a.given[RO_SEED]) o->seed = a.num[RO_SEED];
    if (a.given[RO_THREADS]) o->threads = a.num[RO_THREADS];
    if (a.given[RO_COMPRESS]) o->compress = a.num[RO_COMPRESS];
    if (a.given[RO_MAX_TRIALS]) o->max_trials = a.num[RO_MAX_TRIALS];
    if (a.given[RO_REPLICATES]) o->replicates = a.num[RO_REPLICATES];
    if (a.given[RO_EVERY]) o->every = a.num[RO_EVERY];
    if (a.given[RO_STORE]) o->store = (tyche_store)a.num[RO_STORE];           /* none, outputs, paths */
    if (a.given[RO_SAMPLING]) o->sampling = (tyche_sampling)a.num[RO_SAMPLING]; /* mc, lhs, qmc */
    o->quiet = a.given[RO_QUIET] != NULL;
    o->progress = a.given[RO_PROGRESS] != NULL;
    cli_scen_from(&a, &o->sf);
    o->n_prec = cli_args_values(&a, CLI_O_PRECISION, o->prec, MAX_SETS);
    if (v[RO_SHARD]) {
        unsigned long long si, sn;
        char ib[32], nb[32];
        const char *sv = v[RO_SHARD], *slash = strchr(sv, '/');
        if (slash == NULL || slash - sv >= 31 || strlen(slash + 1) >= 31)
            return cli_usage_error(cli_usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", sv);
        snprintf(ib, sizeof ib, "%.*s", (int)(slash - sv), sv);
        snprintf(nb, sizeof nb, "%s", slash + 1);
        if (!cli_parse_u64(ib, &si) || !cli_parse_u64(nb, &sn) || sn == 0 || si >= sn || sn > 100000)
            return cli_usage_error(cli_usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", sv);
        o->shard_index = (uint32_t)si;
        o->shard_count = (uint32_t)sn;
    }
    return 0;
}

/* Combinations in which an option would do nothing, refused rather than
 * silently ignored.  Returns 0 or 2 after the message. */
static int check_combinations(const run_opts *o) {
    const char *const *g = o->given;
    if (g[RO_EVERY] && !o->checkpoint)
        return cli_usage_error(cli_usage_run, "%s: only with --checkpoint DIR (it sets the size of the checkpoint's parts)", g[RO_EVERY]);
    if (g[RO_MAX_TRIALS] && !o->n_prec)
        return cli_usage_error(cli_usage_run, "%s: only with --precision (it caps a run that stops when its targets are met; otherwise -n sets the trials)", g[RO_MAX_TRIALS]);
    if (g[RO_TRIALS] && o->n_prec)
        return cli_usage_error(cli_usage_run, "%s: not with --precision, which runs until the targets are met; give --max-trials for its cap", g[RO_TRIALS]);
    if (g[RO_REPLICATES] && o->sampling == TYCHE_SAMPLING_MC)
        return cli_usage_error(cli_usage_run, "%s: only with --sampling lhs or qmc (plain Monte Carlo's errors need no replicates)", g[RO_REPLICATES]);
    if (o->checkpoint && (o->shard_count || o->n_prec))
        return cli_usage_error(cli_usage_run, "--checkpoint: not with %s (a checkpoint's parts are a fixed split of a fixed trial count)",
                           o->shard_count ? "--shard" : "--precision");
    if (o->shard_count && o->n_prec)
        return cli_usage_error(cli_usage_run, "%s", "--shard: not with --precision (a precision target stops the run where it is met; shards need a fixed trial count)");
    if (cli_mpi_size > 1 && (o->shard_count || o->n_prec))
        return cli_usage_error(cli_usage_run, "under mpirun: not with %s (the ranks already split the run)",
                           o->shard_count ? "--shard" : "--precision");
    if (cli_mpi_size > 1 && o->compress > 0 && !o->checkpoint && o->store != TYCHE_STORE_NONE)
        return cli_usage_error(cli_usage_run, "%s", "under mpirun: --compress only with --checkpoint DIR (the ranks write their "
                               "rows into the one file independently, and HDF5 compresses only collective writes)");
    return 0;
}

/* tyche run --resume DIR [-t T] [-q] [--log FILE]: the run's own arguments
 * from DIR/args, with the options that cannot change its results.  Returns
 * 0 with *stored filled (free with cli_args_free), or the exit status. */
static int resume_opts(const run_opts *u, run_opts *o, int *ra, char ***rv) {
    char path[1200];
    const char *dir = u->resume;
    snprintf(path, sizeof path, "%s/args", dir);
    static const int allowed[] = {RO_RESUME, RO_THREADS, RO_QUIET, RO_LOG, RO_PROGRESS};
    if (u->scenario)
        return cli_usage_error(cli_usage_run, "--resume %s: the scenario comes from %s; give no scenario (\"%s\")",
                           dir, path, u->scenario);
    if (!cli_file_exists(path))
        return cli_usage_error(cli_usage_run, "--resume %s: no checkpointed run there (no %s)", dir, path);
    tyche_err err;
    if (cli_args_read(path, ra, rv, &err) != TYCHE_OK) {
        if (cli_mpi_rank == 0) fprintf(stderr, "tyche: %s\n", err.msg);
        return tyche_status_exit_code(err.code);
    }
    run_opts_init(o);
    int rc = parse_run(*ra, *rv, o, path);
    if (rc == 0 && o->resume) rc = cli_usage_error(cli_usage_run, "%s: --resume (a checkpointed run cannot resume another)", path);
    for (int k = 0; rc == 0 && k < RO_N; k++) {
        int ok = 0;
        for (size_t j = 0; j < sizeof allowed / sizeof allowed[0]; j++) ok |= allowed[j] == k;
        if (ok || !u->given[k]) continue;
        if (o->given[k])
            rc = cli_usage_error(cli_usage_run, "--resume %s: %s cannot be changed: the run's own is %s %s (%s); "
                             "only -t, --quiet, --progress and --log may be given", dir, u->given[k], o->given[k],
                             o->value[k] ? o->value[k] : "", path);
        else
            rc = cli_usage_error(cli_usage_run, "--resume %s: %s cannot be changed: the run did not give it (its "
                             "default holds; %s); only -t, --quiet, --progress and --log may be given",
                             dir, u->given[k], path);
    }
    if (rc) {
        cli_args_free(*ra, *rv);
        *rv = NULL;
        return rc;
    }
    if (u->given[RO_THREADS]) o->threads = u->threads;
    if (u->given[RO_QUIET]) o->quiet = 1;
    if (u->given[RO_LOG]) o->log_file = u->log_file;
    if (u->given[RO_PROGRESS]) o->progress = 1;
    o->checkpoint = dir; /* the parts are where --resume says, wherever the run was started */
    return 0;
}

/* ---- the arguments kept in a checkpoint folder (DIR/args) ---------------------- */
/* (checkpoint.h says what a checkpointed run is) */

/* An absolute form of path (the caller frees): DIR/args must mean the same
 * files when --resume runs from another folder. */
static char *absolute(const char *path) {
    if (path[0] == '/') return tyche_strdup(path);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) return tyche_strdup(path);
    const size_t n = strlen(cwd) + strlen(path) + 2;
    char *a = tyche_malloc(n);
    if (a) snprintf(a, n, "%s/%s", cwd, path);
    return a;
}

/* What DIR/args is made of: the options and the command line they came from. */
typedef struct {
    const run_opts *o;
    int argc;
    char **argv;
} run_args;

/* The arguments kept in DIR/args (tyche_checkpoint_claim's writer): as
 * given, but with the scenario and the outputs (also the default ones) as
 * absolute paths.  run_opts points into argv, so the paths are found by
 * identity, not by knowing the flags. */
static tyche_status write_args(const void *obj, const char *file, tyche_err *err) {
    const run_args *ra = obj;
    const run_opts *o = ra->o;
    const int argc = ra->argc;
    char **argv = ra->argv;
    char **v = tyche_calloc((size_t)argc + 5, sizeof *v);
    int n = 0;
    tyche_status st = v ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    for (int i = 0; st == TYCHE_OK && i < argc; i++) {
        const char *a = argv[i];
        const int path = i > 0 && (a == o->scenario || a == o->out || a == o->summary || a == o->log_file);
        if ((v[n++] = path ? absolute(a) : tyche_strdup(a)) == NULL)
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    /* the default outputs, named where the run started */
    const char *const extra[2][2] = {{o->given[RO_OUTPUT] ? NULL : "-o", o->out},
                                     {o->given[RO_SUMMARY] ? NULL : "--summary", o->summary}};
    for (int k = 0; k < 2 && st == TYCHE_OK; k++) {
        if (extra[k][0] == NULL) continue;
        if ((v[n++] = tyche_strdup(extra[k][0])) == NULL || (v[n++] = absolute(extra[k][1])) == NULL)
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    if (st == TYCHE_OK) st = cli_args_write(file, n, v, err);
    for (int k = 0; v && k < n; k++) free(v[k]);
    free(v);
    return st;
}

/* Takes DIR for this run (tyche_checkpoint_claim, with the identity made
 * of what the results depend on).  Returns 0, or the exit status after the
 * message; *claimed holds the lock for the life of the run. */
static int checkpoint_claim(const char *dir, const tyche_scenario *s, const run_opts *o, int resuming,
                            int argc, char **argv, tyche_checkpoint **claimed) {
    const tyche_checkpoint_spec spec = {
        .scenario = s, .seed = o->seed, .trials = o->trials, .rng = o->rng, .store = o->store,
        .sampling = o->sampling, .replicates = o->replicates, .every = o->every,
        .set = o->sf.set, .n_set = o->sf.n_set};
    const run_args ra = {o, argc, argv};
    char warning[TYCHE_ERR_MAX];
    tyche_err err = {0};
    const tyche_status st = tyche_checkpoint_claim(dir, &spec, resuming, write_args, &ra, cli_said_swept, NULL,
                                                   warning, sizeof warning, claimed, &err);
    if (warning[0]) fprintf(stderr, "tyche: %s\n", warning);
    if (st == TYCHE_OK) return 0;
    fprintf(stderr, "tyche: %s\n", err.msg);
    return tyche_status_exit_code(st);
}

/* Under MPI: every rank's flags ORed (stop requested, failed). */
static int all_flags(int mine) { return tyche_checkpoint_ranks_or(mine); }

/* Rank 0's verdict, on every rank (a check only rank 0 made). */
static int agree(int rc) { return tyche_checkpoint_ranks_root(rc); }

enum { FLAG_FAILED = 2 };

/* tyche_checkpoint_run_parts' callback: this rank's part stands for the
 * round on the bar. */
static void part_begins(void *user, uint64_t done, uint64_t round) {
    cli_progress_state *ps = user;
    ps->base = (double)done;
    ps->span = (double)round;
}

/* Runs the parts DIR lacks (a signal stops the run between parts) and
 * merges them.  On other ranks than 0 a NULL return with *stopped == 0 and
 * err->code == TYCHE_OK means "done, rank 0 writes". */
static tyche_results *run_checkpointed(const tyche_scenario *s, const tyche_run_config *cfg,
                                       const char *dir, uint32_t parts, cli_progress_state *ps,
                                       cli_stream *stream, tyche_scenario **merged_s, int *stopped,
                                       int *threads_used, tyche_err *err) {
    err->code = TYCHE_OK;
    ps->whole = cfg->trials;
    cli_sig_mode = SIG_NOTE;
    tyche_status st = tyche_checkpoint_run_parts(s, cfg, dir, parts, &cli_stop_requested, part_begins, ps,
                                                 stopped, threads_used, err);
    if (ps->drawn) fputc('\n', stderr); /* a bar short of its end (stopped, or rank 0 idle at the last) */
    /* from here a signal leaves the parts for --resume: exit 3 */
    cli_sig_mode = SIG_EXIT3;
    if (st != TYCHE_OK || *stopped || cli_mpi_rank != 0) return NULL;
    if (cli_stop_requested) fprintf(stderr, "tyche: every part was done when the signal came: merging them\n");
    cli_progress_state mp = {.phase = "merging"};
    return tyche_checkpoint_merge_stream(dir, parts, cfg->progress ? cli_progress : NULL, &mp, cli_stream_begin,
                                         stream, merged_s, err);
}

/* What a statement's precision target came to (printed with the table, and
 * on stderr even with --quiet when one was missed). */
static size_t precision_missed(const tyche_scenario *s, const tyche_results *r, char *list, size_t len) {
    size_t missed = 0, used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        double target, hw;
        if (!tyche_results_precision(r, i, &target, &hw) || hw <= target) continue;
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        if (used + 64 < len)
            used += (size_t)snprintf(list + used, len - used, "%s%s +-%.2g (target %.2g)", missed ? ", " : "",
                                     si.id, hw, target);
        missed++;
    }
    return missed;
}

static int run_main(run_opts *o, int resuming, int argc, char **argv, char *cmdline) {
    if (o->scenario == NULL) return cli_usage_error(cli_usage_run, "%s", "run: which scenario? (a JSON file)");
    int rc = check_combinations(o);
    if (rc) return rc;

    tyche_err err = {0};
    tyche_scenario *s = cli_load(o->scenario, &o->sf, &err);
    /* every rank must know: one that goes on alone waits for the others forever */
    if (all_flags(s == NULL ? FLAG_FAILED : 0)) {
        if (s == NULL) return cli_report(&err);
        tyche_scenario_free(s);
        return 2; /* another rank said why */
    }
    double *precision = NULL;
    tyche_checkpoint *claimed = NULL;
    tyche_results *r = NULL;
    cli_stream stream = {0};         /* a streamed run's pair of result files */
    tyche_scenario *merged_s = NULL; /* a checkpoint's parts' scenario, which their merge's writer holds */
    tyche_h5_writer *rank_rows = NULL; /* under mpirun: this rank's rows into rank 0's file */
#define FAIL(code) do { rc = (code); goto done; } while (0)

    /* check the generator name before any trial (and before any output) */
    tyche_rng *probe = tyche_rng_alloc(o->rng, o->seed, &err);
    if (probe == NULL) FAIL(cli_report(&err));
    tyche_rng_free(probe);

    char default_out[512], default_summary[1024];
    if (o->out == NULL) {
        snprintf(default_out, sizeof default_out, "%s.h5", tyche_scenario_name(s));
        o->out = default_out;
    }
    if (o->summary == NULL) {
        size_t n = strlen(o->out);
        if (n > 3 && strcmp(o->out + n - 3, ".h5") == 0) n -= 3;
        snprintf(default_summary, sizeof default_summary, "%.*s.json", (int)n, o->out);
        o->summary = default_summary;
    }
    const char *out = o->out, *summary = o->summary;
    if (strcmp(out, summary) == 0) FAIL(cli_usage_error(cli_usage_run, "--summary: \"%s\" is also the HDF5 output", summary));
    /* never write a result over the scenario itself (e.g. -o x.h5 next to x.json) */
    if (cli_same_file(o->scenario, summary) || cli_same_file(o->scenario, out))
        FAIL(cli_usage_error(cli_usage_run, "\"%s\" is the scenario file: choose another -o or --summary",
                         cli_same_file(o->scenario, summary) ? summary : out));
    if (o->log_file && cli_same_file(o->scenario, o->log_file))
        FAIL(cli_usage_error(cli_usage_run, "--log: \"%s\" is the scenario file", o->log_file));

    /* --precision H (every statement) or ID=H (one), later ones winning */
    unsigned long long trials = o->trials;
    if (o->n_prec) {
        precision = tyche_calloc(tyche_scenario_n_statements(s) + 1, sizeof *precision);
        if (precision == NULL) FAIL((fputs("tyche: out of memory\n", stderr), 1));
        for (size_t k = 0; k < o->n_prec; k++) {
            const char *eq = strchr(o->prec[k], '=');
            const char *num = eq ? eq + 1 : o->prec[k];
            char *end;
            const double h = strtod(num, &end);
            if (*num == '\0' || *end != '\0' || !(h > 0 && h < 0.5))
                FAIL(cli_usage_error(cli_usage_run, "--precision: expected a half-width in (0, 0.5), or ID=H, got \"%s\"", o->prec[k]));
            int found = 0;
            for (size_t j = 0; j < tyche_scenario_n_statements(s); j++) {
                tyche_statement_info si;
                tyche_scenario_statement(s, j, &si);
                if (eq == NULL || (strlen(si.id) == (size_t)(eq - o->prec[k]) &&
                                   strncmp(si.id, o->prec[k], (size_t)(eq - o->prec[k])) == 0)) {
                    precision[j] = h;
                    found = 1;
                }
            }
            if (!found) FAIL(cli_usage_error(cli_usage_run, "--precision %s: no statement of that id", o->prec[k]));
        }
        trials = o->max_trials;
    }
    uint32_t parts = 0;
    if (o->checkpoint) {
        const uint64_t p = tyche_checkpoint_parts(trials, o->every);
        if (p > 100000)
            FAIL(cli_usage_error(cli_usage_run, "--checkpoint-every %llu: %llu trials would make %llu parts, more than "
                             "100000; give a larger --checkpoint-every", o->every, trials, (unsigned long long)p));
        parts = (uint32_t)p;
    }

    /* Every output's folder, before the first trial: a typo in a path must
     * not cost the run.  Rank 0 looks; every rank goes by what it found. */
    rc = 0;
    if (cli_mpi_rank == 0) {
        tyche_tmp_sweep(out, 0, cli_said_swept, NULL);
        tyche_tmp_sweep(summary, 0, cli_said_swept, NULL);
    }
    if (!rc) rc = cli_check_writable("-o", out);
    if (!rc) rc = cli_check_writable("--summary", summary);
    if (!rc && o->log_file && cli_mpi_rank == 0) {
        /* an existing log must take an append; a new one, its folder a file (made only at the end) */
        if (cli_file_exists(o->log_file)) {
            const int lf = open(o->log_file, O_WRONLY | O_APPEND);
            if (lf < 0) {
                fprintf(stderr, "tyche: --log %s: cannot append to the log: %s\n", o->log_file, strerror(errno));
                rc = 1;
            } else {
                close(lf);
            }
        } else {
            rc = cli_check_writable("--log", o->log_file);
        }
    }
    /* a checkpointed run's parts hold every row, and so does the file they
     * are merged into: each must fit where it goes, before the first part
     * (the folder of DIR: DIR itself may not exist yet) */
    if (!rc && o->checkpoint && !resuming) {
        const uint64_t bytes = tyche_h5_file_bytes(s, o->store, trials);
        if (cli_same_disk(o->checkpoint, out)) /* the parts and the merged file side by side */
            rc = cli_check_space("-o (and its --checkpoint parts, on the same disk)", out,
                                 bytes > UINT64_MAX / 2 ? UINT64_MAX : 2 * bytes, o->compress > 0);
        else {
            rc = cli_check_space("--checkpoint", o->checkpoint, bytes, o->compress > 0);
            if (!rc) rc = cli_check_space("-o", out, bytes, o->compress > 0);
        }
    }
    if (!rc && o->checkpoint && cli_mpi_rank == 0)
        rc = checkpoint_claim(o->checkpoint, s, o, resuming, argc, argv, &claimed);
    if ((rc = agree(rc)) != 0) goto done;
    if (o->checkpoint) {
        cli_sig_mode = SIG_EXIT3; /* DIR holds a resumable run from here on */
        const int n = snprintf(cli_resume_hint, sizeof cli_resume_hint, "tyche: stopped by a signal; the run so far is in %s: "
                               "finish it with `tyche run --resume %s`\n", o->checkpoint, o->checkpoint);
        cli_resume_hint_len = cli_mpi_rank == 0 && n > 0 && (size_t)n < sizeof cli_resume_hint ? (size_t)n : 0;
    }

    cli_progress_state ps = {.phase = "simulating"};
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = trials;
    cfg.seed = o->seed;
    cfg.threads = (int)o->threads;
    cfg.rng = o->rng;
    cfg.store = o->store;
    cfg.precision = precision;
    cfg.sampling = o->sampling;
    cfg.replicates = o->sampling == TYCHE_SAMPLING_MC ? 0 : (int)o->replicates;
    cfg.shard_index = o->shard_index;
    cfg.shard_count = o->shard_count;
    /* under mpirun stderr is mpirun's pipe, never a terminal: --progress asks for the bar */
    const int bars = (o->progress || (!o->quiet && isatty(2))) && cli_mpi_rank == 0;
    if (bars) {
        cfg.progress = cli_progress;
        cfg.progress_user = &ps;
    }
    if (cli_mpi_size > 1 && !o->checkpoint) ps.whole = ps.span = (double)trials; /* rank 0's share stands for the job's */

    /* The provenance is filled in as the run goes: the writer keeps the
     * pointers (created: once the trials are done). */
    char created[32] = "";
    cli_progress_state wp = {.phase = "writing", .bytes = 1};
    tyche_provenance prov = {cmdline, created, (int)o->compress, bars ? cli_progress : NULL, &wp};
    /* A plain run, a shard and a checkpointed run's merge stream: the
     * results file is laid out under its temporary name before the first
     * row, and rows are written to it as they come (a run's blocks while
     * later ones simulate: tyche_run_config.rows). */
    cli_stream_init(&stream, out, summary, &prov, s);
    uint64_t first_row = 0, n_rows = 0;
    if (!o->checkpoint && cli_mpi_size <= 1 && tyche_run_range(&cfg, &first_row, &n_rows)) {
        const tyche_h5_plan plan = {.store = o->store, .first_trial = first_row, .rows = n_rows};
        if (cli_stream_open(&stream, s, &plan, precision != NULL, &err) != TYCHE_OK) FAIL(cli_report(&err));
        if (o->store != TYCHE_STORE_NONE) {
            cfg.rows = tyche_h5_writer_rows;
            cfg.rows_user = stream.writer;
        }
    }
#ifdef TYCHE_MPI
    /* Under mpirun every rank writes its own rows into the one file as they
     * come (mpi.h): rank 0 lays it out, then all open it with MPI-IO. */
    if (!o->checkpoint && cli_mpi_size > 1) {
        tyche_status ost = TYCHE_OK;
        if (cli_mpi_rank == 0) {
            const tyche_h5_plan plan = {.store = o->store, .first_trial = 0, .rows = trials, .parallel = 1};
            ost = cli_stream_open(&stream, s, &plan, 0, &err);
            if (ost == TYCHE_OK) ost = tyche_h5_writer_suspend(stream.writer, &err);
            if (ost != TYCHE_OK) rc = cli_report(&err);
        }
        if ((rc = agree(rc)) != 0) goto done;
        if (o->store != TYCHE_STORE_NONE) {
            if (tyche_mpi_rows_open(s, &cfg, cli_mpi_rank == 0 ? tyche_commit_tmp(stream.commit, 1) : NULL, out,
                                    &rank_rows, &err) != TYCHE_OK)
                FAIL(cli_report(&err));
            cfg.rows = tyche_h5_writer_rows;
            cfg.rows_user = rank_rows;
        }
    }
#endif
    if (o->checkpoint) {
        int stopped = 0, threads_used = 0;
        r = run_checkpointed(s, &cfg, o->checkpoint, parts, &ps, &stream, &merged_s, &stopped, &threads_used, &err);
        if (stopped) {
            if (cli_mpi_rank == 0)
                fprintf(stderr, "tyche: stopped by a signal; the run so far is in %s: finish it with "
                                "`tyche run --resume %s`\n", o->checkpoint, o->checkpoint);
            FAIL(3);
        }
        if (r == NULL && err.code == TYCHE_OK) { /* another rank than 0: rank 0 writes */
            FAIL(agree(0));
        }
        if (r != NULL) {
            tyche_run_info info;
            tyche_results_info(r, &info);
            tyche_results_set_runtime(r, threads_used ? threads_used : (info.threads ? info.threads : 1),
                                      cli_mpi_size, info.seconds / cli_mpi_size);
        }
    } else if (cli_mpi_size > 1) {
#ifdef TYCHE_MPI
        r = tyche_run_mpi(s, &cfg, &err);
        if (rank_rows != NULL) { /* collective: every rank's rows are in the file, or the run fails */
            tyche_err cerr = {0};
            const tyche_status cst = tyche_mpi_rows_close(rank_rows, r ? &err : &cerr);
            rank_rows = NULL;
            if (cst != TYCHE_OK && r != NULL) {
                tyche_results_free(r);
                r = NULL;
            }
        }
#endif
    } else {
        r = tyche_run(s, &cfg, &err);
    }
    if (r == NULL) {
        cli_stream_free(&stream, &err); /* the temporary removed, its name the user's in the message */
        rc = cli_report(&err);
        if (o->checkpoint && cli_mpi_size > 1) (void)agree(rc); /* the other ranks wait for rank 0's word */
        goto done;
    }

    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const double write_t0 = cli_now(); /* the header's seconds are the simulation's: say the write's too */

    tyche_status st = TYCHE_OK;
    if (cli_mpi_size > 1 && !o->checkpoint) {
        /* every rank's rows are in rank 0's file: rank 0 finishes it and puts
         * the pair in place, and every rank exits as it does */
        if (cli_mpi_rank == 0) {
            st = tyche_h5_writer_resume(stream.writer, &err);
            if (st == TYCHE_OK) st = cli_stream_finish(&stream, r, NULL, &err);
            if (st == TYCHE_OK && bars) cli_progress(&wp, 1, 1);
        }
        const int code = agree(st == TYCHE_OK ? 0 : 1);
        if (code && st == TYCHE_OK) st = tyche_err_set(&err, TYCHE_EIO, "%s: rank 0 could not write it", out);
    } else if (stream.writer != NULL) {
        /* the rows are in: the summary and provenance, then the pair put in
         * place (and a checkpoint folder, whose parts were merged into it, removed) */
        st = cli_stream_finish(&stream, r, o->checkpoint, &err);
        if (st == TYCHE_OK && bars) cli_progress(&wp, 1, 1);
    } else {
        st = tyche_err_set(&err, TYCHE_ERUN, "%s: no writer for the results (internal)", out);
    }
    const double write_seconds = cli_now() - write_t0;
    if (st == TYCHE_OK) cli_sig_mode = SIG_DIE; /* DIR is gone: nothing is left to resume */
    if (o->checkpoint && cli_mpi_size > 1) { /* rank 0 wrote: the others exit as it does */
        const int code = agree(st == TYCHE_OK ? 0 : tyche_status_exit_code(st));
        if (cli_mpi_rank != 0) FAIL(code);
    }
    if (st == TYCHE_OK && o->log_file && cli_mpi_rank == 0) st = cli_append_log(o->log_file, s, r, created, &err);
    char missed_list[2048];
    const size_t missed = precision ? precision_missed(s, r, missed_list, sizeof missed_list) : 0;
    if (st == TYCHE_OK && missed && cli_mpi_rank == 0)
        fprintf(stderr, "tyche: warning: --precision not reached for %zu statement(s) at the cap of %llu "
                        "trials (--max-trials): %s\n", missed, trials, missed_list);
    if (st == TYCHE_OK && !o->quiet && cli_mpi_rank == 0) {
        tyche_run_info info;
        tyche_results_info(r, &info);
        printf("tyche %s  %s (%s)\n", tyche_version(), tyche_scenario_title(s), tyche_scenario_file(s));
        char as_of[11], who[64];
        tyche_date_format(tyche_scenario_as_of(s), as_of);
        if (info.ranks > 1)
            snprintf(who, sizeof who, "%d ranks x %d thread%s", info.ranks, info.threads, info.threads == 1 ? "" : "s");
        else snprintf(who, sizeof who, "%d thread%s", info.threads, info.threads == 1 ? "" : "s");
        printf("seed %llu, %llu trials, generator %s, %s, %.2f s (%.3g trials/s), as of %s\n",
               (unsigned long long)info.seed, (unsigned long long)info.trials, info.rng, who,
               info.seconds, info.seconds > 0 ? (double)info.trials / info.seconds : 0.0, as_of);
        if (info.shard_count)
            printf("shard %u/%u: trials %llu to %llu of %llu, part of a job array; its numbers are this "
                   "part's alone: join the parts with `tyche merge`\n", info.shard_index, info.shard_count,
                   (unsigned long long)info.first_trial,
                   (unsigned long long)(info.first_trial + info.trials - 1),
                   (unsigned long long)info.total_trials);
        if (o->checkpoint) printf("checkpointed in %u parts (%s)%s\n", parts, o->checkpoint, resuming ? ", resumed" : "");
        if (info.replicates)
            printf("sampling: %s, %d replicates of %llu trials; +-se from the replicates' spread\n",
                   info.sampling == TYCHE_SAMPLING_LHS ? "Latin hypercube" : "randomized Sobol",
                   info.replicates, (unsigned long long)(info.trials / (uint64_t)info.replicates));
        if (o->n_prec) {
            printf("precision: stopped at %llu trials (checked every 65536; at most %llu)", 
                   (unsigned long long)info.trials, trials);
            if (missed) printf("; NOT reached for %zu statement(s): %s\n", missed, missed_list);
            else printf("; every target reached\n");
        }
        if (tyche_scenario_n_observed(s))
            printf("conditioned on %zu observed event(s): acceptance rate %.4f (%llu draws for %llu trials)\n",
                   tyche_scenario_n_observed(s), (double)info.trials / (double)info.attempts,
                   (unsigned long long)info.attempts, (unsigned long long)info.trials);
        for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
            tyche_param_info pi;
            char prior[128];
            tyche_scenario_param(s, i, &pi);
            if (!pi.overridden) continue;
            tyche_dist_format(pi.prior, prior, sizeof prior);
            printf("--set %s = %s\n", pi.name, prior);
        }
        cli_print_statements(s, r);
        cli_print_outputs(s, r);
        printf("\nresults: %s (written in %.2f s)\nsummary: %s\n", out, write_seconds, summary);
    }
    rc = st == TYCHE_OK ? 0 : cli_report(&err);
done:
#undef FAIL
    tyche_h5_writer_free(rank_rows);
    cli_stream_free(&stream, NULL);
    tyche_scenario_free(merged_s);
    tyche_results_free(r);
    free(precision);
    tyche_scenario_free(s);
    tyche_checkpoint_release(claimed);
    return rc;
}

int cli_cmd_run(int argc, char **argv, char *cmdline) {
    run_opts u, stored;
    run_opts_init(&u);
    int rc = parse_run(argc, argv, &u, "");
    if (rc) return rc < 0 ? 0 : rc;
    if (u.resume == NULL) return run_main(&u, 0, argc, argv, cmdline);
    int ra = 0;
    char **rv = NULL;
    if ((rc = resume_opts(&u, &stored, &ra, &rv)) != 0) return rc;
    rc = run_main(&stored, 1, ra, rv, cmdline);
    cli_args_free(ra, rv);
    return rc;
}

