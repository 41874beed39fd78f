/* The HDF5 results writer.  It lays a run out as a netCDF-4-compatible HDF5
 * file, so that h5py, xarray (engines h5netcdf and netcdf4) and ncdump all
 * read it without help: provenance as root attributes; when per-trial
 * columns were kept, one 1-D variable per parameter, output and statement on
 * a `trial` dimension; the summary (probabilities, output moments and
 * quantiles, incidence curves, the joint view) in group /summary; and with
 * --store paths, the monthly/quarterly paths in group /paths.  netCDF's
 * reading rules shape every choice here: each axis of each variable has an
 * HDF5 dimension scale (the coordinate variable of that name), strings are
 * variable-length UTF-8, `_FillValue` has the variable's own type, and
 * creation order is tracked so listings follow the order written.  The file
 * is written under "<path>.tmp.<host>.<pid>" (tmpfile.c) and renamed onto `path` only once
 * H5Fclose has succeeded and the file is on the disk, so a failure (or a
 * crash) never leaves a partial file under the final name nor touches one
 * already there.  Only the public accessors of
 * scenario.h and engine.h are used: the writer knows nothing of models. */
#define _POSIX_C_SOURCE 200809L /* unlink() under -std=c11 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hdf5.h>
#include <hdf5_hl.h>

#include "tyche/tyche.h"
#include "h5util.h"
#include "merge.h"
#include "json_util.h"

/* Per-trial 1-D datasets are chunked at most this long (512 KiB of doubles):
 * big enough for deflate to work well, small enough that reading one
 * variable's first rows does not pull the whole column. */
#define TRIAL_CHUNK 65536
/* Paths are chunked by this many trials (times all points of the path). */
#define PATH_TRIAL_CHUNK 1024
/* Columns that must be converted (trial index, +/-inf -> NaN) go through a
 * buffer of this many elements, so memory does not grow with the trials. */
#define PIECE 65536

/* State shared by the helpers: where messages go and the string type.
 * Only the first failure is recorded; later ones are usually its echo. */
typedef struct {
    const char *path; /* final name, the one the user knows */
    tyche_err *err;
    int failed;
    int compress; /* deflate level, 0 = none */
    hid_t str_t;  /* variable-length UTF-8 string */
    /* Write progress (tyche_provenance.progress): bytes of per-trial data
     * handed to HDF5 so far and in all (in memory, before compression). */
    tyche_progress_fn progress;
    void *progress_user;
    uint64_t done, total;
} wctx;

/* Counts `bytes` more as written.  done == total is held back for the one
 * call made once the file is in place, so a caller that ends its bar there
 * does not end it while the file is still being flushed. */
static void progress_add(wctx *w, uint64_t bytes) {
    w->done += bytes;
    if (w->progress != NULL && w->done < w->total)
        w->progress(w->progress_user, w->done, w->total);
}

