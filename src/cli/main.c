/* The `tyche` command: argument parsing, subcommands, the progress bar and
 * the terminal tables.  It uses the public API in include/tyche/ only. */
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

#define DEFAULT_TRIALS 100000ULL
#define DEFAULT_SEED 1ULL

static const char *usage_main =
    "usage: tyche <command> [options]\n"
    "\n"
    "Monte Carlo forecasts of dated statements from a scenario file.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO       simulate trials; print a table, write HDF5 and a JSON summary\n"
    "  describe SCENARIO  list every parameter (prior, 5/50/95%) and every statement\n"
    "  replay SCENARIO    re-simulate one trial alone and print it\n"
    "  backtest SCENARIO  forecast a revenue model from past origins, score against the data\n"
    "  score SUMMARY.json OUTCOMES.json   Brier and log scores of resolved statements\n"
    "  merge SHARD.h5... -o FILE.h5   join the files of a --shard I/N job array\n"
    "  tornado SCENARIO   each uncertain parameter at its 10% and 90% values: the swings\n"
    "  sweep SCENARIO --grid NAME=V1,V2,...   the statements over a grid of values\n"
    "  sobol SCENARIO --base N   first-order and total Sobol indices of every statement\n"
    "\n"
    "  tyche --version    print the version\n"
    "  tyche COMMAND --help\n";

static const char *usage_run =
    "usage: tyche run SCENARIO [options]\n"
    "\n"
    "  -n, --trials N       number of trials (default 100000)\n"
    "  -s, --seed S         seed, 0..2^64-1 (default 1); same seed, same results\n"
    "  -t, --threads T      OpenMP threads (default: all cores); results do not depend on it\n"
    "  -o, --output FILE    HDF5 results (default: <scenario name>.h5)\n"
    "      --summary FILE   JSON summary (default: beside the HDF5 file, .json)\n"
    "      --store LEVEL    per-trial data in the HDF5 file: none, outputs (default), paths\n"
    "      --compress N     deflate level 0-9 for the HDF5 datasets (default 0)\n"
    "      --rng NAME       generator: philox (default) or any GSL generator name\n"
    "      --as-of DATE     forecast as of DATE (YYYY-MM-DD), replacing the scenario's as_of\n"
    "      --precision H    stop once every statement's 95% interval is at most +-H wide\n"
    "                       (checked every 65536 trials; ID=H for one statement; repeatable)\n"
    "      --max-trials N   the most trials a --precision run may take (default 10000000)\n"
    "      --checkpoint DIR record the run in DIR part by part (every --checkpoint-every\n"
    "                       blocks of 2048 trials, default 64); SIGTERM or SIGINT stop it\n"
    "                       after the current part with exit status 3, SIGKILL loses at most\n"
    "                       that part; --resume DIR finishes it, bit for bit the same run\n"
    "      --resume DIR     finish a checkpointed run (its settings come from DIR)\n"
    "      --shard I/N      run only the I-th (0-based) of N equal parts of the trials (a job\n"
    "                       array's task); tyche merge joins the parts' files\n"
    "      --sampling KIND  parameters drawn by mc (default), lhs (Latin hypercube) or qmc\n"
    "                       (randomized Sobol); process noise stays pseudo-random\n"
    "      --replicates R   independent LHS/QMC designs the trials are split into, for\n"
    "                       the error estimate (default 10; must divide the trials)\n"
    "      --log FILE       append this forecast (as-of date, scenario hash, seed,\n"
    "                       probabilities) to FILE, one JSON object per line\n"
    "      --set NAME=VALUE override a parameter (model.param) with a number or a prior in\n"
    "                       JSON, e.g. --set option.h0=0.5 or\n"
    "                       --set 'option.h0={\"dist\":\"lognormal\",\"median\":0.5,\"sdlog\":0.5}'\n"
    "                       (repeatable)\n"
    "  -q, --quiet          no table, no progress bar\n";

static const char *usage_describe =
    "usage: tyche describe SCENARIO [--as-of DATE] [--set NAME=VALUE ...]\n"
    "\n"
    "Prints the scenario's dates, models, every parameter with its prior and its\n"
    "5%, 50% and 95% values (marked * where --set replaced it), every output and\n"
    "every statement with its rule.\n";

static const char *usage_replay =
    "usage: tyche replay SCENARIO --trial N [-s SEED] [--rng NAME] [--as-of DATE]\n"
    "                    [--set NAME=VALUE ...] [--sampling lhs|qmc -n TRIALS --replicates R]\n"
    "\n"
    "Re-simulates trial N (0-based) alone and prints its parameters, outputs and\n"
    "statement outcomes: exactly what `tyche run` computed for it with that seed.\n";

static const char *usage_backtest =
    "usage: tyche backtest SCENARIO --model NAME [--origins Q1..Q2] [--horizon H] [options]\n"
    "\n"
    "For each origin quarter, forecasts the revenue_slowdown model NAME from the history\n"
    "up to it, H quarters ahead, and compares with the data: PIT values, coverage of the\n"
    "central 50/80/95% intervals, CRPS.\n"
    "\n"
    "  --origins Q1..Q2     e.g. FY2025Q1..FY2026Q4 (default: every quarter with history\n"
    "                       before it and data after it)\n"
    "  --horizon H          quarters ahead (default 4)\n"
    "  -n, --trials N       trials per origin (default 4000)\n"
    "  -s, --seed S         seed (default 1)\n"
    "  -t, --threads T      threads (default: all cores)\n"
    "  -o, --output FILE    HDF5 (default: the scenario file's name, -backtest.h5)\n"
    "      --json FILE      JSON (default: beside the HDF5 file, .json)\n"
    "      --set NAME=VALUE override a parameter (repeatable)\n"
    "  -q, --quiet          no table\n";

static const char *usage_tornado =
    "usage: tyche tornado SCENARIO [--low Q] [--high Q] [options]\n"
    "       tyche sweep SCENARIO --grid NAME=V1,V2,... [--grid ...] [options]\n"
    "\n"
    "tornado: each uncertain parameter in turn fixed at the quantiles --low and --high of\n"
    "its prior (default 0.1 and 0.9), the scenario rerun with the same seed (common random\n"
    "numbers), and each statement's swing P(high) - P(low), largest first.\n"
    "sweep: the scenario at every point of a grid of parameter values (NAME is model.param\n"
    "or the common factor), with common random numbers.\n"
    "\n"
    "  -n, --trials N       trials per run (default 20000)\n"
    "  -s, --seed S         seed (default 1)\n"
    "  -t, --threads T      threads (default: all cores)\n"
    "  -o, --output FILE    HDF5 (default: the scenario file's name, -tornado.h5 or -sweep.h5)\n"
    "      --json FILE      JSON (default: beside the HDF5 file, .json)\n"
    "      --as-of DATE, --set NAME=VALUE   as for tyche run\n"
    "  -q, --quiet          no table\n";

static const char *usage_sobol =
    "usage: tyche sobol SCENARIO --base N [--output NAME ...] [options]\n"
    "\n"
    "First-order and total Sobol indices of every statement (and each --output, a scalar\n"
    "output such as revenue.slowdown_pp) with respect to every uncertain parameter:\n"
    "Saltelli sampling, N (d + 2) trials for d parameters, Jansen's estimators, 95%\n"
    "percentile-bootstrap intervals; 1 - sum of first-order indices is the remainder\n"
    "(interactions and process noise).\n"
    "\n"
    "  --base N             base sample size (default 4096)\n"
    "  --output NAME        also analyse this output (repeatable)\n"
    "  --bootstrap B        resamples for the intervals (default 200)\n"
    "  -s, --seed S; -t, --threads T; --set NAME=VALUE; --as-of DATE   as for tyche run\n"
    "  -o, --output-file FILE   HDF5 (default: the scenario file's name, -sobol.h5); --json FILE\n"
    "  -q, --quiet          no table\n";

static const char *usage_merge =
    "usage: tyche merge SHARD.h5 ... -o FILE.h5 [--summary FILE.json] [-q]\n"
    "\n"
    "Joins the results files of `tyche run --shard I/N` (a job array) into the file and\n"
    "summary one run would have written: the same per-trial data and the same summary.\n"
    "The shards must come from the same scenario, --set values, as-of date, seed,\n"
    "generator, sampling, trial count and tyche version, and cover every part once.\n";

static const char *usage_score =
    "usage: tyche score SUMMARY.json OUTCOMES.json [--json FILE]\n"
    "\n"
    "Scores a run's statement probabilities against what happened: Brier score, log\n"
    "score (ln p of the outcome) and the baseline-relative log score 100 log2(p / 0.5)\n"
    "per resolved statement and overall; unresolved statements are listed as such.\n"
    "OUTCOMES.json: {\"outcomes\": {\"P1\": {\"outcome\": false, \"resolved\": \"2027-06-30\"}}}\n";

