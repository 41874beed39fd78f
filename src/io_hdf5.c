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
 * creation order is tracked so listings follow the order written.
 *
 * The writer streams (tyche_h5_writer, io.h): the per-trial datasets are
 * made at their full length before the first row, the rows appended as
 * they come (staged a chunk of every column at a time, so each chunk is
 * written and compressed once), the summary and provenance added at the
 * end.  It writes the name it is given, a temporary ("<path>.tmp.<host>.
 * <pid>", tmpfile.c) that its caller renames onto `path` only once H5Fclose
 * has succeeded and the file is on the disk (tyche_commit_*), so a failure
 * (or a crash) never leaves a partial file under the final name nor touches
 * one already there; tyche_write_hdf5 does all of that for results held in
 * memory.  Only the public accessors of scenario.h and engine.h are used
 * (and run_impl.h's view of results' columns): the writer knows nothing of
 * models. */
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
#include "run_impl.h"

/* Per-trial 1-D datasets are chunked at most this long (512 KiB of doubles):
 * big enough for deflate to work well and for one variable over all trials
 * to read at disk speed, small enough that reading one variable's first rows
 * does not pull the whole column.  The writer holds one chunk of every
 * column (STAGE_BYTES at most: fewer rows a chunk for a scenario with very
 * many variables), so every chunk is written, and compressed, once. */
#define TRIAL_CHUNK 65536
#define STAGE_BYTES (32u << 20)
/* Paths are chunked by this many trials (times all points of the path):
 * a block's rows (TYCHE_BLOCK_TRIALS) are whole chunks, written as they come. */
#define PATH_TRIAL_CHUNK 1024
_Static_assert(TYCHE_BLOCK_TRIALS % PATH_TRIAL_CHUNK == 0, "a block's paths are whole chunks");

/* State shared by the helpers: where messages go and the string type.
 * Only the first failure is recorded; later ones are usually its echo. */
typedef struct {
    const char *path; /* final name, the one the user knows */
    tyche_err *err;
    int failed;
    int compress; /* deflate level, 0 = none */
    hid_t str_t;  /* variable-length UTF-8 string */
    /* per-trial datasets: space for every row allocated when created, never
     * filled (MPI ranks then write rows into the file independently: only
     * collective calls could allocate) */
    int parallel;
} wctx;

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
    /* a per-trial dataset (chunked, filtered when asked): see wctx */
    const int per_trial = chunk != NULL && filtered;
    if (per_trial && w->parallel &&
        (H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) < 0 || H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER) < 0)) {
        fail(w, "cannot set up the space of %s%s for parallel writes", grp, name);
        goto done;
    }
    /* Its chunk cache holds what one write hands it: a chunk of a column, two
     * of /paths (a block's rows).  Not none: with no cache, a write that fails
     * (a full disk) makes HDF5 1.10 drop the chunk's buffer without freeing
     * it (H5D__chunk_unlock), a leak LSan reports; through the cache the
     * failure comes at eviction, which frees.  Whole uncompressed chunks skip
     * the cache anyway (H5Dwrite_chunk). */
    hid_t dapl = H5P_DEFAULT;
    if (per_trial) {
        size_t bytes = H5Tget_size(ftype) * (rank == 2 ? 2 : 1);
        for (int i = 0; i < rank; i++) bytes *= (size_t)ch[i];
        if ((dapl = H5Pcreate(H5P_DATASET_ACCESS)) < 0 ||
            H5Pset_chunk_cache(dapl, H5D_CHUNK_CACHE_NSLOTS_DEFAULT, bytes, 1.0) < 0) {
            if (dapl >= 0) H5Pclose(dapl);
            fail(w, "cannot set up the access properties of %s%s", grp, name);
            goto done;
        }
    }
    ds = H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, dapl);
    if (dapl != H5P_DEFAULT) H5Pclose(dapl);
    if (ds < 0)
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

/* The per-trial datasets, created before the first row (tyche_h5_writer_open)
 * and written as rows come (writer_rows): `trial` and, per parameter, output
 * and statement, its variable (every one of them: a run that stores rows
 * stores them all), each left open in ids[] (the parameters', the outputs',
 * then the statements'), with its attributes. */
