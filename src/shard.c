/* Shards of a run (job arrays) and their exact merge.
 *
 * How it works: a shard runs a contiguous range of blocks and writes the
 * usual results file for its trials, plus a /partial group holding what a
 * merge needs to rebuild the whole run's summary bit for bit: each block's
 * floating-point moments (merged again in block order, as one run does),
 * the integer counts (statements, joint, missing, incidence per month,
 * replicates) and the quantile sketches' bins, and the run's identity
 * (scenario text hash, --set values, as-of, seed, generator, sampling,
 * trials, build).  The merge checks the identities agree and the shards
 * cover every block once, reads the per-trial columns (and under --store
 * paths the /paths variables) back at their offsets, and finishes the
 * summary as a run would. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include "h5util.h"
#include "merge.h"
#include "json_util.h"
#include "stats.h"

static int put_u64(hid_t g, const char *name, const uint64_t *v, hsize_t n) {
    hsize_t d = n ? n : 1;
    uint64_t zero = 0;
    return H5LTmake_dataset(g, name, 1, &d, H5T_NATIVE_UINT64, n ? v : &zero) >= 0;
}

static int put_f64(hid_t g, const char *name, const double *v, int rank, const hsize_t *dims) {
    return H5LTmake_dataset(g, name, rank, dims, H5T_NATIVE_DOUBLE, v) >= 0;
}

/* The incidence per month, not cumulative: what adds up across shards. */
static int put_incidence(hid_t g, const tyche_shard_parts *pp, size_t no) {
    const size_t nm = pp->n_months;
    uint64_t *raw = tyche_malloc((no * nm + 1) * sizeof *raw);
    if (raw == NULL) return 0;
    for (size_t o = 0; o < no; o++)
        for (size_t m = 0; m < nm; m++)
            raw[o * nm + m] = pp->incidence[o * nm + m] - (m ? pp->incidence[o * nm + m - 1] : 0);
    const int ok = put_u64(g, "incidence", raw, no * nm);
    free(raw);
    return ok;
}

tyche_status tyche_shard_write_partial(int64_t file, const tyche_scenario *s, const tyche_results *r,
                                       tyche_err *err) {
    tyche_shard_parts pp;
    tyche_results_parts(r, &pp);
    hid_t g = H5Gcreate2((hid_t)file, "partial", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0) return tyche_err_set(err, TYCHE_EIO, "cannot create the /partial group");
    char hash[65], date[11];
    tyche_scenario_hash(s, hash);
    tyche_date_format(s->as_of, date);
    const size_t no = s->n_outputs, ns = s->n_statements, nj = s->n_joint;
    const unsigned idx = pp.info.shard_index, cnt = pp.info.shard_count;
    const int rep = pp.info.replicates, smp = (int)pp.info.sampling, store = (int)pp.info.store;
    int ok = H5LTset_attribute_string(g, ".", "scenario_sha256", hash) >= 0 &&
             H5LTset_attribute_string(g, ".", "overrides", s->overrides ? s->overrides : "") >= 0 &&
             H5LTset_attribute_string(g, ".", "as_of", date) >= 0 &&
             H5LTset_attribute_string(g, ".", "generator", pp.info.rng) >= 0 &&
             H5LTset_attribute_string(g, ".", "tyche_version", tyche_version()) >= 0 &&
             H5LTset_attribute_uint(g, ".", "shard_index", &idx, 1) >= 0 &&
             H5LTset_attribute_uint(g, ".", "shard_count", &cnt, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "replicates", &rep, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "sampling", &smp, 1) >= 0 &&
             H5LTset_attribute_int(g, ".", "store", &store, 1) >= 0 &&
             H5LTset_attribute_double(g, ".", "seconds", &pp.info.seconds, 1) >= 0;
    const uint64_t u[5] = {pp.info.seed, pp.info.total_trials, pp.info.first_trial, pp.n_blocks,
                           pp.info.attempts};
    ok = ok && put_u64(g, "run", u, 5); /* seed, total trials, first trial, blocks, attempts */
    const hsize_t bm[3] = {pp.n_blocks, no ? no : 1, 3};
    double *m = tyche_malloc((pp.n_blocks * no + 1) * 3 * sizeof *m);
    ok = ok && m;
    for (size_t k = 0; ok && k < pp.n_blocks * no; k++) {
        m[3 * k] = (double)pp.block_moments[k].n;
        m[3 * k + 1] = pp.block_moments[k].mean;
        m[3 * k + 2] = pp.block_moments[k].m2;
    }
    if (ok && no) ok = put_f64(g, "block_moments", m, 3, bm);
    free(m);
    ok = ok && put_u64(g, "statement_count", pp.stmt_count, ns) &&
         put_u64(g, "joint_pair", pp.joint_pair, nj * nj) && put_u64(g, "joint_all", &pp.joint_all, 1) &&
         put_u64(g, "missing", pp.missing, no) && put_incidence(g, &pp, no) &&
         put_u64(g, "replicate_count", pp.rep_count, pp.rep_count ? (size_t)rep * ns : 0);
    /* the sketches: bins per output, then n, min and max */
    uint64_t *bins = tyche_malloc((no * TYCHE_SKETCH_BINS + 1) * sizeof *bins);
    double *mm = tyche_malloc((2 * no + 1) * sizeof *mm);
    uint64_t *nn = tyche_malloc((no + 1) * sizeof *nn);
    ok = ok && bins && mm && nn;
    for (size_t o = 0; ok && o < no; o++) {
        memcpy(bins + o * TYCHE_SKETCH_BINS, pp.sketch[o].bins, TYCHE_SKETCH_BINS * sizeof *bins);
        nn[o] = pp.sketch[o].n;
        mm[2 * o] = pp.sketch[o].min;
        mm[2 * o + 1] = pp.sketch[o].max;
    }
    if (ok && no) {
        const hsize_t d2[2] = {no, TYCHE_SKETCH_BINS}, d1[2] = {no, 2};
        ok = H5LTmake_dataset(g, "sketch_bins", 2, d2, H5T_NATIVE_UINT64, bins) >= 0 &&
             put_u64(g, "sketch_n", nn, no) && put_f64(g, "sketch_min_max", mm, 2, d1);
    }
    free(bins);
    free(mm);
    free(nn);
    H5Gclose(g);
    return ok ? TYCHE_OK : tyche_err_set(err, TYCHE_EIO, "cannot write the /partial group");
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
    char hash[80], over[8192], as_of[16], gen[64], version[32];
    int rep, smp, store;
    int threads;       /* the root attribute "threads": what ran this shard */
    double seconds;
} shard;

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

