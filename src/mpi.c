/* Runs across MPI ranks (the essay is in include/tyche/mpi.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mpi.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include "merge.h"
#include "util.h"
#include "tyche/mpi.h"

/* The partial statistics of one rank, flattened: doubles (block moments,
 * sketch min/max, seconds) and counts (everything exact). */
static void pack(const tyche_scenario *s, const tyche_shard_parts *pp, double **dv, int *dn,
                 uint64_t **uv, int *un) {
    const size_t no = s->n_outputs, ns = s->n_statements, nj = s->n_joint, nm = pp->n_months;
    const size_t R = pp->rep_count ? (size_t)pp->info.replicates : 0;
    *dn = (int)(pp->n_blocks * no * 3 + 2 * no + 2);
    *un = (int)(2 + ns + nj * nj + 1 + no + no * nm + R * ns + no * TYCHE_SKETCH_BINS + no + 1);
    double *d = tyche_malloc((size_t)*dn * sizeof *d);
    uint64_t *u = tyche_malloc((size_t)*un * sizeof *u);
    if (!d || !u) {
        free(d);
        free(u);
        *dv = NULL;
        *uv = NULL;
        return;
    }
    size_t k = 0;
    for (size_t b = 0; b < pp->n_blocks * no; b++) {
        d[k++] = (double)pp->block_moments[b].n;
        d[k++] = pp->block_moments[b].mean;
        d[k++] = pp->block_moments[b].m2;
    }
    for (size_t o = 0; o < no; o++) {
        d[k++] = pp->sketch[o].min;
        d[k++] = pp->sketch[o].max;
    }
    d[k++] = pp->info.seconds;
    d[k++] = (double)pp->n_blocks;
    size_t j = 0;
    u[j++] = pp->info.attempts;
    u[j++] = pp->n_blocks;
    for (size_t i = 0; i < ns; i++) u[j++] = pp->stmt_count[i];
    for (size_t i = 0; i < nj * nj; i++) u[j++] = pp->joint_pair[i];
    u[j++] = pp->joint_all;
    for (size_t o = 0; o < no; o++) u[j++] = pp->missing[o];
    for (size_t o = 0; o < no; o++) /* per month, not cumulative: what adds up */
        for (size_t m = 0; m < nm; m++)
            u[j++] = pp->incidence[o * nm + m] - (m ? pp->incidence[o * nm + m - 1] : 0);
    for (size_t i = 0; i < R * ns; i++) u[j++] = pp->rep_count[i];
    for (size_t o = 0; o < no; o++) {
        memcpy(u + j, pp->sketch[o].bins, TYCHE_SKETCH_BINS * sizeof *u);
        j += TYCHE_SKETCH_BINS;
    }
    for (size_t o = 0; o < no; o++) u[j++] = pp->sketch[o].n;
    u[j++] = 0;
    *dv = d;
    *uv = u;
}

/* Adds one rank's packed partials into the sink. */
static void unpack_into(const tyche_scenario *s, tyche_shard_sink *k, const double *d,
                        const uint64_t *u) {
    const size_t no = s->n_outputs, ns = s->n_statements, nj = s->n_joint, nm = k->n_months;
    const size_t nb = (size_t)u[1];
    size_t i = 0, j = 2;
    for (size_t b = 0; b < nb; b++)
        for (size_t o = 0; o < no; o++, i += 3) {
            tyche_moments bm = {(uint64_t)d[i], d[i + 1], d[i + 2]};
            tyche_moments_merge(&k->moments[o], &bm);
        }
    const double *mm = d + i;
    *k->seconds = fmax(*k->seconds, d[i + 2 * no]);
    *k->attempts += u[0];
    for (size_t q = 0; q < ns; q++) k->stmt_count[q] += u[j++];
    for (size_t q = 0; q < nj * nj; q++) k->joint_pair[q] += u[j++];
    *k->joint_all += u[j++];
    for (size_t o = 0; o < no; o++) k->missing[o] += u[j++];
    for (size_t q = 0; q < no * nm; q++) k->incidence[q] += u[j++];
    if (k->rep_count)
        for (size_t q = 0; q < (size_t)k->replicates * ns; q++) k->rep_count[q] += u[j++];
    const uint64_t *bins = u + j, *nn = u + j + no * TYCHE_SKETCH_BINS;
    for (size_t o = 0; o < no; o++) {
        tyche_sketch part = {(uint64_t *)(bins + o * TYCHE_SKETCH_BINS), nn[o], mm[2 * o], mm[2 * o + 1]};
        tyche_sketch_merge(&k->sketch[o], &part);
    }
}