static int create_trials(wctx *w, hid_t root, const tyche_scenario *s, hsize_t n, hsize_t chunk,
                         hid_t *trial, hid_t *ids) {
    const double nan = NAN;
    char prior[256];
    size_t k = 0;
    scale_refs refs = {H5I_INVALID_HID, 0, H5I_INVALID_HID, H5I_INVALID_HID, NULL, 0, 0};

    *trial = ds_create(w, root, "", "trial", H5T_STD_I64LE, 1, &n, &chunk, 1, NULL);
    if (*trial < 0 || attr_str(w, *trial, "trial", "long_name", "trial index")) goto done;
    if (H5DSset_scale(*trial, "trial") < 0) {
        fail(w, "cannot make trial a dimension scale");
        goto done;
    }
    if (refs_begin(w, &refs, *trial, "trial")) goto done;

    for (size_t i = 0; i < tyche_scenario_n_params(s); i++, k++) {
        tyche_param_info pi;
        tyche_scenario_param(s, i, &pi);
        ids[k] = var_put(w, root, "", pi.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                         &chunk, 1, NULL, NULL);
        if (ids[k] < 0 || refs_attach(w, &refs, ids[k], "", pi.name) ||
            attr_str(w, ids[k], pi.name, "units", pi.units))
            goto done;
        if (pi.description != NULL && pi.description[0] != '\0' &&
            attr_str(w, ids[k], pi.name, "description", pi.description))
            goto done;
        if (pi.prior != NULL) { /* what is drawn: a posterior where calibrated */
            tyche_scenario_param_format(s, i, prior, sizeof prior);
            if (attr_str(w, ids[k], pi.name, "prior", prior)) goto done;
        }
    }
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++, k++) {
        tyche_output_info oi;
        tyche_scenario_output(s, i, &oi);
        ids[k] = var_put(w, root, "", oi.name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 1, &n, NULL,
                         &chunk, 1, &nan, NULL);
        if (ids[k] < 0 || refs_attach(w, &refs, ids[k], "", oi.name) ||
            attr_str(w, ids[k], oi.name, "units", oi.units))
            goto done;
        if (oi.description != NULL && oi.description[0] != '\0' &&
            attr_str(w, ids[k], oi.name, "description", oi.description))
            goto done;
        if (attr_f64(w, ids[k], oi.name, "_FillValue", nan)) goto done;
    }
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++, k++) {
        tyche_statement_info si;
        tyche_scenario_statement(s, i, &si);
        ids[k] = var_put(w, root, "", si.id, H5T_STD_U8LE, H5T_NATIVE_UINT8, 1, &n, NULL, &chunk,
                         1, NULL, NULL);
        if (ids[k] < 0 || refs_attach(w, &refs, ids[k], "", si.id) ||
            attr_str(w, ids[k], si.id, "long_name", si.text) ||
            attr_str(w, ids[k], si.id, "rule", si.rule) || attr_str(w, ids[k], si.id, "group", si.group))
            goto done;
    }
done:
    refs_end(w, &refs, "trial"); /* after a failure it only frees */
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

    /* the group was made with the file, before /paths: the order netCDF lists */
    if ((g = H5Gopen2(root, "summary", H5P_DEFAULT)) < 0) {
        fail(w, "cannot open group summary");
        goto done;
    }

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

/* Group /paths and its datasets, made before the first row: its own `trial`
 * (left open in *trial) and per path variable its dataset (open in ids[i]),
 * with the point axes' coordinates written at once. */
