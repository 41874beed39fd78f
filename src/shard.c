/* Shards of a run (job arrays) and their exact merge.
 *
 * How it works: a shard runs a contiguous range of blocks and writes the
 * usual results file for its trials, plus a /partial group holding what a
 * merge needs to rebuild the whole run's summary bit for bit: the run's
 * identity (scenario text hash, --set values, as-of, seed, generator,
 * sampling, trials, build; written here) and its accumulator (accum.h
 * writes and reads those datasets: each block's floating-point moments,
 * merged again in block order as one run does, the integer counts and the
 * quantile sketches' bins).  The merge checks the identities agree and the
 * shards cover every block once, merges their accumulators in shard order
 * (= block order), reads the per-trial columns (and under --store paths the
 * /paths variables) back at their offsets, and finishes the summary as a
 * run would.  It uses the engine's results API only (run_impl.h); the
 * engine does not call back here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include "h5util.h"
#include "merge.h"
#include "json_util.h"

tyche_status tyche_shard_write_partial(int64_t file, const tyche_scenario *s, const tyche_results *r,
                                       tyche_err *err) {
    tyche_run_info info;
    tyche_results_info(r, &info);
    const tyche_accum *acc = tyche_results_summary(r);
    hid_t g = H5Gcreate2((hid_t)file, "partial", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tyche_err_set(err, TYCHE_EIO, "cannot create the /partial group");
    char hash[65], date[11];
    tyche_scenario_hash(s, hash);
    tyche_date_format(s->as_of, date);
    const unsigned idx = info.shard_index, cnt = info.shard_count;
    const int rep = info.replicates, smp = (int)info.sampling, store = (int)info.store;
    const int version = TYCHE_STREAM_VERSION;
    int ok = H5LTset_attribute_string(g, ".", "scenario_sha256", hash) >= 0 &&
             H5LTset_attribute_string(g, ".", "overrides", s->overrides ? s->overrides : "") >= 0 &&
             H5LTset_attribute_string(g, ".", "observed", tyche_scenario_observed_flags(s)) >= 0 &&
             H5LTset_attribute_string(g, ".", "as_of", date) >= 0 &&
             H5LTset_attribute_string(g, ".", "generator", info.rng) >= 0 &&
             H5LTset_attribute_string(g, ".", "tyche_version", tyche_version()) >= 0 &&
             H5LTset_attribute_int(g, ".", "stream_version", &version, 1) >= 0 &&
             H5LTset_attribute_uint(g, ".", "shard_index", &idx, 1) >= 0 &&
             H5LTset_attribute_uint(g, ".", "shard_count", &cnt, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "replicates", &rep, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "sampling", &smp, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "store", &store, 1) >= 0 &&
             H5LTset_attribute_double(g, ".", "seconds", &info.seconds, 1) >= 0;
    hsize_t d = 5;
    const uint64_t u[5] = {info.seed, info.total_trials, info.first_trial, acc->n_blocks,
                           acc->attempts};
    /* seed, total trials, first trial, blocks, attempts; then the statistics */
    ok = ok && H5LTmake_dataset(g, "run", 1, &d, H5T_NATIVE_UINT64, u) >= 0;
    const tyche_status st = ok ? tyche_accum_write_hdf5(acc, g, err)
                               : tyche_err_set(err, TYCHE_EIO, "cannot write the /partial group");
    H5Gclose(g);
    return st;
}

/* ---- merge -------------------------------------------------------------------- */

/* A shard file is read as untrusted input: it may be damaged, cut short or
 * not tyche's at all.  Every count it states is checked against what the
 * run it claims to belong to implies before anything is allocated or read
 * by it, and every dataset must hold exactly the elements expected, so no
 * file can make the merge read or write out of bounds. */
typedef struct {
    const char *file;
    hid_t f;
    unsigned idx, cnt;
    uint64_t run[5];   /* seed, total trials, first trial, blocks, attempts */
    uint64_t rows;     /* trials in this shard */
    char hash[80], over[8192], observed[8192], as_of[16], gen[64], version[32];
    int rep, smp, store;
    int stream;        /* the stream version (1 when absent: tyches before it was written) */
    int threads;       /* the root attribute "threads": what ran this shard */
    double seconds;
} shard;

