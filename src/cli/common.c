/* What every command shares: usage errors, number parsing, the scenario
 * flags, the progress bar, the terminal tables, signals, and the atomic
 * write of a command's result files. */
#include <errno.h>
#include <sys/statvfs.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/tyche.h"

#include "cli.h"

/* Under MPI every rank runs this program; only rank 0 speaks. */
int cli_mpi_rank, cli_mpi_size = 1;

int cli_usage_error(const char *usage, const char *fmt, ...) {
    va_list ap;
    if (cli_mpi_rank != 0) return 2;
    fprintf(stderr, "tyche: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%s", usage);
    return 2;
}

/* Whole numbers only: "1e6" and "12abc" are refused rather than guessed. */
int cli_parse_u64(const char *s, unsigned long long *out) {
    if (s == NULL || *s == '\0' || *s == '-' || *s == '+') return 0;
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    errno = 0;
    char *end;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0';
}

void cli_fmt_time(const tyche_scenario *s, double t, char *buf, size_t len) {
    if (!isfinite(t)) {
        snprintf(buf, len, "never");
        return;
    }
    char d[11];
    tyche_date_format(tyche_scenario_start(s) + (int32_t)floor(t), d);
    snprintf(buf, len, "%s", d);
}

void cli_fmt_value(double x, char *buf, size_t len) {
    if (!isfinite(x)) snprintf(buf, len, "-");
    else snprintf(buf, len, "%.5g", x);
}

void cli_scen_from(const cli_args *a, cli_scen_flags *f) {
    f->as_of = a->value[CLI_O_AS_OF];
    f->n_set = cli_args_values(a, CLI_O_SET, f->set, MAX_SETS);
    f->n_observed = cli_args_values(a, CLI_O_OBSERVED, f->observed, MAX_SETS);
}

tyche_scenario *cli_load(const char *file, const cli_scen_flags *f, tyche_err *err) {
    tyche_scenario_options o = {f->as_of, f->n_set, f->set, f->n_observed, f->observed};
    return tyche_scenario_load_with(file, &o, err);
}

/* ---- progress bar ------------------------------------------------------- */

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress(void *user, uint64_t done, uint64_t total) {
    cli_progress_state *p = user;
    const double t = cli_now();
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

/* One number of a probability line: a nonzero error or bound below 0.001
 * in %.1e, where %.4f would show 0.0000 (a Wilson upper bound of a
 * statement never seen true) or a single digit; the rest as the line's P. */
static void prob_cell(double x, int small, char *buf, size_t len) {
    snprintf(buf, len, small || (x > 0 && x < 0.001) ? "%.1e" : "%.4f", x);
}

/* A probability and its error, readable whether it is 0.4 or 3e-5 (P in
 * %.2e below 0.001, with every number of its line in %.1e), P and +-se
 * right-aligned under their 8-wide headings. */
void cli_print_prob(const char *label, int width, const tyche_prob *p) {
    const int small = p->probability > 0 && p->probability < 0.001;
    char pr[32], se[32], lo[32], hi[32];
    snprintf(pr, sizeof pr, small ? "%.2e" : "%.4f", p->probability);
    prob_cell(p->stderr_, small, se, sizeof se);
    prob_cell(p->ci95_lo, small, lo, sizeof lo);
    prob_cell(p->ci95_hi, small, hi, sizeof hi);
    printf("  %-*s %8s %8s  [%s, %s]\n", width, label, pr, se, lo, hi);
}

void cli_print_statements(const tyche_scenario *s, const tyche_results *r) {
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
            cli_print_prob(label, w + 55, &p);
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
            cli_print_prob(ids, w + 55, &p);
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
                    cli_print_prob(lab, w + 55, &p);
                }
    }
}