/* Every rank's verdict: TYCHE_OK only if all are. */
static int all_ok(int mine) {
    int worst = 0;
    MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst == 0;
}

tyche_results *tyche_run_mpi(const tyche_scenario *s, const tyche_run_config *cfg, tyche_err *err) {
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    tyche_run_config part = *cfg;
    part.shard_index = (uint32_t)rank;
    part.shard_count = (uint32_t)size;
    part.progress = rank == 0 ? cfg->progress : NULL;
    tyche_results *mine = tyche_run(s, &part, err);
    if (!all_ok(mine == NULL)) {
        if (mine) tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
        tyche_results_free(mine);
        return NULL;
    }
    tyche_shard_parts pp;
    tyche_results_parts(mine, &pp);
    double *dv;
    uint64_t *uv;
    int dn, un;
    pack(s, &pp, &dv, &dn, &uv, &un);
    int *dns = tyche_malloc((size_t)size * sizeof *dns), *uns = tyche_malloc((size_t)size * sizeof *uns);
    int *doff = tyche_malloc((size_t)size * sizeof *doff), *uoff = tyche_malloc((size_t)size * sizeof *uoff);
    int ok = dv && uv && dns && uns && doff && uoff;
    if (!all_ok(!ok)) goto nomem_all;
    MPI_Allgather(&dn, 1, MPI_INT, dns, 1, MPI_INT, MPI_COMM_WORLD);
    MPI_Allgather(&un, 1, MPI_INT, uns, 1, MPI_INT, MPI_COMM_WORLD);
    long dt = 0, ut = 0;
    for (int q = 0; q < size; q++) {
        doff[q] = (int)dt;
        uoff[q] = (int)ut;
        dt += dns[q];
        ut += uns[q];
    }
    double *dall = tyche_malloc((size_t)dt * sizeof *dall);
    uint64_t *uall = tyche_malloc((size_t)ut * sizeof *uall);
    if (!all_ok(!(dall && uall))) {
        free(dall);
        free(uall);
        goto nomem_all;
    }
    MPI_Allgatherv(dv, dn, MPI_DOUBLE, dall, dns, doff, MPI_DOUBLE, MPI_COMM_WORLD);
    MPI_Allgatherv(uv, un, MPI_UINT64_T, uall, uns, uoff, MPI_UINT64_T, MPI_COMM_WORLD);
    /* the whole run's summary, merged in rank order (= block order) on every rank;
     * the per-trial rows stay those of this rank */
    tyche_run_config whole = *cfg;
    whole.shard_index = whole.shard_count = 0;
    whole.store = TYCHE_STORE_NONE;
    tyche_results *r = tyche_results_alloc(s, &whole, 0, err);
    if (r != NULL) {
        tyche_run_info info = pp.info;
        info.trials = info.total_trials;
        info.first_trial = 0;
        info.shard_index = info.shard_count = 0;
        info.store = cfg->store;
        info.ranks = size;
        tyche_results_merge_ranks(s, r, mine, &info, dall, uall, doff, uoff, size, unpack_into,
                                  rank == 0);
        mine = NULL;
    }
    free(dall);
    free(uall);
    free(dv);
    free(uv);
    free(dns);
    free(uns);
    free(doff);
    free(uoff);
    if (!all_ok(r == NULL)) {
        tyche_results_free(r);
        tyche_results_free(mine);
        return NULL;
    }
    tyche_results_free(mine);
    return r;
nomem_all:
    free(dv);
    free(uv);
    free(dns);
    free(uns);
    free(doff);
    free(uoff);
    tyche_results_free(mine);
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory gathering the ranks' statistics");
    return NULL;
}

/* Phase two of the write: every rank's rows into the file rank 0 laid out,
 * one collective hyperslab write per per-trial dataset. */