/* A streamed merge's rows on their way from the shards to the sink: one
 * slice of SLICE_ROWS rows (whole blocks, so a slice's /paths rows are
 * whole chunks of the file written) of every column. */
#define SLICE_ROWS (8 * TYCHE_BLOCK_TRIALS)
typedef struct {
    tyche_rows_fn fn;
    void *user;
    double *d;          /* parameters then outputs, SLICE_ROWS each */
    uint8_t *u8;        /* statements */
    double **paths;     /* per path variable, SLICE_ROWS x points */
    size_t *points;
    size_t n_paths;
    tyche_progress_fn progress;
    void *progress_user;
    uint64_t total;     /* the run's trials, for progress */
} row_sink;

/* A string attribute, fixed-length or variable-length (the results
 * writer uses variable-length UTF-8), as a malloc'd copy; NULL if absent. */
/* One element, or the attribute is not what tyche wrote: H5Aread reads
 * every element of it into a buffer sized for one. */
static int attr_is_scalar(hid_t a) {
    const hid_t sp = H5Aget_space(a);
    const hssize_t n = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (sp >= 0) H5Sclose(sp);
    return n == 1;
}

/* A numeric attribute of one element, converted to mem_type. */
static int attr_number(hid_t f, const char *obj, const char *name, hid_t mem_type, void *buf) {
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) <= 0) return 0;
    const hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return 0;
    const hid_t t = H5Aget_type(a);
    const H5T_class_t c = t >= 0 ? H5Tget_class(t) : H5T_NO_CLASS;
    const int ok = (c == H5T_INTEGER || c == H5T_FLOAT) && attr_is_scalar(a) &&
                   H5Aread(a, mem_type, buf) >= 0;
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return ok;
}

static char *attr_string(hid_t f, const char *obj, const char *name) {
    if (H5Aexists_by_name(f, obj, name, H5P_DEFAULT) <= 0) return NULL;
    hid_t a = H5Aopen_by_name(f, obj, name, H5P_DEFAULT, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a);
    char *out = NULL;
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && attr_is_scalar(a)) {
        if (H5Tis_variable_str(t) > 0) {
            hid_t mt = H5Tcopy(H5T_C_S1);
            H5Tset_size(mt, H5T_VARIABLE);
            H5Tset_cset(mt, H5Tget_cset(t));
            char *v = NULL;
            if (H5Aread(a, mt, &v) >= 0 && v) {
                size_t n = strlen(v) + 1;
                if ((out = tyche_malloc(n)) != NULL) memcpy(out, v, n);
                H5free_memory(v);
            }
            H5Tclose(mt);
        } else {
            const size_t n = H5Tget_size(t);
            out = tyche_calloc(1, n + 1);
            if (out && H5Aread(a, t, out) < 0) {
                free(out);
                out = NULL;
            }
        }
    }
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return out;
}

/* A string attribute into buf, only if it fits (NUL included). */
static int get_str(hid_t f, const char *obj, const char *name, char *buf, size_t len) {
    char *v = attr_string(f, obj, name);
    const int ok = v != NULL && strlen(v) < len;
    if (ok) memcpy(buf, v, strlen(v) + 1);
    free(v);
    return ok;
}

/* Reads dataset `name` into buf only if its shape is exactly dims (rank
 * dimensions): a row-major 2-D dataset holding the right number of
 * elements in the wrong shape would put its values in the wrong cells. */
static int read_shape(hid_t f, const char *name, hid_t mem_type, void *buf, int rank,
                      const hsize_t *dims) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    hsize_t have[H5S_MAX_RANK];
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
             H5Sget_simple_extent_dims(sp, have, NULL) == rank;
    for (int k = 0; ok && k < rank; k++) ok = have[k] == dims[k];
    ok = ok && H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}

/* The shard's own numbers against those of the run it claims: the blocks of
 * shard idx of cnt are those engine.c gives it (tyche_run's b0, b1). */
