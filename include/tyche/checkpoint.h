/* tyche: checkpointed runs.
 *
 * A checkpointed run is a sequence of shards of the run ("parts"), each
 * written to a folder DIR as it completes (atomically: a part file exists
 * only whole), then merged exactly as tyche_merge_shards does.  A stop
 * request is honoured between parts; parts already in DIR are not run
 * again, so after SIGKILL or power loss a resume redoes at most one part.
 *
 * DIR belongs to one run: DIR/args keeps its arguments (written by the
 * caller, read back by the caller to resume), DIR/identity what makes its
 * results (tyche_checkpoint_identity), compared line by line when a run
 * starts on a folder that has one; DIR/lock, locked (fcntl) while a run
 * uses the folder, holds the user's pid and host.  Messages name the
 * folder as the `tyche` command's flags do ("--checkpoint DIR: ...",
 * "--resume DIR: ...").
 *
 * Under MPI (TYCHE_MPI, MPI initialized, more than one rank) only rank 0
 * claims the folder and merges; every rank runs parts. */
#ifndef TYCHE_CHECKPOINT_H
#define TYCHE_CHECKPOINT_H

#include <signal.h>
#include "commit.h"
#include "engine.h"
#include "io.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a checkpointed run's results depend on. */
typedef struct {
    const tyche_scenario *scenario;  /* its text (by hash) and as-of date */
    uint64_t seed, trials;
    const char *rng;                 /* NULL: philox */
    tyche_store store;
    tyche_sampling sampling;
    uint64_t replicates;             /* counted only for LHS and QMC */
    uint64_t every;                  /* blocks of TYCHE_BLOCK_TRIALS per part */
    const char *const *set;          /* the --set overrides as given, n_set of them */
    size_t n_set;
} tyche_checkpoint_spec;

/* The identity of a run: one "key value" line per thing its results depend
 * on, including the part layout.  The caller frees; NULL when out of memory. */
TYCHE_API char *tyche_checkpoint_identity(const tyche_checkpoint_spec *spec);

/* How many parts a run of `trials` makes at `every` blocks a part. */
TYCHE_API uint64_t tyche_checkpoint_parts(uint64_t trials, uint64_t every);
/* Trials in part i of `parts` (the engine's split of whole blocks). */
TYCHE_API uint64_t tyche_checkpoint_part_trials(uint64_t trials, uint32_t i, uint32_t parts);

/* A claimed folder: it holds the lock until tyche_checkpoint_release. */
typedef struct tyche_checkpoint tyche_checkpoint;

/* Takes DIR for a run: creates it, refuses a folder with files not tyche's
 * (EINPUT), locks it (EINPUT when another run holds the lock, naming it),
 * and either checks DIR/identity against spec's (EINPUT naming the first
 * difference) or, in a new folder, writes the identity and then the args,
 * by write_args(args_obj, "DIR/args", err).  resuming: the folder must
 * hold a run already.  Temporaries a kill -9 left in DIR are removed, each
 * reported by said(user, ...) (may be NULL).  On a file system without
 * locks the run goes on unlocked, and `warning` (may be NULL; "" if none)
 * gets a line saying so, even when the claim then fails.  A refusal leaves
 * the folder as it was.  Returns TYCHE_OK with *out set, or the error
 * (EINPUT, EIO, ENOMEM). */
TYCHE_API tyche_status tyche_checkpoint_claim(const char *dir, const tyche_checkpoint_spec *spec,
                                              int resuming, tyche_write_fn write_args,
                                              const void *args_obj, tyche_tmp_swept_fn said,
                                              void *user, char *warning, size_t warning_len,
                                              tyche_checkpoint **out, tyche_err *err);
/* Drops the lock and frees c (NULL is fine). */
TYCHE_API void tyche_checkpoint_release(tyche_checkpoint *c);

/* Called before this rank runs a part: trials of the earlier rounds
 * (`done`) and of this round, over every rank (`round`), for a progress
 * bar on which this rank's part stands for the round. */
typedef void (*tyche_part_fn)(void *user, uint64_t done, uint64_t round);

/* Runs the parts DIR lacks (cfg's trials split into `parts`), each written
 * to DIR/part-IIIIII-of-NNNNNN.h5 as it runs (its rows streamed into its
 * temporary, renamed once whole).  *stop is read before
 * each part (a signal handler sets it): nonzero stops the run there with
 * *stopped = 1 and TYCHE_OK.  Under MPI the missing parts are split into
 * contiguous runs, one per rank; the ranks go part by part in rounds and
 * agree before each round whether to go on, so a stop on any rank stops
 * them all at a part boundary, and a failure on any fails all (ERUN
 * "another rank failed" on the others).  *threads_used gets the most
 * threads a part ran on.  on_part may be NULL. */
TYCHE_API tyche_status tyche_checkpoint_run_parts(const tyche_scenario *s, const tyche_run_config *cfg,
                                                  const char *dir, uint32_t parts,
                                                  const volatile sig_atomic_t *stop,
                                                  tyche_part_fn on_part, void *user, int *stopped,
                                                  int *threads_used, tyche_err *err);

/* The results of DIR's `parts` parts, merged (tyche_merge_shards_progress,
 * progress may be NULL).  NULL on error. */
TYCHE_API tyche_results *tyche_checkpoint_merge(const char *dir, uint32_t parts,
                                                tyche_progress_fn progress, void *user,
                                                tyche_err *err);

/* The same, streamed (tyche_merge_shards_stream): the rows go to the sink
 * that begin(begin_user, ...) returns, the results keep none.  *s_out (may
 * be NULL) gets the parts' scenario, the one begin was given (a writer
 * holds it until finished: the caller frees it after). */
TYCHE_API tyche_results *tyche_checkpoint_merge_stream(const char *dir, uint32_t parts,
                                                       tyche_progress_fn progress, void *user,
                                                       tyche_merge_begin_fn begin,
                                                       void *begin_user, tyche_scenario **s_out,
                                                       tyche_err *err);

/* Whether a folder entry's name is one of a checkpoint's own files: args,
 * identity, lock, "part-NNNNNN-of-NNNNNN.h5" and their temporaries. */
TYCHE_API int tyche_checkpoint_own(const char *name);
/* Removes DIR's own files, then DIR if that leaves it empty.  Once the
 * results are written, not before (a failed write must leave a resumable
 * run): as the `after` hook of tyche_commit_files. */
TYCHE_API void tyche_checkpoint_remove(const char *dir);

/* Agreement of MPI ranks (without MPI, or with one rank: the value itself):
 * tyche_checkpoint_ranks_or is every rank's flags ORed, tyche_checkpoint_ranks_root rank 0's
 * value on every rank.  Collective: every rank must call. */
TYCHE_API int tyche_checkpoint_ranks_or(int mine);
TYCHE_API int tyche_checkpoint_ranks_root(int value);

#ifdef __cplusplus
}
#endif
#endif