/* Reads dataset `name` into buf only if it holds exactly n elements. */
static int read_exact(hid_t f, const char *name, hid_t mem_type, void *buf, hsize_t n) {
    if (H5Lexists(f, name, H5P_DEFAULT) <= 0) return 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t sp = H5Dget_space(d);
    const hssize_t have = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    const int ok = have >= 0 && (hsize_t)have == n &&
                   H5Dread(d, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0;
    if (sp >= 0) H5Sclose(sp);
    H5Dclose(d);
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
             get_str(sh->f, "partial", "as_of", sh->as_of, sizeof sh->as_of) &&
             get_str(sh->f, "partial", "generator", sh->gen, sizeof sh->gen) &&
             get_str(sh->f, "partial", "tyche_version", sh->version, sizeof sh->version) &&
             attr_number(sh->f, "partial", "shard_index", H5T_NATIVE_UINT, &sh->idx) &&
             attr_number(sh->f, "partial", "shard_count", H5T_NATIVE_UINT, &sh->cnt) &&
             attr_number(sh->f, "partial", "replicates", H5T_NATIVE_INT, &sh->rep) &&
             attr_number(sh->f, "partial", "sampling", H5T_NATIVE_INT, &sh->smp) &&
             attr_number(sh->f, "partial", "store", H5T_NATIVE_INT, &sh->store) &&
             attr_number(sh->f, "partial", "seconds", H5T_NATIVE_DOUBLE, &sh->seconds) &&
             read_exact(sh->f, "partial/run", H5T_NATIVE_UINT64, sh->run, 5);
    if (!ok && tyche_alloc_failures() != failures)
        return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading it", file);
    if (!ok) return tyche_err_set(err, TYCHE_EINPUT, "%s: its /partial group is incomplete or damaged", file);
    if (!shard_consistent(sh))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its /partial group is inconsistent (shard %u/%u "
                             "of %llu trials: its range, level or settings cannot be a shard's)",
                             file, sh->idx, sh->cnt, (unsigned long long)sh->run[1]);
    /* only reported (the merged run's threads), but still the file's word:
     * absent in files of tyches before it was written, which ran on one */
    sh->threads = 1;
    if (H5Aexists_by_name(sh->f, "/", "threads", H5P_DEFAULT) != 0 &&
        !(attr_number(sh->f, "/", "threads", H5T_NATIVE_INT, &sh->threads) && sh->threads >= 1))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its root attribute \"threads\" is damaged "
                             "(not a thread count)", file);
    return TYCHE_OK;
}