static int shard_consistent(shard *sh) {
    const uint64_t total = sh->run[1];
    if (total == 0 || total > TYCHE_MAX_TRIALS || sh->cnt == 0 || sh->idx >= sh->cnt) return 0;
    const uint64_t n_all = (total + TYCHE_BLOCK_TRIALS - 1) / TYCHE_BLOCK_TRIALS;
    if (sh->cnt > n_all) return 0;
    const uint64_t b0 = n_all * sh->idx / sh->cnt, b1 = n_all * (sh->idx + 1) / sh->cnt;
    const uint64_t end = b1 * TYCHE_BLOCK_TRIALS < total ? b1 * TYCHE_BLOCK_TRIALS : total;
    sh->rows = end - b0 * TYCHE_BLOCK_TRIALS;
    return sh->run[2] == b0 * TYCHE_BLOCK_TRIALS && sh->run[3] == b1 - b0 &&
           sh->store >= TYCHE_STORE_NONE && sh->store <= TYCHE_STORE_PATHS &&
           sh->smp >= TYCHE_SAMPLING_MC && sh->smp <= TYCHE_SAMPLING_QMC && sh->rep >= 0 &&
           sh->rep <= 1000 /* --replicates' limit */ && isfinite(sh->seconds) && sh->seconds >= 0;
}

/* The HDF5 superblock's version, from the file's first bytes (-1: not an
 * HDF5 file at offset 0, where tyche writes it). */
static int superblock_version(const char *file) {
    unsigned char b[9];
    FILE *f = fopen(file, "rb");
    const size_t n = f ? fread(b, 1, sizeof b, f) : 0;
    if (f) fclose(f);
    return n == sizeof b && memcmp(b, "\211HDF\r\n\032\n", 8) == 0 ? b[8] : -1;
}

static tyche_status open_shard(shard *sh, const char *file, tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures(); /* ENOMEM, not damage */
    memset(sh, 0, sizeof *sh);
    sh->file = file;
    /* tyche writes the 1.8 format (superblock 2 or later), whose metadata
     * HDF5 checks against checksums before it parses them; libhdf5 1.10 can
     * overrun on damaged metadata of the older format, so that is refused
     * before HDF5 reads it. */
    const int sb = superblock_version(file);
    if (sb < 0) return tyche_err_set(err, TYCHE_EINPUT, "%s: cannot open it as an HDF5 file", file);
    if (sb < 2)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: not a shard of this tyche (HDF5 superblock "
                             "version %d: its metadata carry no checksums)", file, sb);
    sh->f = H5Fopen(file, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (sh->f < 0) return tyche_err_set(err, TYCHE_EINPUT, "%s: cannot open it as an HDF5 file", file);
    if (H5Lexists(sh->f, "partial", H5P_DEFAULT) <= 0)
        return tyche_err_set(err, TYCHE_EINPUT, "%s: not a shard (no /partial group: was it run with --shard I/N?)", file);
    int ok = get_str(sh->f, "partial", "scenario_sha256", sh->hash, sizeof sh->hash) &&
             get_str(sh->f, "partial", "overrides", sh->over, sizeof sh->over) &&
             /* a shard of a tyche before --observed has none */
             (H5Aexists_by_name(sh->f, "partial", "observed", H5P_DEFAULT) <= 0 ||
              get_str(sh->f, "partial", "observed", sh->observed, sizeof sh->observed)) &&
             get_str(sh->f, "partial", "as_of", sh->as_of, sizeof sh->as_of) &&
             get_str(sh->f, "partial", "generator", sh->gen, sizeof sh->gen) &&
             get_str(sh->f, "partial", "tyche_version", sh->version, sizeof sh->version) &&
             attr_number(sh->f, "partial", "shard_index", H5T_NATIVE_UINT, &sh->idx) &&
             attr_number(sh->f, "partial", "shard_count", H5T_NATIVE_UINT, &sh->cnt) &&
             attr_number(sh->f, "partial", "replicates", H5T_NATIVE_INT, &sh->rep) &&
             attr_number(sh->f, "partial", "sampling", H5T_NATIVE_INT, &sh->smp) &&
             attr_number(sh->f, "partial", "store", H5T_NATIVE_INT, &sh->store) &&
             attr_number(sh->f, "partial", "seconds", H5T_NATIVE_DOUBLE, &sh->seconds) &&
             tyche_h5_read_exact(sh->f, "partial/run", H5T_NATIVE_UINT64, sh->run, 5);
    if (!ok && tyche_alloc_failures() != failures)
        return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading it", file);
    if (!ok) return tyche_err_set(err, TYCHE_EINPUT, "%s: its /partial group is incomplete or damaged", file);
    if (!shard_consistent(sh))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its /partial group is inconsistent (shard %u/%u "
                             "of %llu trials: its range, level or settings cannot be a shard's)",
                             file, sh->idx, sh->cnt, (unsigned long long)sh->run[1]);
    sh->stream = 1;
    if (H5Aexists_by_name(sh->f, "partial", "stream_version", H5P_DEFAULT) != 0 &&
        !attr_number(sh->f, "partial", "stream_version", H5T_NATIVE_INT, &sh->stream))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its /partial group is incomplete or damaged", file);
    if (sh->stream != TYCHE_STREAM_VERSION)
        return tyche_err_set(err, TYCHE_EINPUT,
                             "%s: made with stream version %d, and this tyche draws with version %d "
                             "(the same seed gives other numbers): rerun that shard with this tyche",
                             file, sh->stream, TYCHE_STREAM_VERSION);
    /* only reported (the merged run's threads), but still the file's word:
     * absent in files of tyches before it was written, which ran on one */
    sh->threads = 1;
    if (H5Aexists_by_name(sh->f, "/", "threads", H5P_DEFAULT) != 0 &&
        !(attr_number(sh->f, "/", "threads", H5T_NATIVE_INT, &sh->threads) && sh->threads >= 1))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its root attribute \"threads\" is damaged "
                             "(not a thread count)", file);
    return TYCHE_OK;
}