static int fail(wctx *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The OS reason for the first HDF5 call that failed, or "" (128 bytes). */
static void os_reason(char *out) { snprintf(out, 128, "%s", tyche_h5_reason()); }

static int fail(wctx *w, const char *fmt, ...) {
    if (!w->failed) {
        char buf[TYCHE_ERR_MAX], reason[128] = "";
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        os_reason(reason);
        if (strstr(buf, reason) != NULL) reason[0] = '\0'; /* already said */
        tyche_err_set(w->err, TYCHE_EIO, "%s: %s%s%s", w->path, buf, reason[0] ? ": " : "",
                      reason);
        w->failed = 1;
    }
    return -1;
}

/* Closes *id with fn when open and records a failure: on the success path a
 * failed close can mean data that never reached the file. */
static void close_id(wctx *w, hid_t *id, herr_t (*fn)(hid_t), const char *what) {
    if (*id >= 0) {
        if (fn(*id) < 0) fail(w, "cannot close %s", what);
        *id = H5I_INVALID_HID;
    }
}

static const char *nz(const char *s) { return s != NULL ? s : ""; }

/* ---- attributes ---------------------------------------------------------- */

static int attr_put(wctx *w, hid_t obj, const char *objname, const char *name, hid_t ftype,
                    hid_t mtype, const void *val) {
    int rc = -1;
    hid_t sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    if ((sp = H5Screate(H5S_SCALAR)) < 0) {
        fail(w, "cannot make a dataspace for attribute %s of %s", name, objname);
        goto done;
    }
    if ((a = H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0) {
        fail(w, "cannot create attribute %s of %s", name, objname);
        goto done;
    }
    if (H5Awrite(a, mtype, val) < 0) {
        fail(w, "cannot write attribute %s of %s", name, objname);
        goto done;
    }
    rc = 0;
done:
    close_id(w, &a, H5Aclose, "an attribute");
    close_id(w, &sp, H5Sclose, "a dataspace");
    return w->failed ? -1 : rc;
}

static int attr_str(wctx *w, hid_t obj, const char *objname, const char *name, const char *v) {
    const char *s = nz(v); /* a NULL vlen string reads back badly in netCDF */
    return attr_put(w, obj, objname, name, w->str_t, w->str_t, &s);
}

static int attr_f64(wctx *w, hid_t obj, const char *objname, const char *name, double v) {
    return attr_put(w, obj, objname, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

static int attr_u64(wctx *w, hid_t obj, const char *objname, const char *name, uint64_t v) {
    return attr_put(w, obj, objname, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

static int attr_i32(wctx *w, hid_t obj, const char *objname, const char *name, int32_t v) {
    return attr_put(w, obj, objname, name, H5T_STD_I32LE, H5T_NATIVE_INT32, &v);
}

static int attr_u32(wctx *w, hid_t obj, const char *objname, const char *name, uint32_t v) {
    return attr_put(w, obj, objname, name, H5T_STD_U32LE, H5T_NATIVE_UINT32, &v);
}

/* Ranks that ran it; 0 from a caller that predates the field means one. */
static int32_t ranks_of(const tyche_run_info *info) {
    return info->ranks > 0 ? (int32_t)info->ranks : 1;
}

/* ---- datasets ------------------------------------------------------------ */

/* Creates dataset `name` (rank 0..2) in `loc`.  `grp` prefixes the name in
 * messages ("" or "summary/").  `chunk` NULL means contiguous, except that
 * an axis of length 0 is always made chunked and unlimited: netCDF itself
 * can only express a 0-length dimension as an unlimited one (nc_def_dim
 * with len 0 means NC_UNLIMITED), and that form reads back the same in
 * netCDF-C, h5netcdf and h5py.  `filtered` adds shuffle + deflate when
 * compression was asked for.  `fill` sets the dataset's fill value (the
 * `_FillValue` attribute is the caller's, netCDF reads that one).
 * Returns the open dataset or H5I_INVALID_HID with the failure recorded. */
static hid_t ds_create(wctx *w, hid_t loc, const char *grp, const char *name, hid_t ftype,
                       int rank, const hsize_t *dims, const hsize_t *chunk, int filtered,
                       const double *fill) {
    hid_t sp = H5I_INVALID_HID, dcpl = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    hsize_t maxd[2], ch[2];
    int zero = 0;

    /* Names come from the scenario; catch what HDF5 would reject or
     * misread (a '/' makes a path) with a message a user can act on. */
    if (name == NULL || name[0] == '\0' || strchr(name, '/') != NULL || strcmp(name, ".") == 0) {
        fail(w, "cannot use \"%s\" as a variable name in %s (empty, \".\" or contains '/')",
             nz(name), grp[0] ? grp : "/");
        return H5I_INVALID_HID;
    }
    htri_t ex = H5Lexists(loc, name, H5P_DEFAULT);
    if (ex < 0) {
        fail(w, "cannot look up %s%s", grp, name);
        return H5I_INVALID_HID;
    }
    if (ex > 0) {
        fail(w, "the name %s%s is used twice (a parameter, output, statement or dimension "
                "share it)", grp, name);
        return H5I_INVALID_HID;
    }
    for (int i = 0; i < rank; i++) {
        maxd[i] = dims[i] > 0 ? dims[i] : H5S_UNLIMITED;
        if (dims[i] == 0) zero = 1;
    }
    sp = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, dims, maxd);
    if (sp < 0) {
        fail(w, "cannot make a dataspace for %s%s", grp, name);
        goto done;
    }
    if ((dcpl = H5Pcreate(H5P_DATASET_CREATE)) < 0 ||
        H5Pset_attr_creation_order(dcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(dcpl, 0) < 0) { /* no timestamps: same run, same bytes */
        fail(w, "cannot set up creation properties for %s%s", grp, name);
        goto done;
    }
    if (rank > 0 && (chunk != NULL || zero)) {
        for (int i = 0; i < rank; i++) {
            ch[i] = chunk != NULL ? chunk[i] : dims[i];
            if (dims[i] > 0 && ch[i] > dims[i]) ch[i] = dims[i];
            if (ch[i] == 0) ch[i] = 1;
        }
        if (H5Pset_chunk(dcpl, rank, ch) < 0) {
            fail(w, "cannot set chunking for %s%s", grp, name);
            goto done;
        }
        if (filtered && w->compress > 0 &&
            (H5Pset_shuffle(dcpl) < 0 || H5Pset_deflate(dcpl, (unsigned)w->compress) < 0)) {
            fail(w, "cannot set compression (level %d) for %s%s", w->compress, grp, name);
            goto done;
        }
    }
    if (fill != NULL && H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, fill) < 0) {
        fail(w, "cannot set the fill value of %s%s", grp, name);
        goto done;
    }
    if ((ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        fail(w, "cannot create dataset %s%s", grp, name);
done:
    close_id(w, &dcpl, H5Pclose, "a property list");
    close_id(w, &sp, H5Sclose, "a dataspace");
    if (w->failed && ds >= 0) {
        H5Dclose(ds); /* already failing: its own close error adds nothing */
        ds = H5I_INVALID_HID;
    }
    return ds;
}

static int ds_write(wctx *w, hid_t ds, const char *grp, const char *name, hid_t mtype,
                    const void *data) {
    if (H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        return fail(w, "cannot write %s%s", grp, name);
    return 0;
}

/* Attaches scales[i] to axis i of ds, for every axis. */
static int ds_attach(wctx *w, hid_t ds, const char *grp, const char *name, int rank,
                     const hid_t *scales) {
    for (int i = 0; i < rank; i++)
        if (H5DSattach_scale(ds, scales[i], (unsigned)i) < 0)
            return fail(w, "cannot attach dimension %d of %s%s", i, grp, name);
    return 0;
}

/* Many variables on one dimension.  H5DSattach_scale rewrites the scale's
 * whole REFERENCE_LIST (the list of variables attached to it) at every
 * call, so attaching n variables costs O(n^2) time and leaves O(n^2) bytes
 * of dead attribute space in the file: 10^5 statements with --store outputs
 * wrote for five minutes and then failed ("cannot attach dimension 0 of
 * s65519", HDF5 1.10).  The per-trial columns, all on `trial`, are
 * attached in bulk instead: each variable's DIMENSION_LIST written as
 * H5DSattach_scale writes it (a variable-length list of object references
 * per axis), and the scale's REFERENCE_LIST written once at the end, with
 * H5DS's own types and the entries in the same order, so netCDF, h5py and
 * xarray read the same file as before. */
typedef struct {
    hobj_ref_t ref;
    int dim_idx;
} ref_entry; /* H5DS's ds_list_t */

typedef struct {
    hid_t scale;
    hobj_ref_t to_scale;
    hid_t dimlist_t, one_sp; /* DIMENSION_LIST's type and dataspace (rank 1) */
    ref_entry *v;
    size_t n, cap;
} scale_refs;

static int refs_begin(wctx *w, scale_refs *l, hid_t scale, const char *name) {
    const hsize_t one = 1;
    memset(l, 0, sizeof *l);
    l->scale = scale;
    l->dimlist_t = l->one_sp = H5I_INVALID_HID;
    if (H5Rcreate(&l->to_scale, scale, ".", H5R_OBJECT, H5I_INVALID_HID) < 0 ||
        (l->dimlist_t = H5Tvlen_create(H5T_STD_REF_OBJ)) < 0 ||
        (l->one_sp = H5Screate_simple(1, &one, NULL)) < 0)
        return fail(w, "cannot set up the references to dimension %s", name);
    return 0;
}

/* Attaches the scale to axis 0 of the 1-D variable ds. */
static int refs_attach(wctx *w, scale_refs *l, hid_t ds, const char *grp, const char *name) {
    hvl_t dims = {1, &l->to_scale};
    hid_t a = H5I_INVALID_HID;
    if (l->n == l->cap) {
        const size_t cap = l->cap ? 2 * l->cap : 64;
        ref_entry *v = tyche_realloc(l->v, cap * sizeof *v);
        if (v == NULL) return fail(w, "out of memory attaching the dimension of %s%s", grp, name);
        l->v = v;
        l->cap = cap;
    }
    if (H5Rcreate(&l->v[l->n].ref, ds, ".", H5R_OBJECT, H5I_INVALID_HID) < 0 ||
        (a = H5Acreate2(ds, "DIMENSION_LIST", l->dimlist_t, l->one_sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
        H5Awrite(a, l->dimlist_t, &dims) < 0)
        fail(w, "cannot attach dimension 0 of %s%s", grp, name);
    else
        l->v[l->n++].dim_idx = 0;
    close_id(w, &a, H5Aclose, "an attribute");
    return w->failed ? -1 : 0;
}

/* Writes the scale's REFERENCE_LIST (unless something failed before) and
 * frees the list; a second call does nothing. */
static int refs_end(wctx *w, scale_refs *l, const char *name) {
    hid_t t = H5I_INVALID_HID, sp = H5I_INVALID_HID, a = H5I_INVALID_HID;
    const hsize_t n = l->n;
    if (!w->failed && n > 0 &&
        ((t = H5Tcreate(H5T_COMPOUND, sizeof(ref_entry))) < 0 ||
         H5Tinsert(t, "dataset", HOFFSET(ref_entry, ref), H5T_STD_REF_OBJ) < 0 ||
         H5Tinsert(t, "dimension", HOFFSET(ref_entry, dim_idx), H5T_NATIVE_INT) < 0 ||
         (sp = H5Screate_simple(1, &n, NULL)) < 0 ||
         (a = H5Acreate2(l->scale, "REFERENCE_LIST", t, sp, H5P_DEFAULT, H5P_DEFAULT)) < 0 ||
         H5Awrite(a, t, l->v) < 0))
        fail(w, "cannot list the %llu variables on dimension %s", (unsigned long long)n, name);
    close_id(w, &a, H5Aclose, "an attribute");
    close_id(w, &sp, H5Sclose, "a dataspace");
    close_id(w, &t, H5Tclose, "a datatype");
    close_id(w, &l->one_sp, H5Sclose, "a dataspace");
    close_id(w, &l->dimlist_t, H5Tclose, "a datatype");
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
    return w->failed ? -1 : 0;
}

/* A data variable: created, filled from `data` (skipped when NULL: the
 * caller writes it; and when empty: nothing to write) and attached to its
 * dimension scales.  Returns the open dataset for attributes, or -1. */
static hid_t var_put(wctx *w, hid_t loc, const char *grp, const char *name, hid_t ftype,
                     hid_t mtype, int rank, const hsize_t *dims, const hid_t *scales,
                     const hsize_t *chunk, int filtered, const double *fill, const void *data) {
    hsize_t nel = 1;
    for (int i = 0; i < rank; i++) nel *= dims[i];
    hid_t ds = ds_create(w, loc, grp, name, ftype, rank, dims, chunk, filtered, fill);
    if (ds < 0) return H5I_INVALID_HID;
    if ((data != NULL && nel > 0 && ds_write(w, ds, grp, name, mtype, data) < 0) ||
        (scales != NULL && ds_attach(w, ds, grp, name, rank, scales) < 0)) {
        H5Dclose(ds);
        return H5I_INVALID_HID;
    }
    return ds;
}

/* A 1-D coordinate variable, made the dimension scale of its own name so
 * netCDF sees a dimension `name` with these values. */
static hid_t coord_put(wctx *w, hid_t loc, const char *grp, const char *name, hid_t ftype,
                       hid_t mtype, hsize_t n, const void *data) {
    hid_t ds = var_put(w, loc, grp, name, ftype, mtype, 1, &n, NULL, NULL, 0, NULL, data);
    if (ds < 0) return H5I_INVALID_HID;
    if (H5DSset_scale(ds, name) < 0) {
        fail(w, "cannot make %s%s a dimension scale", grp, name);
        H5Dclose(ds);
        return H5I_INVALID_HID;
    }
    return ds;
}

/* Writes the n rows of a per-trial dataset (1-D: row_len 1; a path: 2-D,
 * row_len points a row) `slice` rows at a time, reporting progress after
 * each slice, so that one long column does not leave a caller's bar still
 * for the whole of a big write.  `fill` produces rows [off, off + cnt) into
 * a bounded buffer (for columns that must be converted); when it is NULL,
 * `ctx` is the rows themselves and each slice is written straight from
 * them.  Slices are whole chunks (a multiple of the chunk's rows), so each
 * chunk is written, and compressed, once. */
typedef void (*piece_fn)(void *buf, uint64_t off, size_t cnt, const void *ctx);

static int write_pieces(wctx *w, hid_t ds, const char *grp, const char *name, hid_t mtype,
                        size_t elsize, uint64_t n, hsize_t row_len, hsize_t slice, piece_fn fill,
                        const void *ctx) {
    int rc = -1;
    hid_t fsp = H5I_INVALID_HID, msp = H5I_INVALID_HID;
    hsize_t cnt[2] = {n < slice ? (hsize_t)n : slice, row_len}, start[2] = {0, 0};
    int rank = 0; /* the dataset's: 1, or 2 for a path (even of one point) */
    const size_t row_bytes = (size_t)row_len * elsize;
    void *buf = NULL;
    if (n == 0 || row_len == 0) return 0;
    if (fill != NULL && (buf = tyche_malloc((size_t)cnt[0] * row_bytes)) == NULL) {
        fail(w, "out of memory writing %s%s", grp, name);
        goto done;
    }
    if ((fsp = H5Dget_space(ds)) < 0 || (rank = H5Sget_simple_extent_ndims(fsp)) < 1 ||
        rank > 2 || (msp = H5Screate_simple(rank, cnt, NULL)) < 0) {
        fail(w, "cannot make dataspaces to write %s%s", grp, name);
        goto done;
    }
    for (uint64_t off = 0; off < n; off += cnt[0]) {
        start[0] = off;
        if (n - off < cnt[0]) {
            cnt[0] = n - off;
            if (H5Sset_extent_simple(msp, rank, cnt, NULL) < 0) {
                fail(w, "cannot resize a dataspace to write %s%s", grp, name);
                goto done;
            }
        }
        const void *src = buf;
        if (fill != NULL) fill(buf, off, (size_t)cnt[0], ctx);
        else src = (const char *)ctx + (size_t)off * row_bytes;
        if (H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
            H5Dwrite(ds, mtype, msp, fsp, H5P_DEFAULT, src) < 0) {
            fail(w, "cannot write %s%s (rows from %llu)", grp, name, (unsigned long long)off);
            goto done;
        }
        progress_add(w, (uint64_t)cnt[0] * row_bytes);
    }
    rc = 0;
done:
    close_id(w, &msp, H5Sclose, "a dataspace");
    close_id(w, &fsp, H5Sclose, "a dataspace");
    free(buf);
    return w->failed ? -1 : rc;
}

/* Rows of a path a slice: whole chunks of PATH_TRIAL_CHUNK trials, about
 * PIECE values. */
static hsize_t path_slice(size_t n_points) {
    const size_t per_chunk = (size_t)PATH_TRIAL_CHUNK * (n_points ? n_points : 1);
    return (hsize_t)PATH_TRIAL_CHUNK * (per_chunk < PIECE ? PIECE / per_chunk : 1);
}

/* ctx: the first trial's index (a shard's columns start there), or NULL for 0 */
static void fill_index(void *buf, uint64_t off, size_t cnt, const void *ctx) {
    const uint64_t first = ctx ? *(const uint64_t *)ctx : 0;
    int64_t *b = buf;
    for (size_t i = 0; i < cnt; i++) b[i] = (int64_t)(first + off + i);
}

/* An infinite time means the event did not happen within the horizon; in
 * the file that is a missing value (NaN, the `_FillValue`) so that every
 * client masks it instead of decoding a date at infinity. */
static void fill_finite(void *buf, uint64_t off, size_t cnt, const void *ctx) {
    const double *src = (const double *)ctx + off;
    double *b = buf;
    for (size_t i = 0; i < cnt; i++) b[i] = isinf(src[i]) ? NAN : src[i];
}

static hid_t group_create(wctx *w, hid_t loc, const char *name) {
    hid_t gcpl = H5I_INVALID_HID, g = H5I_INVALID_HID;
    if ((gcpl = H5Pcreate(H5P_GROUP_CREATE)) < 0 ||
        H5Pset_link_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(gcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_obj_track_times(gcpl, 0) < 0) {
        fail(w, "cannot set up creation properties for group %s", name);
    } else if ((g = H5Gcreate2(loc, name, H5P_DEFAULT, gcpl, H5P_DEFAULT)) < 0) {
        fail(w, "cannot create group %s", name);
    }
    close_id(w, &gcpl, H5Pclose, "a property list");
    if (w->failed && g >= 0) {
        H5Gclose(g);
        g = H5I_INVALID_HID;
    }
    return g;
}

static const char *store_name(tyche_store st) {
    switch (st) {
    case TYCHE_STORE_OUTPUTS: return "outputs";
    case TYCHE_STORE_PATHS: return "paths";
    default: return "none";
    }
}

/* ---- root: provenance ---------------------------------------------------- */

static int write_provenance(wctx *w, hid_t root, const tyche_scenario *s,
                            const tyche_run_info *info, const tyche_provenance *p) {
    char date[11];
    const char *title = nz(tyche_scenario_title(s));
    size_t tlen = strlen("tyche results: ") + strlen(title) + 1;
    char *t = tyche_malloc(tlen);
    if (t == NULL) return fail(w, "out of memory writing the title");
    snprintf(t, tlen, "tyche results: %s", title);
    int bad = attr_str(w, root, "/", "title", t);
    free(t);
    if (bad) return -1;
    if (attr_str(w, root, "/", "tyche_version", tyche_version()) ||
        attr_str(w, root, "/", "scenario", tyche_scenario_name(s)) ||
        attr_str(w, root, "/", "scenario_file", tyche_scenario_file(s)) ||
        attr_str(w, root, "/", "scenario_text", tyche_scenario_text(s)) ||
        attr_u64(w, root, "/", "seed", info->seed) ||
        attr_str(w, root, "/", "generator", info->rng) ||
        attr_i32(w, root, "/", "stream_version", TYCHE_STREAM_VERSION) ||
        attr_str(w, root, "/", "vector_path", tyche_vector_path()) ||
        attr_u64(w, root, "/", "trials", info->trials) ||
        attr_i32(w, root, "/", "threads", (int32_t)info->threads) || /* per rank */
        attr_i32(w, root, "/", "ranks", ranks_of(info)) ||
        attr_str(w, root, "/", "store", store_name(info->store)) ||
        attr_str(w, root, "/", "sampling",
                 info->sampling == TYCHE_SAMPLING_LHS   ? "lhs"
                 : info->sampling == TYCHE_SAMPLING_QMC ? "qmc"
                                                        : "mc") ||
        attr_i32(w, root, "/", "replicates", (int32_t)info->replicates) ||
        attr_i32(w, root, "/", "block_trials", TYCHE_BLOCK_TRIALS))
        return -1;
    tyche_date_format(tyche_scenario_start(s), date);
    if (attr_str(w, root, "/", "start", date)) return -1;
    tyche_date_format(tyche_scenario_horizon(s), date);
    if (attr_str(w, root, "/", "horizon", date)) return -1;
    tyche_date_format(tyche_scenario_as_of(s), date);
    if (attr_str(w, root, "/", "as_of", date) ||
        attr_str(w, root, "/", "command_line", p->command_line) ||
        attr_str(w, root, "/", "created_utc", p->created_utc) ||
        attr_f64(w, root, "/", "seconds", info->seconds) ||
        attr_u64(w, root, "/", "attempts", info->attempts))
        return -1;
    /* A shard labels itself where a reader looks first (the same names and
     * type as in /partial, which tyche merge reads); its rows' trial numbers
     * are the `trial` coordinate. */
    if (info->shard_count != 0 &&
        (attr_u32(w, root, "/", "shard_index", info->shard_index) ||
         attr_u32(w, root, "/", "shard_count", info->shard_count)))
        return -1;
    return 0;
}

/* ---- root: per-trial columns --------------------------------------------- */

static int write_trials(wctx *w, hid_t root, const tyche_scenario *s, const tyche_results *r,
                        uint64_t trials) {
    const double nan = NAN;
    hsize_t n = trials, chunk = trials < TRIAL_CHUNK ? trials : TRIAL_CHUNK;
    hid_t trial = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    char prior[256];
    scale_refs refs = {H5I_INVALID_HID, 0, H5I_INVALID_HID, H5I_INVALID_HID, NULL, 0, 0};

    /* The coordinate is written through the piece buffer rather than as a
     * trials-long array: 8 bytes a trial would double the writer's memory
     * for a store-outputs run of a single output. */
    trial = ds_create(w, root, "", "trial", H5T_STD_I64LE, 1, &n, &chunk, 1, NULL);
    if (trial < 0) goto done;
    tyche_run_info ri;
    tyche_results_info(r, &ri);
    if (write_pieces(w, trial, "", "trial", H5T_NATIVE_INT64, sizeof(int64_t), trials, 1, PIECE,
                     fill_index, &ri.first_trial) ||
        attr_str(w, trial, "trial", "long_name", "trial index"))
        goto done;
    if (H5DSset_scale(trial, "trial") < 0) {
        fail(w, "cannot make trial a dimension scale");
        goto done;
    }
    if (refs_begin(w, &refs, trial, "trial")) goto done;

    for (size_t i = 0; i < tyche_scenario_n_params(s); i++) {
        const double *col = tyche_results_param_column(r, i);
        tyche_param_info pi;
        if (col == NULL) continue;
        tyche_scenario_param(s, i, &pi);
        ds = var_put(w, root, "", pi.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                     &chunk, 1, NULL, NULL);
        if (ds < 0 || refs_attach(w, &refs, ds, "", pi.name) ||
            write_pieces(w, ds, "", pi.name, H5T_NATIVE_DOUBLE, sizeof(double), trials, 1, PIECE,
                         NULL, col) ||
            attr_str(w, ds, pi.name, "units", pi.units))
            goto done;
        if (pi.description != NULL && pi.description[0] != '\0' &&
            attr_str(w, ds, pi.name, "description", pi.description))
            goto done;
        if (pi.prior != NULL) { /* what is drawn: a posterior where calibrated */
            tyche_scenario_param_format(s, i, prior, sizeof prior);
            if (attr_str(w, ds, pi.name, "prior", prior)) goto done;
        }
        close_id(w, &ds, H5Dclose, pi.name);
        if (w->failed) goto done;
    }

    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        const double *col = tyche_results_output_column(r, i);
        tyche_output_info oi;
        if (col == NULL) continue;
        tyche_scenario_output(s, i, &oi);
        ds = var_put(w, root, "", oi.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                     &chunk, 1, &nan, NULL);
        if (ds < 0 || refs_attach(w, &refs, ds, "", oi.name) ||
            write_pieces(w, ds, "", oi.name, H5T_NATIVE_DOUBLE, sizeof(double), trials, 1,
                         PIECE, fill_finite, col) ||
            attr_str(w, ds, oi.name, "units", oi.units))
            goto done;
        if (oi.description != NULL && oi.description[0] != '\0' &&
            attr_str(w, ds, oi.name, "description", oi.description))
            goto done;
        if (attr_f64(w, ds, oi.name, "_FillValue", nan)) goto done;
        close_id(w, &ds, H5Dclose, oi.name);
        if (w->failed) goto done;
    }

    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        const uint8_t *col = tyche_results_statement_column(r, i);
        tyche_statement_info si;
        if (col == NULL) continue;
        tyche_scenario_statement(s, i, &si);
        ds = var_put(w, root, "", si.id, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &n, NULL, &chunk,
                     1, NULL, NULL);
        if (ds < 0 || refs_attach(w, &refs, ds, "", si.id) ||
            write_pieces(w, ds, "", si.id, H5T_NATIVE_UINT8, 1, trials, 1, PIECE, NULL, col) ||
            attr_str(w, ds, si.id, "long_name", si.text) ||
            attr_str(w, ds, si.id, "rule", si.rule) || attr_str(w, ds, si.id, "group", si.group))
            goto done;
        close_id(w, &ds, H5Dclose, si.id);
        if (w->failed) goto done;
    }
done:
    refs_end(w, &refs, "trial"); /* after a failure it only frees */
    close_id(w, &ds, H5Dclose, "a per-trial dataset");
    close_id(w, &trial, H5Dclose, "trial");
    return w->failed ? -1 : 0;
}

/* ---- /summary ------------------------------------------------------------ */

/* Writes a data variable and closes it at once (no attributes). */
static int var_simple(wctx *w, hid_t g, const char *name, hid_t ftype, hid_t mtype, int rank,
                      const hsize_t *dims, const hid_t *scales, const void *data) {
    char label[96];
    snprintf(label, sizeof label, "summary/%s", name);
    hid_t ds = var_put(w, g, "summary/", name, ftype, mtype, rank, dims, scales, NULL, 0, NULL,
                       data);
    if (ds < 0) return -1;
    close_id(w, &ds, H5Dclose, label);
    return w->failed ? -1 : 0;
}

/* The four numbers of a probability, in the order the variables are named. */
static double prob_field(const tyche_prob *p, int f) {
    switch (f) {
    case 0: return p->probability;
    case 1: return p->stderr_;
    case 2: return p->ci95_lo;
    default: return p->ci95_hi;
    }
}

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

/* --precision: per statement its target half-width (NaN where it had none),
 * the half-width reached and whether that met the target (1 also where
 * there was no target, so that all() of it is the run's answer), and the
 * run's answer as the attribute precision_reached; nothing at all when the
 * run had no target, so a plain run's file is as before.  d and u are
 * scratch of ns elements. */
static int write_precision(wctx *w, hid_t g, const tyche_results *r, size_t ns, const hid_t *c_st,
                           double *d, uint64_t *u, const tyche_run_info *info) {
    int any = 0, all = 1;
    hsize_t dim = ns;
    uint8_t *reached = (uint8_t *)u; /* ns bytes fit in ns uint64s */
    double target, half;
    for (size_t i = 0; i < ns; i++) any |= tyche_results_precision(r, i, &target, &half);
    if (!any) return 0;
    for (size_t i = 0; i < ns; i++) d[i] = tyche_results_precision(r, i, &target, &half) ? target : NAN;
    if (var_simple(w, g, "precision_target", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim, c_st, d))
        return -1;
    for (size_t i = 0; i < ns; i++) {
        const int had = tyche_results_precision(r, i, &target, &half);
        d[i] = half; /* NaN where none */
        reached[i] = !had || half <= target;
        all = all && reached[i];
    }
    if (var_simple(w, g, "precision_half_width", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim, c_st,
                   d) ||
        var_simple(w, g, "precision_reached", H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &dim, c_st,
                   reached) ||
        attr_i32(w, g, "summary", "precision_reached", all) ||
        attr_u64(w, g, "summary", "precision_max_trials", info->total_trials))
        return -1;
    return 0;
}

static int write_summary(wctx *w, hid_t root, const tyche_scenario *s, const tyche_results *r,
                         const tyche_run_info *info) {
    static const char *const prob_names[4] = {"probability", "stderr", "ci95_low", "ci95_high"};
    static const char *const jall_names[4] = {"joint_all_probability", "joint_all_stderr",
                                              "joint_all_ci95_low", "joint_all_ci95_high"};
    const size_t ns = tyche_scenario_n_statements(s), no = tyche_scenario_n_outputs(s);
    const size_t nm = tyche_results_n_months(r), nj = tyche_scenario_n_joint(s);
    size_t ne = 0;
    hid_t g = H5I_INVALID_HID, c_st = H5I_INVALID_HID, c_out = H5I_INVALID_HID,
          c_q = H5I_INVALID_HID, c_ev = H5I_INVALID_HID, c_mon = H5I_INVALID_HID,
          c_ja = H5I_INVALID_HID, c_jb = H5I_INVALID_HID;
    const char **sid = NULL, **stext = NULL, **sgroup = NULL, **oname = NULL, **ename = NULL,
               **jid = NULL;
    size_t *eidx = NULL;
    double *d = NULL;
    uint64_t *u = NULL;
    tyche_prob *ps = NULL;
    char units[64], date[11];

    for (size_t i = 0; i < no; i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        if (oi.type == TYCHE_OUTPUT_TIME) ne++;
    }
    /* One scratch array of doubles serves every variable in turn. */
    size_t nd = max_sz(max_sz(ns, no * 9), max_sz(ne * nm, nj * nj));
    nd = max_sz(max_sz(nd, nm), 9);
    sid = tyche_calloc(ns + 1, sizeof *sid);
    stext = tyche_calloc(ns + 1, sizeof *stext);
    sgroup = tyche_calloc(ns + 1, sizeof *sgroup);
    oname = tyche_calloc(no + 1, sizeof *oname);
    ename = tyche_calloc(ne + 1, sizeof *ename);
    eidx = tyche_calloc(ne + 1, sizeof *eidx);
    jid = tyche_calloc(nj + 1, sizeof *jid);
    d = tyche_calloc(nd, sizeof *d);
    u = tyche_calloc(max_sz(ns, no) + 1, sizeof *u);
    ps = tyche_calloc(ns + 1, sizeof *ps);
    if (!sid || !stext || !sgroup || !oname || !ename || !eidx || !jid || !d || !u || !ps) {
        fail(w, "out of memory writing the summary");
        goto done;
    }

    if ((g = group_create(w, root, "summary")) < 0) goto done;

    /* Coordinates first: the data variables attach to them. */
    for (size_t i = 0; i < ns; i++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        sid[i] = nz(si.id);
        stext[i] = nz(si.text);
        sgroup[i] = nz(si.group);
    }
    for (size_t i = 0, e = 0; i < no; i++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        oname[i] = nz(oi.name);
        if (oi.type == TYCHE_OUTPUT_TIME) {
            ename[e] = oname[i];
            eidx[e++] = i;
        }
    }
    for (size_t k = 0; k < nj; k++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, tyche_scenario_joint(s, k), &si);
        jid[k] = nz(si.id);
    }
    for (size_t m = 0; m < nm; m++) d[m] = tyche_results_month_time(r, m);
    tyche_date_format(tyche_scenario_start(s), date);
    snprintf(units, sizeof units, "days since %s", date);

    if ((c_st = coord_put(w, g, "summary/", "statement", w->str_t, w->str_t, ns, sid)) < 0 ||
        (c_out = coord_put(w, g, "summary/", "output", w->str_t, w->str_t, no, oname)) < 0 ||
        (c_q = coord_put(w, g, "summary/", "quantile", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 9,
                         tyche_quantile_levels)) < 0 ||
        (c_ev = coord_put(w, g, "summary/", "event", w->str_t, w->str_t, ne, ename)) < 0 ||
        (c_mon = coord_put(w, g, "summary/", "month", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, nm,
                           d)) < 0 ||
        attr_str(w, c_mon, "summary/month", "units", units) ||
        attr_str(w, c_mon, "summary/month", "long_name", "month boundary") ||
        (c_ja = coord_put(w, g, "summary/", "joint_a", w->str_t, w->str_t, nj, jid)) < 0 ||
        (c_jb = coord_put(w, g, "summary/", "joint_b", w->str_t, w->str_t, nj, jid)) < 0)
        goto done;

    /* Per statement. */
    {
        hsize_t dim = ns;
        if (var_simple(w, g, "statement_text", w->str_t, w->str_t, 1, &dim, &c_st, stext) ||
            var_simple(w, g, "statement_group", w->str_t, w->str_t, 1, &dim, &c_st, sgroup))
            goto done;
        for (size_t i = 0; i < ns; i++) tyche_results_statement(r, i, &ps[i]);
        for (int f = 0; f < 4; f++) {
            for (size_t i = 0; i < ns; i++) d[i] = prob_field(&ps[i], f);
            if (var_simple(w, g, prob_names[f], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim,
                           &c_st, d))
                goto done;
        }
        for (size_t i = 0; i < ns; i++) u[i] = ps[i].count;
        if (var_simple(w, g, "count", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &dim, &c_st, u))
            goto done;
        /* LHS and QMC: the error from the replicates' spread ("stderr" is binomial) */
        if (info->replicates > 1) {
            for (size_t i = 0; i < ns; i++) d[i] = tyche_results_statement_replicate_se(r, i);
            if (var_simple(w, g, "stderr_replicates", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim,
                           &c_st, d))
                goto done;
        }
        if (write_precision(w, g, r, ns, &c_st, d, u, info)) goto done;
    }

    /* Per output. */
    {
        hsize_t dim = no, dims2[2] = {no, 9};
        hid_t sc2[2] = {c_out, c_q};
        tyche_output_summary os;
        for (int f = 0; f < 3; f++) {
            static const char *const names[3] = {"mean", "sd", "missing_fraction"};
            for (size_t i = 0; i < no; i++) {
                tyche_results_output(r, i, &os);
                d[i] = f == 0 ? os.mean : f == 1 ? os.sd : os.missing_fraction;
            }
            if (var_simple(w, g, names[f], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &dim, &c_out,
                           d))
                goto done;
        }
        for (size_t i = 0; i < no; i++) {
            tyche_results_output(r, i, &os);
            u[i] = os.n;
            for (int q = 0; q < 9; q++) d[i * 9 + (size_t)q] = os.q[q];
        }
        if (var_simple(w, g, "n", H5T_STD_U64LE, H5T_NATIVE_UINT64, 1, &dim, &c_out, u) ||
            var_simple(w, g, "quantiles", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims2, sc2, d))
            goto done;
    }

    /* Incidence curves of the time outputs (`output` of the accessor is the
     * scenario's output index, the event axis lists time outputs only). */
    {
        hsize_t dims2[2] = {ne, nm};
        hid_t sc2[2] = {c_ev, c_mon};
        tyche_prob p;
        for (int f = 0; f < 2; f++) {
            for (size_t e = 0; e < ne; e++)
                for (size_t m = 0; m < nm; m++) {
                    tyche_results_incidence(r, eidx[e], m, &p);
                    d[e * nm + m] = f == 0 ? p.probability : p.stderr_;
                }
            if (var_simple(w, g, f == 0 ? "incidence" : "incidence_stderr", H5T_IEEE_F64LE,
                           H5T_NATIVE_DOUBLE, 2, dims2, sc2, d))
                goto done;
        }
    }

    /* Joint view: pairs, correlations, all together. */
    {
        hsize_t dims2[2] = {nj, nj};
        hid_t sc2[2] = {c_ja, c_jb};
        tyche_prob p;
        for (size_t k = 0; k < nj; k++)
            for (size_t l = 0; l < nj; l++) {
                tyche_results_joint_pair(r, k, l, &p);
                d[k * nj + l] = p.probability;
            }
        if (var_simple(w, g, "joint_pair_probability", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2,
                       dims2, sc2, d))
            goto done;
        for (int f = 0; f < 2; f++) {
            for (size_t k = 0; k < nj; k++)
                for (size_t l = 0; l < nj; l++) {
                    double c, se;
                    tyche_results_joint_corr(r, k, l, &c, &se);
                    d[k * nj + l] = f == 0 ? c : se;
                }
            if (var_simple(w, g, f == 0 ? "joint_correlation" : "joint_correlation_stderr",
                           H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims2, sc2, d))
                goto done;
        }
        tyche_results_joint_all(r, &p);
        for (int f = 0; f < 4; f++) {
            double v = prob_field(&p, f);
            if (var_simple(w, g, jall_names[f], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 0, NULL, NULL,
                           &v))
                goto done;
        }
    }

    if (attr_f64(w, g, "summary", "seconds", info->seconds) ||
        attr_f64(w, g, "summary", "trials_per_second",
                 info->seconds > 0 ? (double)info->trials / info->seconds : NAN) ||
        attr_i32(w, g, "summary", "threads", (int32_t)info->threads) ||
        attr_i32(w, g, "summary", "ranks", ranks_of(info)))
        goto done;
done:
    close_id(w, &c_jb, H5Dclose, "summary/joint_b");
    close_id(w, &c_ja, H5Dclose, "summary/joint_a");
    close_id(w, &c_mon, H5Dclose, "summary/month");
    close_id(w, &c_ev, H5Dclose, "summary/event");
    close_id(w, &c_q, H5Dclose, "summary/quantile");
    close_id(w, &c_out, H5Dclose, "summary/output");
    close_id(w, &c_st, H5Dclose, "summary/statement");
    close_id(w, &g, H5Gclose, "group summary");
    free(sid);
    free(stext);
    free(sgroup);
    free(oname);
    free(ename);
    free(eidx);
    free(jid);
    free(d);
    free(u);
    free(ps);
    return w->failed ? -1 : 0;
}

/* ---- /paths -------------------------------------------------------------- */

typedef struct {
    char *name; /* "<model>.<dim>" */
    size_t n;
    hid_t coord;
} path_dim;

/* Whether a path axis's labels are just the dates of its points (each label
 * is the YYYY-MM-DD of start + its time, a whole number of days, as the
 * option model's months are): such an axis takes its times as coordinate,
 * in days since the start, which xarray decodes to dates (and still selects
 * by a "2026-06-01" string); the labels would say nothing more.  Other axes
 * (revenue's FY2027Q1 ...) keep their labels as coordinate. */
static int labels_are_dates(const tyche_path_info *pi, int32_t start) {
    char date[11];
    if (pi->n_points == 0 || pi->labels == NULL || pi->times == NULL) return 0;
    for (size_t j = 0; j < pi->n_points; j++) {
        const double t = pi->times[j];
        if (!(t == floor(t) && fabs(t) < 1e6) || pi->labels[j] == NULL) return 0;
        tyche_date_format(start + (int32_t)t, date);
        if (strcmp(date, pi->labels[j]) != 0) return 0;
    }
    return 1;
}

static int write_paths(wctx *w, hid_t root, const tyche_scenario *s, const tyche_results *r,
                       uint64_t trials) {
    const size_t np = tyche_scenario_n_paths(s);
    hsize_t n = trials, chunk = trials < TRIAL_CHUNK ? trials : TRIAL_CHUNK;
    hid_t g = H5I_INVALID_HID, trial = H5I_INVALID_HID, ds = H5I_INVALID_HID;
    tyche_run_info ri;
    tyche_results_info(r, &ri);
    const uint64_t first_trial = ri.first_trial;
    path_dim *pd = tyche_calloc(np + 1, sizeof *pd);
    size_t npd = 0;
    char units[64], date[11], *aux = NULL;

    if (pd == NULL) {
        fail(w, "out of memory writing the paths");
        goto done;
    }
    tyche_date_format(tyche_scenario_start(s), date);
    snprintf(units, sizeof units, "days since %s", date);
    if ((g = group_create(w, root, "paths")) < 0) goto done;

    /* Its own trial axis, so the group stands alone when opened by itself
     * (xarray's group= reads one group's dimensions). */
    trial = ds_create(w, g, "paths/", "trial", H5T_STD_I64LE, 1, &n, &chunk, 1, NULL);
    if (trial < 0 ||
        write_pieces(w, trial, "paths/", "trial", H5T_NATIVE_INT64, sizeof(int64_t), trials, 1,
                     PIECE, fill_index, &first_trial) ||
        attr_str(w, trial, "paths/trial", "long_name", "trial index"))
        goto done;
    if (H5DSset_scale(trial, "trial") < 0) {
        fail(w, "cannot make paths/trial a dimension scale");
        goto done;
    }

    for (size_t i = 0; i < np; i++) {
        tyche_path_info pi;
        tyche_scenario_path(s, i, &pi);
        const char *vname = nz(pi.name), *dot = strchr(vname, '.');
        size_t mlen = dot != NULL ? (size_t)(dot - vname) : strlen(vname);
        size_t dlen = mlen + 1 + strlen(nz(pi.dim)) + 1;
        char *dname = tyche_malloc(dlen);
        if (dname == NULL) {
            fail(w, "out of memory writing the paths");
            goto done;
        }
        snprintf(dname, dlen, "%.*s.%s", (int)mlen, vname, nz(pi.dim));
        size_t k = 0;
        while (k < npd && strcmp(pd[k].name, dname) != 0) k++;
        if (k < npd) {
            free(dname);
            if (pd[k].n != pi.n_points) {
                fail(w, "path %s has %zu points but dimension paths/%s has %zu", vname,
                     pi.n_points, pd[k].name, pd[k].n);
                goto done;
            }
        } else {
            /* First path on this axis: its labels become the coordinate
             * (its dates where the labels are only those), its times an
             * auxiliary coordinate "<dim>_time". */
            const char **labels = tyche_calloc(pi.n_points + 1, sizeof *labels);
            pd[npd].name = dname;
            pd[npd].n = pi.n_points;
            pd[npd].coord = H5I_INVALID_HID;
            npd++;
            if (labels == NULL) {
                fail(w, "out of memory writing the paths");
                goto done;
            }
            for (size_t j = 0; j < pi.n_points; j++) labels[j] = nz(pi.labels[j]);
            if (labels_are_dates(&pi, tyche_scenario_start(s))) {
                pd[k].coord = coord_put(w, g, "paths/", dname, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                                        pi.n_points, pi.times);
                if (pd[k].coord >= 0 &&
                    (attr_str(w, pd[k].coord, dname, "units", units) ||
                     attr_str(w, pd[k].coord, dname, "long_name", "date of the point"))) {
                    free(labels);
                    goto done;
                }
            } else {
                pd[k].coord =
                    coord_put(w, g, "paths/", dname, w->str_t, w->str_t, pi.n_points, labels);
            }
            free(labels);
            if (pd[k].coord < 0) goto done;
            size_t alen = strlen(dname) + sizeof "_time";
            free(aux);
            if ((aux = tyche_malloc(alen)) == NULL) {
                fail(w, "out of memory writing the paths");
                goto done;
            }
            snprintf(aux, alen, "%s_time", dname);
            hsize_t pn = pi.n_points;
            ds = var_put(w, g, "paths/", aux, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &pn,
                         &pd[k].coord, NULL, 0, NULL, pi.times);
            if (ds < 0 || attr_str(w, ds, aux, "units", units)) goto done;
            close_id(w, &ds, H5Dclose, aux);
            if (w->failed) goto done;
        }

        const double *data = tyche_results_path(r, i);
        if (data == NULL) continue;
        hsize_t dims[2] = {n, pi.n_points};
        hsize_t ch[2] = {trials < PATH_TRIAL_CHUNK ? trials : PATH_TRIAL_CHUNK, pi.n_points};
        hid_t sc[2] = {trial, pd[k].coord};
        size_t alen = strlen(pd[k].name) + sizeof "_time";
        free(aux);
        if ((aux = tyche_malloc(alen)) == NULL) {
            fail(w, "out of memory writing the paths");
            goto done;
        }
        snprintf(aux, alen, "%s_time", pd[k].name);
        ds = var_put(w, g, "paths/", vname, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, sc, ch,
                     1, NULL, NULL);
        /* `coordinates` (CF) makes xarray show the times beside the labels. */
        if (ds < 0 ||
            write_pieces(w, ds, "paths/", vname, H5T_NATIVE_DOUBLE, sizeof(double), trials,
                         pi.n_points, path_slice(pi.n_points), NULL, data) ||
            attr_str(w, ds, vname, "units", pi.units) ||
            attr_str(w, ds, vname, "coordinates", aux))
            goto done;
        close_id(w, &ds, H5Dclose, vname);
        if (w->failed) goto done;
    }
done:
    close_id(w, &ds, H5Dclose, "a paths dataset");
    if (pd != NULL)
        for (size_t k = 0; k < npd; k++) {
            close_id(w, &pd[k].coord, H5Dclose, "a paths dimension");
            free(pd[k].name);
        }
    free(pd);
    free(aux);
    close_id(w, &trial, H5Dclose, "paths/trial");
    close_id(w, &g, H5Gclose, "group paths");
    return w->failed ? -1 : 0;
}

/* ---- entry point --------------------------------------------------------- */

/* The bytes of per-trial data the writers above will hand to HDF5 (the
 * progress total): the `trial` coordinates and the columns at the root when
 * `columns`, and /paths' own `trial` and its paths under --store paths.  It
 * must count exactly what they write, column for column. */
static uint64_t trial_bytes(const tyche_scenario *s, const tyche_results *r, uint64_t trials,
                            int columns, int paths) {
    uint64_t b = 0;
    if (columns) {
        b += trials * sizeof(int64_t);
        for (size_t i = 0; i < tyche_scenario_n_params(s); i++)
            if (tyche_results_param_column(r, i) != NULL) b += trials * sizeof(double);
        for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++)
            if (tyche_results_output_column(r, i) != NULL) b += trials * sizeof(double);
        for (size_t i = 0; i < tyche_scenario_n_statements(s); i++)
            if (tyche_results_statement_column(r, i) != NULL) b += trials;
    }
    if (paths) {
        b += trials * sizeof(int64_t);
        for (size_t i = 0; i < tyche_scenario_n_paths(s); i++) {
            tyche_path_info pi;
            tyche_scenario_path(s, i, &pi);
            if (tyche_results_path(r, i) != NULL) b += trials * pi.n_points * sizeof(double);
        }
    }
    return b;
}

tyche_status tyche_write_hdf5(const tyche_scenario *s, const tyche_results *r,
                              const tyche_provenance *p, const char *path, tyche_err *err) {
    static const tyche_provenance none = {NULL, NULL, 0, NULL, NULL};
    wctx w = {path != NULL ? path : "(no path)", err, 0, 0, H5I_INVALID_HID, NULL, NULL, 0, 0};
    hid_t fcpl = H5I_INVALID_HID, fapl = H5I_INVALID_HID, file = H5I_INVALID_HID;
    char *tmp = NULL;
    tyche_run_info info;

    if (s == NULL || r == NULL || path == NULL || path[0] == '\0')
        return tyche_err_set(err, TYCHE_EIO, "%s: nothing to write (no scenario, results or path)",
                             w.path);
    if (p == NULL) p = &none;
    w.compress = p->compress < 0 ? 0 : p->compress > 9 ? 9 : p->compress;
    w.progress = p->progress;
    w.progress_user = p->progress_user;
    tyche_results_info(r, &info);

    /* no crash at exit after a failed flush, no HDF5 dump on stderr (h5util.h) */
    if (tyche_h5_begin() < 0)
        return tyche_err_set(err, TYCHE_EIO, "%s: cannot set up the HDF5 library", path);
    /* before any work: rename() would refuse a folder only at the end */
    if (tyche_is_folder(path)) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", path);
    if ((tmp = tyche_tmp_name(path)) == NULL)
        return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);

    if ((w.str_t = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(w.str_t, H5T_VARIABLE) < 0 ||
        H5Tset_cset(w.str_t, H5T_CSET_UTF8) < 0) {
        fail(&w, "cannot make the string type");
        goto cleanup;
    }
    /* The 1.8 file format (HDF5 >= 1.8 and netCDF-4 read it): every object
     * header then carries a checksum, so a damaged file's metadata is refused
     * by HDF5 before it is parsed - libhdf5 can itself overrun on damaged
     * version-1 headers, as fuzzing tyche merge showed.  Creation order on the
     * root group (netCDF lists in that order); the
     * SEMI close degree makes H5Fclose fail, rather than silently keep the
     * file open, if any object were left open - a leak shows as an error. */
    if ((fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 ||
        H5Pset_link_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
        H5Pset_fclose_degree(fapl, H5F_CLOSE_SEMI) < 0 ||
        H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18) < 0) {
        fail(&w, "cannot set up file properties");
        goto cleanup;
    }
    if ((file = H5Fcreate(tmp, H5F_ACC_TRUNC, fcpl, fapl)) < 0) {
        /* fail() adds the system's reason ("Permission denied") when known */
        fail(&w, "cannot create the file%s", tyche_h5_reason()[0] ? "" : " (is the folder writable?)");
        goto cleanup;
    }

    if (write_provenance(&w, file, s, &info, p)) goto cleanup;
    int columns = info.store != TYCHE_STORE_NONE ||
                  (tyche_scenario_n_params(s) > 0 && tyche_results_param_column(r, 0) != NULL);
    const int paths = info.store == TYCHE_STORE_PATHS;
    w.total = trial_bytes(s, r, info.trials, columns, paths);
    if (columns && write_trials(&w, file, s, r, info.trials)) goto cleanup;
    if (write_summary(&w, file, s, r, &info)) goto cleanup;
    if (paths && write_paths(&w, file, s, r, info.trials)) goto cleanup;
    /* a shard carries what an exact merge needs (shard.c) */
    if (info.shard_count) {
        tyche_err perr;
        if (tyche_shard_write_partial(file, s, r, &perr) != TYCHE_OK) {
            fail(&w, "%s", perr.msg); /* with the file's name and the reason */
            goto cleanup;
        }
    }

cleanup:
    close_id(&w, &w.str_t, H5Tclose, "the string type");
    close_id(&w, &fapl, H5Pclose, "the file access properties");
    close_id(&w, &fcpl, H5Pclose, "the file creation properties");
    /* H5Fclose flushes: only its success means the file is complete. */
    close_id(&w, &file, H5Fclose, "(flush) the file");
    if (!w.failed && tyche_commit_file(tmp, path, "results", err) != TYCHE_OK) w.failed = 1;
    else if (w.failed) (void)unlink(tmp); /* may not exist: nothing to report */
    tyche_tmp_forget(tmp); /* renamed or removed: the name no longer ours */
    free(tmp);
    /* The one call with done == total, once the file is in place; with no
     * per-trial data (--store none) it is the only call, as 1 of 1, so a
     * caller's bar still ends.  Not after a failure: the error ends it. */
    if (!w.failed && w.progress != NULL) {
        const uint64_t total = w.total ? w.total : 1;
        w.progress(w.progress_user, total, total);
    }
    return w.failed ? TYCHE_EIO : TYCHE_OK;
}