void cli_print_outputs(const tyche_scenario *s, const tyche_results *r) {
    printf("\n%-36s %-18s %10s %10s %10s %10s %8s\n", "output", "units", "mean", "p05", "p50",
           "p95", "missing");
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_info oi;
        tyche_output_summary os;
        char a[16], b[16], c[16], d[16];
        tyche_scenario_output(s, i, &oi);
        tyche_results_output(r, i, &os);
        if (oi.type == TYCHE_OUTPUT_TIME) {
            cli_fmt_time(s, os.mean, a, sizeof a);
            cli_fmt_time(s, os.q[1], b, sizeof b);
            cli_fmt_time(s, os.q[4], c, sizeof c);
            cli_fmt_time(s, os.q[7], d, sizeof d);
            if (os.n == 0) strcpy(a, "never"), strcpy(b, "-"), strcpy(c, "-"), strcpy(d, "-");
        } else {
            cli_fmt_value(os.mean, a, sizeof a);
            cli_fmt_value(os.q[1], b, sizeof b);
            cli_fmt_value(os.q[4], c, sizeof c);
            cli_fmt_value(os.q[7], d, sizeof d);
        }
        printf("%-36s %-18s %10s %10s %10s %10s %7.1f%%\n", oi.name,
               oi.type == TYCHE_OUTPUT_TIME ? "date (if any)" : oi.units, a, b, c, d,
               100 * os.missing_fraction);
    }
}

/* ---- files and the command line ------------------------------------------ */

int cli_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

