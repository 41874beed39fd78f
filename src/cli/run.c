/* tyche run: options, checkpointed runs, the results table. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/tyche.h"
#include "args_file.h"
#ifdef TYCHE_MPI
#include <mpi.h>
#endif

#include "cli.h"

#define RUN_SYNOPSIS "SCENARIO [options]"
const char *const cli_usage_run = CLI_USAGE_LINE("run", RUN_SYNOPSIS);

static const cli_use run_uses[] = {
    {.id = CLI_O_TRIALS, .help = "number of trials (default 100000)"},
    CLI_USE(SEED), CLI_USE(THREADS),
    {.id = CLI_O_OUTPUT, .help = "the result file, HDF5 (default: <scenario name>.h5)"},
    CLI_USE(SUMMARY), CLI_USE(STORE), CLI_USE(COMPRESS), CLI_USE(RNG), CLI_USE(AS_OF),
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

/* ---- checkpoints ------------------------------------------------------------ */

/* A checkpointed run is a sequence of shards of the run ("parts"), each
 * written to DIR as it completes (atomically: a part file exists only
 * whole), then merged exactly as `tyche merge` does.  A signal is noted
 * and honoured between parts; parts already in DIR are not run again, so
 * after SIGKILL or power loss --resume redoes at most one part.
 *
 * DIR belongs to one run: DIR/args keeps its arguments (for --resume),
 * DIR/identity what makes its results (the scenario's hash, seed, trials,
 * ...), compared line by line when a run starts on a folder that has one;
 * DIR/lock, locked (fcntl) while a run or resume uses the folder, holds the
 * user's pid and host. */

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
    RO_PROGRESS = CLI_O_PROGRESS, RO_N = CLI_O_N
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
    if (cli_mpi_size > 1 && o->store == TYCHE_STORE_PATHS && !o->checkpoint)
        return cli_usage_error(cli_usage_run, "%s", "under mpirun: --store paths only with --checkpoint DIR (its merged parts are written by rank 0)");
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

/* ---- output paths, checked before the first trial ------------------------------- */

/* The identity of a run: one "key value" line per thing its results depend
 * on, including the part layout. */
static char *run_identity(const tyche_scenario *s, const run_opts *o) {
    char hash[65], as_of[11];
    tyche_scenario_hash(s, hash);
    tyche_date_format(tyche_scenario_as_of(s), as_of);
    size_t n = 1024;
    for (size_t k = 0; k < o->sf.n_set; k++) n += strlen(o->sf.set[k]) + 8;
    char *t = tyche_malloc(n);
    if (t == NULL) return NULL;
    static const char *const store[] = {"none", "outputs", "paths"}, *const smp[] = {"mc", "lhs", "qmc"};
    size_t u = (size_t)snprintf(t, n,
                                "tyche_version %s\nscenario_sha256 %s\nas_of %s\nseed %llu\ntrials %llu\nrng %s\n"
                                "store %s\nsampling %s\nreplicates %llu\ncheckpoint_every %llu\n",
                                tyche_version(), hash, as_of, o->seed, o->trials, o->rng ? o->rng : "philox", store[o->store],
                                smp[o->sampling], o->sampling == TYCHE_SAMPLING_MC ? 0 : o->replicates, o->every);
    for (size_t k = 0; k < o->sf.n_set; k++) u += (size_t)snprintf(t + u, n - u, "set %s\n", o->sf.set[k]);
    return t;
}