static tyche_status merge_into(const tyche_scenario *s, tyche_results *r, shard *const *by,
                               unsigned n, const tyche_run_info *info, tyche_progress_fn progress,
                               void *user, row_sink *sink, tyche_err *err);

tyche_results *tyche_merge_shards(const char *const *files, size_t n, tyche_scenario **s_out,
                                  tyche_err *err) {
    return tyche_merge_shards_progress(files, n, s_out, NULL, NULL, err);
}

static tyche_results *merge_impl(const char *const *files, size_t n, tyche_scenario **s_out,
                                 tyche_progress_fn progress, void *user, tyche_merge_begin_fn begin,
                                 void *begin_user, tyche_err *err);
static void sink_free(row_sink *k);

tyche_results *tyche_merge_shards_progress(const char *const *files, size_t n,
                                           tyche_scenario **s_out, tyche_progress_fn progress,
                                           void *user, tyche_err *err) {
    return merge_impl(files, n, s_out, progress, user, NULL, NULL, err);
}

tyche_results *tyche_merge_shards_stream(const char *const *files, size_t n, tyche_scenario **s_out,
                                         tyche_progress_fn progress, void *user,
                                         tyche_merge_begin_fn begin, void *begin_user, tyche_err *err) {
    return merge_impl(files, n, s_out, progress, user, begin, begin_user, err);
}

