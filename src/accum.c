/* The mergeable summary of a run (the design essay is in accum.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include "accum.h"
#include "h5util.h"

const double tyche_quantile_levels[9] = {0.01, 0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95, 0.99};

void tyche_accum_layout_init(tyche_accum_layout *lay, const tyche_scenario *s, int replicates,
                             uint64_t max_blocks) {
    lay->n_outputs = s->n_outputs;
    lay->n_statements = s->n_statements;
    lay->n_joint = s->n_joint;
    /* month boundaries for incidence curves: each first-of-month, then the horizon's end */
    size_t nm = 1;
    for (int32_t d = tyche_date_next_month(s->start); d <= s->horizon; d = tyche_date_next_month(d))
        nm++;
    lay->n_months = nm;
    lay->replicates = replicates > 0 ? replicates : 0;
    lay->max_blocks = max_blocks;
}

void tyche_accum_free(tyche_accum *a) {
    if (a == NULL) return;
    free(a->month_time);
    free(a->moments);
    free(a->block_moments);
    free(a->stmt_count);
    free(a->joint_pair);
    free(a->missing);
    free(a->incidence);
    free(a->rep_count);
    if (a->sketch)
        for (size_t o = 0; o < a->lay.n_outputs; o++) tyche_sketch_clear(&a->sketch[o]);
    free(a->sketch);
    free(a);
}

/* Zeroed memory on cache lines of its own (tyche_alloc_lines): the threads'
 * accumulators are written on every trial, and counters sharing a line
 * across threads would bounce it between cores. */
static void *lines(size_t n, size_t size) {
    if (size && n > SIZE_MAX / size) return NULL;
    return tyche_alloc_lines(n * size);
}

tyche_accum *tyche_accum_alloc(const tyche_scenario *s, const tyche_accum_layout *lay,
                               tyche_err *err) {
    tyche_accum *a = lines(1, sizeof *a);
    if (a == NULL) goto nomem;
    a->lay = *lay;
    const size_t no = lay->n_outputs, ns = lay->n_statements, nj = lay->n_joint, nm = lay->n_months;
    a->month_time = lines(nm, sizeof *a->month_time);
    a->moments = lines(no, sizeof *a->moments);
    a->stmt_count = lines(ns, sizeof *a->stmt_count);
    a->joint_pair = lines(nj * nj, sizeof *a->joint_pair);
    a->missing = lines(no, sizeof *a->missing);
    a->incidence = lines(no * nm, sizeof *a->incidence);
    a->sketch = lines(no, sizeof *a->sketch);
    if (!a->month_time || !a->moments || !a->stmt_count || !a->joint_pair || !a->missing ||
        !a->incidence || !a->sketch)
        goto nomem;
    if (lay->max_blocks &&
        (a->block_moments = lines(lay->max_blocks * no, sizeof *a->block_moments)) == NULL)
        goto nomem;
    if (lay->replicates &&
        (a->rep_count = lines((size_t)lay->replicates * ns, sizeof *a->rep_count)) == NULL)
        goto nomem;
    for (size_t o = 0; o < no; o++)
        if (!tyche_sketch_init(&a->sketch[o])) goto nomem;
    size_t k = 0;
    for (int32_t d = tyche_date_next_month(s->start); d <= s->horizon; d = tyche_date_next_month(d))
        a->month_time[k++] = (double)(d - s->start);
    a->month_time[k] = s->horizon_time;
    return a;
nomem:
    tyche_accum_free(a);
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory allocating the summary's accumulator");
    return NULL;
}

void tyche_accum_reset(tyche_accum *a) {
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    a->n_blocks = 0;
    a->joint_all = 0;
    a->attempts = 0;
    memset(a->moments, 0, no * sizeof *a->moments);
    if (a->block_moments) memset(a->block_moments, 0, a->lay.max_blocks * no * sizeof *a->block_moments);
    memset(a->stmt_count, 0, ns * sizeof *a->stmt_count);
    memset(a->joint_pair, 0, nj * nj * sizeof *a->joint_pair);
    memset(a->missing, 0, no * sizeof *a->missing);
    memset(a->incidence, 0, no * a->lay.n_months * sizeof *a->incidence);
    if (a->rep_count) memset(a->rep_count, 0, (size_t)a->lay.replicates * ns * sizeof *a->rep_count);
    for (size_t o = 0; o < no; o++) {
        memset(a->sketch[o].bins, 0, TYCHE_SKETCH_BINS * sizeof *a->sketch[o].bins);
        a->sketch[o].n = 0;
        a->sketch[o].min = INFINITY;
        a->sketch[o].max = -INFINITY;
    }
}