/* The value of `key` in an identity (every line of it, joined by "; ").  */
static void identity_value(const char *id, const char *key, char *buf, size_t len) {
    buf[0] = '\0';
    size_t used = 0;
    const size_t kl = strlen(key);
    for (const char *p = id; p && *p;) {
        const char *nl = strchr(p, '\n');
        const size_t ll = nl ? (size_t)(nl - p) : strlen(p);
        if (ll > kl && strncmp(p, key, kl) == 0 && p[kl] == ' ' && used + 4 < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%.*s", used ? "; " : "", (int)(ll - kl - 1), p + kl + 1);
        p = nl ? nl + 1 : NULL;
    }
    if (used == 0) snprintf(buf, len, "(none)");
}

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

/* The arguments kept in DIR/args: as given, but with the scenario and the
 * outputs (also the default ones) as absolute paths.  run_opts points into
 * argv, so the paths are found by identity, not by knowing the flags. */
static tyche_status write_args(const char *file, const run_opts *o, int argc, char **argv, tyche_err *err) {
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

/* Takes DIR for this run: creates it, locks it, and checks (or records)
 * whose it is.  Returns 0, or the exit status after the message; *lock_fd
 * stays open (the lock) for the life of the process. */
static int checkpoint_claim(const char *dir, const tyche_scenario *s, const run_opts *o, int resuming,
                            int argc, char **argv, int *lock_fd) {
    char path[1200], holder[128] = "";
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tyche: --checkpoint %s: cannot create the folder: %s\n", dir, strerror(errno));
        return errno == ENOENT ? 2 : 1;
    }
    if (!cli_is_folder(dir)) {
        fprintf(stderr, "tyche: --checkpoint %s: is a file, not a folder\n", dir);
        return 2;
    }
    /* a folder without args holds no run of tyche's: its files are not ours
     * to mix in or delete (looked at before the lock file is made, so a
     * refusal leaves the folder as it was) */
    snprintf(path, sizeof path, "%s/args", dir);
    if (!cli_file_exists(path)) {
        DIR *d = opendir(dir);
        int foreign = 0;
        for (struct dirent *e = d ? readdir(d) : NULL; !foreign && e; e = readdir(d))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !cli_checkpoint_own(e->d_name)) {
                fprintf(stderr, "tyche: --checkpoint %s: holds other files (%s) and no run of tyche's: "
                        "give a new or empty folder\n", dir, e->d_name);
                foreign = 1;
            }
        if (d) closedir(d);
        if (foreign) return 2;
    }
    snprintf(path, sizeof path, "%s/lock", dir);
    int fd = -1;
    for (int attempt = 0; attempt < 3 && fd < 0; attempt++) {
        fd = open(path, O_RDWR | O_CREAT, 0666);
        if (fd < 0) {
            fprintf(stderr, "tyche: --checkpoint %s: cannot write in it: %s\n", dir, strerror(errno));
            return 1;
        }
        struct flock lk;
        memset(&lk, 0, sizeof lk);
        lk.l_type = F_WRLCK;
        lk.l_whence = SEEK_SET;
        if (fcntl(fd, F_SETLK, &lk) != 0) {
            if (errno != EACCES && errno != EAGAIN) {
                /* a file system without locks (NFS without lockd, some Lustre mounts) */
                if (cli_mpi_rank == 0)
                    fprintf(stderr, "tyche: warning: --checkpoint %s: cannot lock it here (%s): going on "
                            "without the lock; make sure no other run uses the folder\n", dir, strerror(errno));
                break;
            }
            const ssize_t got = pread(fd, holder, sizeof holder - 1, 0);
            holder[got > 0 ? got : 0] = '\0';
            char *nl = strchr(holder, '\n');
            if (nl) *nl = '\0';
            struct flock who = lk;
            const int known = fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK;
            close(fd);
            if (known && holder[0] == '\0') snprintf(holder, sizeof holder, "pid %ld", (long)who.l_pid);
            fprintf(stderr, "tyche: --checkpoint %s: in use by another run (%s); wait for it to end or stop it\n",
                    dir, holder[0] ? holder : "its pid unknown");
            return 2;
        }
        /* locked, but is it still the folder's lock file?  A run that has just
         * finished unlinks it (and its folder): then take the new one */
        struct stat a, b;
        if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
            close(fd);
            fd = -1;
            if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "tyche: --checkpoint %s: cannot create the folder: %s\n", dir, strerror(errno));
                return 1;
            }
        }
    }
    if (fd < 0) {
        fprintf(stderr, "tyche: --checkpoint %s: its lock file keeps being replaced\n", dir);
        return 1;
    }
    *lock_fd = fd;
    char *mine = run_identity(s, o);
    if (mine == NULL) {
        fputs("tyche: out of memory\n", stderr);
        return 1;
    }
    char args[1200], idp[1200];
    snprintf(args, sizeof args, "%s/args", dir);
    snprintf(idp, sizeof idp, "%s/identity", dir);
    int rc = 0;
    if (resuming && !cli_file_exists(args)) {
        fprintf(stderr, "tyche: --resume %s: the run is no longer there (it finished, or its folder was "
                "emptied)\n", dir);
        rc = 2;
    } else if (cli_file_exists(args)) {
        /* DIR/identity: written before args, so a folder with args and no
         * identity was not made by this tyche, or was damaged */
        FILE *f = fopen(idp, "rb");
        char *theirs = f ? tyche_malloc(65536) : NULL;
        const size_t got = theirs ? fread(theirs, 1, 65535, f) : 0;
        const int unreadable = f == NULL || ferror(f) || (theirs && !feof(f));
        if (theirs) theirs[got] = '\0';
        if (f) fclose(f);
        if (f && theirs == NULL) {
            fputs("tyche: out of memory\n", stderr);
            rc = 1;
        } else if (unreadable) {
            fprintf(stderr, "tyche: --checkpoint %s: has the args of a run but no readable identity (%s): "
                    "made by an older tyche, or damaged; finish it with the tyche that started it, or "
                    "choose another folder\n", dir, idp);
            rc = 2;
        } else if (strcmp(theirs, mine) != 0) {
            static const char *const keys[] = {"tyche_version", "scenario_sha256", "as_of", "set", "seed",
                                               "trials", "rng", "store", "sampling", "replicates",
                                               "checkpoint_every"};
            static const char *const what[] = {"tyche version", "scenario (its text, by SHA-256)", "as-of date",
                                               "--set values", "seed", "trial count", "generator",
                                               "--store level", "sampling", "replicates", "--checkpoint-every"};
            char a[512] = "", b[512] = "";
            size_t k = 0;
            for (; k < sizeof keys / sizeof keys[0]; k++) {
                identity_value(theirs, keys[k], a, sizeof a);
                identity_value(mine, keys[k], b, sizeof b);
                if (strcmp(a, b) != 0) break;
            }
            char diff[1400];
            if (k < sizeof keys / sizeof keys[0])
                snprintf(diff, sizeof diff, "its %s is %s, this run's is %s", what[k], a, b);
            else /* beyond what the message can show (a long --set list) */
                snprintf(diff, sizeof diff, "%s differs", idp);
            if (resuming)
                fprintf(stderr, "tyche: --resume %s: not the run that started there (%s)%s\n", dir, diff,
                        k == 1 ? ": the scenario file changed since" : "");
            else
                fprintf(stderr, "tyche: --checkpoint %s: holds the parts of another run (%s); finish that one "
                        "with `tyche run --resume %s`, or choose another folder\n", dir, diff, dir);
            rc = 2;
        }
        free(theirs);
    } else {
        tyche_err err;
        /* identity before args: a folder with args always has its identity */
        if (rc == 0 && cli_file_write(idp, mine, "run's identity", &err) != TYCHE_OK) {
            fprintf(stderr, "tyche: %s\n", err.msg);
            rc = tyche_status_exit_code(err.code);
        }
        if (rc == 0 && write_args(args, o, argc, argv, &err) != TYCHE_OK) {
            fprintf(stderr, "tyche: %s\n", err.msg);
            rc = tyche_status_exit_code(err.code);
        }
    }
    free(mine);
    if (rc == 0) {
        /* ours now (a refused run changes nothing in the folder) */
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        const int hn = snprintf(holder, sizeof holder, "pid %ld on %s\n", (long)getpid(), host);
        if (ftruncate(fd, 0) != 0 || pwrite(fd, holder, (size_t)hn, 0) != hn) { /* the lock is what counts */ }
        tyche_tmp_sweep(dir, 1, cli_said_swept, NULL); /* parts a kill -9 cut short */
    }
    return rc;
}

