/* HDF5 helpers for the secondary result files (see h5util.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <hdf5_hl.h>
#include "h5util.h"
#include "json_util.h"

/* HDF5 is used from one thread at a time (a run's writer thread while the
 * others simulate), so the kept reason needs no lock. */
static char reason[128];

/* H5Ewalk2 callback: the file driver puts the system's reason for a failed
 * read/write in its error text as "error message = '...'". */
static herr_t find_os_reason(unsigned n, const H5E_error2_t *e, void *data) {
    (void)n;
    (void)data;
    const char *key = "error message = '", *at;
    if (reason[0] == '\0' && e->desc != NULL && (at = strstr(e->desc, key)) != NULL) {
        at += strlen(key);
        const char *end = strchr(at, '\'');
        size_t len = end != NULL ? (size_t)(end - at) : strlen(at);
        if (len > sizeof reason - 1) len = sizeof reason - 1;
        memcpy(reason, at, len);
        reason[len] = '\0';
    }
    return 0;
}

/* Called by HDF5 when an API call fails, with its error stack intact (the
 * next call clears it, so a reason read later is usually gone). */
static herr_t keep_reason(hid_t stack, void *data) {
    (void)data;
    if (reason[0] == '\0') (void)H5Ewalk2(stack, H5E_WALK_UPWARD, find_os_reason, NULL);
    return 0;
}

int tyche_h5_begin(void) {
    /* fails harmlessly when already requested, and is too late (but
     * harmless) after initialisation: hence no check */
    (void)H5dont_atexit();
    reason[0] = '\0';
    return H5Eset_auto2(H5E_DEFAULT, keep_reason, NULL) < 0 ? -1 : 0;
}

void tyche_h5_this_thread(void) {
    static _Thread_local int done; /* once per thread: each H5Eset_auto2 call costs memory */
    if (!done) (void)H5Eset_auto2(H5E_DEFAULT, keep_reason, NULL);
    done = 1;
}

const char *tyche_h5_reason(void) { return reason; }

void tyche_h5_forget_reason(void) { reason[0] = '\0'; }

tyche_status tyche_h5_create(const char *path, const char *what, hid_t *f, char **tmp,
                             tyche_err *err) {
    *f = H5I_INVALID_HID;
    *tmp = NULL;
    if (tyche_h5_begin() < 0)
        return tyche_err_set(err, TYCHE_EIO, "%s: cannot set up the HDF5 library", path);
    /* before any work: rename() would refuse a folder only at the end */
    if (tyche_is_folder(path)) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", path);
    if ((*tmp = tyche_tmp_name(path)) == NULL)
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the %s", what);
    /* the 1.8 format: checksummed object headers (see io_hdf5.c) */
    const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) >= 0)
        *f = H5Fcreate(*tmp, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    else
        *f = -1;
    if (fapl >= 0) H5Pclose(fapl);
    if (*f < 0) {
        const tyche_status st = tyche_err_set(err, TYCHE_EIO, "%s: cannot create the %s%s%s", path, what,
                                              reason[0] ? ": " : " (is the folder writable?)", reason);
        (void)unlink(*tmp); /* created, then its first write failed (disk full) */
        tyche_tmp_forget(*tmp);
        free(*tmp);
        *tmp = NULL;
        return st;
    }
    return TYCHE_OK;
}

tyche_status tyche_h5_finish(hid_t f, char *tmp, const char *path, int ok, const char *what,
                             tyche_err *err) {
    if (H5Fclose(f) < 0) ok = 0;
    tyche_status st;
    if (ok) {
        st = tyche_commit_file(tmp, path, what, err);
    } else {
        (void)unlink(tmp); /* best effort: the error below is what matters */
        st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write the %s%s%s", path, what,
                           reason[0] ? ": " : "", reason);
    }
    tyche_tmp_forget(tmp); /* renamed or removed: the name no longer ours */
    free(tmp);
    return st;
}

hid_t tyche_h5_string_scale(hid_t file, const char *name, const char *const *v, hsize_t n) {
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, H5T_VARIABLE);
    H5Tset_cset(t, H5T_CSET_UTF8);
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t ds = H5Dcreate2(file, name, t, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0 && (H5Dwrite(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 || H5DSset_scale(ds, name) < 0)) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Sclose(space);
    H5Tclose(t);
    return ds;
}

hid_t tyche_h5_double_scale(hid_t file, const char *name, const double *v, hsize_t n,
                            const char *units) {
    hid_t space = H5Screate_simple(1, &n, NULL);
    hid_t ds = H5Dcreate2(file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (ds >= 0 && (H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) < 0 ||
                    H5DSset_scale(ds, name) < 0 ||
                    (units && H5LTset_attribute_string(file, name, "units", units) < 0))) {
        H5Dclose(ds);
        ds = -1;
    }
    H5Sclose(space);
    return ds;
}

int tyche_h5_put(hid_t file, const char *name, const double *v, int ndims, const hsize_t *dims,
                 const hid_t *scales, const char *units) {
    hid_t space = H5Screate_simple(ndims, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    const double fill = NAN;
    H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill);
    hid_t ds = H5Dcreate2(file, name, H5T_NATIVE_DOUBLE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int ok = ds >= 0 && H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v) >= 0;
    for (int k = 0; ok && k < ndims; k++) ok = H5DSattach_scale(ds, scales[k], (unsigned)k) >= 0;
    if (ok && units) ok = H5LTset_attribute_string(file, name, "units", units) >= 0;
    if (ok) ok = H5LTset_attribute_double(file, name, "_FillValue", &fill, 1) >= 0;
    if (ds >= 0) H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(space);
    return ok;
}

int tyche_h5_read_exact(hid_t loc, const char *name, hid_t mem_type, void *buf, hsize_t n) {
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    const hssize_t have = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    const int ok = have >= 0 && (hsize_t)have == n &&
                   H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}
