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
    "      --resume DIR     finish a checkpointed run: its settings come from DIR/args;\n"
    "                       only -t, --quiet, --progress and --log may be given with it\n"
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
    "      --progress       draw the progress bar even when stderr is not a terminal\n"
    "                       (under mpirun, whose pipe it is), and even with --quiet\n"
    "  -q, --quiet          no table, no progress bar (but for --progress)\n";

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

/* A bar per phase (simulating, merging, writing).  A callback's (done,
 * total) may stand for a span of a larger whole: a checkpointed run's part
 * (base = trials before it) or, under MPI, rank 0's share of the job. */
typedef struct {
    double t0, last;
    const char *phase;
    int bytes;          /* done and total count bytes, not trials */
    double base, span;  /* shown: base + done / total * span (span 0: total) */
    double whole;       /* the bar's 100% (0: total) */
    int drawn;
    double first;       /* shown when the bar was first drawn: the rate counts from there */
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
    const double span = p->span > 0 ? p->span : (double)total;
    const double whole = p->whole > 0 ? p->whole : (double)total;
    const double shown = p->base + (total ? (double)done / (double)total : 1.0) * span;
    if (!p->drawn) {
        p->t0 = t;
        p->first = shown;
        p->drawn = 1;
    }
    const double frac = whole > 0 ? fmin(shown / whole, 1.0) : 1.0, el = t - p->t0;
    const double rate = el > 1e-6 ? (shown - p->first) / el : 0;
    const double left = rate > 0 ? (whole - shown) / rate : 0;
    char bar[31];
    const int fill = (int)(frac * 30);
    for (int i = 0; i < 30; i++) bar[i] = i < fill ? '#' : '.';
    bar[30] = '\0';
    if (p->bytes)
        fprintf(stderr, "\r[%s] %5.1f%%  %-10s %6.1f MB/s  %.0f s left   ", bar, 100 * frac, p->phase,
                rate / 1e6, left);
    else
        fprintf(stderr, "\r[%s] %5.1f%%  %-10s %.3g trials/s  %.0f s left   ", bar, 100 * frac, p->phase,
                rate, left);
    if (shown >= whole) {
        fputc('\n', stderr);
        p->drawn = 0;
    }
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

/* ---- signals ------------------------------------------------------------------ */

/* SIGINT and SIGTERM (Ctrl-C, a batch system's time limit) end a command
 * with nothing half-written: the handler removes this process's temporary
 * files (the library remembers their names) and dies of the signal, so the
 * shell sees 130 or 143.  While a checkpointed run simulates, the signal is
 * only noted instead (the run stops after its current part, exit 3), and
 * once it writes, a signal still leaves the parts for --resume and exits 3. */
enum { SIG_DIE = 0, SIG_NOTE = 1, SIG_EXIT3 = 2 };
static volatile sig_atomic_t sig_mode = SIG_DIE;
static volatile sig_atomic_t stop_requested;
/* While finished files are renamed into place, a signal waits (any thread
 * may take it: OpenMP's threads do not share a thread's signal mask), so it
 * cannot fall between the results file and its summary. */
static volatile sig_atomic_t committing, signal_while_committing;
static char resume_hint[1400];
static size_t resume_hint_len;

static void on_stop_signal(int sig) {
    if (committing) {
        signal_while_committing = sig;
        return;
    }
    if (sig_mode == SIG_NOTE) {
        stop_requested = sig;
        return;
    }
    tyche_tmp_remove_all();
    if (sig_mode == SIG_EXIT3) {
        /* write() is async-signal-safe; the message was made beforehand */
        if (resume_hint_len) (void)!write(2, resume_hint, resume_hint_len);
        _exit(3);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_stop_handlers(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    for (size_t k = 0; k < 3; k++) {
        /* a signal ignored by whoever started us stays ignored: nohup's
         * SIGHUP, a shell's SIGINT for a job in the background */
        struct sigaction old;
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler == SIG_IGN) continue;
        sigaction(sigs[k], &sa, NULL);
    }
}

static void said_swept(void *user, const char *file, long pid) {
    (void)user;
    if (mpi_rank == 0)
        fprintf(stderr, "tyche: removed %s, left by an earlier run (process %ld is gone)\n", file, pid);
}

static int file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* ---- the options of run -------------------------------------------------------- */

/* Every option of `tyche run`, as given: the parser records which were
 * given (and how they were spelled), so combinations that mean nothing and
 * options that --resume cannot take are refused by name. */
enum {
    RO_TRIALS, RO_SEED, RO_THREADS, RO_OUTPUT, RO_SUMMARY, RO_STORE, RO_COMPRESS, RO_RNG,
    RO_AS_OF, RO_SET, RO_PRECISION, RO_MAX_TRIALS, RO_CHECKPOINT, RO_EVERY, RO_RESUME, RO_SHARD,
    RO_SAMPLING, RO_REPLICATES, RO_LOG, RO_QUIET, RO_PROGRESS, RO_N
};

typedef struct {
    const char *scenario, *out, *summary, *rng, *log_file, *checkpoint, *resume;
    unsigned long long trials, seed, threads, compress, max_trials, replicates, every;
    tyche_store store;
    int quiet, progress;
    scen_flags sf;
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

/* Parses run's arguments (argv[0] is "run").  Returns 0, or 2 after the
 * message (which names `where` when the arguments came from a file). */
static int parse_run(int argc, char **argv, run_opts *o, const char *where) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--as-of") == 0 || strcmp(a, "--set") == 0) {
            const int k = a[2] == 'a' ? RO_AS_OF : RO_SET;
            o->given[k] = a;
            if (i + 1 < argc) o->value[k] = argv[i + 1];
            const int sfr = scenario_flag(argc, argv, &i, &o->sf, usage_run);
            if (sfr < 0) return 2;
            continue;
        }
        const int has_val = i + 1 < argc;
#define NEXT_VAL(k)                                                                            \
    if (!has_val) return usage_error(usage_run, "%s%s%s: needs a value", where, where[0] ? ": " : "", a); \
    const char *v = argv[++i];                                                                 \
    o->given[k] = a;                                                                           \
    o->value[k] = v
        if (strcmp(a, "-n") == 0 || strcmp(a, "--trials") == 0) {
            NEXT_VAL(RO_TRIALS);
            if (!parse_u64(v, &o->trials) || o->trials == 0 || o->trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_run, "%s: expected a whole number of trials from 1 to 2^53, got \"%s\"", a, v);
        } else if (strcmp(a, "-s") == 0 || strcmp(a, "--seed") == 0) {
            NEXT_VAL(RO_SEED);
            if (!parse_u64(v, &o->seed))
                return usage_error(usage_run, "%s: expected a whole number 0..2^64-1, got \"%s\"", a, v);
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            NEXT_VAL(RO_THREADS);
            if (!parse_u64(v, &o->threads) || o->threads == 0 || o->threads > 4096)
                return usage_error(usage_run, "%s: expected a thread count 1..4096, got \"%s\"", a, v);
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            NEXT_VAL(RO_OUTPUT);
            o->out = v;
        } else if (strcmp(a, "--summary") == 0) {
            NEXT_VAL(RO_SUMMARY);
            o->summary = v;
        } else if (strcmp(a, "--log") == 0) {
            NEXT_VAL(RO_LOG);
            o->log_file = v;
        } else if (strcmp(a, "--precision") == 0) {
            NEXT_VAL(RO_PRECISION);
            if (o->n_prec == MAX_SETS) return usage_error(usage_run, "--precision: at most %d", MAX_SETS);
            o->prec[o->n_prec++] = v;
        } else if (strcmp(a, "--checkpoint") == 0) {
            if (o->given[RO_CHECKPOINT]) return usage_error(usage_run, "%s", "--checkpoint: given twice");
            NEXT_VAL(RO_CHECKPOINT);
            o->checkpoint = v;
        } else if (strcmp(a, "--resume") == 0) {
            if (o->given[RO_RESUME]) return usage_error(usage_run, "%s", "--resume: given twice");
            NEXT_VAL(RO_RESUME);
            o->resume = v;
        } else if (strcmp(a, "--checkpoint-every") == 0) {
            NEXT_VAL(RO_EVERY);
            if (!parse_u64(v, &o->every) || o->every == 0 || o->every > 1000000)
                return usage_error(usage_run, "--checkpoint-every: expected a number of blocks >= 1, got \"%s\"", v);
        } else if (strcmp(a, "--shard") == 0) {
            NEXT_VAL(RO_SHARD);
            unsigned long long si, sn;
            char ib[32], nb[32];
            const char *slash = strchr(v, '/');
            if (slash == NULL || slash - v >= 31 || strlen(slash + 1) >= 31)
                return usage_error(usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", v);
            snprintf(ib, sizeof ib, "%.*s", (int)(slash - v), v);
            snprintf(nb, sizeof nb, "%s", slash + 1);
            if (!parse_u64(ib, &si) || !parse_u64(nb, &sn) || sn == 0 || si >= sn || sn > 100000)
                return usage_error(usage_run, "--shard: expected I/N (0 <= I < N), got \"%s\"", v);
            o->shard_index = (uint32_t)si;
            o->shard_count = (uint32_t)sn;
        } else if (strcmp(a, "--sampling") == 0) {
            NEXT_VAL(RO_SAMPLING);
            if (strcmp(v, "mc") == 0) o->sampling = TYCHE_SAMPLING_MC;
            else if (strcmp(v, "lhs") == 0) o->sampling = TYCHE_SAMPLING_LHS;
            else if (strcmp(v, "qmc") == 0) o->sampling = TYCHE_SAMPLING_QMC;
            else return usage_error(usage_run, "--sampling: expected mc, lhs or qmc, got \"%s\"", v);
        } else if (strcmp(a, "--replicates") == 0) {
            NEXT_VAL(RO_REPLICATES);
            if (!parse_u64(v, &o->replicates) || o->replicates < 2 || o->replicates > 1000)
                return usage_error(usage_run, "--replicates: expected 2 to 1000, got \"%s\"", v);
        } else if (strcmp(a, "--max-trials") == 0) {
            NEXT_VAL(RO_MAX_TRIALS);
            if (!parse_u64(v, &o->max_trials) || o->max_trials == 0 || o->max_trials > TYCHE_MAX_TRIALS)
                return usage_error(usage_run, "--max-trials: expected a whole number from 1 to 2^53, got \"%s\"", v);
        } else if (strcmp(a, "--store") == 0) {
            NEXT_VAL(RO_STORE);
            if (strcmp(v, "none") == 0) o->store = TYCHE_STORE_NONE;
            else if (strcmp(v, "outputs") == 0) o->store = TYCHE_STORE_OUTPUTS;
            else if (strcmp(v, "paths") == 0) o->store = TYCHE_STORE_PATHS;
            else return usage_error(usage_run, "--store: expected none, outputs or paths, got \"%s\"", v);
        } else if (strcmp(a, "--compress") == 0) {
            NEXT_VAL(RO_COMPRESS);
            if (!parse_u64(v, &o->compress) || o->compress > 9)
                return usage_error(usage_run, "--compress: expected a level 0-9, got \"%s\"", v);
        } else if (strcmp(a, "--rng") == 0) {
            NEXT_VAL(RO_RNG);
            o->rng = v;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o->given[RO_QUIET] = a;
            o->quiet = 1;
        } else if (strcmp(a, "--progress") == 0) {
            o->given[RO_PROGRESS] = a;
            o->progress = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            return usage_error(usage_run, "%s%sunknown option \"%s\"", where, where[0] ? ": " : "", a);
        } else if (o->scenario == NULL) {
            o->scenario = a;
        } else {
            return usage_error(usage_run, "%s%sunexpected argument \"%s\"", where, where[0] ? ": " : "", a);
        }
#undef NEXT_VAL
    }
    return 0;
}

/* Combinations in which an option would do nothing, refused rather than
 * silently ignored.  Returns 0 or 2 after the message. */
static int check_combinations(const run_opts *o) {
    const char *const *g = o->given;
    if (g[RO_EVERY] && !o->checkpoint)
        return usage_error(usage_run, "%s: only with --checkpoint DIR (it sets the size of the checkpoint's parts)", g[RO_EVERY]);
    if (g[RO_MAX_TRIALS] && !o->n_prec)
        return usage_error(usage_run, "%s: only with --precision (it caps a run that stops when its targets are met; otherwise -n sets the trials)", g[RO_MAX_TRIALS]);
    if (g[RO_TRIALS] && o->n_prec)
        return usage_error(usage_run, "%s: not with --precision, which runs until the targets are met; give --max-trials for its cap", g[RO_TRIALS]);
    if (g[RO_REPLICATES] && o->sampling == TYCHE_SAMPLING_MC)
        return usage_error(usage_run, "%s: only with --sampling lhs or qmc (plain Monte Carlo's errors need no replicates)", g[RO_REPLICATES]);
    if (o->checkpoint && (o->shard_count || o->n_prec))
        return usage_error(usage_run, "--checkpoint: not with %s (a checkpoint's parts are a fixed split of a fixed trial count)",
                           o->shard_count ? "--shard" : "--precision");
    if (o->shard_count && o->n_prec)
        return usage_error(usage_run, "%s", "--shard: not with --precision (a precision target stops the run where it is met; shards need a fixed trial count)");
    if (mpi_size > 1 && (o->shard_count || o->n_prec))
        return usage_error(usage_run, "under mpirun: not with %s (the ranks already split the run)",
                           o->shard_count ? "--shard" : "--precision");
    if (mpi_size > 1 && o->store == TYCHE_STORE_PATHS && !o->checkpoint)
        return usage_error(usage_run, "%s", "under mpirun: --store paths only with --checkpoint DIR (its merged parts are written by rank 0)");
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
        return usage_error(usage_run, "--resume %s: the scenario comes from %s; give no scenario (\"%s\")",
                           dir, path, u->scenario);
    if (!file_exists(path))
        return usage_error(usage_run, "--resume %s: no checkpointed run there (no %s)", dir, path);
    tyche_err err;
    if (cli_args_read(path, ra, rv, &err) != TYCHE_OK) {
        if (mpi_rank == 0) fprintf(stderr, "tyche: %s\n", err.msg);
        return tyche_status_exit_code(err.code);
    }
    run_opts_init(o);
    int rc = parse_run(*ra, *rv, o, path);
    if (rc == 0 && o->resume) rc = usage_error(usage_run, "%s: --resume (a checkpointed run cannot resume another)", path);
    for (int k = 0; rc == 0 && k < RO_N; k++) {
        int ok = 0;
        for (size_t j = 0; j < sizeof allowed / sizeof allowed[0]; j++) ok |= allowed[j] == k;
        if (ok || !u->given[k]) continue;
        if (o->given[k])
            rc = usage_error(usage_run, "--resume %s: %s cannot be changed: the run's own is %s %s (%s); "
                             "only -t, --quiet, --progress and --log may be given", dir, u->given[k], o->given[k],
                             o->value[k] ? o->value[k] : "", path);
        else
            rc = usage_error(usage_run, "--resume %s: %s cannot be changed: the run did not give it (its "
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

/* Whether `path` can be written: its folder exists and a file can be made
 * in it (tried with the temporary name the writer will use, at once
 * removed: access() says yes to root on a read-only file system).
 * Returns 0, or the exit status after a message naming `flag` and path. */
static int check_writable(const char *flag, const char *path) {
    if (is_folder(path)) {
        if (mpi_rank == 0) fprintf(stderr, "tyche: %s %s: is a folder, not a file\n", flag, path);
        return 1;
    }
    char dir[1200];
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    if (!is_folder(dir)) {
        if (mpi_rank == 0) fprintf(stderr, "tyche: %s %s: the folder %s does not exist\n", flag, path, dir);
        return 2;
    }
    if (mpi_rank != 0) return 0; /* rank 0 tries; the others would race it */
    char probe[1300];
    snprintf(probe, sizeof probe, "%s.probe", path); /* not the writer's own name: that means "writing" */
    char *tmp = tyche_tmp_name(probe);
    if (tmp == NULL) {
        fputs("tyche: out of memory\n", stderr);
        return 1;
    }
    const int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    const int e = fd < 0 ? errno : 0;
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    tyche_tmp_forget(tmp);
    free(tmp);
    if (e && e != EEXIST) {
        fprintf(stderr, "tyche: %s %s: cannot write in %s: %s\n", flag, path, dir, strerror(e));
        return 1;
    }
    return 0;
}

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

/* Whether a checkpoint folder's entry is tyche's own: args, identity,
 * lock, "part-NNNNNN-of-NNNNNN.h5" and the temporaries of any of them. */
static int checkpoint_own(const char *name) {
    unsigned a, b;
    int n = 0;
    if (sscanf(name, "part-%6u-of-%6u.h5%n", &a, &b, &n) == 2 && n == 24 && strlen(name) >= 24 &&
        (name[24] == '\0' || strncmp(name + 24, ".tmp.", 5) == 0))
        return 1;
    static const char *const own[] = {"args", "identity", "lock"};
    for (size_t k = 0; k < 3; k++) {
        const size_t l = strlen(own[k]);
        if (strncmp(name, own[k], l) == 0 && (name[l] == '\0' || strncmp(name + l, ".tmp.", 5) == 0)) return 1;
    }
    return 0;
}

/* Once the results are written: the parts (and any a SIGKILL cut short)
 * have served.  Not before: a failed write must leave a resumable run. */
static void checkpoint_remove(const char *dir) {
    char path[1200];
    DIR *d = opendir(dir);
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        if (checkpoint_own(e->d_name)) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    if (d) closedir(d);
    static const char *const own[] = {"args", "identity", "lock"};
    for (size_t k = 0; k < 3; k++) {
        snprintf(path, sizeof path, "%s/%s", dir, own[k]);
        unlink(path);
    }
    rmdir(dir);
}

typedef tyche_status (*writer_fn)(const void *obj, const char *path, tyche_err *err);

/* Renames the two whole temporaries into place, HDF5 first, with signals
 * waiting (see on_stop_signal). */
static tyche_status commit_pair(const char *tmp_h5, const char *out, const char *tmp_json,
                                const char *json, const char *checkpoint, tyche_err *err) {
    tyche_status st = TYCHE_OK;
    committing = 1;
    if (rename(tmp_h5, out) != 0)
        st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", out, strerror(errno));
    else if (rename(tmp_json, json) != 0)
        st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", json, strerror(errno));
    if (st == TYCHE_OK && checkpoint) checkpoint_remove(checkpoint);
    committing = 0;
    if (signal_while_committing)
        fprintf(stderr, "tyche: %s came as the results were put in place; they are whole\n",
                strsignal(signal_while_committing));
    return st;
}

/* After a pair: temporaries of a failure removed, messages about them
 * naming the user's files instead, the names forgotten and freed. */
static void release_pair(tyche_status st, char *tmp_h5, const char *out, char *tmp_json,
                         const char *json, tyche_err *err) {
    for (int i = 0; i < 2; i++) {
        char *t = i ? tmp_h5 : tmp_json;
        if (t == NULL) continue;
        if (st != TYCHE_OK) unlink(t);
        tyche_tmp_forget(t);
        name_user_file(err, t, i ? out : json);
        free(t);
    }
}

/* Every command's two results: the JSON and the HDF5 file, each written
 * whole under a temporary name, then both renamed into place (HDF5 first)
 * with signals waiting, and a checkpoint folder whose run is now written
 * removed with them.  A failure leaves neither under its final name; a
 * signal during the renames is honoured as the results are whole: the
 * command goes on and says so. */
static tyche_status write_pair(const void *obj, writer_fn h5, writer_fn js, const char *out,
                               const char *json, const char *checkpoint, tyche_err *err) {
    const char *outputs[2] = {out, json};
    for (int i = 0; i < 2; i++)
        if (is_folder(outputs[i])) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", outputs[i]);
    char *tmp_json = tyche_tmp_name(json), *tmp_h5 = tyche_tmp_name(out);
    tyche_status st = tmp_json && tmp_h5 ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    if (st == TYCHE_OK) st = js(obj, tmp_json, err);
    if (st == TYCHE_OK) st = h5(obj, tmp_h5, err);
    if (st == TYCHE_OK) st = commit_pair(tmp_h5, out, tmp_json, json, checkpoint, err);
    release_pair(st, tmp_h5, out, tmp_json, json, err);
    return st;
}

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
    if (!is_folder(dir)) {
        fprintf(stderr, "tyche: --checkpoint %s: is a file, not a folder\n", dir);
        return 2;
    }
    /* a folder without args holds no run of tyche's: its files are not ours
     * to mix in or delete (looked at before the lock file is made, so a
     * refusal leaves the folder as it was) */
    snprintf(path, sizeof path, "%s/args", dir);
    if (!file_exists(path)) {
        DIR *d = opendir(dir);
        int foreign = 0;
        for (struct dirent *e = d ? readdir(d) : NULL; !foreign && e; e = readdir(d))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && !checkpoint_own(e->d_name)) {
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
                if (mpi_rank == 0)
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
    if (resuming && !file_exists(args)) {
        fprintf(stderr, "tyche: --resume %s: the run is no longer there (it finished, or its folder was "
                "emptied)\n", dir);
        rc = 2;
    } else if (file_exists(args)) {
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
        tyche_tmp_sweep(dir, 1, said_swept, NULL); /* parts a kill -9 cut short */
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
    if (mpi_size > 1) {
        MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_BOR, MPI_COMM_WORLD);
        return all;
    }
#endif
    return mine;
}

/* Rank 0's verdict, on every rank (a check only rank 0 made). */
static int agree(int rc) {
#ifdef TYCHE_MPI
    if (mpi_size > 1) MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
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
                                       const char *dir, uint32_t parts, progress_state *ps,
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
        else if (!file_exists(path)) todo[n_todo++] = i;
        else done_trials += part_trials(cfg->trials, i, parts);
    }
#ifdef TYCHE_MPI
    /* rank 0's list: the others must not see a part that a fast rank has just written */
    if (mpi_size > 1) {
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
    const uint32_t R = (uint32_t)mpi_size, me = (uint32_t)mpi_rank;
    const uint32_t rounds = (n_todo + R - 1) / R;
    ps->whole = cfg->trials;
    sig_mode = SIG_NOTE;
    for (uint32_t round = 0; st == TYCHE_OK && round < rounds; round++) {
        const int flags = all_flags((stop_requested ? FLAG_STOP : 0));
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
    sig_mode = SIG_EXIT3;
    if (st == TYCHE_OK && !*stopped && stop_requested && mpi_rank == 0)
        fprintf(stderr, "tyche: every part was done when the signal came: merging them\n");
    if (st == TYCHE_OK && !*stopped && mpi_rank == 0) {
        tyche_scenario *ms = NULL;
        progress_state mp = {.phase = "merging"};
        merged = tyche_merge_shards_progress((const char *const *)files, parts, &ms,
                                             cfg->progress ? progress : NULL, &mp, err);
        tyche_scenario_free(ms);
    }
    for (uint32_t i = 0; files && i < parts; i++) free(files[i]);
    free(files);
    free(todo);
    return merged;
}

/* A run's results as write_pair's object. */
typedef struct {
    const tyche_scenario *s;
    const tyche_results *r;
    const tyche_provenance *prov;
} run_output;
static tyche_status w_run_h5(const void *o, const char *p, tyche_err *e) {
    const run_output *x = o;
    return tyche_write_hdf5(x->s, x->r, x->prov, p, e);
}
static tyche_status w_run_js(const void *o, const char *p, tyche_err *e) {
    const run_output *x = o;
    return tyche_write_summary_json(x->s, x->r, x->prov, p, e);
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
    if (o->scenario == NULL) return usage_error(usage_run, "%s", "run: which scenario? (a JSON file)");
    int rc = check_combinations(o);
    if (rc) return rc;

    tyche_err err = {0};
    tyche_scenario *s = load(o->scenario, &o->sf, &err);
    /* every rank must know: one that goes on alone waits for the others forever */
    if (all_flags(s == NULL ? FLAG_FAILED : 0)) {
        if (s == NULL) return report(&err);
        tyche_scenario_free(s);
        return 2; /* another rank said why */
    }
    double *precision = NULL;
    int lock_fd = -1;
    tyche_results *r = NULL;
#define FAIL(code) do { rc = (code); goto done; } while (0)

    /* check the generator name before any trial (and before any output) */
    tyche_rng *probe = tyche_rng_alloc(o->rng, o->seed, &err);
    if (probe == NULL) FAIL(report(&err));
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
    if (strcmp(out, summary) == 0) FAIL(usage_error(usage_run, "--summary: \"%s\" is also the HDF5 output", summary));
    /* never write a result over the scenario itself (e.g. -o x.h5 next to x.json) */
    if (same_file(o->scenario, summary) || same_file(o->scenario, out))
        FAIL(usage_error(usage_run, "\"%s\" is the scenario file: choose another -o or --summary",
                         same_file(o->scenario, summary) ? summary : out));
    if (o->log_file && same_file(o->scenario, o->log_file))
        FAIL(usage_error(usage_run, "--log: \"%s\" is the scenario file", o->log_file));

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
                FAIL(usage_error(usage_run, "--precision: expected a half-width in (0, 0.5), or ID=H, got \"%s\"", o->prec[k]));
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
            if (!found) FAIL(usage_error(usage_run, "--precision %s: no statement of that id", o->prec[k]));
        }
        trials = o->max_trials;
    }
    uint32_t parts = 0;
    if (o->checkpoint) {
        const uint64_t blocks = trials / TYCHE_BLOCK_TRIALS + (trials % TYCHE_BLOCK_TRIALS != 0);
        const uint64_t p = (blocks + o->every - 1) / o->every;
        if (p > 100000)
            FAIL(usage_error(usage_run, "--checkpoint-every %llu: %llu trials would make %llu parts, more than "
                             "100000; give a larger --checkpoint-every", o->every, trials, (unsigned long long)p));
        parts = (uint32_t)p;
    }

    /* Every output's folder, before the first trial: a typo in a path must
     * not cost the run.  Rank 0 looks; every rank goes by what it found. */
    rc = 0;
    if (mpi_rank == 0) {
        tyche_tmp_sweep(out, 0, said_swept, NULL);
        tyche_tmp_sweep(summary, 0, said_swept, NULL);
    }
    if (!rc) rc = check_writable("-o", out);
    if (!rc) rc = check_writable("--summary", summary);
    if (!rc && o->log_file && mpi_rank == 0) {
        /* an existing log must take an append; a new one, its folder a file (made only at the end) */
        if (file_exists(o->log_file)) {
            const int lf = open(o->log_file, O_WRONLY | O_APPEND);
            if (lf < 0) {
                fprintf(stderr, "tyche: --log %s: cannot append to the log: %s\n", o->log_file, strerror(errno));
                rc = 1;
            } else {
                close(lf);
            }
        } else {
            rc = check_writable("--log", o->log_file);
        }
    }
    if (!rc && o->checkpoint && mpi_rank == 0)
        rc = checkpoint_claim(o->checkpoint, s, o, resuming, argc, argv, &lock_fd);
    if ((rc = agree(rc)) != 0) goto done;
    if (o->checkpoint) {
        sig_mode = SIG_EXIT3; /* DIR holds a resumable run from here on */
        const int n = snprintf(resume_hint, sizeof resume_hint, "tyche: stopped by a signal; the run so far is in %s: "
                               "finish it with `tyche run --resume %s`\n", o->checkpoint, o->checkpoint);
        resume_hint_len = mpi_rank == 0 && n > 0 && (size_t)n < sizeof resume_hint ? (size_t)n : 0;
    }

    progress_state ps = {.phase = "simulating"};
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
    const int bars = (o->progress || (!o->quiet && isatty(2))) && mpi_rank == 0;
    if (bars) {
        cfg.progress = progress;
        cfg.progress_user = &ps;
    }
    if (mpi_size > 1 && !o->checkpoint) ps.whole = ps.span = (double)trials; /* rank 0's share stands for the job's */
    if (o->checkpoint) {
        int stopped = 0, threads_used = 0;
        r = run_checkpointed(s, &cfg, o->checkpoint, parts, &ps, &stopped, &threads_used, &err);
        if (stopped) {
            if (mpi_rank == 0)
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
                                      mpi_size, info.seconds / mpi_size);
        }
    } else if (mpi_size > 1) {
#ifdef TYCHE_MPI
        r = tyche_run_mpi(s, &cfg, &err);
#endif
    } else {
        r = tyche_run(s, &cfg, &err);
    }
    if (r == NULL) {
        rc = report(&err);
        if (o->checkpoint && mpi_size > 1) (void)agree(rc); /* the other ranks wait for rank 0's word */
        goto done;
    }

    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    progress_state wp = {.phase = "writing", .bytes = 1};
    tyche_provenance prov = {cmdline, created, (int)o->compress, bars ? progress : NULL, &wp};
    const double write_t0 = now(); /* the header's seconds are the simulation's: say the write's too */

    tyche_status st = TYCHE_OK;
    if (mpi_size > 1 && !o->checkpoint) {
#ifdef TYCHE_MPI
        /* every rank writes its rows into one file (rank 0's temporary),
         * rank 0 the summary first; then rank 0 puts the pair in place */
        char *tmp_json = NULL, *tmp_h5 = NULL;
        if (mpi_rank == 0) {
            tmp_json = tyche_tmp_name(summary);
            tmp_h5 = tyche_tmp_name(out);
            st = tmp_json && tmp_h5 ? tyche_write_summary_json(s, r, &prov, tmp_json, &err)
                                    : tyche_err_set(&err, TYCHE_ENOMEM, "out of memory");
        }
        if (agree(st == TYCHE_OK ? 0 : 1) != 0) {
            if (mpi_rank != 0) st = tyche_err_set(&err, TYCHE_EIO, "%s: rank 0 could not write the summary", summary);
        } else {
            st = tyche_write_hdf5_mpi(s, r, &prov, mpi_rank == 0 ? tmp_h5 : out, &err);
            if (st == TYCHE_OK && mpi_rank == 0) st = commit_pair(tmp_h5, out, tmp_json, summary, NULL, &err);
            const int code = agree(st == TYCHE_OK ? 0 : 1);
            if (code && st == TYCHE_OK) st = tyche_err_set(&err, TYCHE_EIO, "%s: rank 0 could not put it in place", out);
        }
        if (mpi_rank == 0) release_pair(st, tmp_h5, out, tmp_json, summary, &err);
#endif
    } else {
        const run_output ro = {s, r, &prov};
        st = write_pair(&ro, w_run_h5, w_run_js, out, summary, o->checkpoint, &err);
    }
    const double write_seconds = now() - write_t0;
    if (st == TYCHE_OK) sig_mode = SIG_DIE; /* DIR is gone: nothing is left to resume */
    if (o->checkpoint && mpi_size > 1) { /* rank 0 wrote: the others exit as it does */
        const int code = agree(st == TYCHE_OK ? 0 : tyche_status_exit_code(st));
        if (mpi_rank != 0) FAIL(code);
    }
    if (st == TYCHE_OK && o->log_file && mpi_rank == 0) st = append_log(o->log_file, s, r, created, &err);
    char missed_list[2048];
    const size_t missed = precision ? precision_missed(s, r, missed_list, sizeof missed_list) : 0;
    if (st == TYCHE_OK && missed && mpi_rank == 0)
        fprintf(stderr, "tyche: warning: --precision not reached for %zu statement(s) at the cap of %llu "
                        "trials (--max-trials): %s\n", missed, trials, missed_list);
    if (st == TYCHE_OK && !o->quiet && mpi_rank == 0) {
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
        print_statements(s, r);
        print_outputs(s, r);
        printf("\nresults: %s (written in %.2f s)\nsummary: %s\n", out, write_seconds, summary);
    }
    rc = st == TYCHE_OK ? 0 : report(&err);
done:
#undef FAIL
    tyche_results_free(r);
    free(precision);
    tyche_scenario_free(s);
    if (lock_fd >= 0) close(lock_fd);
    return rc;
}

static int cmd_run(int argc, char **argv, char *cmdline) {
    run_opts u, stored;
    run_opts_init(&u);
    int rc = parse_run(argc, argv, &u, "");
    if (rc) return rc;
    if (u.resume == NULL) return run_main(&u, 0, argc, argv, cmdline);
    int ra = 0;
    char **rv = NULL;
    if ((rc = resume_opts(&u, &stored, &ra, &rv)) != 0) return rc;
    rc = run_main(&stored, 1, ra, rv, cmdline);
    cli_args_free(ra, rv);
    return rc;
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
    tyche_run_config rc;
    tyche_run_config_init(&rc);
    rc.trials = trials ? trials : trial + 1;
    rc.seed = seed;
    rc.threads = 1;
    rc.rng = rng;
    rc.store = TYCHE_STORE_NONE;
    rc.sampling = sampling;
    rc.replicates = sampling == TYCHE_SAMPLING_MC ? 0 : (int)replicates;
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
    tyche_status st = write_pair(t, w_sens_h5, w_sens_js, out, json, NULL, &err);
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
    tyche_status st = write_pair(t, w_sobol_h5, w_sobol_js, out, json, NULL, &err);
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
    for (size_t k = 0; k < nf; k++)
        if (same_file(files[k], out) || same_file(files[k], summary)) {
            const char *clash = files[k]; /* an argv string: outlives files */
            free(files);
            return usage_error(usage_merge, "\"%s\" is one of the shards: choose another -o or --summary", clash);
        }
    /* the outputs' folders before the shards are read */
    tyche_tmp_sweep(out, 0, said_swept, NULL);
    tyche_tmp_sweep(summary, 0, said_swept, NULL);
    int rc = check_writable("-o", out);
    if (!rc) rc = check_writable("--summary", summary);
    if (rc) {
        free(files);
        return rc;
    }
    const int bars = !quiet && isatty(2);
    progress_state mp = {.phase = "merging"}, wp = {.phase = "writing", .bytes = 1};
    tyche_err err = {0};
    tyche_scenario *s = NULL;
    tyche_results *r = tyche_merge_shards_progress(files, nf, &s, bars ? progress : NULL, &mp, &err);
    free(files);
    if (r == NULL) return report(&err);
    char created[32];
    time_t tnow = time(NULL);
    struct tm tm;
    gmtime_r(&tnow, &tm);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    tyche_provenance prov = {cmdline, created, 0, bars ? progress : NULL, &wp};
    const run_output ro = {s, r, &prov};
    tyche_status st = write_pair(&ro, w_run_h5, w_run_js, out, summary, NULL, &err);
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
    tyche_status st = write_pair(b, w_bt_h5, w_bt_js, out, json, NULL, &err);
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
    install_stop_handlers();
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