/* Trials in part i of `parts` (the engine's split of whole blocks). */
static uint64_t part_trials(uint64_t trials, uint32_t i, uint32_t parts) {
    const uint64_t n_all = trials / TYCHE_BLOCK_TRIALS + (trials % TYCHE_BLOCK_TRIALS != 0);
    const uint64_t b0 = n_all * i / parts, b1 = n_all * (i + 1) / parts;
    return (b1 == n_all ? trials : b1 * TYCHE_BLOCK_TRIALS) - b0 * TYCHE_BLOCK_TRIALS;
}

/* Under MPI: every rank's flags ORed (stop requested, failed). */
static int all_flags(int mine) {
#ifdef TYCHE_MPI
    int all = 0;
    if (cli_mpi_size > 1) {
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
        return all;
    }
#endif
    return mine;
}

/* Rank 0's verdict, on every rank (a check only rank 0 made). */
static int agree(int rc) {
#ifdef TYCHE_MPI
    if (cli_mpi_size > 1) MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
#endif
    return rc;
}

enum { FLAG_STOP = 1, FLAG_FAILED = 2 };

/* Runs the parts DIR lacks and merges them.  Under MPI the missing parts
 * are split into contiguous runs, one per rank; the ranks go part by part
 * in rounds and agree before each round whether to go on, so a signal to
 * any rank stops them all at a part boundary.  Rank 0 then merges; on
 * other ranks a NULL return with *stopped == 0 and err->code == TYCHE_OK
 * means "done, rank 0 writes". */
