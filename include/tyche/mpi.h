/* tyche: runs across MPI ranks (built with -DTYCHE_MPI=ON).
 *
 * Each rank simulates a contiguous range of blocks (as shard rank/size of
 * the run, with its own OpenMP threads); the ranks' partial statistics
 * (each one's summary accumulator, as a flat buffer) are gathered and
 * merged in rank order, which is block order, so every rank
 * holds the summary one run would have computed, bit for bit.  The results
 * file is written by all ranks together.  Streamed (what `tyche run` does,
 * tyche_mpi_rows_open below): rank 0 lays it out before the first trial,
 * every rank's writer thread writes its rows into it as its blocks finish,
 * independently through MPI-IO, and rank 0 adds the summary at the end.
 * Kept in memory (tyche_run_mpi without a sink, then tyche_write_hdf5_mpi):
 * rank 0 writes the file with its rows, and every rank then writes its own
 * as a hyperslab, collectively. */
#ifndef TYCHE_MPI_H
#define TYCHE_MPI_H

#include "common.h"
#include "engine.h"
#include "io.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Collective.  The returned results hold the whole run's summary on every
 * rank and the per-trial rows of this rank's range (trials are those of
 * the whole run).  NULL on every rank if any rank failed (err set there;
 * the others get a "rank N failed" message). */
TYCHE_API tyche_results *tyche_run_mpi(const tyche_scenario *s, const tyche_run_config *cfg,
                                       tyche_err *err);

/* Collective: writes the run's HDF5 file (temporary name, renamed by rank
 * 0 when every rank's rows are in). */
TYCHE_API tyche_status tyche_write_hdf5_mpi(const tyche_scenario *s, const tyche_results *r,
                                            const tyche_provenance *p, const char *path,
                                            tyche_err *err);

/* Streamed rows (what `tyche run` does under mpirun): rank 0 lays the
 * file out with a parallel writer (tyche_h5_plan.parallel: every chunk's
 * space allocated, no compression) and suspends it; then, collectively,
 * every rank opens that file (path: rank 0's, broadcast; name: the user's,
 * for messages) with MPI-IO for
 * the rows of its own range of the run cfg, and hands the writer to
 * tyche_run_mpi as cfg->rows_user (tyche_h5_writer_rows): each rank's
 * writer thread writes its blocks independently as they finish.
 * tyche_mpi_rows_close (collective) closes it; rank 0 then resumes its
 * writer and finishes the file.  Both fail on every rank if any failed. */
TYCHE_API tyche_status tyche_mpi_rows_open(const tyche_scenario *s, const tyche_run_config *cfg,
                                           const char *path, const char *name,
                                           tyche_h5_writer **out, tyche_err *err);
TYCHE_API tyche_status tyche_mpi_rows_close(tyche_h5_writer *w, tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
