/* tyche: writers.  Both write under a temporary name in the target's
 * folder and rename when complete, so a failed run never leaves a file
 * under the final name and never damages an existing one. */
#ifndef TYCHE_IO_H
#define TYCHE_IO_H

#include "common.h"
#include "engine.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *command_line;  /* as typed */
    const char *created_utc;   /* ISO 8601 */
    int compress;              /* deflate level 0..9 for the HDF5 file */
    /* May be NULL: called from tyche_write_hdf5 as it writes the per-trial
     * datasets (root columns and /paths), after each slice of whole chunks
     * (about 512 KiB), with the bytes of per-trial data handed to HDF5 so
     * far and in all (in memory, before compression); done < total until
     * one last call with done == total once the file is in place under its
     * name.  With no per-trial data (--store none) that is the only call,
     * as (1, 1).  Not called after a failure. */
    tyche_progress_fn progress;
    void *progress_user;
} tyche_provenance;

/* HDF5 results, readable by h5py, xarray (h5netcdf, netcdf4) and ncdump.
 * Layout in README.md.  Returns TYCHE_OK or TYCHE_EIO with the path. */
TYCHE_API tyche_status tyche_write_hdf5(const tyche_scenario *s, const tyche_results *r,
                                        const tyche_provenance *p, const char *path,
                                        tyche_err *err);

/* JSON summary (keys documented in README.md). */
TYCHE_API tyche_status tyche_write_summary_json(const tyche_scenario *s, const tyche_results *r,
                                                const tyche_provenance *p, const char *path,
                                                tyche_err *err);

/* The summary as a JSON string (caller frees with free()); NULL on ENOMEM. */
TYCHE_API char *tyche_summary_json_string(const tyche_scenario *s, const tyche_results *r,
                                          const tyche_provenance *p);

/* Temporary files.  Every writer works under "<path>.tmp.<host>.<pid>" and
 * renames onto path when the file is whole (the name says who wrote it).
 * tyche_tmp_name gives that name for this process and remembers it (the
 * caller frees the string; NULL when out of memory); tyche_tmp_forget drops
 * it once renamed or removed.  tyche_tmp_remove_all unlinks every
 * remembered name: it is async-signal-safe, for a SIGINT/SIGTERM handler. */
TYCHE_API char *tyche_tmp_name(const char *path);
TYCHE_API void tyche_tmp_forget(const char *tmp);
TYCHE_API void tyche_tmp_remove_all(void);
/* Removes the temporary files of `path` (or, with whole_folder, of every
 * file in the folder `path`) left by a process of this host that no
 * longer exists (kill -9, a crash), calling said(user, file, pid) for each;
 * returns how many.  Files of live processes and of other hosts are left. */
typedef void (*tyche_tmp_swept_fn)(void *user, const char *file, long pid);
TYCHE_API int tyche_tmp_sweep(const char *path, int whole_folder, tyche_tmp_swept_fn said,
                              void *user);

#ifdef __cplusplus
}
#endif
#endif