static int create_paths(wctx *w, hid_t root, const tyche_scenario *s, hsize_t n, hsize_t chunk,
                        hid_t *trial, hid_t *ids) {
    const size_t np = tyche_scenario_n_paths(s);
    const uint64_t trials = n;
    hid_t g = H5I_INVALID_HID, ds = H5I_INVALID_HID;
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
    *trial = ds_create(w, g, "paths/", "trial", H5T_STD_I64LE, 1, &n, &chunk, 1, NULL);
    if (*trial < 0 || attr_str(w, *trial, "paths/trial", "long_name", "trial index")) goto done;
    if (H5DSset_scale(*trial, "trial") < 0) {
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

        hsize_t dims[2] = {n, pi.n_points};
        hsize_t ch[2] = {trials < PATH_TRIAL_CHUNK ? trials : PATH_TRIAL_CHUNK, pi.n_points};
        hid_t sc[2] = {*trial, pd[k].coord};
        size_t alen = strlen(pd[k].name) + sizeof "_time";
        free(aux);
        if ((aux = tyche_malloc(alen)) == NULL) {
            fail(w, "out of memory writing the paths");
            goto done;
        }
        snprintf(aux, alen, "%s_time", pd[k].name);
        ids[i] = var_put(w, g, "paths/", vname, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 2, dims, sc,
                         ch, 1, NULL, NULL);
        /* `coordinates` (CF) makes xarray show the times beside the labels. */
        if (ids[i] < 0 || attr_str(w, ids[i], vname, "units", pi.units) ||
            attr_str(w, ids[i], vname, "coordinates", aux))
            goto done;
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
    close_id(w, &g, H5Gclose, "group paths");
    return w->failed ? -1 : 0;
}

/* ---- the streaming writer ------------------------------------------------ */

struct tyche_h5_writer {
    wctx w;
    tyche_err first;            /* the first failure, repeated to later calls */
    const tyche_scenario *s;
    tyche_h5_plan plan;
    tyche_provenance p;         /* its strings the caller's, alive until finish */
    char *path;                 /* the file written */
    char *user_path;            /* the name messages give */
    hid_t file, fcpl, fapl;
    hid_t trial, ptrial;        /* the `trial` coordinates at the root and in /paths */
    hid_t *cols;                /* parameters, outputs, statements */
    hid_t *pds;                 /* /paths variables */
    size_t np, no, ns, npaths;
    size_t *points;
    int with_rows, with_paths;
    int direct;                 /* whole chunks written as they are (H5Dwrite_chunk): no
                                   compression, not parallel, native types the file's */
    uint64_t chunk;             /* rows of a 1-D chunk, and of the stage */
    uint64_t stage0;            /* file row of the stage's first row */
    size_t staged;              /* rows in the stage */
    int64_t *st_trial;          /* the stage: chunk rows of the trial index, */
    double *st_d;               /* of each parameter and output, */
    uint8_t *st_u8;             /* and of each statement */
    uint64_t rows;              /* rows received */
};

/* Rows of a 1-D chunk (and of the stage): TRIAL_CHUNK, fewer when a row of
 * every column is large (STAGE_BYTES bounds the stage), whole blocks, and
 * never more than the file's rows. */
static uint64_t chunk_rows(uint64_t row_bytes, uint64_t rows) {
    uint64_t c = STAGE_BYTES / (row_bytes ? row_bytes : 1);
    c = c / TYCHE_BLOCK_TRIALS * TYCHE_BLOCK_TRIALS;
    if (c < TYCHE_BLOCK_TRIALS) c = TYCHE_BLOCK_TRIALS;
    if (c > TRIAL_CHUNK) c = TRIAL_CHUNK;
    return rows < c ? (rows ? rows : 1) : c;
}

uint64_t tyche_h5_file_bytes(const tyche_scenario *s, tyche_store store, uint64_t rows) {
    if (store == TYCHE_STORE_NONE) return 0;
    uint64_t per = 8 + 8 * (uint64_t)(tyche_scenario_n_params(s) + tyche_scenario_n_outputs(s)) +
                   tyche_scenario_n_statements(s);
    if (store == TYCHE_STORE_PATHS && tyche_scenario_n_paths(s)) {
        per += 8;
        for (size_t i = 0; i < tyche_scenario_n_paths(s); i++) {
            tyche_path_info pi;
            tyche_scenario_path(s, i, &pi);
            per += 8 * (uint64_t)pi.n_points;
        }
    }
    return rows > UINT64_MAX / per ? UINT64_MAX : per * rows;
}

/* Records the failure's message for the calls after it (wctx keeps only a
 * flag) and returns the status. */
static tyche_status writer_status(tyche_h5_writer *h) {
    if (!h->w.failed) return TYCHE_OK;
    /* the failed call's error stack, in this thread's (its reason already
     * kept): a run's writer thread ends after a failure, and HDF5 frees a
     * thread's stack only when it is cleared */
    H5Eclear2(H5E_DEFAULT);
    if (h->first.code == TYCHE_OK && h->w.err) h->first = *h->w.err;
    if (h->first.code == TYCHE_OK) h->first.code = TYCHE_EIO;
    return TYCHE_EIO;
}

static tyche_status writer_refail(tyche_h5_writer *h, tyche_err *err) {
    if (err) *err = h->first;
    return TYCHE_EIO;
}

/* Writes the stage: rows [stage0, stage0 + staged) of every 1-D dataset. */
static int stage_flush(tyche_h5_writer *h) {
    wctx *w = &h->w;
    if (h->staged == 0 || w->failed) return w->failed ? -1 : 0;
    const hsize_t start = h->stage0, cnt = h->staged;
    hid_t msp = H5Screate_simple(1, &cnt, NULL);
    if (msp < 0) return fail(w, "cannot make a dataspace for rows from %llu", (unsigned long long)start);
    const size_t nc = h->np + h->no + h->ns;
    for (size_t k = 0; k < nc + 2 && !w->failed; k++) {
        hid_t ds;
        hid_t mt;
        const void *src;
        if (k == nc) ds = h->trial, mt = H5T_NATIVE_INT64, src = h->st_trial;
        else if (k == nc + 1) ds = h->ptrial, mt = H5T_NATIVE_INT64, src = h->st_trial;
        else if (k < h->np + h->no) ds = h->cols[k], mt = H5T_NATIVE_DOUBLE, src = h->st_d + k * h->chunk;
        else ds = h->cols[k], mt = H5T_NATIVE_UINT8, src = h->st_u8 + (k - h->np - h->no) * h->chunk;
        if (ds < 0) continue; /* no /paths */
        /* a whole chunk, uncompressed: handed to the file as it is (no copy into HDF5's cache) */
        const int whole = h->direct && start % h->chunk == 0 && cnt == h->chunk;
        const size_t el = mt == H5T_NATIVE_UINT8 ? 1 : 8;
        hid_t fsp = whole ? H5I_INVALID_HID : H5Dget_space(ds);
        if (whole ? H5Dwrite_chunk(ds, H5P_DEFAULT, 0, &start, (size_t)cnt * el, src) < 0
                  : (fsp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, &start, NULL, &cnt, NULL) < 0 ||
                     H5Dwrite(ds, mt, msp, fsp, H5P_DEFAULT, src) < 0)) {
            char name[256] = "";
            H5Iget_name(ds, name, sizeof name);
            fail(w, "cannot write %s (rows from %llu)", name[0] == '/' ? name + 1 : name,
                 (unsigned long long)start);
        }
        if (fsp >= 0) H5Sclose(fsp);
    }
    H5Sclose(msp);
    h->stage0 += h->staged;
    h->staged = 0;
    return w->failed ? -1 : 0;
}