static tyche_results *merge_impl(const char *const *files, size_t n, tyche_scenario **s_out,
                                 tyche_progress_fn progress, void *user, tyche_merge_begin_fn begin,
                                 void *begin_user, tyche_err *err) {
    /* the first HDF5 call of `tyche merge` and `--resume`: made so that a
     * failed write of the merged file ends in an error, not a crash at exit */
    (void)tyche_h5_begin();
    *s_out = NULL;
    if (n == 0) {
        tyche_err_set(err, TYCHE_EINPUT, "merge: no shard files given");
        return NULL;
    }
    const unsigned long long failures = tyche_alloc_failures(); /* ENOMEM, not damage */
    shard *sh = tyche_calloc(n, sizeof *sh);
    shard **by = NULL;
    tyche_scenario *s = NULL;
    tyche_results *r = NULL;
    char *text = NULL, *sfile = NULL, **sets = NULL;
    if (sh == NULL) goto nomem;
    for (size_t i = 0; i < n; i++)
        if (open_shard(&sh[i], files[i], err)) goto fail;
    /* the same run: every identity field agrees with the first shard's */
    for (size_t i = 1; i < n; i++) {
        const shard *a = &sh[0], *b = &sh[i];
        const char *what = strcmp(a->hash, b->hash) ? "scenario (its text differs)"
                           : strcmp(a->over, b->over) ? "--set values"
                           : strcmp(a->observed, b->observed) ? "--observed values"
                           : strcmp(a->as_of, b->as_of) ? "as-of date"
                           : a->run[0] != b->run[0] ? "seed"
                           : a->run[1] != b->run[1] ? "trial count"
                           : strcmp(a->gen, b->gen) ? "generator"
                           : a->smp != b->smp || a->rep != b->rep ? "sampling"
                           : a->store != b->store ? "--store level"
                           : strcmp(a->version, b->version) ? "tyche version"
                           : a->cnt != b->cnt ? "number of shards" : NULL;
        if (what) {
            tyche_err_set(err, TYCHE_EINPUT, "%s: not a shard of the same run as %s (different %s)",
                          b->file, a->file, what);
            goto fail;
        }
    }
    const unsigned cnt = sh[0].cnt;
    by = tyche_calloc(cnt, sizeof *by);
    if (by == NULL) goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (by[sh[i].idx]) {
            tyche_err_set(err, TYCHE_EINPUT, "%s and %s are both shard %u/%u", by[sh[i].idx]->file,
                          sh[i].file, sh[i].idx, cnt);
            goto fail;
        }
        by[sh[i].idx] = &sh[i];
    }
    for (unsigned k = 0; k < cnt; k++)
        if (by[k] == NULL) {
            tyche_err_set(err, TYCHE_EINPUT, "merge: shard %u/%u is missing (%zu of %u given)", k, cnt, n, cnt);
            goto fail;
        }
    /* the scenario, from the first shard's own record of it */
    text = attr_string(sh[0].f, "/", "scenario_text");
    sfile = attr_string(sh[0].f, "/", "scenario_file");
    if ((!text || !sfile) && tyche_alloc_failures() != failures) goto nomem;
    if (!text || !sfile) goto damaged;
    /* the --set and --observed values, a line each: one array, sets then observed */
    size_t n_sets = 0, n_obs = 0;
    for (const char *p = sh[0].over; *p; p++) n_sets += *p == '\n';
    for (const char *p = sh[0].observed; *p; p++) n_obs += *p == '\n';
    sets = tyche_calloc(n_sets + n_obs + 1, sizeof *sets);
    if (sets == NULL) goto nomem;
    {
        char *p = sh[0].over;
        for (size_t k = 0; k < n_sets + n_obs; k++) {
            if (k == n_sets) p = sh[0].observed;
            char *nl = strchr(p, '\n');
            *nl = '\0';
            sets[k] = p;
            p = nl + 1;
        }
    }
    tyche_scenario_options o = {sh[0].as_of, n_sets, (const char *const *)sets, n_obs,
                                (const char *const *)sets + n_sets};
    s = tyche_scenario_parse_with(text, strlen(text), sfile, &o, err);
    if (s == NULL) goto fail;
    char hash[65];
    tyche_scenario_hash(s, hash);
    if (strcmp(hash, sh[0].hash) != 0) goto damaged;

    const uint64_t total = sh[0].run[1];
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = total;
    cfg.seed = sh[0].run[0];
    cfg.threads = 1;
    cfg.store = (tyche_store)sh[0].store;
    cfg.sampling = (tyche_sampling)sh[0].smp;
    cfg.replicates = sh[0].rep;
    /* the trial count is the file's word: held to the memory check a run has
     * (streamed, the rows are never all in memory) */
    double need_gib, phys_gib;
    if (begin) cfg.store = TYCHE_STORE_NONE; /* the results keep no rows */
    if (tyche_store_too_big(s, total, cfg.store, &need_gib, &phys_gib)) {
        tyche_err_set(err, TYCHE_EINPUT, "merge: the shards' %llu trials need %.1f GiB in memory, "
                      "more than this machine's %.1f GiB allows", (unsigned long long)total,
                      need_gib, phys_gib);
        goto fail;
    }
    r = tyche_results_alloc(s, &cfg, total, err);
    if (r == NULL) goto fail;
    /* the shards ran one after another or side by side, each on its own
     * machine: the widest of them is what the merged run reports, on one rank */
    int threads = 1;
    for (size_t i = 0; i < n; i++)
        if (sh[i].threads > threads) threads = sh[i].threads;
    tyche_run_info info = {.trials = total, .seed = sh[0].run[0], .threads = threads,
                           .rng = sh[0].gen, .store = (tyche_store)sh[0].store,
                           .sampling = (tyche_sampling)sh[0].smp,
                           .replicates = sh[0].rep > 1 ? sh[0].rep : 0, .total_trials = total,
                           .ranks = 1};
    row_sink sink = {.progress = progress, .progress_user = user, .total = total};
    const int streams = begin != NULL && sh[0].store != TYCHE_STORE_NONE;
    if (begin) {
        /* the writer, now that the scenario and the run are known */
        if (begin(begin_user, s, &info, &sink.fn, &sink.user, err) != TYCHE_OK) goto fail;
        sink.n_paths = sh[0].store == TYCHE_STORE_PATHS ? s->n_paths : 0;
        sink.d = tyche_malloc((s->n_params + s->n_outputs) * SLICE_ROWS * sizeof *sink.d + 1);
        sink.u8 = tyche_malloc(s->n_statements * SLICE_ROWS + 1);
        sink.paths = tyche_calloc(sink.n_paths + 1, sizeof *sink.paths);
        sink.points = tyche_calloc(sink.n_paths + 1, sizeof *sink.points);
        int ok = sink.d && sink.u8 && sink.paths && sink.points;
        for (size_t v = 0; ok && v < sink.n_paths; v++) {
            sink.points[v] = s->models[s->paths[v].model].layout.n_points;
            ok = (sink.paths[v] = tyche_malloc(SLICE_ROWS * sink.points[v] * sizeof(double) + 1)) != NULL;
        }
        if (!ok) {
            sink_free(&sink);
            goto nomem;
        }
    }
    const tyche_status mst = merge_into(s, r, by, cnt, &info, progress, user, streams ? &sink : NULL, err);
    sink_free(&sink);
    if (mst) goto fail;
    *s_out = s;
    goto done;