static int usage_error(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Under MPI every rank runs this program; only rank 0 speaks. */
static int mpi_rank, mpi_size = 1;

static int usage_error(const char *usage, const char *fmt, ...) {
    va_list ap;
    if (mpi_rank != 0) return 2;
    fprintf(stderr, "tyche: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n\n%s", usage);
    return 2;
}

static int wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

/* Whole numbers only: "1e6" and "12abc" are refused rather than guessed. */
static int parse_u64(const char *s, unsigned long long *out) {
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+') return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    errno = 0;
    char *end;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

static void fmt_time(const tyche_scenario *s, double t, char *buf, size_t len) {
    if (!isfinite(t)) {
        snprintf(buf, len, "never");
        return;
    }
    char d[11];
    tyche_date_format(tyche_scenario_start(s) + (int32_t)floor(t), d);
    snprintf(buf, len, "%s", d);
}

static void fmt_value(double x, char *buf, size_t len) {
    if (!isfinite(x)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.5g", x);
}

/* --as-of and --set, shared by run, describe and replay.  Returns 1 when
 * argv[*i] was one of them (consuming its value), 0 when not, -1 on a
 * missing value. */
#define MAX_SETS 256
typedef struct {
    const char *as_of;
    const char *set[MAX_SETS];
    size_t n_set;
} scen_flags;

static int scenario_flag(int argc, char **argv, int *i, scen_flags *f, const char *usage) {
    const char *a = argv[*i];
    if (strcmp(a, "--as-of") != 0 && strcmp(a, "--set") != 0) return 0;
    if (*i + 1 >= argc) {
        usage_error(usage, "%s: needs a value", a);
        return -1;
    }
    const char *v = argv[++*i];
    if (strcmp(a, "--as-of") == 0) {
        f->as_of = v;
    } else {
        if (f->n_set == MAX_SETS) {
            usage_error(usage, "--set: at most %d", MAX_SETS);
            return -1;
        }
        f->set[f->n_set++] = v;
    }
    return 1;
}

static tyche_scenario *load(const char *file, const scen_flags *f, tyche_err *err) {
    tyche_scenario_options o = {f->as_of, f->n_set, f->set};
    return tyche_scenario_load_with(file, &o, err);
}

/* ---- progress bar ------------------------------------------------------- */

typedef struct {
    double t0, last;
} progress_state;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void progress(void *user, uint64_t done, uint64_t total) {
    progress_state *p = user;
    const double t = now();
    if (done < total && t - p->last < 0.1) return;
    p->last = t;
    const double frac = (double)done / (double)total, el = t - p->t0;
    const double rate = el > 0 ? (double)done / el : 0;
    const double left = rate > 0 ? (double)(total - done) / rate : 0;
    char bar[31];
    const int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    fprintf(stderr, "\r[%s] %5.1f%%  %.3g trials/s  %.0f s left   ", bar, 100 * frac, rate, left);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

/* ---- tables ------------------------------------------------------------- */

/* A probability and its error, readable whether it is 0.4 or 3e-5. */
static void print_prob(const char *label, int width, const tyche_prob *p) {
    if (p->probability > 0 && p->probability < 0.001)
        printf("  %-*s %8.2e %8.1e  [%.1e, %.1e]\n", width, label, p->probability, p->stderr_,
               p->ci95_lo, p->ci95_hi);
    else
        printf("  %-*s %8.4f %8.4f  [%.4f, %.4f]\n", width, label, p->probability, p->stderr_,
               p->ci95_lo, p->ci95_hi);
}

static void print_statements(const tyche_scenario *s, const tyche_results *r) {
    const size_t n = tyche_scenario_n_statements(s);
    int w = 9; /* width of the id column: the longest id, within reason */
    for (size_t i = 0; i < n; i++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        if ((int)strlen(si.id) > w) w = (int)strlen(si.id);
    }
    if (w > 24) w = 24;
    printf("\n  %-*s %-54s %8s %8s  %-17s\n", w, "statement", "text", "P", "+-se", "95% CI (Wilson)");
    /* groups in order of first appearance */
    for (size_t g = 0; g < n; g++) {
        tyche_statement_info gi;
        tyche_scenario_statement(s, g, &gi);
        int seen = 0;
        for (size_t h = 0; h < g; h++) {
            tyche_statement_info hi;
            tyche_scenario_statement(s, h, &hi);
            if (strcmp(hi.group, gi.group) == 0) seen = 1;
        }
        if (seen) continue;
        printf("  [%s]\n", gi.group[0] ? gi.group : "statements");
        for (size_t i = g; i < n; i++) {
            tyche_statement_info si;
            tyche_prob p;
            tyche_scenario_statement(s, i, &si);
            if (strcmp(si.group, gi.group) != 0) continue;
            tyche_results_statement(r, i, &p);
            const double rse = tyche_results_statement_replicate_se(r, i);
            if (!isnan(rse)) p.stderr_ = rse;
            char label[128];
            snprintf(label, sizeof label, "%-*s %.54s", w, si.id, si.text);
            if (strlen(si.text) > 54) strcpy(label + w + 1 + 51, "...");
            print_prob(label, w + 55, &p);
        }
    }
    const size_t nj = tyche_scenario_n_joint(s);
    if (nj > 1) {
        tyche_prob p;
        tyche_results_joint_all(r, &p);
        printf("  [joint]\n");
        char ids[256] = "";
        size_t used = 0;
        for (size_t k = 0; k < nj && used < sizeof ids; k++) {
            tyche_statement_info si;
            tyche_scenario_statement(s, tyche_scenario_joint(s, k), &si);
            used += (size_t)snprintf(ids + used, sizeof ids - used, "%s%s", k ? " & " : "", si.id);
        }
        if (nj > 2) /* with two, the pair line below says the same */
            print_prob(ids, w + 55, &p);
        if (nj <= 6)
            for (size_t k = 0; k < nj; k++)
                for (size_t l = k + 1; l < nj; l++) {
                    tyche_statement_info a, b;
                    double c, e;
                    tyche_scenario_statement(s, tyche_scenario_joint(s, k), &a);
                    tyche_scenario_statement(s, tyche_scenario_joint(s, l), &b);
                    tyche_results_joint_pair(r, k, l, &p);
                    tyche_results_joint_corr(r, k, l, &c, &e);
                    char lab[160];
                    if (isfinite(c) && isfinite(e))
                        snprintf(lab, sizeof lab, "%s & %s (corr %+.3f +- %.3f)", a.id, b.id, c, e);
                    else /* one trial, or a statement that never varies */
                        snprintf(lab, sizeof lab, "%s & %s (corr n/a)", a.id, b.id);
                    print_prob(lab, w + 55, &p);
                }
    }
}

static void print_outputs(const tyche_scenario *s, const tyche_results *r) {
    printf("\n%-36s %-18s %10s %10s %10s %10s %8s\n", "output", "units", "mean", "p05", "p50",
           "p95", "missing");
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_output_summary os;
        char a[16], b[16], c[16], d[16];
        tyche_scenario_output(s, i, &oi);
        tyche_results_output(r, i, &os);
        if (oi.type == TYCHE_OUTPUT_TIME) {
            fmt_time(s, os.mean, a, sizeof a);
            fmt_time(s, os.q[1], b, sizeof b);
            fmt_time(s, os.q[4], c, sizeof c);
            fmt_time(s, os.q[7], d, sizeof d);
            if (os.n == 0) strcpy(a, "never"), strcpy(b, "-"), strcpy(c, "-"), strcpy(d, "-");
        } else {
            fmt_value(os.mean, a, sizeof a);
            fmt_value(os.q[1], b, sizeof b);
            fmt_value(os.q[4], c, sizeof c);
            fmt_value(os.q[7], d, sizeof d);
        }
        printf("%-36s %-18s %10s %10s %10s %10s %7.1f%%\n", oi.name,
               oi.type == TYCHE_OUTPUT_TIME ? "date (if any)" : oi.units, a, b, c, d,
               100 * os.missing_fraction);
    }
}

/* ---- run ---------------------------------------------------------------- */

static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static char *join_args(int argc, char **argv) {
    size_t n = 1;
    for (int i = 0; i < argc; i++) n += strlen(argv[i]) + 3;
    char *s = tyche_malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (int i = 0; i < argc; i++) {
        if (i) strcat(s, " ");
        const int q = strchr(argv[i], ' ') != NULL;
        if (q) strcat(s, "'");
        strcat(s, argv[i]);
        if (q) strcat(s, "'");
    }
    return s;
}

static int report(const tyche_err *e) {
    if (mpi_rank == 0 || e->code != TYCHE_EINPUT) fprintf(stderr, "tyche: %s\n", e->msg);
    return tyche_status_exit_code(e->code);
}

/* One JSON object per line, written with a single append so concurrent runs
 * logging to the same file do not interleave within a line. */
static tyche_status append_log(const char *file, const tyche_scenario *s, const tyche_results *r,
                               const char *created, tyche_err *err) {
    tyche_run_info info;
    char hash[65], as_of[11], line[65536];
    tyche_results_info(r, &info);
    tyche_scenario_hash(s, hash);
    tyche_date_format(tyche_scenario_as_of(s), as_of);
    size_t n = (size_t)snprintf(line, sizeof line,
                                "{\"created_utc\": \"%s\", \"as_of\": \"%s\", \"scenario\": \"%s\", "
                                "\"scenario_sha256\": \"%s\", \"seed\": %llu, \"trials\": %llu, "
                                "\"statements\": {",
                                created, as_of, tyche_scenario_name(s), hash,
                                (unsigned long long)info.seed, (unsigned long long)info.trials);
    for (size_t i = 0; i < tyche_scenario_n_statements(s) && n < sizeof line - 200; i++) {
        tyche_statement_info si;
        tyche_prob p;
        tyche_scenario_statement(s, i, &si);
        tyche_results_statement(r, i, &p);
        /* ids are plain identifiers, probabilities finite: no escaping needed */
        n += (size_t)snprintf(line + n, sizeof line - n, "%s\"%s\": [%.17g, %.6g]", i ? ", " : "",
                              si.id, p.probability, p.stderr_);
    }
    n += (size_t)snprintf(line + n, sizeof line - n, "}}\n");
    if (n >= sizeof line) return tyche_err_set(err, TYCHE_EIO, "--log %s: too many statements for one line", file);
    const int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0666);
    int e = fd < 0 ? errno : 0;
    /* Runs may share a log: the lock keeps each line whole and stops the
     * rollback below from taking another run's line (a file system without
     * locks still gets the append, unlocked). */
    struct flock lk;
    memset(&lk, 0, sizeof lk);
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (!e) (void)fcntl(fd, F_SETLKW, &lk);
    struct stat st0;
    if (!e && fstat(fd, &st0) != 0) e = errno;
    size_t done = 0;
    while (!e && done < n) {
        const ssize_t w = write(fd, line + done, n - done);
        if (w > 0) done += (size_t)w;
        else if (w < 0 && errno != EINTR) e = errno;
        else if (w == 0) e = EIO;
    }
    /* a line cut short (disk full, a size limit) would spoil the log: it
     * goes back to its last whole line */
    if (e && done > 0 && ftruncate(fd, st0.st_size) != 0) e = errno;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    return e == 0 ? TYCHE_OK
                  : tyche_err_set(err, TYCHE_EIO, "--log %s: cannot append to the log: %s", file, strerror(e));
}

/* ---- output paths ------------------------------------------------------------- */

/* A message about a temporary file names the user's file instead: the
 * temporary name means nothing to them (and is gone by then). */
static void name_user_file(tyche_err *err, const char *tmp, const char *path) {
    char *at = strstr(err->msg, tmp);
    if (at == NULL) return;
    char rest[TYCHE_ERR_MAX];
    snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
    *at = '\0';
    char head[TYCHE_ERR_MAX];
    snprintf(head, sizeof head, "%s", err->msg);
    tyche_err_set(err, err->code, "%s%s%s", head, path, rest);
}

static int is_folder(const char *p) {
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Refuses, before any work, an output path that is a folder: rename()
 * would refuse it only after the whole run.  Returns 1 if one is. */
static int output_is_folder(const char *const *paths, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (is_folder(paths[i])) {
            fprintf(stderr, "tyche: %s: is a folder, not a file\n", paths[i]);
            return 1;
        }
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* A checkpointed run is a sequence of shards of the run, each written to
 * DIR as it completes (atomically: a part file exists only whole), then
 * merged exactly as `tyche merge` does.  A signal is noted and honoured
 * between parts; parts already in DIR are not run again, so after SIGKILL
 * or power loss `--resume` redoes at most one part.  DIR/args keeps the
 * run's arguments for --resume. */
/* Once the results are written: the parts (and any a SIGKILL cut short)
 * have served.  Not before: a failed write must leave a resumable run. */
static void checkpoint_remove(const char *dir) {
    char path[1200];
    DIR *d = opendir(dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (strncmp(e->d_name, "part-", 5) == 0 || strncmp(e->d_name, "args.tmp.", 9) == 0) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d) closedir(d);
    snprintf(path, sizeof path, "%s/args", dir);
    unlink(path);
    rmdir(dir);
}

static tyche_results *run_checkpointed(const tyche_scenario *s, const tyche_run_config *cfg,
                                       const char *dir, unsigned long long every, int argc,
                                       char **argv, int *stopped, tyche_err *err) {
    char path[1200];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        tyche_err_set(err, TYCHE_EIO, "--checkpoint %s: cannot create the folder", dir);
        return NULL;
    }
    snprintf(path, sizeof path, "%s/args", dir);
    if (!file_exists(path) && cli_args_write(path, argc, argv, err) != TYCHE_OK) return NULL;
    const uint64_t blocks = (cfg->trials + TYCHE_BLOCK_TRIALS - 1) / TYCHE_BLOCK_TRIALS;
    const uint32_t parts = (uint32_t)((blocks + every - 1) / every);
    struct sigaction sa, old_term, old_int;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGINT, &sa, &old_int);
    char **files = tyche_calloc(parts, sizeof *files);
    tyche_results *merged = NULL;
    tyche_status st = files ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    for (uint32_t i = 0; st == TYCHE_OK && i < parts; i++) {
        snprintf(path, sizeof path, "%s/part-%06u-of-%06u.h5", dir, i, parts);
        if ((files[i] = tyche_strdup(path)) == NULL) {
            st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            break;
        }
        if (file_exists(path)) continue;
        if (stop_requested) {
            *stopped = 1;
            break;
        }
        tyche_run_config part = *cfg;
        part.shard_index = i;
        part.shard_count = parts;
        part.progress = NULL; /* one bar per part would flicker */
        tyche_results *r = tyche_run(s, &part, err);
        if (r == NULL) {
            st = err->code;
            break;
        }
        tyche_provenance prov = {"(checkpoint part)", "", 0, NULL, NULL};
        st = tyche_write_hdf5(s, r, &prov, path, err);
        tyche_results_free(r);
    }
    if (st == TYCHE_OK && !*stopped) {
        tyche_scenario *ms = NULL;
        merged = tyche_merge_shards((const char *const *)files, parts, &ms, err);
        tyche_scenario_free(ms);
    }
    for (uint32_t i = 0; files && i < parts; i++) free(files[i]);
    free(files);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGINT, &old_int, NULL);
    return merged;
}

static int cmd_run(int argc, char **argv, char *cmdline) {
    if (argc == 3 && strcmp(argv[1], "--resume") == 0) {
        char path[1200];
        snprintf(path, sizeof path, "%s/args", argv[2]);
        if (!file_exists(path))
            return usage_error(usage_run, "--resume %s: no checkpointed run there (no %s)", argv[2], path);
        int ra = 0;
        char **rv = NULL;
        tyche_err err;
        if (cli_args_read(path, &ra, &rv, &err) != TYCHE_OK) {
            fprintf(stderr, "tyche: %s\n", err.msg);
            return tyche_status_exit_code(err.code);
        }
        /* the parts are where --resume says, wherever the run was started from */
        for (int i = 1; i + 1 < ra; i++)
            if (strcmp(rv[i], "--checkpoint") == 0) {
                char *d = tyche_strdup(argv[2]);
                if (d == NULL) {
                    cli_args_free(ra, rv);
                    fputs("tyche: out of memory\n", stderr);
                    return 1;
                }
                free(rv[i + 1]);
                rv[i + 1] = d;
            }
        const int rc = cmd_run(ra, rv, cmdline);
        cli_args_free(ra, rv);
        return rc;
    }
    const char *scenario = NULL, *out = NULL, *summary = NULL, *rng = NULL, *log_file = NULL;
    unsigned long long trials = DEFAULT_TRIALS, seed = DEFAULT_SEED, threads = 0, compress = 0;
    tyche_store store = TYCHE_STORE_OUTPUTS;
    int quiet = 0;
    scen_flags sf = {0};
    const char *prec[MAX_SETS];
    size_t n_prec = 0;
    unsigned long long max_trials = 10000000ULL, replicates = 10;
    tyche_sampling sampling = TYCHE_SAMPLING_MC;
    uint32_t shard_index = 0, shard_count = 0;
    const char *checkpoint = NULL;
    unsigned long long every = 64;
    for (int i = 1; i < argc; i++) {
        const int sfr = scenario_flag(argc, argv, &i, &sf, usage_run);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int has_val = i + 1 < argc;
#define NEXT_VAL(flag) \
    if (!has_val) return usage_error(usage_run, "%s: needs a value", flag); \
    const char *v = argv[++i]
        if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &trials) || trials == 0 || trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_run, "-n: expected a whole number of trials from 1 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &seed))
                return usage_error(usage_run, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return usage_error(usage_run, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            NEXT_VAL(a);
            out = v;
        } else if (strcmp(a, "--summary") == 0) {
            NEXT_VAL(a);
            summary = v;
        } else if (strcmp(a, "--log") == 0) {
            NEXT_VAL(a);
            log_file = v;
        } else if (strcmp(a, "--precision") == 0) {
            NEXT_VAL(a);
            if (n_prec == MAX_SETS) return usage_error(usage_run, "--precision: at most %d", MAX_SETS);
            prec[n_prec++] = v;
        } else if (strcmp(a, "--checkpoint") == 0) {
            NEXT_VAL(a);
            if (checkpoint) return usage_error(usage_run, "%s", "--checkpoint: given twice");
            checkpoint = v;
        } else if (strcmp(a, "--checkpoint-every") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &every) || every == 0 || every > 1000000)
                return usage_error(usage_run, "--checkpoint-every: expected a number of blocks >= 1, got \"%s\"", v);
        } else if (strcmp(a, "--shard") == 0) {
            NEXT_VAL(a);
            unsigned long long si, sn;
            char ib[32], nb[32];
            const char *slash = strchr(v, '/');
            if (slash == NULL || slash - v >= 31 || strlen(slash + 1) >= 31)
                return usage_error(usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", v);
            snprintf(ib, sizeof ib, "%.*s", (int)(slash - v), v);
            snprintf(nb, sizeof nb, "%s", slash + 1);
            if (!parse_u64(ib, &si) || !parse_u64(nb, &sn) || sn == 0 || si >= sn || sn > 100000)
                return usage_error(usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", v);
            shard_index = (uint32_t)si;
            shard_count = (uint32_t)sn;
        } else if (strcmp(a, "--sampling") == 0) {
            NEXT_VAL(a);
            if (strcmp(v, "mc") == 0) sampling = TYCHE_SAMPLING_MC;
            else if (strcmp(v, "lhs") == 0) sampling = TYCHE_SAMPLING_LHS;
            else if (strcmp(v, "qmc") == 0) sampling = TYCHE_SAMPLING_QMC;
            else return usage_error(usage_run, "--sampling: expected mc, lhs or qmc, got \"%s\"", v);
        } else if (strcmp(a, "--replicates") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &replicates) || replicates < 2 || replicates > 1000)
                return usage_error(usage_run, "--replicates: expected 2 to 1000, got \"%s\"", v);
        } else if (strcmp(a, "--max-trials") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &max_trials) || max_trials == 0 || max_trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_run, "--max-trials: expected a whole number from 1 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "--store") == 0) {
            NEXT_VAL(a);
            if (strcmp(v, "none") == 0) store = TYCHE_STORE_NONE;
            else if (strcmp(v, "outputs") == 0) store = TYCHE_STORE_OUTPUTS;
            else if (strcmp(v, "paths") == 0) store = TYCHE_STORE_PATHS;
            else return usage_error(usage_run, "--store: expected none, outputs or paths, got \"%s\"", v);
        } else if (strcmp(a, "--compress") == 0) {
            NEXT_VAL(a);
            if (!parse_u64(v, &compress) || compress > 9)
                return usage_error(usage_run, "--compress: expected a level 0-9, got \"%s\"", v);
        } else if (strcmp(a, "--rng") == 0) {
            NEXT_VAL(a);
            rng = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(usage_run, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return usage_error(usage_run, "unexpected argument \"%s\"", a);
        }
#undef NEXT_VAL
    }
    if (scenario == NULL) return usage_error(usage_run, "%s", "run: which scenario? (a JSON file)");

    tyche_err err = {0};
    tyche_scenario *s = load(scenario, &sf, &err);
    if (s == NULL) return report(&err);

    /* check the generator name before any trial (and before any output) */
    tyche_rng *probe = tyche_rng_alloc(rng, seed, &err);
    if (probe == NULL) {
        tyche_scenario_free(s);
        return report(&err);
    }
    tyche_rng_free(probe);

    char default_out[512], default_summary[1024];
    if (out == NULL) {
        snprintf(default_out, sizeof default_out, "%s.h5", tyche_scenario_name(s));
        out = default_out;
    }
    if (summary == NULL) {
        size_t n = strlen(out);
        if (n > 3 && strcmp(out + n - 3, ".h5") == 0) n -= 3;
        snprintf(default_summary, sizeof default_summary, "%.*s.json", (int)n, out);
        summary = default_summary;
    }
    if (strcmp(out, summary) == 0) {
        tyche_scenario_free(s);
        return usage_error(usage_run, "--summary: \"%s\" is also the HDF5 output", summary);
    }
    const char *outputs[2] = {out, summary};
    if (output_is_folder(outputs, 2)) {
        tyche_scenario_free(s);
        return 1;
    }
    /* the log must be appendable before the run, so a failure cannot come after the results */
    if (log_file) {
        if (same_file(scenario, log_file)) {
            tyche_scenario_free(s);
            return usage_error(usage_run, "--log: \"%s\" is the scenario file", log_file);
        }
        FILE *lf = fopen(log_file, "a");
        if (lf == NULL) {
            tyche_scenario_free(s);
            fprintf(stderr, "tyche: --log %s: cannot append to the log\n", log_file);
            return 1;
        }
        fclose(lf);
    }
    /* never write a result over the scenario itself (e.g. -o x.h5 next to x.json) */
    if (same_file(scenario, summary) || same_file(scenario, out)) {
        tyche_scenario_free(s);
        return usage_error(usage_run,
                           "\"%s\" is the scenario file: choose another -o or --summary",
                           same_file(scenario, summary) ? summary : out);
    }

    /* --precision H (every statement) or ID=H (one), later ones winning */
    double *precision = NULL;
    if (n_prec) {
        precision = tyche_calloc(tyche_scenario_n_statements(s) + 1, sizeof *precision);
        if (precision == NULL) {
            tyche_scenario_free(s);
            fprintf(stderr, "tyche: out of memory\n");
            return 1;
        }
        for (size_t k = 0; k < n_prec; k++) {
            const char *eq = strchr(prec[k], '=');
            const char *num = eq ? eq + 1 : prec[k];
            char *end;
            const double h = strtod(num, &end);
            if (*num == '\0' || *end != '\0' || !(h > 0 && h < 0.5)) {
                free(precision);
                tyche_scenario_free(s);
                return usage_error(usage_run, "--precision: expected a half-width in (0, 0.5), or ID=H, got \"%s\"", prec[k]);
            }
            int found = 0;
            for (size_t j = 0; j < tyche_scenario_n_statements(s); j++) {
                tyche_statement_info si;
                tyche_scenario_statement(s, j, &si);
                if (eq == NULL || (strlen(si.id) == (size_t)(eq - prec[k]) &&
                                   strncmp(si.id, prec[k], (size_t)(eq - prec[k])) == 0)) {
                    precision[j] = h;
                    found = 1;
                }
            }
            if (!found) {
                free(precision);
                tyche_scenario_free(s);
                return usage_error(usage_run, "--precision %s: no statement of that id", prec[k]);
            }
        }
        trials = max_trials;
    }

    progress_state ps = {now(), 0};
    tyche_run_config cfg = {trials, seed, (int)threads, rng, store, NULL, NULL, precision,
                            sampling, sampling == TYCHE_SAMPLING_MC ? 0 : (int)replicates, shard_index, shard_count};
    if (!quiet && isatty(2)) {
        cfg.progress = progress;
        cfg.progress_user = &ps;
    }
    tyche_results *r = NULL;
    if (checkpoint) {
        if (shard_count || precision) {
            free(precision);
            tyche_scenario_free(s);
            return usage_error(usage_run, "%s", "--checkpoint: not with --shard or --precision");
        }
        int stopped = 0;
        r = run_checkpointed(s, &cfg, checkpoint, every, argc, argv, &stopped, &err);
        if (stopped) {
            free(precision);
            tyche_scenario_free(s);
            fprintf(stderr, "tyche: stopped by a signal; the run so far is in %s: finish it with "
                            "`tyche run --resume %s`\n", checkpoint, checkpoint);
            return 3;
        }
    } else if (mpi_size > 1) {
#ifdef TYCHE_MPI
        if (shard_count || precision || store == TYCHE_STORE_PATHS) {
            free(precision);
            tyche_scenario_free(s);
            return usage_error(usage_run, "%s", "under mpirun: not with --shard, --precision or --store paths");
        }
        r = tyche_run_mpi(s, &cfg, &err);
#endif
    } else {
        r = tyche_run(s, &cfg, &err);
    }
    free(precision);
    if (r == NULL) {
        tyche_scenario_free(s);
        return report(&err);
    }

    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tyche_provenance prov = {cmdline, created, (int)compress, NULL, NULL};

    /* The summary goes to a temporary name first and is renamed only after
     * the HDF5 file is in place, so a failed run leaves neither. */
    char tmp_summary[1100];
    snprintf(tmp_summary, sizeof tmp_summary, "%s.part.%ld", summary, (long)getpid());
    tyche_status st = TYCHE_OK;
    if (mpi_size > 1) {
#ifdef TYCHE_MPI
        /* every rank writes its rows into one file; rank 0 the summary */
        st = tyche_write_hdf5_mpi(s, r, &prov, out, &err);
        if (st == TYCHE_OK && mpi_rank == 0) st = tyche_write_summary_json(s, r, &prov, summary, &err);
#endif
    } else {
        st = tyche_write_summary_json(s, r, &prov, tmp_summary, &err);
        if (st == TYCHE_OK) {
            st = tyche_write_hdf5(s, r, &prov, out, &err);
            if (st == TYCHE_OK && rename(tmp_summary, summary) != 0)
                st = tyche_err_set(&err, TYCHE_EIO, "%s: cannot write the summary: %s", summary, strerror(errno));
            if (st != TYCHE_OK) unlink(tmp_summary);
        }
        name_user_file(&err, tmp_summary, summary);
    }
    if (st == TYCHE_OK && checkpoint) checkpoint_remove(checkpoint);
    if (st == TYCHE_OK && log_file && mpi_rank == 0) st = append_log(log_file, s, r, created, &err);
    if (st == TYCHE_OK && !quiet && mpi_rank == 0) {
        tyche_run_info info;
        tyche_results_info(r, &info);
        printf("tyche %s  %s (%s)\n", tyche_version(), tyche_scenario_title(s), tyche_scenario_file(s));
        char as_of[11];
        tyche_date_format(tyche_scenario_as_of(s), as_of);
        printf("seed %llu, %llu trials, generator %s, %d threads, %.2f s (%.3g trials/s), as of %s\n",
               (unsigned long long)info.seed, (unsigned long long)info.trials, info.rng, info.threads,
               info.seconds, info.seconds > 0 ? (double)info.trials / info.seconds : 0.0, as_of);
        if (info.replicates)
            printf("sampling: %s, %d replicates of %llu trials; +-se from the replicates' spread\n",
                   info.sampling == TYCHE_SAMPLING_LHS ? "Latin hypercube" : "randomized Sobol",
                   info.replicates, (unsigned long long)(info.trials / (uint64_t)info.replicates));
        if (n_prec)
            printf("precision: stopped at %llu trials (checked every 65536; at most %llu)\n",
                   (unsigned long long)info.trials, max_trials);
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
        print_statements(s, r);
        print_outputs(s, r);
        printf("\nresults: %s\nsummary: %s\n", out, summary);
    }
    tyche_results_free(r);
    tyche_scenario_free(s);
    return st == TYCHE_OK ? 0 : report(&err);
}

