/* tyche: a set of result files put in place together.
 *
 * A command's results (an HDF5 file and its JSON summary, or one JSON file)
 * are each written whole under a temporary name (tyche_tmp_name), flushed
 * to the disk, and only then renamed onto their final names, one after the
 * other, and the folders flushed: a failure before the renames leaves every
 * final name as it was and no temporary behind, and every message names the
 * user's file, never a temporary one.
 *
 * Order: the files are written in the order given and renamed in the
 * reverse order, so the first file (the summary a reader looks for) is
 * written first (small: a full disk shows before the large write) and
 * appears last (once it is there, so are the others).
 *
 * Signals: while the renames run, tyche_commit_renaming is nonzero.  A
 * signal handler that would end the process reads it and defers (notes the
 * signal and returns): a signal then cannot fall between the results file
 * and its summary. */
#ifndef TYCHE_COMMIT_H
#define TYCHE_COMMIT_H

#include <signal.h>
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Writes the whole of one result file, from obj, at tmp_path (the name the
 * commit gives it).  Returns TYCHE_OK or the error, set in err. */
typedef tyche_status (*tyche_write_fn)(const void *obj, const char *tmp_path, tyche_err *err);

typedef struct {
    const char *path;      /* the final name */
    tyche_write_fn write;  /* NULL: written by the caller at tyche_commit_tmp's name */
    const void *obj;       /* given to write */
} tyche_result_file;

/* Run while signals still wait, after the renames (e.g. a checkpoint
 * folder's removal once its run's results are in place). */
typedef void (*tyche_commit_hook)(void *user);

/* Nonzero while a set is being renamed into place (set by the library,
 * read by signal handlers). */
TYCHE_API extern volatile sig_atomic_t tyche_commit_renaming;

/* The whole commit in one call: checks no final name is a folder, writes
 * each file at its temporary name, flushes and renames them, then runs
 * `after` (may be NULL) with user.  Returns TYCHE_OK, or the first error
 * (EIO "<path>: is a folder, not a file", "<path>: cannot write: <reason>",
 * a writer's own message with the user's name in it, or ENOMEM); on error
 * no temporary is left, and no final name has changed unless a rename
 * itself failed after an earlier one succeeded. */
TYCHE_API tyche_status tyche_commit_files(const tyche_result_file *files, size_t n,
                                          tyche_commit_hook after, void *user, tyche_err *err);

/* The same in steps, for a file that another party writes (an MPI-parallel
 * HDF5 file that every rank writes at rank 0's temporary name):
 * tyche_commit_alloc checks the names and names the temporaries (*out NULL
 * on error; the set keeps a pointer to files, which must outlive it);
 * tyche_commit_tmp is file i's temporary name (owned by the set);
 * tyche_commit_write runs the writers that are not NULL, in order;
 * tyche_commit_rename flushes, renames and runs `after`;
 * tyche_commit_free removes the temporaries not renamed, puts the user's
 * names for them into err's message (err may be NULL) and frees the set. */
typedef struct tyche_commit tyche_commit;
TYCHE_API tyche_status tyche_commit_alloc(const tyche_result_file *files, size_t n,
                                          tyche_commit **out, tyche_err *err);
TYCHE_API const char *tyche_commit_tmp(const tyche_commit *c, size_t i);
TYCHE_API tyche_status tyche_commit_write(tyche_commit *c, tyche_err *err);
TYCHE_API tyche_status tyche_commit_rename(tyche_commit *c, tyche_commit_hook after, void *user,
                                           tyche_err *err);
TYCHE_API void tyche_commit_free(tyche_commit *c, tyche_err *err);

/* In err's message, every occurrence of the temporary name tmp replaced by
 * path (the temporary means nothing to the user, and is gone by then). */
TYCHE_API void tyche_err_name_user_file(tyche_err *err, const char *tmp, const char *path);

#ifdef __cplusplus
}
#endif
#endif
