/* HDF5 helpers for the secondary result files (see h5util.h). */
#include <math.h>
#include <hdf5_hl.h>
#include "h5util.h"

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