/* The paths of rows [row, row + n) of the file, written as they come. */
static int paths_write(tyche_h5_writer *h, uint64_t row, const tyche_rows *rows) {
    wctx *w = &h->w;
    for (size_t v = 0; v < h->npaths && !w->failed; v++) {
        hsize_t start[2] = {row, 0}, cnt[2] = {rows->n, h->points[v]};
        if (cnt[1] == 0) continue;
        /* whole chunks, uncompressed, as they are: a chunk of PATH_TRIAL_CHUNK
         * rows of every point is those rows' memory, row-major */
        const double *src = rows->paths[v];
        while (h->direct && start[0] % PATH_TRIAL_CHUNK == 0 && cnt[0] >= PATH_TRIAL_CHUNK && !w->failed) {
            if (H5Dwrite_chunk(h->pds[v], H5P_DEFAULT, 0, start, PATH_TRIAL_CHUNK * cnt[1] * sizeof(double), src) < 0) {
                tyche_path_info pi;
                tyche_scenario_path(h->s, v, &pi);
                fail(w, "cannot write paths/%s (rows from %llu)", nz(pi.name), (unsigned long long)start[0]);
            }
            src += PATH_TRIAL_CHUNK * cnt[1];
            start[0] += PATH_TRIAL_CHUNK;
            cnt[0] -= PATH_TRIAL_CHUNK;
        }
        if (cnt[0] == 0 || w->failed) continue;
        hid_t fsp = H5Dget_space(h->pds[v]), msp = H5Screate_simple(2, cnt, NULL);
        if (fsp < 0 || msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, cnt, NULL) < 0 ||
            H5Dwrite(h->pds[v], H5T_NATIVE_DOUBLE, msp, fsp, H5P_DEFAULT, src) < 0) {
            tyche_path_info pi;
            tyche_scenario_path(h->s, v, &pi);
            fail(w, "cannot write paths/%s (rows from %llu)", nz(pi.name), (unsigned long long)row);
        }
        if (msp >= 0) H5Sclose(msp);
        if (fsp >= 0) H5Sclose(fsp);
    }
    return w->failed ? -1 : 0;
}

tyche_status tyche_h5_writer_rows(void *writer, const tyche_rows *rows, tyche_err *err) {
    tyche_h5_writer *h = writer;
    if (h->w.failed) return writer_refail(h, err);
    /* HDF5's error reporting is per thread (Debian builds it thread-safe):
     * this may be a run's writer thread, to be kept quiet too */
    tyche_h5_this_thread();
    h->w.err = err;
    const uint64_t row = h->plan.rows_from + h->rows; /* the file's row of rows->first_trial */
    if (!h->with_rows || rows->first_trial != h->plan.first_trial + h->rows ||
        rows->n > h->plan.rows - h->rows || row + rows->n > h->plan.file_rows) {
        fail(&h->w, "rows of trials %llu.. out of order or beyond the %llu the file has room for (internal)",
             (unsigned long long)rows->first_trial, (unsigned long long)h->plan.rows);
        return writer_status(h);
    }
    if (h->with_paths && rows->paths == NULL) {
        fail(&h->w, "rows of trials %llu.. came without their paths (internal)", (unsigned long long)rows->first_trial);
        return writer_status(h);
    }
    if (h->with_paths && paths_write(h, row, rows)) return writer_status(h);
    for (size_t i = 0; i < rows->n;) {
        const uint64_t at = h->stage0 + h->staged; /* its file row */
        const uint64_t room = (at / h->chunk + 1) * h->chunk - at;
        const size_t take = (size_t)(rows->n - i < room ? rows->n - i : room), o = h->staged;
        for (size_t j = 0; j < take; j++) h->st_trial[o + j] = (int64_t)(rows->first_trial + i + j);
        for (size_t p = 0; p < h->np; p++)
            memcpy(h->st_d + p * h->chunk + o, rows->params + p * rows->stride + i, take * sizeof(double));
        for (size_t q = 0; q < h->no; q++) {
            /* an infinite time means the event did not happen within the
             * horizon; in the file that is a missing value (NaN, the
             * `_FillValue`), so that every client masks it */
            const double *src = rows->outputs + q * rows->stride + i;
            double *dst = h->st_d + (h->np + q) * h->chunk + o;
            for (size_t j = 0; j < take; j++) dst[j] = isinf(src[j]) ? NAN : src[j];
        }
        for (size_t k = 0; k < h->ns; k++)
            memcpy(h->st_u8 + k * h->chunk + o, rows->statements + k * rows->stride + i, take);
        h->staged += take;
        i += take;
        if ((h->stage0 + h->staged) % h->chunk == 0 && stage_flush(h)) return writer_status(h);
    }
    h->rows += rows->n;
    h->w.err = NULL; /* the caller's: not kept past the call */
    return TYCHE_OK;
}