damaged:
    tyche_err_set(err, TYCHE_EINPUT, "%s: its scenario record is missing or damaged", sh[0].file);
    goto fail;
nomem:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory merging the shards");
fail:
    tyche_results_free(r);
    tyche_scenario_free(s);
    r = NULL;
done:
    for (size_t i = 0; sh && i < n; i++)
        if (sh[i].f > 0) H5Fclose(sh[i].f);
    free(sh);
    free(by);
    free(text);
    free(sfile);
    free(sets);
    return r;
}


static void sink_free(row_sink *k) {
    for (size_t v = 0; k->paths && v < k->n_paths; v++) free(k->paths[v]);
    free(k->paths);
    free(k->points);
    free(k->d);
    free(k->u8);
    k->paths = NULL;
    k->points = NULL;
    k->d = NULL;
    k->u8 = NULL;
}

/* Rows [off, off + cnt) of dataset `name` (rank 1, or 2 with dims[1]
 * points a row), whose shape must be dims. */
static int read_rows(hid_t f, const char *name, hid_t mem_type, void *buf, int rank,
                     const hsize_t *dims, hsize_t off, hsize_t cnt) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d), msp = H5I_INVALID_HID;
    hsize_t have[H5S_MAX_RANK];
    int ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
             H5Sget_simple_extent_dims(sp, have, NULL) == rank;
    for (int k = 0; ok && k < rank; k++) ok = have[k] == dims[k];
    const hsize_t start[2] = {off, 0}, count[2] = {cnt, rank > 1 ? dims[1] : 1};
    ok = ok && (msp = H5Screate_simple(rank, count, NULL)) >= 0 &&
         H5Sselect_hyperslab(sp, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
         H5Dread(d, mem_type, msp, sp, H5P_DEFAULT, buf) >= 0;
    if (msp >= 0) H5Sclose(msp);
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
    return ok;
}