/* ---- describe ------------------------------------------------------------- */

static int cmd_describe(int argc, char **argv) {
    scen_flags sf = {0};
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const int r = scenario_flag(argc, argv, &i, &sf, usage_describe);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (argv[i][0] == '-') return usage_error(usage_describe, "unknown option \"%s\"", argv[i]);
        if (file) return usage_error(usage_describe, "unexpected argument \"%s\"", argv[i]);
        file = argv[i];
    }
    if (file == NULL)
        return usage_error(usage_describe, "%s", "describe: expected a scenario file");
    tyche_err err = {0};
    tyche_scenario *s = load(file, &sf, &err);
    if (s == NULL) return report(&err);
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
        fmt_value(tyche_dist_quantile(pi.prior, 0.05), a, sizeof a);
        fmt_value(tyche_dist_quantile(pi.prior, 0.50), b, sizeof b);
        fmt_value(tyche_dist_quantile(pi.prior, 0.95), c, sizeof c);
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

static int cmd_replay(int argc, char **argv) {
    const char *scenario = NULL, *rng = NULL;
    unsigned long long trial = 0, seed = DEFAULT_SEED, trials = 0, replicates = 10;
    tyche_sampling sampling = TYCHE_SAMPLING_MC;
    int have_trial = 0;
    scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = scenario_flag(argc, argv, &i, &sf, usage_replay);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        if ((strcmp(a, "--trial") == 0 || strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0 ||
             strcmp(a, "--rng") == 0 || strcmp(a, "--sampling") == 0 || strcmp(a, "-n") == 0 ||
             strcmp(a, "--replicates") == 0) && i + 1 >= argc)
            return usage_error(usage_replay, "%s: needs a value", a);
        if (strcmp(a, "--sampling") == 0) {
            const char *v = argv[++i];
            if (strcmp(v, "mc") == 0) sampling = TYCHE_SAMPLING_MC;
            else if (strcmp(v, "lhs") == 0) sampling = TYCHE_SAMPLING_LHS;
            else if (strcmp(v, "qmc") == 0) sampling = TYCHE_SAMPLING_QMC;
            else return usage_error(usage_replay, "--sampling: expected mc, lhs or qmc, got \"%s\"", v);
        } else if (strcmp(a, "-n") == 0) {
            if (!parse_u64(argv[++i], &trials) || trials == 0 || trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_replay, "-n: expected the run's trial count, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--replicates") == 0) {
            if (!parse_u64(argv[++i], &replicates) || replicates < 2 || replicates > 1000)
                return usage_error(usage_replay, "--replicates: expected 2 to 1000, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--trial") == 0) {
            if (!parse_u64(argv[++i], &trial))
                return usage_error(usage_replay, "--trial: expected a trial index >= 0, got \"%s\"", argv[i]);
            have_trial = 1;
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!parse_u64(argv[++i], &seed))
                return usage_error(usage_replay, "-s: expected a whole number 0..2^64-1, got \"%s\"", argv[i]);
        } else if (strcmp(a, "--rng") == 0) {
            rng = argv[++i];
        } else if (a[0] == '-') {
            return usage_error(usage_replay, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return usage_error(usage_replay, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return usage_error(usage_replay, "%s", "replay: which scenario?");
    if (!have_trial) return usage_error(usage_replay, "%s", "replay: --trial N is required");
    tyche_err err = {0};
    tyche_scenario *s = load(scenario, &sf, &err);
    if (s == NULL) return report(&err);
    tyche_trial_record *t = tyche_trial_record_alloc(s);
    if (t == NULL) {
        tyche_scenario_free(s);
        fprintf(stderr, "tyche: out of memory\n");
        return 1;
    }
    if (sampling != TYCHE_SAMPLING_MC && trials == 0) {
        tyche_trial_record_free(t);
        tyche_scenario_free(s);
        return usage_error(usage_replay, "%s", "--sampling lhs|qmc: -n TRIALS (the run's) is needed: the design depends on it");
    }
    tyche_run_config rc = {trials ? trials : trial + 1, seed, 1, rng, TYCHE_STORE_NONE, NULL, NULL,
                           NULL, sampling, sampling == TYCHE_SAMPLING_MC ? 0 : (int)replicates, 0, 0};
    tyche_status st = tyche_replay_run(s, &rc, trial, t, &err);
    if (st == TYCHE_OK) {
        printf("trial %llu, seed %llu (%s)", trial, seed, tyche_scenario_file(s));
        if (tyche_scenario_n_observed(s)) printf(", accepted after %u as-of redraws", t->redraws);
        printf("\n\nparameters:\n");
        for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
            tyche_param_info pi;
            tyche_scenario_param(s, i, &pi);
            printf("  %-28s %.17g\n", pi.name, t->params[i]);
        }
        printf("\noutputs:\n");
        for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
            tyche_output_info oi;
            char d[16];
            tyche_scenario_output(s, i, &oi);
            if (oi.type == TYCHE_OUTPUT_TIME) {
                fmt_time(s, t->outputs[i], d, sizeof d);
                printf("  %-28s %.17g (%s)\n", oi.name, t->outputs[i], d);
            } else {
                printf("  %-28s %.17g %s\n", oi.name, t->outputs[i], oi.units);
            }
        }
        printf("\nstatements:\n");
        for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
            tyche_statement_info si;
            tyche_scenario_statement(s, i, &si);
            printf("  %-12s %s\n", si.id, t->statements[i] ? "true" : "false");
        }
    }
    tyche_trial_record_free(t);
    tyche_scenario_free(s);
    return st == TYCHE_OK ? 0 : report(&err);
}