/* ---- adding ----------------------------------------------------------------- */

void tyche_accum_add_trial(tyche_accum *a, const tyche_scenario *s, tyche_moments *block,
                           const double *outputs, const uint8_t *stmts, uint64_t replicate) {
    const size_t nm = a->lay.n_months;
    for (size_t o = 0; o < s->n_outputs; o++) {
        const double v = outputs[o];
        if (isfinite(v)) {
            tyche_moments_add(&block[o], v);
            tyche_sketch_add(&a->sketch[o], v);
        } else {
            a->missing[o]++;
        }
        if (s->outputs[o].type == TYCHE_OUTPUT_TIME && v <= a->month_time[nm - 1]) {
            /* first boundary at or after the event */
            size_t lo = 0, hi = nm - 1;
            while (lo < hi) {
                const size_t mid = (lo + hi) / 2;
                if (a->month_time[mid] >= v) hi = mid; else lo = mid + 1;
            }
            a->incidence[o * nm + lo]++;
        }
    }
    for (size_t k = 0; k < s->n_statements; k++) a->stmt_count[k] += stmts[k];
    if (s->n_joint) {
        int all = 1;
        for (size_t i = 0; i < s->n_joint; i++) {
            if (!stmts[s->joint[i]]) {
                all = 0;
                continue;
            }
            for (size_t j = i; j < s->n_joint; j++)
                a->joint_pair[i * s->n_joint + j] += stmts[s->joint[j]];
        }
        a->joint_all += (uint64_t)all;
    }
    if (a->rep_count && replicate < (uint64_t)a->lay.replicates)
        for (size_t k = 0; k < s->n_statements; k++)
            a->rep_count[replicate * s->n_statements + k] += stmts[k];
}

/* Sum of x[0..n) in a fixed order: eight running sums (element i into sum
 * i mod 8), added pairwise at the end.  Independent sums give the processor
 * (and the compiler's vectoriser) room, and the order is the code's, so the
 * bits are the same on every machine. */