static int read_u64(hid_t f, const char *name, uint64_t *v, size_t n) {
    if (n == 0) return 1;
    return read_exact(f, name, H5T_NATIVE_UINT64, v, n);
}

tyche_results *tyche_merge_shards(const char *const *files, size_t n, tyche_scenario **s_out,
                                  tyche_err *err) {
    return tyche_merge_shards_progress(files, n, s_out, NULL, NULL, err);
}

tyche_results *tyche_merge_shards_progress(const char *const *files, size_t n,
                                           tyche_scenario **s_out, tyche_progress_fn progress,
                                           void *user, tyche_err *err) {
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
    size_t n_sets = 0;
    for (const char *p = sh[0].over; *p; p++) n_sets += *p == '\n';
    sets = tyche_calloc(n_sets + 1, sizeof *sets);
    if (sets == NULL) goto nomem;
    {
        char *p = sh[0].over;
        for (size_t k = 0; k < n_sets; k++) {
            char *nl = strchr(p, '\n');
            *nl = '\0';
            sets[k] = p;
            p = nl + 1;
        }
    }
    tyche_scenario_options o = {sh[0].as_of, n_sets, (const char *const *)sets};
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
    /* the trial count is the file's word: held to the memory check a run has */
    double need_gib, phys_gib;
    if (tyche_store_too_big(s, total, (tyche_store)sh[0].store, &need_gib, &phys_gib)) {
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
    tyche_run_info info = {total, sh[0].run[0], threads, sh[0].gen, (tyche_store)sh[0].store, 0, 0,
                           (tyche_sampling)sh[0].smp, sh[0].rep > 1 ? sh[0].rep : 0, 0, total, 0, 0, 1};
    if (tyche_results_merge_shards(s, r, (void *const *)by, cnt, &info, progress, user, err))
        goto fail;
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

/* Reads one shard's /partial group and per-trial columns into r (engine.c
 * calls back through these with its own layout). */
tyche_status tyche_shard_read_into(void *shp, const tyche_scenario *s, tyche_shard_sink *sink,
                                   tyche_err *err) {
    const unsigned long long failures = tyche_alloc_failures(); /* ENOMEM, not damage */
    shard *sh = shp;
    const size_t no = s->n_outputs, ns = s->n_statements, nj = s->n_joint;
    const uint64_t nb = sh->run[3], first = sh->run[2];
    double *m = tyche_malloc((nb * no + 1) * 3 * sizeof *m);
    /* scratch for the largest of the count arrays read below */
    size_t nt = no * TYCHE_SKETCH_BINS + ns * 64 + nj * nj + no * sink->n_months + 16;
    if (sink->rep_count && (size_t)sink->replicates * ns > nt) nt = (size_t)sink->replicates * ns;
    uint64_t *tmp = tyche_malloc(nt * sizeof *tmp);
    int ok = m && tmp;
    if (ok && no) ok = read_exact(sh->f, "partial/block_moments", H5T_NATIVE_DOUBLE, m, nb * no * 3);
    for (uint64_t b = 0; ok && b < nb; b++)
        for (size_t o = 0; o < no; o++) {
            const double *x = m + 3 * (b * no + o);
            if (!(x[0] >= 0 && x[0] <= TYCHE_BLOCK_TRIALS && x[0] == floor(x[0]))) {
                ok = 0; /* a block's count: not a count of one block's trials */
                break;
            }
            tyche_moments bm = {(uint64_t)x[0], x[1], x[2]};
            tyche_moments_merge(&sink->moments[o], &bm);
        }
#define ADD(name, dst, count)                                        \
    do {                                                             \
        if (ok && (count) > 0) {                                     \
            ok = read_u64(sh->f, name, tmp, (count));                \
            for (size_t k_ = 0; ok && k_ < (size_t)(count); k_++)    \
                ok = tmp[k_] <= sh->rows; /* counts of this shard's trials */ \
            for (size_t k_ = 0; ok && k_ < (size_t)(count); k_++) (dst)[k_] += tmp[k_]; \
        }                                                            \
    } while (0)
    ADD("partial/statement_count", sink->stmt_count, ns);
    ADD("partial/joint_pair", sink->joint_pair, nj * nj);
    ADD("partial/joint_all", sink->joint_all, 1);
    ADD("partial/missing", sink->missing, no);
    ADD("partial/incidence", sink->incidence, no * sink->n_months);
    if (sink->rep_count) ADD("partial/replicate_count", sink->rep_count, (size_t)sink->replicates * ns);
#undef ADD
    if (ok && no) {
        uint64_t *nn = tyche_malloc((no + 1) * sizeof *nn);
        double *mm = tyche_malloc((2 * no + 1) * sizeof *mm);
        ok = nn && mm && read_u64(sh->f, "partial/sketch_bins", tmp, no * TYCHE_SKETCH_BINS) &&
             read_u64(sh->f, "partial/sketch_n", nn, no) &&
             read_exact(sh->f, "partial/sketch_min_max", H5T_NATIVE_DOUBLE, mm, 2 * no);
        for (size_t o = 0; ok && o < no; o++) { /* the quantile walk relies on these */
            uint64_t sum = 0;
            for (size_t b = 0; ok && b < TYCHE_SKETCH_BINS; b++)
                ok = tmp[o * TYCHE_SKETCH_BINS + b] <= sh->rows &&
                     (sum += tmp[o * TYCHE_SKETCH_BINS + b]) <= sh->rows;
            ok = ok && sum == nn[o] && (nn[o] == 0 || mm[2 * o] <= mm[2 * o + 1]);
        }
        for (size_t o = 0; ok && o < no; o++) {
            tyche_sketch part = {tmp + o * TYCHE_SKETCH_BINS, nn[o], mm[2 * o], mm[2 * o + 1]};
            tyche_sketch_merge(&sink->sketch[o], &part);
        }
        free(nn);
        free(mm);
    }
    *sink->attempts += sh->run[4];
    *sink->seconds += sh->seconds;
    /* per-trial columns, at the shard's offset */
    const hsize_t rows = sh->rows;
    if (ok && sink->param_cols) {
        for (size_t p = 0; ok && p < s->n_params; p++)
            ok = read_exact(sh->f, s->params[p].name, H5T_NATIVE_DOUBLE,
                            sink->param_cols + p * sink->stride + first, rows);
        for (size_t o = 0; ok && o < no; o++) {
            double *c = sink->output_cols + o * sink->stride + first;
            ok = read_exact(sh->f, s->outputs[o].name, H5T_NATIVE_DOUBLE, c, rows);
            /* the file keeps "never" as NaN; in memory an event time that did not happen is +inf */
            if (s->outputs[o].type == TYCHE_OUTPUT_TIME)
                for (hsize_t k = 0; k < rows; k++)
                    if (isnan(c[k])) c[k] = INFINITY;
        }
        for (size_t k = 0; ok && k < ns; k++)
            ok = read_exact(sh->f, s->statements[k].id, H5T_NATIVE_UINT8,
                            sink->stmt_cols + k * sink->stride + first, rows);
    }
    /* --store paths: /paths/<variable>, trial x point, the shard's rows
     * from its first trial on (io_hdf5.c's write_paths); the point axis is
     * the scenario's, so only the values are read back */
    for (size_t p = 0; ok && sink->path_cols && p < s->n_paths; p++) {
        const size_t np = sink->path_points[p];
        const hsize_t dims[2] = {rows, np};
        const size_t len = strlen(s->paths[p].name) + sizeof "paths/";
        char *name = tyche_malloc(len);
        ok = name != NULL;
        if (ok) {
            snprintf(name, len, "paths/%s", s->paths[p].name);
            ok = read_shape(sh->f, name, H5T_NATIVE_DOUBLE, sink->path_cols[p] + first * np, 2, dims);
        }
        free(name);
    }
    if (ok) sink->trials_read += rows;
    free(m);
    free(tmp);
    if (!ok && tyche_alloc_failures() != failures)
        return tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading it", sh->file);
    return ok ? TYCHE_OK : tyche_err_set(err, TYCHE_EINPUT, "%s: cannot read its data back (damaged or truncated?)", sh->file);
}