typedef tyche_status (*writer_fn)(const void *obj, const char *path, tyche_err *err);

/* Default output names: "<scenario file's name>-<what>.h5" and the JSON beside it. */
static void default_outputs(const char *scenario, const char *what, const char **out,
                            const char **json, char *dout, size_t lo, char *djson, size_t lj) {
    if (*out == NULL) {
        const char *b = strrchr(scenario, '/');
        b = b ? b + 1 : scenario;
        size_t n = strlen(b);
        if (n > 5 && strcmp(b + n - 5, ".json") == 0) n -= 5;
        snprintf(dout, lo, "%.*s-%s.h5", (int)n, b, what);
        *out = dout;
    }
    if (*json == NULL) {
        size_t n = strlen(*out);
        if (n > 3 && strcmp(*out + n - 3, ".h5") == 0) n -= 3;
        snprintf(djson, lj, "%.*s.json", (int)n, *out);
        *json = djson;
    }
}

/* Refuses outputs that would overwrite the scenario file (e.g. -o x.h5 next
 * to x.json puts the JSON on x.json). */
static int refuse_clobber(const char *scenario, const char *out, const char *json,
                          const char *usage) {
    if (same_file(scenario, out) || same_file(scenario, json)) {
        usage_error(usage, "\"%s\" is the scenario file: choose another -o or --json",
                    same_file(scenario, out) ? out : json);
        return 1;
    }
    if (strcmp(out, json) == 0) {
        usage_error(usage, "--json: \"%s\" is also the HDF5 output", json);
        return 1;
    }
    return 0;
}

