/* The /partial group of a shard's HDF5 file (shard.c): what the exact merge
 * of shards (tyche_merge_shards) reads back. */
#ifndef TYCHE_MERGE_H
#define TYCHE_MERGE_H

#include "run_impl.h"

/* Writes the /partial group of shard results r into the open file
 * (tyche_write_hdf5 calls it before the file is closed and renamed). */
tyche_status tyche_shard_write_partial(int64_t file, const tyche_scenario *s, const tyche_results *r,
                                       tyche_err *err);

#endif
