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

/* Streamed results.  The file is laid out before the first trial
 * (tyche_h5_writer_open: the per-trial datasets at their full length,
 * chunked, and the groups), the rows are appended as they come
 * (tyche_h5_writer_rows, a tyche_rows_fn for tyche_run_config.rows: called
 * from the run's writer thread, one caller at a time), and the summary and
 * provenance are added at the end (tyche_h5_writer_finish, which closes the
 * file).  The writer writes `path` as given: the caller names a temporary
 * and renames it (tyche_commit_*).  Memory: one chunk of every 1-D column
 * (32 MiB, or one block's rows where a row of every column is wider than
 * 16 KiB), whatever the trials.  1-D datasets are chunked by 65536 trials
 * (fewer when a row of every column is larger than 512 bytes, never fewer
 * than a block's 2048), /paths by 1024 trials x all points; every chunk is
 * written, and compressed, once. */
typedef struct tyche_h5_writer tyche_h5_writer;

typedef struct {
    tyche_store store;      /* none: no per-trial datasets; outputs; paths: /paths too */
    uint64_t first_trial;   /* the trial of the first row handed to this writer */
    uint64_t rows;          /* rows handed to it at most (fewer: the file is cut to them) */
    uint64_t rows_from;     /* the file row of its first row (0; an MPI rank's: its first trial) */
    uint64_t file_rows;     /* rows of the file's datasets (0: rows_from + rows) */
    int parallel;           /* space for every row allocated when made, so that MPI ranks can
                               write rows into it independently (no compression then) */
    const char *user_path;  /* the name messages give (NULL: path) */
} tyche_h5_plan;

/* The bytes of per-trial data a file of `rows` rows holds at `store`
 * (uncompressed; the disk check before a run). */
TYCHE_API uint64_t tyche_h5_file_bytes(const tyche_scenario *s, tyche_store store, uint64_t rows);

TYCHE_API tyche_status tyche_h5_writer_open(const tyche_scenario *s, const tyche_h5_plan *plan,
                                            const tyche_provenance *p, const char *path,
                                            tyche_h5_writer **out, tyche_err *err);
/* A tyche_rows_fn: rows in trial order, from plan->first_trial on. */
TYCHE_API tyche_status tyche_h5_writer_rows(void *writer, const tyche_rows *rows, tyche_err *err);
/* Cuts the per-trial datasets to the rows handed over, writes the
 * provenance, the summary (and a shard's /partial) from r, and closes the
 * file.  r's trials must be the rows handed over (unless parallel). */
TYCHE_API tyche_status tyche_h5_writer_finish(tyche_h5_writer *w, const tyche_results *r,
                                              tyche_err *err);
/* MPI: suspend closes the file (every row so far in it) and drops the
 * writer's stage, resume opens it again to finish; attach opens a file laid
 * out by another writer with `fapl` (an hid_t: the MPI-IO file access
 * properties) to write rows only, agree(ok) (NULL: none) being every
 * rank's verdict (1 only if all are ok), asked before each collective step
 * so that all ranks fail together; close closes such a writer, also after
 * a failure (collectively, under MPI-IO). */
TYCHE_API tyche_status tyche_h5_writer_suspend(tyche_h5_writer *w, tyche_err *err);
TYCHE_API tyche_status tyche_h5_writer_resume(tyche_h5_writer *w, tyche_err *err);
TYCHE_API tyche_status tyche_h5_writer_attach(const tyche_scenario *s, const tyche_h5_plan *plan,
                                              const char *path, int64_t fapl,
                                              int (*agree)(int ok), tyche_h5_writer **out,
                                              tyche_err *err);
TYCHE_API tyche_status tyche_h5_writer_close(tyche_h5_writer *w, tyche_err *err);
/* Closes what is open (no flush promised) and frees; NULL is fine. */
TYCHE_API void tyche_h5_writer_free(tyche_h5_writer *w);

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