/* Shard sh's rows to the sink, a slice at a time.  Returns 1, 0 when a
 * read failed (damage), -1 when the sink failed (its error in err). */
static int stream_rows(shard *sh, const tyche_scenario *s, row_sink *k, uint64_t *trials_read,
                       tyche_err *err) {
    const size_t np = s->n_params, no = s->n_outputs, ns = s->n_statements;
    const hsize_t rows = sh->rows, dims[2] = {rows, 0};
    for (hsize_t off = 0; off < rows; off += SLICE_ROWS) {
        const hsize_t cnt = rows - off < SLICE_ROWS ? rows - off : SLICE_ROWS;
        int ok = 1;
        for (size_t p = 0; ok && p < np; p++)
            ok = read_rows(sh->f, s->params[p].name, H5T_NATIVE_DOUBLE, k->d + p * SLICE_ROWS, 1, dims, off, cnt);
        for (size_t o = 0; ok && o < no; o++) {
            double *col = k->d + (np + o) * SLICE_ROWS;
            ok = read_rows(sh->f, s->outputs[o].name, H5T_NATIVE_DOUBLE, col, 1, dims, off, cnt);
            /* the file keeps "never" as NaN; in rows an event time that did not happen is +inf */
            if (ok && s->outputs[o].type == TYCHE_OUTPUT_TIME)
                for (hsize_t j = 0; j < cnt; j++)
                    if (isnan(col[j])) col[j] = INFINITY;
        }
        for (size_t q = 0; ok && q < ns; q++)
            ok = read_rows(sh->f, s->statements[q].id, H5T_NATIVE_UINT8, k->u8 + q * SLICE_ROWS, 1, dims, off, cnt);
        for (size_t v = 0; ok && v < k->n_paths; v++) {
            char name[300];
            const hsize_t d2[2] = {rows, k->points[v]};
            snprintf(name, sizeof name, "paths/%s", s->paths[v].name);
            ok = read_rows(sh->f, name, H5T_NATIVE_DOUBLE, k->paths[v], 2, d2, off, cnt);
        }
        if (!ok) return 0;
        const tyche_rows slice = {.first_trial = sh->run[2] + off, .n = (size_t)cnt, .stride = SLICE_ROWS,
                                  .params = k->d, .outputs = k->d + np * SLICE_ROWS, .statements = k->u8,
                                  .paths = k->n_paths ? (const double *const *)k->paths : NULL};
        if (k->fn(k->user, &slice, err) != TYCHE_OK) return -1;
        *trials_read += cnt;
        if (k->progress && *trials_read < k->total) k->progress(k->progress_user, *trials_read, k->total);
    }
    return 1;
}

/* Reads shard sh's /partial group into acc (a scratch of the run's layout)
 * and adds it after the shards before it into r's accumulator (block order),
 * then its per-trial columns into r's at the shard's offset, or, streaming
 * (k not NULL), to the sink. */
