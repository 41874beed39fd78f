/* Shard and checkpoint-part files, as `tyche merge` and `tyche run
 * --resume` read them: the input is the second of two shards of a small
 * run of models/option.json, 2049 trials: one block, then one trial (the
 * first shard is a real one; a one-trial second keeps inputs small). */
#include <hdf5.h>
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char first[512];
    if (first[0] == '\0') {
        tyche_scenario *s = fuzz_model("option.json");
        tyche_err err;
        tyche_run_config cfg = fuzz_config(TYCHE_BLOCK_TRIALS + 1, TYCHE_STORE_OUTPUTS);
        cfg.shard_count = 2;
        tyche_results *r = tyche_run(s, &cfg, &err);
        snprintf(first, sizeof first, "%s/shard0.h5", fuzz_scratch());
        tyche_provenance prov = {"fuzz", "2026-01-01T00:00:00Z", 0, NULL, NULL};
        if (r == NULL || tyche_write_hdf5(s, r, &prov, first, &err) != TYCHE_OK) abort();
        tyche_results_free(r);
        tyche_scenario_free(s);
    }
    const char *files[2] = {first, fuzz_file("shard1.h5", data, size)};
    tyche_err err;
    tyche_scenario *s = NULL;
    tyche_results *r = tyche_merge_shards(files, 2, &s, &err);
    tyche_results_free(r);
    tyche_scenario_free(s);
    /* whatever the file, the merge closes everything it opened */
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_ALL) != 0) {
        fprintf(stderr, "fuzz_merge: HDF5 objects left open after the merge: %s\n", r ? "ok" : err.msg);
        abort();
    }
    return 0;
}