static int write_rows(const tyche_scenario *s, const tyche_results *r, const char *path, int rank) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, fapl);
    H5Pclose(fapl);
    if (f < 0) return 0;
    hid_t xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xfer, H5FD_MPIO_COLLECTIVE);
    tyche_run_info info;
    tyche_results_info(r, &info);
    /* rank 0's rows are in the file already: it joins the collective with none */
    const hsize_t first = info.first_trial, n = rank == 0 ? 0 : tyche_results_rows(r);
    double *buf = tyche_malloc((n + 1) * sizeof *buf);
    int ok = buf != NULL;
    const size_t total = tyche_scenario_n_params(s) + tyche_scenario_n_outputs(s) +
                         tyche_scenario_n_statements(s);
    for (size_t c = 0; c < total; c++) {
        const size_t np = tyche_scenario_n_params(s), no = tyche_scenario_n_outputs(s);
        const char *name;
        const void *src;
        hid_t mt = H5T_NATIVE_DOUBLE;
        if (c < np) {
            tyche_param_info pi;
            tyche_scenario_param(s, c, &pi);
            name = pi.name;
            src = tyche_results_param_column(r, c);
        } else if (c < np + no) {
            tyche_output_info oi;
            tyche_scenario_output(s, c - np, &oi);
            name = oi.name;
            const double *col = tyche_results_output_column(r, c - np);
            /* an event that did not happen is NaN in the file, as the serial writer has it */
            for (hsize_t k = 0; buf && col && k < n; k++) buf[k] = isfinite(col[k]) ? col[k] : NAN;
            src = buf;
        } else {
            tyche_statement_info si;
            tyche_scenario_statement(s, c - np - no, &si);
            name = si.id;
            src = tyche_results_statement_column(r, c - np - no);
            mt = H5T_NATIVE_UINT8;
        }
        hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
        hid_t fs = ds >= 0 ? H5Dget_space(ds) : -1;
        hid_t ms = H5Screate_simple(1, (hsize_t[]){n ? n : 1}, NULL);
        if (ds < 0 || fs < 0 || ms < 0) ok = 0;
        if (ok && n) {
            ok = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &first, NULL, &n, NULL) >= 0;
        } else if (ok) {
            H5Sselect_none(fs);
            H5Sselect_none(ms);
        }
        /* every rank must take part in every collective write, failed or not */
        if (ds >= 0 && H5Dwrite(ds, mt, ms, fs, xfer, src ? src : buf) < 0) ok = 0;
        if (ms >= 0) H5Sclose(ms);
        if (fs >= 0) H5Sclose(fs);
        if (ds >= 0) H5Dclose(ds);
    }
    free(buf);
    H5Pclose(xfer);
    if (H5Fclose(f) < 0) ok = 0;
    return ok;
}

tyche_status tyche_write_hdf5_mpi(const tyche_scenario *s, const tyche_results *r,
                                  const tyche_provenance *p, const char *path, tyche_err *err) {
    int rank;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    /* rank 0's temporary name (remembered there, so a signal removes it) */
    char tmp[4200] = "";
    if (rank == 0) {
        char *t = tyche_tmp_name(path);
        if (t) snprintf(tmp, sizeof tmp, "%s", t);
        free(t);
    }
    MPI_Bcast(tmp, (int)sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD);
    if (tmp[0] == '\0') return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    /* phase one: rank 0 lays out the whole file, with its own rows */
    tyche_status st = rank == 0 ? tyche_write_hdf5(s, r, p, tmp, err) : TYCHE_OK;
    if (!all_ok(st != TYCHE_OK)) {
        if (rank != 0) tyche_err_set(err, TYCHE_EIO, "%s: rank 0 could not write the file", path);
        return TYCHE_EIO;
    }
    tyche_run_info info;
    tyche_results_info(r, &info);
    const int rows = info.store == TYCHE_STORE_NONE ? 1 : write_rows(s, r, tmp, rank);
    if (!all_ok(!rows)) {
        if (rank == 0) {
            unlink(tmp);
            tyche_tmp_forget(tmp);
        }
        return tyche_err_set(err, TYCHE_EIO, "%s: the ranks could not write their rows", path);
    }
    if (rank == 0 && rename(tmp, path) != 0) st = tyche_err_set(err, TYCHE_EIO, "%s: cannot rename it into place", path);
    if (rank == 0) tyche_tmp_forget(tmp);
    return all_ok(st != TYCHE_OK) ? TYCHE_OK : TYCHE_EIO;
}