static tyche_results *run_checkpointed(const tyche_scenario *s, const tyche_run_config *cfg,
                                       const char *dir, uint32_t parts, cli_progress_state *ps,
                                       int *stopped, int *threads_used, tyche_err *err) {
    err->code = TYCHE_OK;
    char path[1200];
    char **files = tyche_calloc(parts, sizeof *files);
    uint32_t *todo = tyche_calloc((size_t)parts + 1, sizeof *todo);
    tyche_results *merged = NULL;
    tyche_status st = files && todo ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    uint32_t n_todo = 0;
    uint64_t done_trials = 0;
    for (uint32_t i = 0; st == TYCHE_OK && i < parts; i++) {
        snprintf(path, sizeof path, "%s/part-%06u-of-%06u.h5", dir, i, parts);
        if ((files[i] = tyche_strdup(path)) == NULL) st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
        else if (!cli_file_exists(path)) todo[n_todo++] = i;
        else done_trials += part_trials(cfg->trials, i, parts);
    }
#ifdef TYCHE_MPI
    /* rank 0's list: the others must not see a part that a fast rank has just written */
    if (cli_mpi_size > 1) {
        int bad = all_flags(st != TYCHE_OK ? FLAG_FAILED : 0);
        if (bad) {
            if (st == TYCHE_OK) st = tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
        } else {
            MPI_Bcast(&n_todo, 1, MPI_UINT32_T, 0, MPI_COMM_WORLD);
            MPI_Bcast(todo, (int)n_todo, MPI_UINT32_T, 0, MPI_COMM_WORLD);
            MPI_Bcast(&done_trials, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        }
    }
#endif
    const uint32_t R = (uint32_t)cli_mpi_size, me = (uint32_t)cli_mpi_rank;
    const uint32_t rounds = (n_todo + R - 1) / R;
    ps->whole = cfg->trials;
    cli_sig_mode = SIG_NOTE;
    for (uint32_t round = 0; st == TYCHE_OK && round < rounds; round++) {
        const int flags = all_flags((cli_stop_requested ? FLAG_STOP : 0));
        if (flags & FLAG_STOP) {
            *stopped = 1;
            break;
        }
        uint64_t round_trials = 0;
        int mine = -1;
        for (uint32_t q = 0; q < R; q++) {
            const uint32_t lo = (uint32_t)((uint64_t)n_todo * q / R), hi = (uint32_t)((uint64_t)n_todo * (q + 1) / R);
            if (lo + round >= hi) continue;
            round_trials += part_trials(cfg->trials, todo[lo + round], parts);
            if (q == me) mine = (int)todo[lo + round];
        }
        if (mine >= 0) {
            tyche_run_config part = *cfg;
            part.shard_index = (uint32_t)mine;
            part.shard_count = parts;
            ps->base = (double)done_trials;
            ps->span = (double)round_trials; /* rank 0's part stands for the round's */
            tyche_results *r = tyche_run(s, &part, err);
            if (r == NULL) {
                st = err->code;
            } else {
                tyche_run_info info;
                tyche_results_info(r, &info);
                if (info.threads > *threads_used) *threads_used = info.threads;
                tyche_provenance prov = {"(checkpoint part)", "", 0, NULL, NULL};
                st = tyche_write_hdf5(s, r, &prov, files[mine], err);
                tyche_results_free(r);
            }
        }
        done_trials += round_trials;
        if (all_flags(st != TYCHE_OK ? FLAG_FAILED : 0) && st == TYCHE_OK)
            st = tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
    }
    if (ps->drawn) fputc('\n', stderr); /* a bar short of its end (stopped, or rank 0 idle at the last) */
    /* from here a signal leaves the parts for --resume: exit 3 */
    cli_sig_mode = SIG_EXIT3;
    if (st == TYCHE_OK && !*stopped && cli_stop_requested && cli_mpi_rank == 0)
        fprintf(stderr, "tyche: every part was done when the signal came: merging them\n");
    if (st == TYCHE_OK && !*stopped && cli_mpi_rank == 0) {
        tyche_scenario *ms = NULL;
        cli_progress_state mp = {.phase = "merging"};
        merged = tyche_merge_shards_progress((const char *const *)files, parts, &ms,
                                             cfg->progress ? cli_progress : NULL, &mp, err);
        tyche_scenario_free(ms);
    }
    for (uint32_t i = 0; files && i < parts; i++) free(files[i]);
    free(files);
    free(todo);
    return merged;
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
    int lock_fd = -1;
    tyche_results *r = NULL;
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
        const uint64_t blocks = trials / TYCHE_BLOCK_TRIALS + (trials % TYCHE_BLOCK_TRIALS != 0);
        const uint64_t p = (blocks + o->every - 1) / o->every;
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
    if (!rc && o->checkpoint && cli_mpi_rank == 0)
        rc = checkpoint_claim(o->checkpoint, s, o, resuming, argc, argv, &lock_fd);
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
    if (o->checkpoint) {
        int stopped = 0, threads_used = 0;
        r = run_checkpointed(s, &cfg, o->checkpoint, parts, &ps, &stopped, &threads_used, &err);
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
#endif
    } else {
        r = tyche_run(s, &cfg, &err);
    }
    if (r == NULL) {
        rc = cli_report(&err);
        if (o->checkpoint && cli_mpi_size > 1) (void)agree(rc); /* the other ranks wait for rank 0's word */
        goto done;
    }

    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    cli_progress_state wp = {.phase = "writing", .bytes = 1};
    tyche_provenance prov = {cmdline, created, (int)o->compress, bars ? cli_progress : NULL, &wp};
    const double write_t0 = cli_now(); /* the header's seconds are the simulation's: say the write's too */

    tyche_status st = TYCHE_OK;
    if (cli_mpi_size > 1 && !o->checkpoint) {
#ifdef TYCHE_MPI
        /* every rank writes its rows into one file (rank 0's temporary),
         * rank 0 the summary first; then rank 0 puts the pair in place */
        char *tmp_json = NULL, *tmp_h5 = NULL;
        if (cli_mpi_rank == 0) {
            tmp_json = tyche_tmp_name(summary);
            tmp_h5 = tyche_tmp_name(out);
            st = tmp_json && tmp_h5 ? tyche_write_summary_json(s, r, &prov, tmp_json, &err)
                                    : tyche_err_set(&err, TYCHE_ENOMEM, "out of memory");
        }
        if (agree(st == TYCHE_OK ? 0 : 1) != 0) {
            if (cli_mpi_rank != 0) st = tyche_err_set(&err, TYCHE_EIO, "%s: rank 0 could not write the summary", summary);
        } else {
            st = tyche_write_hdf5_mpi(s, r, &prov, cli_mpi_rank == 0 ? tmp_h5 : out, &err);
            if (st == TYCHE_OK && cli_mpi_rank == 0) st = cli_commit_pair(tmp_h5, out, tmp_json, summary, NULL, &err);
            const int code = agree(st == TYCHE_OK ? 0 : 1);
            if (code && st == TYCHE_OK) st = tyche_err_set(&err, TYCHE_EIO, "%s: rank 0 could not put it in place", out);
        }
        if (cli_mpi_rank == 0) cli_release_pair(st, tmp_h5, out, tmp_json, summary, &err);
#endif
    } else {
        const cli_run_output ro = {s, r, &prov};
        st = cli_write_pair(&ro, cli_write_run_h5, cli_write_run_json, out, summary, o->checkpoint, &err);
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
    tyche_results_free(r);
    free(precision);
    tyche_scenario_free(s);
    if (lock_fd >= 0) close(lock_fd);
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


/* ---- describe ------------------------------------------------------------- */

