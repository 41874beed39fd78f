/* What the `tyche` command's files share (common.c): each command lives in a
 * file of its own (run.c, describe.c, ...), main.c dispatches to them.  The
 * command uses the public API in include/tyche/ only. */
#ifndef TYCHE_CLI_H
#define TYCHE_CLI_H

#include <signal.h>
#include <stdint.h>
#include "tyche/tyche.h"
#include "opts.h"

#define DEFAULT_TRIALS 100000ULL
#define DEFAULT_SEED 1ULL

/* Under MPI every rank runs this program; only rank 0 speaks. */
extern int cli_mpi_rank, cli_mpi_size;

/* "tyche: <message>" and the usage line on stderr (rank 0 only); returns 2. */
int cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The message of a failed call on stderr; returns its exit status. */
int cli_report(const tyche_err *e);

/* Whole numbers only: "1e6" and "12abc" are refused rather than guessed. */
int cli_parse_u64(const char *s, unsigned long long *out);
void cli_fmt_time(const tyche_scenario *s, double t, char *buf, size_t len);
void cli_fmt_value(double x, char *buf, size_t len);

/* --as-of and --set, shared by the commands that load a scenario. */
#define MAX_SETS 256
typedef struct {
    const char *as_of;
    const char *set[MAX_SETS];
    size_t n_set;
    const char *observed[MAX_SETS];
    size_t n_observed;
} cli_scen_flags;
/* The --as-of and --set a command was given. */
void cli_scen_from(const cli_args *a, cli_scen_flags *f);
tyche_scenario *cli_load(const char *file, const cli_scen_flags *f, tyche_err *err);

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
} cli_progress_state;
double cli_now(void);
/* A tyche_progress_fn drawing the bar of the cli_progress_state `user`. */
void cli_progress(void *user, uint64_t done, uint64_t total);

/* The terminal tables of a run's results. */
void cli_print_prob(const char *label, int width, const tyche_prob *p);
void cli_print_statements(const tyche_scenario *s, const tyche_results *r);
void cli_print_outputs(const tyche_scenario *s, const tyche_results *r);

int cli_same_file(const char *a, const char *b);
int cli_is_folder(const char *p);
int cli_file_exists(const char *p);
/* The command line as typed, quoted where an argument has a space (freed by
 * the caller), for provenance. */
char *cli_join_args(int argc, char **argv);

/* --log: appends the run's forecast to FILE as one JSON line, locked
 * (tyche_forecast_log_append; the message names the flag). */
tyche_status cli_append_log(const char *file, const tyche_scenario *s, const tyche_results *r,
                            const char *created, tyche_err *err);

/* Signals (common.c explains the modes). */
enum { SIG_DIE = 0, SIG_NOTE = 1, SIG_EXIT3 = 2 };
extern volatile sig_atomic_t cli_sig_mode, cli_stop_requested;
extern volatile sig_atomic_t cli_signal_while_committing;
extern char cli_resume_hint[1400];
extern size_t cli_resume_hint_len;
void cli_install_stop_handlers(void);
/* tyche_tmp_sweep's callback: says which stale temporary was removed. */
void cli_said_swept(void *user, const char *file, long pid);

/* Whether a file of `bytes` (uncompressed) fits in the free space of
 * path's folder: 0, or 2 after a message with both sizes; with compress,
 * only a warning.  Rank 0 looks. */
int cli_check_space(const char *flag, const char *path, uint64_t bytes, int compress);
/* Whether the folders of two paths are on the same file system. */
int cli_same_disk(const char *a, const char *b);
/* Whether `path` can be written; 0, or the exit status after a message. */
int cli_check_writable(const char *flag, const char *path);

/* A command's result files put in place together (tyche_commit_files), and
 * a checkpoint folder (may be NULL) removed once they are; then the note of
 * a signal that came during the renames (cli_said_deferred_signal, also
 * for a caller of tyche_commit_rename). */
tyche_status cli_commit(const tyche_result_file *files, size_t n, const char *checkpoint, tyche_err *err);
void cli_said_deferred_signal(void);
/* A run's results (run and merge) as a result file's object, and its JSON writer (the HDF5 file is streamed: cli_stream below). */
typedef struct {
    const tyche_scenario *s;
    const tyche_results *r;
    const tyche_provenance *prov;
} cli_run_output;

/* A streamed results pair: the JSON summary (written at the end) and the
 * HDF5 file, laid out under its temporary name before the rows come and
 * written as they do.  init names them; open checks the free space (EINPUT
 * naming both sizes; with compression only a warning) and makes the file;
 * (at_most: plan->rows is a cap the run may stop short of, a --precision
 * run's, so only a warning too); begin is open as a tyche_merge_begin_fn; finish writes the summary from
 * r, puts both in place (and removes `checkpoint`, may be NULL, once they
 * are); free, on any path, removes what was not put in place. */
typedef struct {
    cli_run_output ro;
    tyche_result_file files[2];
    tyche_commit *commit;
    tyche_h5_writer *writer;
} cli_stream;
void cli_stream_init(cli_stream *cs, const char *out, const char *summary, const tyche_provenance *prov,
                     const tyche_scenario *s);
tyche_status cli_stream_open(cli_stream *cs, const tyche_scenario *s, const tyche_h5_plan *plan, int at_most,
                             tyche_err *err);
tyche_status cli_stream_begin(void *user, const tyche_scenario *s, const tyche_run_info *info,
                              tyche_rows_fn *rows, void **rows_user, tyche_err *err);
tyche_status cli_stream_finish(cli_stream *cs, const tyche_results *r, const char *checkpoint, tyche_err *err);
void cli_stream_free(cli_stream *cs, tyche_err *err);
tyche_status cli_write_run_json(const void *o, const char *p, tyche_err *e);
/* Default output names: "<scenario file's name>-<what>.h5" and the JSON beside it. */
void cli_default_outputs(const char *scenario, const char *what, const char **out,
                         const char **json, char *dout, size_t lo, char *djson, size_t lj);
/* Refuses outputs that would overwrite the scenario file; 1 after a message. */
int cli_refuse_clobber(const char *scenario, const char *out, const char *json, const char *usage);

/* A statement's swing in a tornado or Sobol table, sorted by cli_by_swing. */
typedef struct {
    double swing;
    size_t k;
} cli_swing_row;
int cli_by_swing(const void *a, const void *b);

/* The commands: each gets its arguments from its own name on and the whole
 * command line as typed; each names its options in its cli_command (opts.h),
 * and its usage line (CLI_USAGE_LINE) is what a usage error shows. */
int cli_cmd_run(int argc, char **argv, char *line);
int cli_cmd_describe(int argc, char **argv, char *line);
int cli_cmd_replay(int argc, char **argv, char *line);
int cli_cmd_tornado(int argc, char **argv, char *line);
int cli_cmd_sweep(int argc, char **argv, char *line);
int cli_cmd_sobol(int argc, char **argv, char *line);
int cli_cmd_merge(int argc, char **argv, char *line);
int cli_cmd_score(int argc, char **argv, char *line);
int cli_cmd_backtest(int argc, char **argv, char *line);
extern const cli_command cli_run_command, cli_describe_command, cli_replay_command, cli_tornado_command,
    cli_sweep_command, cli_sobol_command, cli_merge_command, cli_score_command, cli_backtest_command;
extern const char *const cli_usage_run, *const cli_usage_describe, *const cli_usage_replay,
    *const cli_usage_tornado, *const cli_usage_sweep, *const cli_usage_sobol, *const cli_usage_merge,
    *const cli_usage_score, *const cli_usage_backtest;

#endif