static double sum8(const double *x, size_t n) {
    double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (size_t j = 0; j < 8; j++) a[j] += x[i + j];
    for (size_t j = 0; i + j < n; j++) a[j] += x[i + j];
    return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

void tyche_accum_add_lanes(tyche_accum *a, const tyche_scenario *s, tyche_moments *block,
                           const double *outputs, const uint8_t *stmts, size_t stride, size_t n,
                           const uint64_t *replicate) {
    const size_t nm = a->lay.n_months;
    const double last = a->month_time[nm - 1];
    double x[TYCHE_ACCUM_MAX_LANES];
    for (size_t o = 0; o < s->n_outputs; o++) {
        const double *col = outputs + o * stride;
        const int is_time = s->outputs[o].type == TYCHE_OUTPUT_TIME;
        uint64_t finite = 0;
        for (size_t i = 0; i < n; i++) {
            const double v = col[i];
            const int f = isfinite(v);
            x[i] = f ? v : 0.0;
            finite += (uint64_t)f;
            if (f)
                tyche_sketch_add(&a->sketch[o], v);
            else
                a->missing[o]++;
            if (is_time && v <= last) {
                /* first boundary at or after the event */
                size_t lo = 0, hi = nm - 1;
                while (lo < hi) {
                    const size_t mid = (lo + hi) / 2;
                    if (a->month_time[mid] >= v) hi = mid; else lo = mid + 1;
                }
                a->incidence[o * nm + lo]++;
            }
        }
        if (finite == 0) continue;
        /* the lanes' moments by two passes (mean, then squared deviations
         * of the finite values), merged into the block's after the earlier
         * lanes' (I6) */
        tyche_moments m = {.n = finite, .mean = sum8(x, n) / (double)finite, .m2 = 0};
        for (size_t i = 0; i < n; i++) {
            const double d = isfinite(col[i]) ? col[i] - m.mean : 0.0;
            x[i] = d * d;
        }
        m.m2 = sum8(x, n);
        tyche_moments_merge(&block[o], &m);
    }
    for (size_t k = 0; k < s->n_statements; k++) {
        const uint8_t *col = stmts + k * stride;
        uint64_t c = 0;
        for (size_t i = 0; i < n; i++) c += col[i];
        a->stmt_count[k] += c;
    }
    for (size_t i = 0; s->n_joint && i < n; i++) {
        int all = 1;
        for (size_t p = 0; p < s->n_joint; p++) {
            if (!stmts[s->joint[p] * stride + i]) {
                all = 0;
                continue;
            }
            for (size_t q = p; q < s->n_joint; q++)
                a->joint_pair[p * s->n_joint + q] += stmts[s->joint[q] * stride + i];
        }
        a->joint_all += (uint64_t)all;
    }
    if (a->rep_count && replicate)
        for (size_t i = 0; i < n; i++)
            if (replicate[i] < (uint64_t)a->lay.replicates)
                for (size_t k = 0; k < s->n_statements; k++)
                    a->rep_count[replicate[i] * s->n_statements + k] += stmts[k * stride + i];
}

int tyche_accum_close_block(tyche_accum *a, const tyche_moments *block) {
    const size_t no = a->lay.n_outputs;
    if (a->block_moments) {
        if (a->n_blocks >= a->lay.max_blocks) return 0;
        memcpy(a->block_moments + a->n_blocks * no, block, no * sizeof *block);
    }
    for (size_t o = 0; o < no; o++) tyche_moments_merge(&a->moments[o], &block[o]);
    a->n_blocks++;
    return 1;
}

void tyche_accum_add_counts(tyche_accum *dst, const tyche_accum *src) {
    const size_t no = dst->lay.n_outputs, ns = dst->lay.n_statements, nj = dst->lay.n_joint;
    dst->attempts += src->attempts;
    for (size_t k = 0; k < ns; k++) dst->stmt_count[k] += src->stmt_count[k];
    for (size_t k = 0; k < nj * nj; k++) dst->joint_pair[k] += src->joint_pair[k];
    dst->joint_all += src->joint_all;
    if (dst->rep_count && src->rep_count)
        for (size_t k = 0; k < (size_t)dst->lay.replicates * ns; k++) dst->rep_count[k] += src->rep_count[k];
    for (size_t o = 0; o < no; o++) {
        dst->missing[o] += src->missing[o];
        tyche_sketch_merge(&dst->sketch[o], &src->sketch[o]);
    }
    for (size_t k = 0; k < no * dst->lay.n_months; k++) dst->incidence[k] += src->incidence[k];
}

static int same_sizes(const tyche_accum_layout *a, const tyche_accum_layout *b) {
    return a->n_outputs == b->n_outputs && a->n_statements == b->n_statements &&
           a->n_joint == b->n_joint && a->n_months == b->n_months && a->replicates == b->replicates;
}

tyche_status tyche_accum_merge(tyche_accum *dst, const tyche_accum *src, tyche_err *err) {
    const size_t no = dst->lay.n_outputs;
    if (!same_sizes(&dst->lay, &src->lay))
        return tyche_err_set(err, TYCHE_EINPUT, "merge: the two summaries are of different layouts");
    if (src->n_blocks == 0) { /* no moments to fold: the counts only */
        tyche_accum_add_counts(dst, src);
        return TYCHE_OK;
    }
    /* src's fold can stand for its blocks only in an empty dst that keeps none
     * (a kept block list would otherwise hold blocks that were never given) */
    if (src->block_moments == NULL && (dst->n_blocks || dst->block_moments))
        return tyche_err_set(err, TYCHE_EINPUT, "merge: the later summary kept no per-block moments");
    if (dst->block_moments && dst->n_blocks + src->n_blocks > dst->lay.max_blocks)
        return tyche_err_set(err, TYCHE_EINPUT, "merge: more blocks than the summary has room for");
    if (src->block_moments) {
        for (uint64_t b = 0; b < src->n_blocks; b++)
            if (!tyche_accum_close_block(dst, src->block_moments + b * no)) break; /* checked above */
    } else {
        /* dst is empty: folding src's blocks again would give src's fold */
        memcpy(dst->moments, src->moments, no * sizeof *dst->moments);
        dst->n_blocks = src->n_blocks;
    }
    tyche_accum_add_counts(dst, src);
    return TYCHE_OK;
}

/* ---- the flat buffer ----------------------------------------------------------- */

#define PACK_MAGIC 0x314d5543434159ULL /* "YACCUM1" */
#define PACK_HEADER 9                  /* uint64 words */

size_t tyche_accum_pack_size(const tyche_accum *a) {
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    const size_t words = PACK_HEADER + ns + nj * nj + 1 /* joint_all */ + no + no * a->lay.n_months +
                         (size_t)a->lay.replicates * ns + no * (3 + TYCHE_SKETCH_BINS);
    const size_t bm = a->block_moments ? (size_t)a->n_blocks : 0;
    return words * sizeof(uint64_t) + (no + bm * no) * sizeof(tyche_moments);
}

/* Appends n bytes at *p. */
static void put(unsigned char **p, const void *v, size_t n) {
    if (n == 0) return; /* v may be NULL (no blocks kept, no replicates) */
    memcpy(*p, v, n);
    *p += n;
}

void tyche_accum_pack(const tyche_accum *a, unsigned char *buf) {
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    const uint64_t bm = a->block_moments ? a->n_blocks : 0;
    const uint64_t h[PACK_HEADER] = {PACK_MAGIC, no, ns, nj, a->lay.n_months,
                                     (uint64_t)a->lay.replicates, a->n_blocks, bm, a->attempts};
    unsigned char *p = buf;
    put(&p, h, sizeof h);
    put(&p, a->moments, no * sizeof *a->moments);
    put(&p, a->block_moments, bm * no * sizeof *a->block_moments);
    put(&p, a->stmt_count, ns * sizeof *a->stmt_count);
    put(&p, a->joint_pair, nj * nj * sizeof *a->joint_pair);
    put(&p, &a->joint_all, sizeof a->joint_all);
    put(&p, a->missing, no * sizeof *a->missing);
    put(&p, a->incidence, no * a->lay.n_months * sizeof *a->incidence);
    put(&p, a->rep_count, (size_t)a->lay.replicates * ns * sizeof *a->rep_count);
    for (size_t o = 0; o < no; o++) {
        put(&p, &a->sketch[o].n, sizeof a->sketch[o].n);
        put(&p, &a->sketch[o].min, sizeof a->sketch[o].min);
        put(&p, &a->sketch[o].max, sizeof a->sketch[o].max);
        put(&p, a->sketch[o].bins, TYCHE_SKETCH_BINS * sizeof *a->sketch[o].bins);
    }
}

/* Takes n bytes from *p. */
static void take(const unsigned char **p, void *v, size_t n) {
    if (n == 0) return;
    memcpy(v, *p, n);
    *p += n;
}

tyche_status tyche_accum_unpack(tyche_accum *a, const unsigned char *buf, size_t len,
                                tyche_err *err) {
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    uint64_t h[PACK_HEADER];
    if (len < sizeof h) return tyche_err_set(err, TYCHE_EINPUT, "a packed summary cut short");
    memcpy(h, buf, sizeof h);
    if (h[0] != PACK_MAGIC || h[1] != no || h[2] != ns || h[3] != nj || h[4] != a->lay.n_months ||
        h[5] != (uint64_t)a->lay.replicates || h[7] > h[6] || (h[7] && a->block_moments == NULL) ||
        /* an accumulator that keeps blocks must get every one of them, within its room */
        (a->block_moments && (h[7] != h[6] || h[6] > a->lay.max_blocks)))
        return tyche_err_set(err, TYCHE_EINPUT, "a packed summary of another layout");
    tyche_accum_reset(a);
    a->n_blocks = h[6];
    a->attempts = h[8];
    /* what the buffer must hold, given its header: the layout's fixed part and its blocks */
    const tyche_accum probe = {.lay = a->lay, .n_blocks = h[7], .block_moments = h[7] ? a->block_moments : NULL};
    if (len != tyche_accum_pack_size(&probe))
        return tyche_err_set(err, TYCHE_EINPUT, "a packed summary of the wrong size");
    const unsigned char *p = buf + sizeof h;
    take(&p, a->moments, no * sizeof *a->moments);
    take(&p, a->block_moments, h[7] * no * sizeof *a->block_moments);
    take(&p, a->stmt_count, ns * sizeof *a->stmt_count);
    take(&p, a->joint_pair, nj * nj * sizeof *a->joint_pair);
    take(&p, &a->joint_all, sizeof a->joint_all);
    take(&p, a->missing, no * sizeof *a->missing);
    take(&p, a->incidence, no * a->lay.n_months * sizeof *a->incidence);
    take(&p, a->rep_count, (size_t)a->lay.replicates * ns * sizeof *a->rep_count);
    for (size_t o = 0; o < no; o++) {
        take(&p, &a->sketch[o].n, sizeof a->sketch[o].n);
        take(&p, &a->sketch[o].min, sizeof a->sketch[o].min);
        take(&p, &a->sketch[o].max, sizeof a->sketch[o].max);
        take(&p, a->sketch[o].bins, TYCHE_SKETCH_BINS * sizeof *a->sketch[o].bins);
    }
    return TYCHE_OK;
}

/* ---- the /partial group ------------------------------------------------------------ */

static int put_u64(hid_t g, const char *name, const uint64_t *v, hsize_t n) {
    hsize_t d = n ? n : 1;
    uint64_t zero = 0;
    return H5LTmake_dataset(g, name, 1, &d, H5T_NATIVE_UINT64, n ? v : &zero) >= 0;
}

static int put_f64(hid_t g, const char *name, const double *v, int rank, const hsize_t *dims) {
    return H5LTmake_dataset(g, name, rank, dims, H5T_NATIVE_DOUBLE, v) >= 0;
}

tyche_status tyche_accum_write_hdf5(const tyche_accum *a, int64_t group, tyche_err *err) {
    const hid_t g = (hid_t)group;
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    const uint64_t nb = a->n_blocks;
    if (a->block_moments == NULL && nb)
        return tyche_err_set(err, TYCHE_ERUN, "the /partial group needs the run's per-block moments");
    /* each block's moments as (n, mean, m2) rows */
    const hsize_t bm[3] = {nb, no ? no : 1, 3};
    double *m = tyche_malloc((nb * no + 1) * 3 * sizeof *m);
    int ok = m != NULL, nomem = m == NULL;
    for (size_t k = 0; ok && k < nb * no; k++) {
        m[3 * k] = (double)a->block_moments[k].n;
        m[3 * k + 1] = a->block_moments[k].mean;
        m[3 * k + 2] = a->block_moments[k].m2;
    }
    if (ok && no) ok = put_f64(g, "block_moments", m, 3, bm);
    free(m);
    ok = ok && put_u64(g, "statement_count", a->stmt_count, ns) &&
         put_u64(g, "joint_pair", a->joint_pair, nj * nj) && put_u64(g, "joint_all", &a->joint_all, 1) &&
         put_u64(g, "missing", a->missing, no) &&
         put_u64(g, "incidence", a->incidence, no * a->lay.n_months) &&
         put_u64(g, "replicate_count", a->rep_count, a->rep_count ? (size_t)a->lay.replicates * ns : 0);
    /* the sketches: bins per output, then n, min and max */
    uint64_t *bins = tyche_malloc((no * TYCHE_SKETCH_BINS + 1) * sizeof *bins);
    double *mm = tyche_malloc((2 * no + 1) * sizeof *mm);
    uint64_t *nn = tyche_malloc((no + 1) * sizeof *nn);
    if (ok && !(bins && mm && nn)) ok = 0, nomem = 1;
    for (size_t o = 0; ok && o < no; o++) {
        memcpy(bins + o * TYCHE_SKETCH_BINS, a->sketch[o].bins, TYCHE_SKETCH_BINS * sizeof *bins);
        nn[o] = a->sketch[o].n;
        mm[2 * o] = a->sketch[o].min;
        mm[2 * o + 1] = a->sketch[o].max;
    }
    if (ok && no) {
        const hsize_t d2[2] = {no, TYCHE_SKETCH_BINS}, d1[2] = {no, 2};
        ok = H5LTmake_dataset(g, "sketch_bins", 2, d2, H5T_NATIVE_UINT64, bins) >= 0 &&
             put_u64(g, "sketch_n", nn, no) && put_f64(g, "sketch_min_max", mm, 2, d1);
    }
    free(bins);
    free(mm);
    free(nn);
    /* an allocation that failed is said as such, not as an I/O error */
    if (nomem) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    return ok ? TYCHE_OK : tyche_err_set(err, TYCHE_EIO, "cannot write the /partial group");
}

/* n counts of dataset `name` into v, each at most `rows` (counts of the
 * shard's trials). */
static int read_counts(hid_t g, const char *name, uint64_t *v, size_t n, uint64_t rows) {
    if (n == 0) return 1;
    if (!tyche_h5_read_exact(g, name, H5T_NATIVE_UINT64, v, n)) return 0;
    for (size_t k = 0; k < n; k++)
        if (v[k] > rows) return 0;
    return 1;
}

int tyche_accum_read_hdf5(tyche_accum *a, int64_t group, uint64_t nb, uint64_t rows) {
    const hid_t g = (hid_t)group;
    const size_t no = a->lay.n_outputs, ns = a->lay.n_statements, nj = a->lay.n_joint;
    if (nb > a->lay.max_blocks || (nb && a->block_moments == NULL)) return 0;
    tyche_accum_reset(a);
    double *m = tyche_malloc((nb * no + 1) * 3 * sizeof *m);
    int ok = m != NULL;
    if (ok && no) ok = tyche_h5_read_exact(g, "block_moments", H5T_NATIVE_DOUBLE, m, nb * no * 3);
    for (uint64_t b = 0; ok && b < nb; b++) {
        tyche_moments *bm = a->block_moments + b * no;
        for (size_t o = 0; ok && o < no; o++) {
            const double *x = m + 3 * (b * no + o);
            /* a block's count: of at most one block's trials */
            ok = x[0] >= 0 && x[0] <= TYCHE_BLOCK_TRIALS && x[0] == floor(x[0]);
            bm[o] = (tyche_moments){(uint64_t)(ok ? x[0] : 0), x[1], x[2]};
        }
        for (size_t o = 0; ok && o < no; o++) tyche_moments_merge(&a->moments[o], &bm[o]);
    }
    free(m);
    a->n_blocks = nb;
    ok = ok && read_counts(g, "statement_count", a->stmt_count, ns, rows) &&
         read_counts(g, "joint_pair", a->joint_pair, nj * nj, rows) &&
         read_counts(g, "joint_all", &a->joint_all, 1, rows) &&
         read_counts(g, "missing", a->missing, no, rows) &&
         read_counts(g, "incidence", a->incidence, no * a->lay.n_months, rows) &&
         (a->rep_count == NULL ||
          read_counts(g, "replicate_count", a->rep_count, (size_t)a->lay.replicates * ns, rows));
    if (ok && no) {
        uint64_t *bins = tyche_malloc((no * TYCHE_SKETCH_BINS + 1) * sizeof *bins);
        uint64_t *nn = tyche_malloc((no + 1) * sizeof *nn);
        double *mm = tyche_malloc((2 * no + 1) * sizeof *mm);
        ok = bins && nn && mm &&
             tyche_h5_read_exact(g, "sketch_bins", H5T_NATIVE_UINT64, bins, no * TYCHE_SKETCH_BINS) &&
             tyche_h5_read_exact(g, "sketch_n", H5T_NATIVE_UINT64, nn, no) &&
             tyche_h5_read_exact(g, "sketch_min_max", H5T_NATIVE_DOUBLE, mm, 2 * no);
        for (size_t o = 0; ok && o < no; o++) { /* the quantile walk relies on these */
            uint64_t sum = 0;
            for (size_t b = 0; ok && b < TYCHE_SKETCH_BINS; b++)
                ok = bins[o * TYCHE_SKETCH_BINS + b] <= rows &&
                     (sum += bins[o * TYCHE_SKETCH_BINS + b]) <= rows;
            ok = ok && sum == nn[o] && (nn[o] == 0 || mm[2 * o] <= mm[2 * o + 1]);
        }
        for (size_t o = 0; ok && o < no; o++) {
            memcpy(a->sketch[o].bins, bins + o * TYCHE_SKETCH_BINS, TYCHE_SKETCH_BINS * sizeof *bins);
            a->sketch[o].n = nn[o];
            a->sketch[o].min = mm[2 * o];
            a->sketch[o].max = mm[2 * o + 1];
        }
        free(bins);
        free(nn);
        free(mm);
    }
    return ok;
}

/* ---- finishing ---------------------------------------------------------------------- */

void tyche_accum_finish(const tyche_accum *a, double *quantiles, uint64_t *cum_incidence) {
    const size_t nm = a->lay.n_months;
    for (size_t o = 0; o < a->lay.n_outputs; o++) {
        for (size_t q = 0; q < 9; q++)
            quantiles[o * 9 + q] = tyche_sketch_quantile(&a->sketch[o], tyche_quantile_levels[q]);
        /* incidence: cumulative counts at each boundary */
        uint64_t acc = 0;
        for (size_t m = 0; m < nm; m++) {
            acc += a->incidence[o * nm + m];
            cum_incidence[o * nm + m] = acc;
        }
    }
}
