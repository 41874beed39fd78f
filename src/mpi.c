/* Runs across MPI ranks (the essay is in include/tyche/mpi.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <mpi.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <limits.h>
#include "merge.h"
#include "util.h"
#include "tyche/mpi.h"

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
    /* this rank's accumulator (its blocks kept: it ran as a shard), packed:
     * sent in 8-byte words (the pack is made of them), since MPI counts in
     * ints and a count of bytes would reach 2^31 eight times sooner */
    const tyche_accum *macc = tyche_results_summary(mine);
    const size_t bytes = tyche_accum_pack_size(macc), nw = bytes / sizeof(uint64_t);
    int n = nw <= INT_MAX && bytes % sizeof(uint64_t) == 0 ? (int)nw : -1;
    uint64_t *buf = n >= 0 ? tyche_malloc(bytes) : NULL;
    int *ns = tyche_malloc((size_t)size * sizeof *ns), *off = tyche_malloc((size_t)size * sizeof *off);
    if (buf) tyche_accum_pack(macc, (unsigned char *)buf);
    uint64_t *all = NULL;
    tyche_accum *rank_acc = NULL;
    tyche_results *r = NULL;
    if (!all_ok(n < 0)) {
        tyche_err_set(err, TYCHE_EINPUT, "a rank's summary is too large for one MPI message "
                      "(2^31 words): use fewer trials per rank or --checkpoint");
        goto fail_all;
    }
    if (!all_ok(!(buf && ns && off))) goto nomem_all;
    MPI_Allgather(&n, 1, MPI_INT, ns, 1, MPI_INT, MPI_COMM_WORLD);
    long long total = 0;
    for (int q = 0; q < size; q++) {
        off[q] = total <= INT_MAX ? (int)total : 0;
        total += ns[q];
    }
    if (!all_ok(total > INT_MAX)) {
        tyche_err_set(err, TYCHE_EINPUT, "the ranks' summaries together are too large for one MPI "
                      "gather (2^31 words): use fewer ranks or --checkpoint");
        goto fail_all;
    }
    all = tyche_malloc((size_t)total * sizeof *all);
    if (!all_ok(all == NULL)) goto nomem_all;
    MPI_Allgatherv(buf, n, MPI_UINT64_T, all, ns, off, MPI_UINT64_T, MPI_COMM_WORLD);
    /* the time the run took: that of the slowest rank */
    tyche_run_info info;
    tyche_results_info(mine, &info);
    double seconds = info.seconds;
    MPI_Allreduce(&info.seconds, &seconds, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    /* the whole run's summary, merged in rank order (= block order) on every rank;
     * the per-trial rows stay those of this rank */
    tyche_run_config whole = *cfg;
    whole.shard_index = whole.shard_count = 0;
    whole.store = TYCHE_STORE_NONE;
    r = tyche_results_alloc(s, &whole, 0, err);
    tyche_accum_layout lay;
    if (r) {
        lay = tyche_results_summary(r)->lay;
        /* the most blocks a rank runs: its contiguous range is at most
         * ceil(blocks / ranks) (shard_blocks in engine.c) */
        const uint64_t nb = cfg->trials / TYCHE_BLOCK_TRIALS + (cfg->trials % TYCHE_BLOCK_TRIALS != 0);
        lay.max_blocks = nb / (uint64_t)size + (nb % (uint64_t)size != 0);
        rank_acc = tyche_accum_alloc(s, &lay, err);
    }
    tyche_status st = r && rank_acc ? TYCHE_OK : TYCHE_ENOMEM;
    for (int q = 0; q < size && st == TYCHE_OK; q++) {
        st = tyche_accum_unpack(rank_acc, (const unsigned char *)(all + off[q]),
                                (size_t)ns[q] * sizeof *all, err);
        if (st == TYCHE_OK) st = tyche_accum_merge(tyche_results_accum(r), rank_acc, err);
    }
    if (st == TYCHE_OK) {
        info.trials = info.total_trials;
        info.first_trial = 0;
        info.shard_index = info.shard_count = 0;
        info.store = cfg->store;
        info.ranks = size;
        info.seconds = seconds;
        tyche_results_finish(s, r, &info);
        tyche_results_take_rows(s, r, mine, info.total_trials, rank == 0);
        mine = NULL;
    } else {
        tyche_results_free(r);
        r = NULL;
    }
    tyche_accum_free(rank_acc);
    free(all);
    free(buf);
    free(ns);
    free(off);
    if (!all_ok(r == NULL)) {
        if (r) tyche_err_set(err, TYCHE_ERUN, "another rank failed (its message says why)");
        tyche_results_free(r);
        tyche_results_free(mine);
        return NULL;
    }
    tyche_results_free(mine);
    return r;
nomem_all:
    tyche_err_set(err, TYCHE_ENOMEM, "out of memory gathering the ranks' statistics");
fail_all:
    free(all);
    free(buf);
    free(ns);
    free(off);
    tyche_results_free(mine);
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

/* ---- streamed rows: every rank writes its own into the one file ------------- */

/* tyche_h5_writer_attach's agreement: 1 only if every rank is ok */
static int agree_ok(int ok) { return all_ok(!ok); }

tyche_status tyche_mpi_rows_open(const tyche_scenario *s, const tyche_run_config *cfg, const char *path,
                                 const char *name, tyche_h5_writer **out, tyche_err *err) {
    int rank, size, provided = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Query_thread(&provided);
    *out = NULL;
    /* the rows are written from the run's writer thread while the main
     * thread simulates: MPI must allow calls from another thread than the
     * main one, one at a time */
    if (!all_ok(provided < MPI_THREAD_SERIALIZED))
        return tyche_err_set(err, TYCHE_ERUN, "the MPI library does not allow MPI calls from a second thread "
                             "(MPI_THREAD_SERIALIZED): use --checkpoint DIR under mpirun");
    char tmp[4200] = "";
    const int fits = rank != 0 || (path && strlen(path) < sizeof tmp);
    if (rank == 0 && fits) snprintf(tmp, sizeof tmp, "%s", path);
    if (!all_ok(!fits))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: its name is too long for the ranks to share (4200 bytes)", name);
    MPI_Bcast(tmp, (int)sizeof tmp, MPI_CHAR, 0, MPI_COMM_WORLD);
    tyche_run_config mine = *cfg;
    mine.shard_index = (uint32_t)rank;
    mine.shard_count = (uint32_t)size;
    uint64_t first = 0, count = 0;
    (void)tyche_run_range(&mine, &first, &count);
    /* messages name the user's file (every rank has the same -o), not rank 0's temporary */
    const tyche_h5_plan plan = {.store = cfg->store, .first_trial = first, .rows = count, .rows_from = first,
                                .file_rows = cfg->trials, .parallel = 1, .user_path = name};
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    /* independent writes (the default transfer): each rank's writer thread
     * writes its rows when they are ready, with no rank waiting for another */
    const int ok = fapl >= 0 && H5Pset_fapl_mpio(fapl, MPI_COMM_WORLD, MPI_INFO_NULL) >= 0;
    if (!all_ok(!ok)) {
        if (fapl >= 0) H5Pclose(fapl);
        return ok ? tyche_err_set(err, TYCHE_ERUN, "another rank could not set up MPI-IO")
                  : tyche_err_set(err, TYCHE_EIO, "%s: cannot set up MPI-IO for it", name);
    }
    /* collective: the ranks agree before each step (all_ok) */
    const tyche_status st = tyche_h5_writer_attach(s, &plan, tmp, fapl, agree_ok, out, err);
    H5Pclose(fapl);
    return st;
}

tyche_status tyche_mpi_rows_close(tyche_h5_writer *w, tyche_err *err) {
    tyche_status st = tyche_h5_writer_close(w, err); /* collective */
    tyche_h5_writer_free(w);
    if (!all_ok(st != TYCHE_OK) && st == TYCHE_OK)
        st = tyche_err_set(err, TYCHE_ERUN, "another rank could not write its rows (its message says why)");
    return st;
}
