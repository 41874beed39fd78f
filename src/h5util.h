/* HDF5 helpers shared by the writers and readers (io_hdf5, shard, sobol,
 * sensitivity, backtest): library setup and error reasons, atomic creation,
 * netCDF-compatible dimension scales and variables. */
#ifndef TYCHE_H5UTIL_H
#define TYCHE_H5UTIL_H

#include <hdf5.h>
#include "tyche/common.h"

/* Before a command's first HDF5 call (it is what initialises the library):
 * HDF5 1.10 (HDFFV-11052), when a close fails to flush (disk full, file
 * size limit), leaves the object's ID pointing at freed memory, and the
 * library's atexit cleanup then crashes the process after the error was
 * reported; the cleanup is skipped (the process is exiting anyway), which
 * only works before initialisation.  HDF5's own error dump on stderr is
 * turned off (errors reach the user through tyche_err); instead the first
 * operating-system reason of a failure ("No space left on device") is kept
 * for tyche_h5_reason.  Returns -1 if HDF5 cannot be set up. */
int tyche_h5_begin(void);
/* The same quiet error reporting for the calling thread (HDF5 keeps it
 * per thread), without forgetting a reason already kept. */
void tyche_h5_this_thread(void);
/* The operating system's reason for the first failed HDF5 call since
 * tyche_h5_begin (or tyche_h5_forget_reason), or "". */
const char *tyche_h5_reason(void);
void tyche_h5_forget_reason(void);

/* A result file is created under tyche_tmp_name(path) (*tmp, which
 * tyche_h5_finish frees) and only renamed onto path when complete:
 * tyche_h5_finish closes f (its flush is what completes the file) and,
 * when ok and the close succeeded, moves it into place; otherwise it
 * removes it.  Both fail with EIO naming path, `what` and the reason. */
tyche_status tyche_h5_create(const char *path, const char *what, hid_t *f, char **tmp,
                             tyche_err *err);
tyche_status tyche_h5_finish(hid_t f, char *tmp, const char *path, int ok, const char *what,
                             tyche_err *err);

/* A dimension coordinate of variable-length UTF-8 strings; returns its id or -1. */
hid_t tyche_h5_string_scale(hid_t file, const char *name, const char *const *v, hsize_t n);
/* A dimension coordinate of doubles, with units (may be NULL); returns its id or -1. */
hid_t tyche_h5_double_scale(hid_t file, const char *name, const double *v, hsize_t n,
                            const char *units);
/* An n-dimensional double variable on the given scales, NaN fill, units
 * (may be NULL).  Returns 1 on success. */
int tyche_h5_put(hid_t file, const char *name, const double *v, int ndims, const hsize_t *dims,
                 const hid_t *scales, const char *units);

/* Reads dataset `name` (below loc) into buf only if it holds exactly n
 * elements: a file is untrusted input, and a dataset of another size would
 * overrun buf or leave it part-filled.  Returns 1 on success. */
int tyche_h5_read_exact(hid_t loc, const char *name, hid_t mem_type, void *buf, hsize_t n);

#endif