static tyche_status read_into(shard *sh, const tyche_scenario *s, tyche_results *r,
                              tyche_accum *acc, uint64_t *trials_read, row_sink *sink, tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures(); /* ENOMEM, not damage */
    const size_t no = s->n_outputs, ns = s->n_statements;
    const uint64_t first = sh->run[2];
    hid_t g = H5Gopen2(sh->f, "partial", H5P_DEFAULT);
    int ok = g >= 0 && tyche_accum_read_hdf5(acc, g, sh->run[3], sh->rows);
    if (g >= 0) H5Gclose(g);
    acc->attempts = sh->run[4];
    ok = ok && tyche_accum_merge(tyche_results_accum(r), acc, NULL) == TYCHE_OK;
    if (ok && sink != NULL) {
        const int got = stream_rows(sh, s, sink, trials_read, err);
        if (got < 0) return err ? err->code : TYCHE_EIO; /* the sink's own message */
        ok = got;
        if (ok) return TYCHE_OK;
    }
    tyche_results_cols c;
    tyche_results_columns(r, &c);
    if (sink != NULL) c.param_cols = NULL, c.path_cols = NULL; /* streamed: nothing kept */
    /* per-trial columns, at the shard's offset */
    const hsize_t rows = sh->rows;
    if (ok && c.param_cols) {
        for (size_t p = 0; ok && p < s->n_params; p++)
            ok = tyche_h5_read_exact(sh->f, s->params[p].name, H5T_NATIVE_DOUBLE,
                                     c.param_cols + p * c.stride + first, rows);
        for (size_t o = 0; ok && o < no; o++) {
            double *col = c.output_cols + o * c.stride + first;
            ok = tyche_h5_read_exact(sh->f, s->outputs[o].name, H5T_NATIVE_DOUBLE, col, rows);
            /* the file keeps "never" as NaN; in memory an event time that did not happen is +inf */
            if (s->outputs[o].type == TYCHE_OUTPUT_TIME)
                for (hsize_t k = 0; k < rows; k++)
                    if (isnan(col[k])) col[k] = INFINITY;
        }
        for (size_t k = 0; ok && k < ns; k++)
            ok = tyche_h5_read_exact(sh->f, s->statements[k].id, H5T_NATIVE_UINT8,
                                     c.stmt_cols + k * c.stride + first, rows);
    }
    /* --store paths: /paths/<variable>, trial x point, the shard's rows
     * from its first trial on (io_hdf5.c's write_paths); the point axis is
     * the scenario's, so only the values are read back */
    for (size_t p = 0; ok && c.path_cols && p < s->n_paths; p++) {
        const size_t np = c.path_points[p];
        const hsize_t dims[2] = {rows, np};
        const size_t len = strlen(s->paths[p].name) + sizeof "paths/";
        char *name = tyche_malloc(len);
        ok = name != NULL;
        if (ok) {
            snprintf(name, len, "paths/%s", s->paths[p].name);
            ok = read_shape(sh->f, name, H5T_NATIVE_DOUBLE, c.path_cols[p] + first * np, 2, dims);
        }
        free(name);
    }
    if (ok && sink == NULL) *trials_read += rows;
    if (!ok && tyche_alloc_failures() != failures)
        return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading it", sh->file);
    return ok ? TYCHE_OK : tyche_err_set(err, TYCHE_EINPUT, "%s: cannot read its data back (damaged or truncated?)", sh->file);
}

/* Adds the shards, in shard order (= block order), into r (fresh from
 * tyche_results_alloc for the whole run), then finishes the summary with
 * info as the run's identity; progress after each shard. */
static tyche_status merge_into(const tyche_scenario *s, tyche_results *r, shard *const *by,
                               unsigned n, const tyche_run_info *info, tyche_progress_fn progress,
                               void *user, row_sink *sink, tyche_err *err) {
    /* one scratch accumulator, room for the largest shard's blocks */
    uint64_t most = 0;
    for (unsigned k = 0; k < n; k++)
        if (by[k]->run[3] > most) most = by[k]->run[3];
    tyche_accum_layout lay = tyche_results_summary(r)->lay;
    lay.max_blocks = most;
    tyche_accum *acc = tyche_accum_alloc(s, &lay, err);
    if (acc == NULL) return TYCHE_ENOMEM;
    uint64_t trials_read = 0;
    double seconds = 0;
    for (unsigned k = 0; k < n; k++) {
        tyche_status st = read_into(by[k], s, r, acc, &trials_read, sink, err);
        if (st) {
            tyche_accum_free(acc);
            return st;
        }
        seconds += by[k]->seconds;
        /* the shards cover the run once (checked by the caller): the last
         * call reports done == total */
        if (progress) progress(user, trials_read, info->total_trials);
    }
    tyche_accum_free(acc);
    tyche_run_info whole = *info;
    whole.seconds = seconds;
    tyche_results_finish(s, r, &whole);
    return TYCHE_OK;
}