static void close_datasets(tyche_h5_writer *h) {
    wctx *w = &h->w;
    for (size_t k = 0; h->cols && k < h->np + h->no + h->ns; k++) close_id(w, &h->cols[k], H5Dclose, "a per-trial dataset");
    for (size_t v = 0; h->pds && v < h->npaths; v++) close_id(w, &h->pds[v], H5Dclose, "a paths dataset");
    close_id(w, &h->trial, H5Dclose, "trial");
    close_id(w, &h->ptrial, H5Dclose, "paths/trial");
}

void tyche_h5_writer_free(tyche_h5_writer *h) {
    if (h == NULL) return;
    h->w.failed = 1; /* closing after a failure: no more messages */
    h->w.err = NULL;
    close_datasets(h);
    close_id(&h->w, &h->w.str_t, H5Tclose, "the string type");
    close_id(&h->w, &h->fapl, H5Pclose, "the file access properties");
    close_id(&h->w, &h->fcpl, H5Pclose, "the file creation properties");
    close_id(&h->w, &h->file, H5Fclose, "the file");
    free(h->cols);
    free(h->pds);
    free(h->points);
    free(h->st_trial);
    free(h->st_d);
    free(h->st_u8);
    free(h->path);
    free(h->user_path);
    free(h);
}

/* The writer's state for scenario s and plan (no file yet). */
static tyche_h5_writer *writer_new(const tyche_scenario *s, const tyche_h5_plan *plan,
                                   const tyche_provenance *p, const char *path, tyche_err *err) {
    static const tyche_provenance none = {NULL, NULL, 0, NULL, NULL};
    tyche_h5_writer *h = tyche_calloc(1, sizeof *h);
    if (h == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", plan->user_path ? plan->user_path : path);
        return NULL;
    }
    h->s = s;
    h->plan = *plan;
    h->p = p ? *p : none;
    h->file = h->fcpl = h->fapl = h->trial = h->ptrial = H5I_INVALID_HID;
    h->w.str_t = H5I_INVALID_HID;
    h->path = tyche_strdup(path);
    h->user_path = tyche_strdup(plan->user_path ? plan->user_path : path);
    h->np = tyche_scenario_n_params(s);
    h->no = tyche_scenario_n_outputs(s);
    h->ns = tyche_scenario_n_statements(s);
    h->with_rows = plan->store != TYCHE_STORE_NONE;
    h->with_paths = plan->store == TYCHE_STORE_PATHS && tyche_scenario_n_paths(s) > 0;
    h->npaths = h->with_paths ? tyche_scenario_n_paths(s) : 0;
    if (h->plan.file_rows == 0) h->plan.file_rows = h->plan.rows_from + h->plan.rows;
    const size_t nc = h->np + h->no + h->ns;
    h->cols = tyche_malloc((nc + 1) * sizeof *h->cols);
    h->pds = tyche_malloc((h->npaths + 1) * sizeof *h->pds);
    h->points = tyche_calloc(h->npaths + 1, sizeof *h->points);
    /* no id open yet, before anything can fail: free closes what is open */
    for (size_t k = 0; h->cols && k < nc; k++) h->cols[k] = H5I_INVALID_HID;
    for (size_t v = 0; h->pds && v < h->npaths; v++) h->pds[v] = H5I_INVALID_HID;
    uint64_t row_bytes = 8 + 8 * (uint64_t)(h->np + h->no) + h->ns;
    h->chunk = chunk_rows(row_bytes, h->plan.file_rows);
    h->stage0 = h->plan.rows_from;
    if (h->with_rows) {
        h->st_trial = tyche_malloc(h->chunk * sizeof *h->st_trial);
        h->st_d = tyche_malloc((h->np + h->no) * h->chunk * sizeof *h->st_d + 1);
        h->st_u8 = tyche_malloc(h->ns * h->chunk + 1);
    }
    h->w.path = h->user_path;
    h->w.err = err;
    h->w.compress = h->p.compress < 0 ? 0 : h->p.compress > 9 ? 9 : h->p.compress;
    h->w.parallel = plan->parallel;
    /* the bytes in memory are the file's when the native types are its
     * little-endian ones (x86-64, arm64); elsewhere HDF5 converts */
    h->direct = !plan->parallel && h->w.compress == 0 && H5Tequal(H5T_NATIVE_DOUBLE, H5T_IEEE_F64LE) > 0 &&
                H5Tequal(H5T_NATIVE_INT64, H5T_STD_I64LE) > 0;
    if (!h->path || !h->user_path || !h->cols || !h->pds || !h->points ||
        (h->with_rows && (!h->st_trial || !h->st_d || !h->st_u8))) {
        tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", plan->user_path ? plan->user_path : path);
        h->w.failed = 1;
        tyche_h5_writer_free(h);
        return NULL;
    }
    for (size_t v = 0; v < h->npaths; v++) {
        tyche_path_info pi;
        tyche_scenario_path(s, v, &pi);
        h->points[v] = pi.n_points;
    }
    return h;
}

