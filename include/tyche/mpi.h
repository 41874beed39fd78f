/* tyche: runs across MPI ranks (built with -DTYCHE_MPI=ON).
 *
 * Each rank simulates a contiguous range of blocks (as shard rank/size of
 * the run, with its own OpenMP threads); the ranks' partial statistics
 * (each one's summary accumulator, as a flat buffer) are gathered and
 * merged in rank order, which is block order, so every rank
 * holds the summary one run would have computed, bit for bit.  The results
 * file is then written by all ranks together: rank 0 lays it out (the
 * summary, provenance, every per-trial dataset at full length), and every
 * rank writes its own rows as a hyperslab, collectively through MPI-IO. */
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

#ifdef __cplusplus
}
#endif
#endif
