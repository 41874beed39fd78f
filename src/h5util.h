/* Small HDF5 helpers for the secondary result files (backtest, tornado,
 * sweep): netCDF-compatible dimension scales and variables. */
#ifndef TYCHE_H5UTIL_H
#define TYCHE_H5UTIL_H

#include <hdf5.h>

/* A dimension coordinate of variable-length UTF-8 strings; returns its id or -1. */
hid_t tyche_h5_string_scale(hid_t file, const char *name, const char *const *v, hsize_t n);
/* A dimension coordinate of doubles, with units (may be NULL); returns its id or -1. */
hid_t tyche_h5_double_scale(hid_t file, const char *name, const double *v, hsize_t n,
                            const char *units);
/* An n-dimensional double variable on the given scales, NaN fill, units
 * (may be NULL).  Returns 1 on success. */
int tyche_h5_put(hid_t file, const char *name, const double *v, int ndims, const hsize_t *dims,
                 const hid_t *scales, const char *units);

#endif