/* The string type. */
static int writer_types(tyche_h5_writer *h) {
    wctx *w = &h->w;
    if ((w->str_t = H5Tcopy(H5T_C_S1)) < 0 || H5Tset_size(w->str_t, H5T_VARIABLE) < 0 ||
        H5Tset_cset(w->str_t, H5T_CSET_UTF8) < 0)
        return fail(w, "cannot make the string type");
    return 0;
}

tyche_status tyche_h5_writer_open(const tyche_scenario *s, const tyche_h5_plan *plan,
                                  const tyche_provenance *p, const char *path,
                                  tyche_h5_writer **out, tyche_err *err) {
    *out = NULL;
    if (s == NULL || plan == NULL || path == NULL || path[0] == '\0')
        return tyche_err_set(err, TYCHE_EIO, "(no path): nothing to write (no scenario or path)");
    /* no crash at exit after a failed flush, no HDF5 dump on stderr (h5util.h) */
    if (tyche_h5_begin() < 0) return tyche_err_set(err, TYCHE_EIO, "%s: cannot set up the HDF5 library", path);
    tyche_h5_writer *h = writer_new(s, plan, p, path, err);
    if (h == NULL) return TYCHE_ENOMEM;
    wctx *w = &h->w;
    if (writer_types(h)) goto fail;
    /* The 1.10 file format (HDF5 >= 1.10 reads it, and so do h5py, netCDF-4
     * and xarray built on it): every object header carries a checksum, so a
     * damaged file's metadata is refused by HDF5 before it is parsed (libhdf5
     * can itself overrun on damaged version-1 headers, as fuzzing tyche merge
     * showed), and a per-trial dataset's chunks are indexed by a fixed array.
     * The 1.8 format's version-1 B-tree index held about 330 bytes of memory
     * per chunk written until the file closed: 16 MiB more at 10^7 trials
     * with paths, where the streamed rows must keep memory flat.  Creation
     * order on the root group (netCDF lists in that order); the SEMI close
     * degree makes H5Fclose fail, rather than silently keep the file open, if
     * any object were left open - a leak shows as an error. */
    if ((h->fcpl = H5Pcreate(H5P_FILE_CREATE)) < 0 ||
        H5Pset_link_creation_order(h->fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        H5Pset_attr_creation_order(h->fcpl, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED) < 0 ||
        (h->fapl = H5Pcreate(H5P_FILE_ACCESS)) < 0 ||
        H5Pset_fclose_degree(h->fapl, H5F_CLOSE_SEMI) < 0 ||
        H5Pset_libver_bounds(h->fapl, H5F_LIBVER_V110, H5F_LIBVER_V110) < 0) {
        fail(w, "cannot set up file properties");
        goto fail;
    }
    if ((h->file = H5Fcreate(path, H5F_ACC_TRUNC, h->fcpl, h->fapl)) < 0) {
        /* fail() adds the system's reason ("Permission denied") when known */
        fail(w, "cannot create the file%s", tyche_h5_reason()[0] ? "" : " (is the folder writable?)");
        goto fail;
    }
    const hsize_t n = h->plan.file_rows;
    if (h->with_rows && create_trials(w, h->file, s, n, h->chunk, &h->trial, h->cols)) goto fail;
    hid_t g = group_create(w, h->file, "summary"); /* filled by finish */
    if (g < 0) goto fail;
    close_id(w, &g, H5Gclose, "group summary");
    if (h->with_paths && create_paths(w, h->file, s, n, h->chunk, &h->ptrial, h->pds)) goto fail;
    if (w->failed) goto fail;
    *out = h;
    return TYCHE_OK;
fail:
    writer_status(h);
    tyche_h5_writer_free(h);
    return TYCHE_EIO;
}

/* every rank's verdict (agree NULL: this one's) */
static int agreed(int (*agree)(int ok), int ok) { return agree ? agree(ok) : ok; }

tyche_status tyche_h5_writer_attach(const tyche_scenario *s, const tyche_h5_plan *plan, const char *path,
                                    int64_t fapl, int (*agree)(int ok), tyche_h5_writer **out,
                                    tyche_err *err) {
    *out = NULL;
    /* Under MPI-IO opening the file and its datasets, and closing them, are
     * collective: the ranks agree before each step, so that none goes on
     * into a call the others have left. */
    const int begun = tyche_h5_begin() >= 0;
    if (!begun) tyche_err_set(err, TYCHE_EIO, "%s: cannot set up the HDF5 library", path);
    tyche_h5_writer *h = begun ? writer_new(s, plan, NULL, path, err) : NULL;
    if (!agreed(agree, h != NULL)) {
        if (h) tyche_err_set(err, TYCHE_ERUN, "another rank could not set up its writer");
        tyche_h5_writer_free(h);
        return TYCHE_ERUN;
    }
    wctx *w = &h->w;
    h->file = H5Fopen(path, H5F_ACC_RDWR, (hid_t)fapl);
    if (!agreed(agree, h->file >= 0)) {
        if (h->file < 0) fail(w, "cannot open the file to write rows into it");
        else tyche_err_set(err, TYCHE_ERUN, "another rank could not open the results file");
        writer_status(h);
        tyche_h5_writer_free(h); /* closes the file where it opened */
        return TYCHE_EIO;
    }
    h->fapl = H5I_INVALID_HID;
    (void)writer_types(h);
    const size_t nc = h->np + h->no + h->ns;
    /* every dataset opened, even after a failure: the calls are collective */
    if (h->with_rows && (h->trial = H5Dopen2(h->file, "trial", H5P_DEFAULT)) < 0) fail(w, "cannot open trial");
    for (size_t k = 0; h->with_rows && k < nc; k++) {
        const char *name;
        if (k < h->np) {
            tyche_param_info pi;
            tyche_scenario_param(s, k, &pi);
            name = pi.name;
        } else if (k < h->np + h->no) {
            tyche_output_info oi;
            tyche_scenario_output(s, k - h->np, &oi);
            name = oi.name;
        } else {
            tyche_statement_info si;
            tyche_scenario_statement(s, k - h->np - h->no, &si);
            name = si.id;
        }
        if ((h->cols[k] = H5Dopen2(h->file, name, H5P_DEFAULT)) < 0) fail(w, "cannot open %s", name);
    }
    if (h->with_paths) {
        if ((h->ptrial = H5Dopen2(h->file, "paths/trial", H5P_DEFAULT)) < 0) fail(w, "cannot open paths/trial");
        for (size_t v = 0; v < h->npaths; v++) {
            tyche_path_info pi;
            char name[300];
            tyche_scenario_path(s, v, &pi);
            snprintf(name, sizeof name, "paths/%s", nz(pi.name));
            if ((h->pds[v] = H5Dopen2(h->file, name, H5P_DEFAULT)) < 0) fail(w, "cannot open %s", name);
        }
    }
    if (!agreed(agree, !w->failed)) {
        if (!w->failed) tyche_err_set(err, TYCHE_ERUN, "another rank could not open the results file's datasets");
        writer_status(h);
        tyche_h5_writer_free(h); /* every rank closes: collective */
        return TYCHE_EIO;
    }
    *out = h;
    return TYCHE_OK;
}

tyche_status tyche_h5_writer_suspend(tyche_h5_writer *h, tyche_err *err) {
    if (h->w.failed) return writer_refail(h, err);
    h->w.err = err;
    stage_flush(h);
    close_datasets(h);
    /* H5Fclose flushes: only its success means the rows are in the file */
    close_id(&h->w, &h->file, H5Fclose, "(flush) the file");
    /* no rows come to it any more (MPI: the ranks' own writers take them) */
    free(h->st_trial);
    free(h->st_d);
    free(h->st_u8);
    h->st_trial = NULL, h->st_d = NULL, h->st_u8 = NULL;
    h->staged = 0;
    return writer_status(h);
}

tyche_status tyche_h5_writer_resume(tyche_h5_writer *h, tyche_err *err) {
    if (h->w.failed) return writer_refail(h, err);
    h->w.err = err;
    if (h->file < 0 && (h->file = H5Fopen(h->path, H5F_ACC_RDWR, h->fapl)) < 0)
        fail(&h->w, "cannot open it again to finish it");
    return writer_status(h);
}

tyche_status tyche_h5_writer_finish(tyche_h5_writer *h, const tyche_results *r, tyche_err *err) {
    if (h->w.failed) return writer_refail(h, err);
    wctx *w = &h->w;
    w->err = err;
    tyche_run_info info;
    tyche_results_info(r, &info);
    if (h->file < 0) {
        fail(w, "finished while suspended (internal)");
        return writer_status(h);
    }
    stage_flush(h);
    /* a run stopped at its precision target wrote fewer rows than room was made for */
    if (!w->failed && h->with_rows && !h->plan.parallel && h->trial >= 0 && h->rows < h->plan.rows) {
        const hsize_t n = h->plan.rows_from + h->rows;
        for (size_t k = 0; k < h->np + h->no + h->ns + 2 && !w->failed; k++) {
            const hid_t ds = k < h->np + h->no + h->ns ? h->cols[k] : k == h->np + h->no + h->ns ? h->trial : h->ptrial;
            if (ds >= 0 && H5Dset_extent(ds, &n) < 0) fail(w, "cannot cut the per-trial datasets to %llu rows", (unsigned long long)n);
        }
        for (size_t v = 0; v < h->npaths && !w->failed; v++) {
            const hsize_t d2[2] = {n, h->points[v]};
            if (H5Dset_extent(h->pds[v], d2) < 0) fail(w, "cannot cut the paths to %llu rows", (unsigned long long)n);
        }
    }
    if (!w->failed && h->with_rows && !h->plan.parallel && h->rows != info.trials)
        fail(w, "%llu rows written for results of %llu trials (internal)", (unsigned long long)h->rows,
             (unsigned long long)info.trials);
    close_datasets(h);
    if (!w->failed) write_provenance(w, h->file, h->s, &info, &h->p);
    if (!w->failed) write_summary(w, h->file, h->s, r, &info);
    /* a shard carries what an exact merge needs (shard.c) */
    if (!w->failed && info.shard_count) {
        tyche_err perr;
        if (tyche_shard_write_partial(h->file, h->s, r, &perr) != TYCHE_OK)
            fail(w, "%s", perr.msg); /* with the file's name and the reason */
    }
    /* H5Fclose flushes: only its success means the file is complete. */
    close_id(w, &h->file, H5Fclose, "(flush) the file");
    return writer_status(h);
}

tyche_status tyche_h5_writer_close(tyche_h5_writer *h, tyche_err *err) {
    /* closes even after a failure: under MPI-IO every rank must take part */
    const int failed = h->w.failed;
    h->w.err = failed ? NULL : err;
    if (!failed) stage_flush(h);
    close_datasets(h);
    close_id(&h->w, &h->file, H5Fclose, "(flush) the file");
    return failed ? writer_refail(h, err) : writer_status(h);
}

/* ---- the whole file from results in memory -------------------------------- */

tyche_status tyche_write_hdf5(const tyche_scenario *s, const tyche_results *r,
                              const tyche_provenance *p, const char *path, tyche_err *err) {
    const char *name = path != NULL ? path : "(no path)";
    if (s == NULL || r == NULL || path == NULL || path[0] == '\0')
        return tyche_err_set(err, TYCHE_EIO, "%s: nothing to write (no scenario, results or path)", name);
    tyche_run_info info;
    tyche_results_info(r, &info);
    /* before any work: rename() would refuse a folder only at the end */
    if (tyche_is_folder(path)) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", path);
    tyche_results_cols c;
    tyche_results_columns((tyche_results *)r, &c);
    /* the rows the results hold (none when they were streamed elsewhere) */
    tyche_store store = TYCHE_STORE_NONE;
    if (c.param_cols != NULL) store = c.path_cols != NULL ? TYCHE_STORE_PATHS : TYCHE_STORE_OUTPUTS;
    const tyche_h5_plan plan = {.store = store, .first_trial = info.first_trial, .rows = info.trials,
                                .user_path = path};
    char *tmp = tyche_tmp_name(path);
    if (tmp == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
    tyche_h5_writer *h = NULL;
    tyche_status st = tyche_h5_writer_open(s, &plan, p, tmp, &h, err);
    const size_t npaths = store == TYCHE_STORE_PATHS ? tyche_scenario_n_paths(s) : 0;
    const double **pp = tyche_calloc(npaths + 1, sizeof *pp);
    if (st == TYCHE_OK && pp == NULL) st = tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory", path);
    /* the rows a slice of whole chunks at a time, with progress after each */
    const uint64_t total = tyche_h5_file_bytes(s, store, info.trials), per = info.trials ? total / info.trials : 0;
    const uint64_t slice = h ? h->chunk : TRIAL_CHUNK;
    for (uint64_t off = 0; st == TYCHE_OK && store != TYCHE_STORE_NONE && off < info.trials; off += slice) {
        const size_t n = (size_t)(info.trials - off < slice ? info.trials - off : slice);
        for (size_t v = 0; v < npaths; v++) pp[v] = c.path_cols[v] + off * c.path_points[v];
        const tyche_rows rows = {.first_trial = info.first_trial + off, .n = n, .stride = c.stride,
                                 .params = c.param_cols + off, .outputs = c.output_cols + off,
                                 .statements = c.stmt_cols + off, .paths = npaths ? pp : NULL};
        st = tyche_h5_writer_rows(h, &rows, err);
        if (st == TYCHE_OK && p && p->progress && off + n < info.trials)
            p->progress(p->progress_user, (off + n) * per, total);
    }
    free(pp);
    if (st == TYCHE_OK) st = tyche_h5_writer_finish(h, r, err);
    tyche_h5_writer_free(h);
    if (st == TYCHE_OK) st = tyche_commit_file(tmp, path, "results", err);
    else (void)unlink(tmp); /* may not exist: nothing to report */
    tyche_tmp_forget(tmp); /* renamed or removed: the name no longer ours */
    free(tmp);
    /* The one call with done == total, once the file is in place; with no
     * per-trial data (--store none) it is the only call, as 1 of 1, so a
     * caller's bar still ends.  Not after a failure: the error ends it. */
    if (st == TYCHE_OK && p && p->progress) p->progress(p->progress_user, total ? total : 1, total ? total : 1);
    return st;
}