/* The JSON under a temporary name, then the HDF5 file, then the JSON's
 * rename: a failure leaves neither under its final name. */
static tyche_status write_both(const void *obj, writer_fn h5, writer_fn js, const char *out,
                               const char *json, tyche_err *err) {
    const char *outputs[2] = {out, json};
    for (int i = 0; i < 2; i++)
        if (is_folder(outputs[i])) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", outputs[i]);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.part.%ld", json, (long)getpid());
    tyche_status st = js(obj, tmp, err);
    if (st == TYCHE_OK) {
        st = h5(obj, out, err);
        if (st == TYCHE_OK && rename(tmp, json) != 0)
            st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", json, strerror(errno));
        if (st) unlink(tmp);
    }
    name_user_file(err, tmp, json);
    return st;
}

static tyche_status w_sens_h5(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_hdf5(o, p, e); }
static tyche_status w_sens_js(const void *o, const char *p, tyche_err *e) { return tyche_sensitivity_write_json(o, p, e); }
static tyche_status w_sobol_h5(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_hdf5(o, p, e); }
static tyche_status w_sobol_js(const void *o, const char *p, tyche_err *e) { return tyche_sobol_write_json(o, p, e); }
static tyche_status w_bt_h5(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_hdf5(o, p, e); }
static tyche_status w_bt_js(const void *o, const char *p, tyche_err *e) { return tyche_backtest_write_json(o, p, e); }