char *cli_join_args(int argc, char **argv) {
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

int cli_report(const tyche_err *e) {
    if (cli_mpi_rank == 0 || e->code != TYCHE_EINPUT) fprintf(stderr, "tyche: %s\n", e->msg);
    return tyche_status_exit_code(e->code);
}

/* --log: the library's append, its message naming the flag. */
tyche_status cli_append_log(const char *file, const tyche_scenario *s, const tyche_results *r,
                            const char *created, tyche_err *err) {
    tyche_err e = {0};
    const tyche_status st = tyche_forecast_log_append(file, s, r, created, &e);
    return st == TYCHE_OK ? st : tyche_err_set(err, st, "--log %s", e.msg);
}

/* ---- output paths ------------------------------------------------------------- */

int cli_is_folder(const char *p) {
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
volatile sig_atomic_t cli_sig_mode = SIG_DIE;
volatile sig_atomic_t cli_stop_requested;
/* While finished files are renamed into place (tyche_commit_renaming), a
 * signal waits (any thread may take it: OpenMP's threads do not share a
 * thread's signal mask), so it cannot fall between the results file and
 * its summary: it is noted here and said once the files are in place. */
volatile sig_atomic_t cli_signal_while_committing;
char cli_resume_hint[1400];
size_t cli_resume_hint_len;

static void on_stop_signal(int sig) {
    if (tyche_commit_renaming) {
        cli_signal_while_committing = sig;
        return;
    }
    if (cli_sig_mode == SIG_NOTE) {
        cli_stop_requested = sig;
        return;
    }
    tyche_tmp_remove_all();
    if (cli_sig_mode == SIG_EXIT3) {
        /* write() is async-signal-safe; the message was made beforehand */
        if (cli_resume_hint_len) (void)!write(2, cli_resume_hint, cli_resume_hint_len);
        _exit(3);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_install_stop_handlers(void) {
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

void cli_said_swept(void *user, const char *file, long pid) {
    (void)user;
    if (cli_mpi_rank == 0)
        fprintf(stderr, "tyche: removed %s, left by an earlier run (process %ld is gone)\n", file, pid);
}

int cli_file_exists(const char *p) {
    struct stat st;
    return stat(p, &st) == 0;
}

/* Whether `path` can be written: its folder exists and a file can be made
 * in it (tried with the temporary name the writer will use, at once
 * removed: access() says yes to root on a read-only file system).
 * Returns 0, or the exit status after a message naming `flag` and path. */
/* The folder of path (".", or up to its last '/'). */
static void folder_of(const char *path, char *dir, size_t len) {
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, len, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    else snprintf(dir, len, ".");
}

/* The commit's hook: the checkpoint folder `dir` has served. */
static void remove_checkpoint(void *dir) { tyche_checkpoint_remove(dir); }

/* 0: fits; 1: may not fit (compressed, or a run that may stop early: at
 * most), the warning in err; 2: does not, the message in err. */
static int space_verdict(const char *flag, const char *path, uint64_t bytes, int compress, int at_most,
                         tyche_err *err) {
    if (bytes == 0) return 0;
    char dir[1200];
    folder_of(path, dir, sizeof dir);
    struct statvfs v;
    if (statvfs(dir, &v) != 0) return 0; /* cannot tell: the write itself will say */
    const double free_b = (double)v.f_bavail * (double)v.f_frsize;
    /* the per-trial data, 1% and 64 KiB for HDF5's own (chunk indexes, the summary) */
    const double need = (double)bytes * 1.01 + (1 << 16);
    if (need <= free_b) return 0;
    if (compress) {
        tyche_err_set(err, TYCHE_EINPUT, "warning: %s %s: the rows take %.3g GB before compression and %s has "
                      "%.3g GB free: the run fails if deflate does not shrink them enough",
                      flag, path, need / 1e9, dir, free_b / 1e9);
        return 1;
    }
    if (at_most) {
        tyche_err_set(err, TYCHE_EINPUT, "warning: %s %s: at --max-trials the file would need %.3g GB and %s has "
                      "%.3g GB free: the run fails if its precision targets are not met well before",
                      flag, path, need / 1e9, dir, free_b / 1e9);
        return 1;
    }
    tyche_err_set(err, TYCHE_EINPUT, "%s %s: the file needs %.3g GB and %s has %.3g GB free; use --store none, "
                  "fewer trials, --compress or another folder", flag, path, need / 1e9, dir, free_b / 1e9);
    return 2;
}

int cli_same_disk(const char *a, const char *b) {
    char da[1200], db[1200];
    struct stat sa, sb;
    folder_of(a, da, sizeof da);
    folder_of(b, db, sizeof db);
    return stat(da, &sa) == 0 && stat(db, &sb) == 0 && sa.st_dev == sb.st_dev;
}

int cli_check_space(const char *flag, const char *path, uint64_t bytes, int compress) {
    if (cli_mpi_rank != 0) return 0;
    tyche_err e = {0};
    const int v = space_verdict(flag, path, bytes, compress, 0, &e);
    if (v) fprintf(stderr, "tyche: %s\n", e.msg);
    return v == 2 ? 2 : 0;
}

void cli_stream_init(cli_stream *cs, const char *out, const char *summary, const tyche_provenance *prov,
                     const tyche_scenario *s) {
    memset(cs, 0, sizeof *cs);
    cs->ro = (cli_run_output){s, NULL, prov};
    cs->files[0] = (tyche_result_file){summary, cli_write_run_json, &cs->ro};
    cs->files[1] = (tyche_result_file){out, NULL, NULL}; /* written by the writer, at its temporary */
}

tyche_status cli_stream_open(cli_stream *cs, const tyche_scenario *s, const tyche_h5_plan *plan, int at_most,
                             tyche_err *err) {
    tyche_err e = {0};
    const int v = space_verdict("-o", cs->files[1].path, tyche_h5_file_bytes(s, plan->store, plan->rows),
                                cs->ro.prov->compress > 0, at_most, &e);
    if (v == 2) return tyche_err_set(err, TYCHE_EINPUT, "%s", e.msg);
    if (v == 1) fprintf(stderr, "tyche: %s\n", e.msg);
    cs->ro.s = s;
    tyche_h5_plan p = *plan;
    p.user_path = cs->files[1].path;
    tyche_status st = tyche_commit_alloc(cs->files, 2, &cs->commit, err);
    if (st == TYCHE_OK) st = tyche_h5_writer_open(s, &p, cs->ro.prov, tyche_commit_tmp(cs->commit, 1), &cs->writer, err);
    if (st != TYCHE_OK) cli_stream_free(cs, err);
    return st;
}

tyche_status cli_stream_begin(void *user, const tyche_scenario *s, const tyche_run_info *info,
                              tyche_rows_fn *rows, void **rows_user, tyche_err *err) {
    cli_stream *cs = user;
    const tyche_h5_plan plan = {.store = info->store, .first_trial = 0, .rows = info->trials};
    const tyche_status st = cli_stream_open(cs, s, &plan, 0, err);
    *rows = tyche_h5_writer_rows;
    *rows_user = cs->writer;
    return st;
}

tyche_status cli_stream_finish(cli_stream *cs, const tyche_results *r, const char *checkpoint, tyche_err *err) {
    cs->ro.r = r;
    tyche_status st = tyche_h5_writer_finish(cs->writer, r, err);
    tyche_h5_writer_free(cs->writer);
    cs->writer = NULL;
    if (st == TYCHE_OK) st = tyche_commit_write(cs->commit, err);
    if (st == TYCHE_OK) {
        st = tyche_commit_rename(cs->commit, checkpoint ? remove_checkpoint : NULL, (void *)checkpoint, err);
        cli_said_deferred_signal();
    }
    cli_stream_free(cs, err);
    return st;
}

void cli_stream_free(cli_stream *cs, tyche_err *err) {
    tyche_h5_writer_free(cs->writer);
    cs->writer = NULL;
    tyche_commit_free(cs->commit, err); /* the temporaries removed, the user's names in err */
    cs->commit = NULL;
}

int cli_check_writable(const char *flag, const char *path) {
    if (cli_is_folder(path)) {
        if (cli_mpi_rank == 0) fprintf(stderr, "tyche: %s %s: is a folder, not a file\n", flag, path);
        return 1;
    }
    char dir[1200];
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
    else snprintf(dir, sizeof dir, ".");
    if (!cli_is_folder(dir)) {
        if (cli_mpi_rank == 0) fprintf(stderr, "tyche: %s %s: the folder %s does not exist\n", flag, path, dir);
        return 2;
    }
    if (cli_mpi_rank != 0) return 0; /* rank 0 tries; the others would race it */
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

void cli_said_deferred_signal(void) {
    if (cli_signal_while_committing)
        fprintf(stderr, "tyche: %s came as the results were put in place; they are whole\n",
                strsignal(cli_signal_while_committing));
}


/* Every command's results: tyche_commit_files (each file written whole
 * under a temporary name, all renamed into place with signals waiting), a
 * checkpoint folder whose run is now written removed with them.  A signal
 * during the renames is honoured as the results are whole: the command
 * goes on and says so. */
tyche_status cli_commit(const tyche_result_file *files, size_t n, const char *checkpoint, tyche_err *err) {
    const tyche_status st = tyche_commit_files(files, n, checkpoint ? remove_checkpoint : NULL,
                                               (void *)checkpoint, err);
    cli_said_deferred_signal();
    return st;
}

/* Default output names: "<scenario file's name>-<what>.h5" and the JSON beside it. */
void cli_default_outputs(const char *scenario, const char *what, const char **out,
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
int cli_refuse_clobber(const char *scenario, const char *out, const char *json,
                          const char *usage) {
    if (cli_same_file(scenario, out) || cli_same_file(scenario, json)) {
        cli_usage_error(usage, "\"%s\" is the scenario file: choose another -o or --summary",
                    cli_same_file(scenario, out) ? out : json);
        return 1;
    }
    if (strcmp(out, json) == 0) {
        cli_usage_error(usage, "--summary: \"%s\" is also the HDF5 output", json);
        return 1;
    }
    return 0;
}

/* Largest |swing| first; ties in parameter order (a stable, total order). */
int cli_by_swing(const void *a, const void *b) {
    const double x = fabs(((const cli_swing_row *)a)->swing), y = fabs(((const cli_swing_row *)b)->swing);
    if (x != y) return x < y ? 1 : -1;
    return ((const cli_swing_row *)a)->k < ((const cli_swing_row *)b)->k ? -1 : 1;
}

tyche_status cli_write_run_json(const void *o, const char *p, tyche_err *e) {
    const cli_run_output *x = o;
    return tyche_write_summary_json(x->s, x->r, x->prov, p, e);
}