/* ---- tornado and sweep ------------------------------------------------------ */

#define MAX_AXES 8
#define MAX_VALUES 1000

typedef struct {
    double swing;
    size_t k;
} swing_row;

static int by_swing(const void *a, const void *b) {
    const double x = fabs(((const swing_row *)a)->swing), y = fabs(((const swing_row *)b)->swing);
    if (x != y) return x < y ? 1 : -1;
    return ((const swing_row *)a)->k < ((const swing_row *)b)->k ? -1 : 1;
}

static int cmd_sensitivity(int argc, char **argv, int sweep) {
    const char *scenario = NULL, *out = NULL, *json = NULL;
    unsigned long long trials = 20000, seed = DEFAULT_SEED, threads = 0;
    double low = 0.1, high = 0.9;
    int quiet = 0;
    scen_flags sf = {0};
    static char names[MAX_AXES][128];
    static double values[MAX_AXES][MAX_VALUES];
    size_t counts[MAX_AXES], n_axes = 0;
    for (int i = 1; i < argc; i++) {
        const int sfr = scenario_flag(argc, argv, &i, &sf, usage_tornado);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0 ||
                        strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--json") == 0 ||
                        strcmp(a, "--low") == 0 || strcmp(a, "--high") == 0 || strcmp(a, "--grid") == 0;
        if (val && i + 1 >= argc) return usage_error(usage_tornado, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        char *end;
        if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            if (!parse_u64(v, &trials) || trials == 0 || trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_tornado, "-n: expected a whole number of trials from 1 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, &seed))
                return usage_error(usage_tornado, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return usage_error(usage_tornado, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            out = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (!sweep && (strcmp(a, "--low") == 0 || strcmp(a, "--high") == 0)) {
            const double q = strtod(v, &end);
            if (*end != '\0' || !(q > 0 && q < 1))
                return usage_error(usage_tornado, "%s: expected a quantile level in (0, 1), got \"%s\"", a, v);
            if (a[2] == 'l') low = q; else high = q;
        } else if (sweep && strcmp(a, "--grid") == 0) {
            const char *eq = strchr(v, '=');
            if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof names[0])
                return usage_error(usage_tornado, "--grid: expected NAME=V1,V2,..., got \"%s\"", v);
            if (n_axes == MAX_AXES) return usage_error(usage_tornado, "--grid: at most %d axes", MAX_AXES);
            snprintf(names[n_axes], sizeof names[n_axes], "%.*s", (int)(eq - v), v);
            size_t c = 0;
            for (const char *p = eq + 1;; p = end + 1) {
                const double x = strtod(p, &end);
                if (end == p || (*end != ',' && *end != '\0') || !isfinite(x) || c == MAX_VALUES)
                    return usage_error(usage_tornado, "--grid %s: expected up to %d numbers separated by commas, got \"%s\"",
                                       names[n_axes], MAX_VALUES, eq + 1);
                values[n_axes][c++] = x;
                if (*end == '\0') break;
            }
            counts[n_axes++] = c;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            return usage_error(usage_tornado, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return usage_error(usage_tornado, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return usage_error(usage_tornado, "%s", "which scenario?");
    if (sweep && n_axes == 0) return usage_error(usage_tornado, "%s", "sweep: at least one --grid NAME=V1,V2,...");
    tyche_tornado_config cfg = {trials, seed, (int)threads, NULL, low, high};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set};
    tyche_err err = {0};
    tyche_sensitivity *t;
    if (sweep) {
        const char *np[MAX_AXES];
        const double *vp[MAX_AXES];
        for (size_t k = 0; k < n_axes; k++) np[k] = names[k], vp[k] = values[k];
        t = tyche_sweep_run(scenario, &o, n_axes, np, vp, counts, &cfg, &err);
    } else {
        t = tyche_tornado_run(scenario, &o, &cfg, &err);
    }
    if (t == NULL) return report(&err);
    char dout[600], djson[700];
    default_outputs(scenario, sweep ? "sweep" : "tornado", &out, &json, dout, sizeof dout, djson,
                    sizeof djson);
    if (refuse_clobber(scenario, out, json, usage_tornado)) {
        tyche_sensitivity_free(t);
        return 2;
    }
    tyche_status st = write_both(t, w_sens_h5, w_sens_js, out, json, &err);
    const size_t ns = tyche_sensitivity_n_statements(t);
    if (st == TYCHE_OK && !quiet && !sweep) {
        const size_t np = tyche_tornado_n(t);
        swing_row *rows = tyche_malloc((np + 1) * sizeof *rows);
        printf("tornado of %s: %llu trials per run, seed %llu, parameters at their %g and %g quantiles\n",
               scenario, trials, seed, low, high);
        for (size_t j = 0; rows && j < ns; j++) {
            printf("\n%s (baseline %.4f)\n  %-24s %12s %12s %9s %9s %9s\n", tyche_sensitivity_statement(t, j),
                   tyche_sensitivity_baseline(t, j), "parameter", "low value", "high value", "P(low)", "P(high)", "swing");
            for (size_t k = 0; k < np; k++) {
                double a, b;
                tyche_tornado_prob(t, k, j, &a, &b);
                rows[k].swing = b - a;
                rows[k].k = k;
            }
            qsort(rows, np, sizeof *rows, by_swing);
            for (size_t r = 0; r < np && r < 8; r++) {
                double a, b, lo, hi;
                tyche_tornado_prob(t, rows[r].k, j, &a, &b);
                tyche_tornado_values(t, rows[r].k, &lo, &hi);
                printf("  %-24s %12.5g %12.5g %9.4f %9.4f %+9.4f\n", tyche_tornado_param(t, rows[r].k), lo, hi, a, b, b - a);
            }
        }
        free(rows);
    } else if (st == TYCHE_OK && !quiet) {
        printf("sweep of %s: %llu trials per point, seed %llu\n\n", scenario, trials, seed);
        for (size_t k = 0; k < n_axes; k++) printf("%-18s ", names[k]);
        for (size_t j = 0; j < ns && j < 6; j++) printf("%12s ", tyche_sensitivity_statement(t, j));
        printf("\n");
        for (size_t i = 0; i < tyche_sweep_n(t); i++) {
            for (size_t k = 0; k < n_axes; k++) printf("%-18.6g ", tyche_sweep_value(t, i, k));
            for (size_t j = 0; j < ns && j < 6; j++) {
                double p, se;
                tyche_sweep_prob(t, i, j, &p, &se);
                printf("%12.4f ", p);
            }
            printf("\n");
        }
    }
    if (st == TYCHE_OK && !quiet) printf("\nresults: %s\njson: %s\n", out, json);
    tyche_sensitivity_free(t);
    return st == TYCHE_OK ? 0 : report(&err);
}

/* ---- sobol ------------------------------------------------------------------ */

static int cmd_sobol(int argc, char **argv) {
    const char *scenario = NULL, *out = NULL, *json = NULL;
    const char *outputs[64];
    size_t n_out = 0;
    unsigned long long base = 4096, seed = DEFAULT_SEED, threads = 0, boot = 200;
    int quiet = 0;
    scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = scenario_flag(argc, argv, &i, &sf, usage_sobol);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "--base") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0 ||
                        strcmp(a, "-o") == 0 || strcmp(a, "--output-file") == 0 ||
                        strcmp(a, "--json") == 0 || strcmp(a, "--bootstrap") == 0;
        if (val && i + 1 >= argc) return usage_error(usage_sobol, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        if (strcmp(a, "--base") == 0) {
            if (!parse_u64(v, &base) || base < 100 || base > 10000000)
                return usage_error(usage_sobol, "--base: expected 100 to 10000000, got \"%s\"", v);
        } else if (strcmp(a, "--output") == 0) {
            if (n_out == 64) return usage_error(usage_sobol, "%s", "--output: at most 64");
            outputs[n_out++] = v;
        } else if (strcmp(a, "--bootstrap") == 0) {
            if (!parse_u64(v, &boot) || boot < 10 || boot > 100000)
                return usage_error(usage_sobol, "--bootstrap: expected 10 to 100000, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, &seed))
                return usage_error(usage_sobol, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return usage_error(usage_sobol, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output-file") == 0) {
            out = v;
        } else if (strcmp(a, "--json") == 0) {
            json = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            return usage_error(usage_sobol, "unknown option \"%s\"", a);
        } else if (scenario == NULL) {
            scenario = a;
        } else {
            return usage_error(usage_sobol, "unexpected argument \"%s\"", a);
        }
    }
    if (scenario == NULL) return usage_error(usage_sobol, "%s", "sobol: which scenario?");
    tyche_sobol_config cfg = {base, seed, (int)threads, NULL, (int)boot, outputs, n_out};
    tyche_scenario_options o = {sf.as_of, sf.n_set, sf.set};
    tyche_err err = {0};
    tyche_sobol *t = tyche_sobol_run(scenario, &o, &cfg, &err);
    if (t == NULL) return report(&err);
    char dout[600], djson[700];
    default_outputs(scenario, "sobol", &out, &json, dout, sizeof dout, djson, sizeof djson);
    if (refuse_clobber(scenario, out, json, usage_sobol)) {
        tyche_sobol_free(t);
        return 2;
    }
    tyche_status st = write_both(t, w_sobol_h5, w_sobol_js, out, json, &err);
    if (st == TYCHE_OK && !quiet) {
        const size_t d = tyche_sobol_n_params(t);
        printf("Sobol indices of %s: base %llu (%llu trials), seed %llu, 95%% bootstrap intervals (%llu resamples)\n",
               scenario, base, base * (d + 2), seed, boot);
        swing_row *rows = tyche_malloc((d + 1) * sizeof *rows);
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
            qsort(rows, d, sizeof *rows, by_swing);
            for (size_t r = 0; r < d && r < 8; r++) {
                double a[3], b[3];
                tyche_sobol_index(t, i, rows[r].k, a, b);
                printf("  %-24s %8.3f [%7.3f, %7.3f] %8.3f [%7.3f, %7.3f]\n", tyche_sobol_param(t, rows[r].k),
                       a[0], a[1], a[2], b[0], b[1], b[2]);
            }
        }
        free(rows);
        printf("\nresults: %s\njson: %s\n", out, json);
    }
    tyche_sobol_free(t);
    return st == TYCHE_OK ? 0 : report(&err);
}

/* ---- merge ------------------------------------------------------------------ */

static int cmd_merge(int argc, char **argv, char *cmdline) {
    const char *out = NULL, *summary = NULL;
    const char **files = tyche_calloc((size_t)argc + 1, sizeof *files);
    size_t nf = 0;
    int quiet = 0;
    if (files == NULL) {
        fputs("tyche: out of memory\n", stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0 || strcmp(a, "--summary") == 0)) {
            if (i + 1 >= argc) {
                free(files);
                return usage_error(usage_merge, "%s: needs a value", a);
            }
            if (a[1] == 'o' || a[2] == 'o') out = argv[++i];
            else summary = argv[++i];
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-') {
            free(files);
            return usage_error(usage_merge, "unknown option \"%s\"", a);
        } else {
            files[nf++] = a;
        }
    }
    if (nf == 0 || out == NULL) {
        free(files);
        return usage_error(usage_merge, "%s", "merge: give the shard files and -o FILE.h5");
    }
    char dsum[1024];
    if (summary == NULL) {
        size_t n = strlen(out);
        if (n > 3 && strcmp(out + n - 3, ".h5") == 0) n -= 3;
        snprintf(dsum, sizeof dsum, "%.*s.json", (int)n, out);
        summary = dsum;
    }
    const char *outputs[2] = {out, summary};
    if (output_is_folder(outputs, 2)) {
        free(files);
        return 1;
    }
    for (size_t k = 0; k < nf; k++)
        if (same_file(files[k], out) || same_file(files[k], summary)) {
            const char *clash = files[k]; /* an argv string: outlives files */
            free(files);
            return usage_error(usage_merge, "\"%s\" is one of the shards: choose another -o or --summary", clash);
        }
    tyche_err err = {0};
    tyche_scenario *s = NULL;
    tyche_results *r = tyche_merge_shards(files, nf, &s, &err);
    free(files);
    if (r == NULL) return report(&err);
    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tyche_provenance prov = {cmdline, created, 0, NULL, NULL};
    char tmp_summary[1100];
    snprintf(tmp_summary, sizeof tmp_summary, "%s.part.%ld", summary, (long)getpid());
    tyche_status st = tyche_write_summary_json(s, r, &prov, tmp_summary, &err);
    if (st == TYCHE_OK) {
        st = tyche_write_hdf5(s, r, &prov, out, &err);
        if (st == TYCHE_OK && rename(tmp_summary, summary) != 0)
            st = tyche_err_set(&err, TYCHE_EIO, "%s: cannot write the summary: %s", summary, strerror(errno));
        if (st != TYCHE_OK) unlink(tmp_summary);
    }
    name_user_file(&err, tmp_summary, summary);
    if (st == TYCHE_OK && !quiet) {
        tyche_run_info info;
        tyche_results_info(r, &info);
        printf("tyche %s  merged %zu shards: %s (%s)\nseed %llu, %llu trials, generator %s\n", tyche_version(),
               nf, tyche_scenario_title(s), tyche_scenario_file(s), (unsigned long long)info.seed,
               (unsigned long long)info.trials, info.rng);
        print_statements(s, r);
        print_outputs(s, r);
        printf("\nresults: %s\nsummary: %s\n", out, summary);
    }
    tyche_results_free(r);
    tyche_scenario_free(s);
    return st == TYCHE_OK ? 0 : report(&err);
}

/* ---- score ----------------------------------------------------------------- */

static int cmd_score(int argc, char **argv) {
    const char *files[2] = {NULL, NULL}, *json = NULL;
    int nf = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            if (i + 1 >= argc) return usage_error(usage_score, "%s", "--json: needs a value");
            json = argv[++i];
        } else if (argv[i][0] == '-') {
            return usage_error(usage_score, "unknown option \"%s\"", argv[i]);
        } else if (nf < 2) {
            files[nf++] = argv[i];
        } else {
            return usage_error(usage_score, "unexpected argument \"%s\"", argv[i]);
        }
    }
    if (nf != 2) return usage_error(usage_score, "%s", "score: expected SUMMARY.json OUTCOMES.json");
    tyche_err err = {0};
    tyche_scores *sc = tyche_score_files(files[0], files[1], &err);
    if (sc == NULL) return report(&err);
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
        /* under a temporary name first: a failed write leaves the old file */
        if (is_folder(json)) {
            fprintf(stderr, "tyche: %s: is a folder, not a file\n", json);
            tyche_scores_free(sc);
            return 1;
        }
        if (tyche_scores_write_json(sc, json, &err) != TYCHE_OK) rc = report(&err);
    }
    tyche_scores_free(sc);
    return rc;
}

/* ---- backtest ------------------------------------------------------------- */

static int cmd_backtest(int argc, char **argv) {
    const char *scenario = NULL, *model = NULL, *origins = NULL, *out = NULL, *json = NULL;
    unsigned long long trials = 4000, seed = DEFAULT_SEED, threads = 0, horizon = 4;
    int quiet = 0;
    scen_flags sf = {0};
    for (int i = 1; i < argc; i++) {
        const int sfr = scenario_flag(argc, argv, &i, &sf, usage_backtest);
        if (sfr < 0) return 2;
        if (sfr > 0) continue;
        const char *a = argv[i];
        const int val = strcmp(a, "--model") == 0 || strcmp(a, "--origins") == 0 ||
                        strcmp(a, "--horizon") == 0 || strcmp(a, "-n") == 0 ||
                        strcmp(a, "--trials") == 0 || strcmp(a, "-s") == 0 ||
                        strcmp(a, "--seed") == 0 || strcmp(a, "-t") == 0 ||
                        strcmp(a, "--threads") == 0 || strcmp(a, "-o") == 0 ||
                        strcmp(a, "--output") == 0 || strcmp(a, "--json") == 0;
        if (val && i + 1 >= argc) return usage_error(usage_backtest, "%s: needs a value", a);
        const char *v = val ? argv[++i] : NULL;
        if (strcmp(a, "--model") == 0) model = v;
        else if (strcmp(a, "--origins") == 0) origins = v;
        else if (strcmp(a, "--horizon") == 0) {
            if (!parse_u64(v, &horizon) || horizon < 1 || horizon > 40)
                return usage_error(usage_backtest, "--horizon: expected 1 to 40 quarters, got \"%s\"", v);
        } else if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            if (!parse_u64(v, &trials) || trials < 100 || trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_backtest, "-n: expected a whole number of trials from 100 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            if (!parse_u64(v, &seed))
                return usage_error(usage_backtest, "-s: expected a whole number 0..2^64-1, got \"%s\"", v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!parse_u64(v, &threads) || threads == 0 || threads > 4096)
                return usage_error(usage_backtest, "-t: expected a thread count 1..4096, got \"%s\"", v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) out = v;
        else if (strcmp(a, "--json") == 0) json = v;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) quiet = 1;
        else if (a[0] == '-') return usage_error(usage_backtest, "unknown option \"%s\"", a);
        else if (scenario == NULL) scenario = a;
        else return usage_error(usage_backtest, "unexpected argument \"%s\"", a);
    }
    if (scenario == NULL) return usage_error(usage_backtest, "%s", "backtest: which scenario?");
    if (model == NULL) return usage_error(usage_backtest, "%s", "backtest: --model NAME is required");
    if (sf.as_of) return usage_error(usage_backtest, "%s", "--as-of: a backtest sets the as-of date of each origin itself");
    char from[32] = "", to[32] = "";
    if (origins) {
        const char *dots = strstr(origins, "..");
        if (dots == NULL || dots - origins >= 31 || strlen(dots + 2) >= 31)
            return usage_error(usage_backtest, "--origins: expected Q1..Q2, e.g. FY2025Q1..FY2026Q4, got \"%s\"", origins);
        memcpy(from, origins, (size_t)(dots - origins));
        strcpy(to, dots + 2);
    }
    tyche_backtest_config cfg = {model, origins ? from : NULL, origins ? to : NULL, (int)horizon,
                                 trials, seed, (int)threads, NULL};
    tyche_err err = {0};
    tyche_scenario_options o = {NULL, sf.n_set, sf.set};
    tyche_backtest *b = tyche_backtest_run(scenario, &o, &cfg, &err);
    if (b == NULL) return report(&err);
    char dout[600], djson[700];
    default_outputs(scenario, "backtest", &out, &json, dout, sizeof dout, djson, sizeof djson);
    if (refuse_clobber(scenario, out, json, usage_backtest)) {
        tyche_backtest_free(b);
        return 2;
    }
    tyche_status st = write_both(b, w_bt_h5, w_bt_js, out, json, &err);
    if (st == TYCHE_OK && !quiet) {
        const int H = tyche_backtest_horizon(b);
        printf("backtest of %s in %s: revenue, %d quarter(s) ahead, %llu trials per origin, seed %llu\n\n",
               model, scenario, H, trials, seed);
        printf("%-10s %-10s %10s %10s %10s %10s %6s %8s\n", "origin", "quarter", "actual", "p2.5",
               "median", "p97.5", "PIT", "CRPS");
        for (size_t i = 0; i < tyche_backtest_n_origins(b); i++)
            for (int h = 1; h <= H; h++) {
                const tyche_backtest_step *x = tyche_backtest_get(b, i, h);
                if (isnan(x->actual)) continue;
                printf("%-10s %-10s %10.2f %10.2f %10.2f %10.2f %6.3f %8.3f\n",
                       h == 1 ? tyche_backtest_origin(b, i) : "", x->quarter, x->actual, x->q[0],
                       x->q[3], x->q[6], x->pit, x->crps);
            }
        printf("\n%-12s %18s %18s %18s %10s\n", "horizon", "coverage 50%", "coverage 80%",
               "coverage 95%", "CRPS");
        for (int h = 0; h <= H; h++) {
            char lab[16];
            if (h) snprintf(lab, sizeof lab, "h = %d", h);
            else snprintf(lab, sizeof lab, "all");
            printf("%-12s", lab);
            size_t n = 0;
            static const int lv[3] = {50, 80, 95};
            for (int l = 0; l < 3; l++) {
                double c, se;
                tyche_backtest_coverage(b, lv[l], h, &c, &se, &n);
                printf(" %9.2f +- %5.2f", c, se);
            }
            printf(" %10.3f  (n = %zu)\n", tyche_backtest_crps(b, h), n);
        }
        printf("\nresults: %s\njson: %s\n", out, json);
    }
    tyche_backtest_free(b);
    return st == TYCHE_OK ? 0 : report(&err);
}

/* The subcommands: each gets its arguments (from its own name on) and the
 * whole command line as typed. */
static int run_describe(int argc, char **argv, char *line) { (void)line; return cmd_describe(argc, argv); }
static int run_replay(int argc, char **argv, char *line) { (void)line; return cmd_replay(argc, argv); }
static int run_tornado(int argc, char **argv, char *line) { (void)line; return cmd_sensitivity(argc, argv, 0); }
static int run_sweep(int argc, char **argv, char *line) { (void)line; return cmd_sensitivity(argc, argv, 1); }
static int run_sobol(int argc, char **argv, char *line) { (void)line; return cmd_sobol(argc, argv); }
static int run_score(int argc, char **argv, char *line) { (void)line; return cmd_score(argc, argv); }
static int run_backtest(int argc, char **argv, char *line) { (void)line; return cmd_backtest(argc, argv); }

static const struct {
    const char *name;
    const char *const *usage;
    int (*fn)(int argc, char **argv, char *line);
} commands[] = {
    {"run", &usage_run, cmd_run},           {"describe", &usage_describe, run_describe},
    {"replay", &usage_replay, run_replay},  {"tornado", &usage_tornado, run_tornado},
    {"sweep", &usage_tornado, run_sweep},   {"sobol", &usage_sobol, run_sobol},
    {"merge", &usage_merge, cmd_merge},     {"score", &usage_score, run_score},
    {"backtest", &usage_backtest, run_backtest},
};

static int dispatch(int argc, char **argv);

int main(int argc, char **argv) {
    /* A file-size limit (ulimit -f, a batch system's quota) must end in an
     * error that removes the temporary file, not in SIGXFSZ killing the
     * process and leaving it behind: ignored, the write fails with EFBIG. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ign, NULL);
#ifdef TYCHE_MPI
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
    const int rc = dispatch(argc, argv);
    MPI_Finalize();
    return rc;
#else
    return dispatch(argc, argv);
#endif
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("tyche %s\n", tyche_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(cmd, commands[k].name) != 0) continue;
        if (wants_help(argc - 1, argv + 1)) return fputs(*commands[k].usage, stdout), 0;
        char *line = join_args(argc, argv); /* the command line, for provenance */
        if (line == NULL) {
            fputs("tyche: out of memory\n", stderr);
            return 1;
        }
        const int rc = commands[k].fn(argc - 1, argv + 1, line);
        free(line);
        return rc;
    }
    fprintf(stderr, "tyche: unknown command \"%s\"\n\n%s", cmd, usage_main);
    return 2;
}
