/* Shards at the library level: a run's shards, written and merged, give the
 * whole run's summary to the byte (the accumulators packed and compared)
 * and its per-trial columns; a shard of another run (seed, scenario) is
 * refused with a message naming the file. */
#include <unistd.h>
#include "run_impl.h"
#include "scen.h"
#include "test.h"

#define SEED 77
#define TRIALS ((uint64_t)7 * TYCHE_BLOCK_TRIALS + 300) /* a ragged last block */

static tyche_results *run_shard(const tyche_scenario *s, uint64_t seed, uint32_t idx, uint32_t cnt,
                                int threads) {
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = TRIALS;
    cfg.seed = seed;
    cfg.threads = threads;
    cfg.store = TYCHE_STORE_OUTPUTS;
    cfg.shard_index = idx;
    cfg.shard_count = cnt;
    tyche_err err;
    tyche_results *r = tyche_run(s, &cfg, &err);
    if (r == NULL) fprintf(stderr, "run failed: %s\n", err.msg);
    return r;
}

/* Runs shard idx/cnt of s and writes it to path; 1 on success. */
static int write_shard(const tyche_scenario *s, uint64_t seed, uint32_t idx, uint32_t cnt,
                       const char *path) {
    tyche_results *r = run_shard(s, seed, idx, cnt, 2);
    tyche_err err;
    const tyche_provenance p = {.command_line = "test_shard", .created_utc = "2026-12-01T00:00:00Z"};
    const int ok = r && tyche_write_hdf5(s, r, &p, path, &err) == TYCHE_OK;
    if (r && !ok) fprintf(stderr, "write failed: %s\n", err.msg);
    tyche_results_free(r);
    return ok;
}

static int same_packed(const tyche_results *a, const tyche_results *b) {
    const tyche_accum *x = tyche_results_summary(a), *y = tyche_results_summary(b);
    const size_t nx = tyche_accum_pack_size(x), ny = tyche_accum_pack_size(y);
    unsigned char *px = malloc(nx), *py = malloc(ny);
    int same = px && py && nx == ny;
    if (same) {
        tyche_accum_pack(x, px);
        tyche_accum_pack(y, py);
        same = memcmp(px, py, nx) == 0;
    }
    free(px);
    free(py);
    return same;
}

static void shard_path(char *buf, size_t n, const char *tag, unsigned i) {
    snprintf(buf, n, "/tmp/tyche-test-shard-%d-%s%u.h5", (int)getpid(), tag, i);
}

TEST(the_shards_of_a_run_merge_to_the_whole_runs_summary_byte_for_byte) {
    tyche_err err;
    tyche_scenario *s = tyche_scenario_load(TYCHE_SOURCE_DIR "/models/article.json", &err);
    ASSERT(s != NULL);
    tyche_results *w = run_shard(s, SEED, 0, 0, 3);
    ASSERT(w != NULL);
    char paths[3][96];
    const char *files[3];
    for (unsigned i = 0; i < 3; i++) {
        shard_path(paths[i], sizeof paths[i], "p", i);
        ASSERT(write_shard(s, SEED, i, 3, paths[i]));
    }
    /* given out of order: the merge puts them in shard order */
    files[0] = paths[2];
    files[1] = paths[0];
    files[2] = paths[1];
    tyche_scenario *ms = NULL;
    tyche_results *m = tyche_merge_shards(files, 3, &ms, &err);
    if (m == NULL) FAIL_("merge: %s", err.msg);
    ASSERT(same_packed(w, m));
    tyche_run_info iw, im;
    tyche_results_info(w, &iw);
    tyche_results_info(m, &im);
    ASSERT_INT_EQ(im.trials, iw.trials);
    ASSERT_INT_EQ(im.attempts, iw.attempts);
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        tyche_output_summary a, b;
        tyche_results_output(w, i, &a);
        tyche_results_output(m, i, &b);
        ASSERT(memcmp(&a, &b, sizeof a) == 0);
        const double *ca = tyche_results_output_column(w, i), *cb = tyche_results_output_column(m, i);
        ASSERT(ca && cb && memcmp(ca, cb, TRIALS * sizeof *ca) == 0);
        for (size_t k = 0; k < tyche_results_n_months(w); k++) {
            tyche_prob pa, pb;
            tyche_results_incidence(w, i, k, &pa);
            tyche_results_incidence(m, i, k, &pb);
            ASSERT(memcmp(&pa, &pb, sizeof pa) == 0);
        }
    }
    for (unsigned i = 0; i < 3; i++) unlink(paths[i]);
    tyche_results_free(m);
    tyche_scenario_free(ms);
    tyche_results_free(w);
    tyche_scenario_free(s);
}

/* Merges shards 0 and 2 of run A with shard 1 of another run; the merge
 * must refuse, naming that shard's file and `what` differs. */
static void check_refused(const tyche_scenario *a, const tyche_scenario *b, uint64_t seed_b,
                          const char *what) {
    char paths[3][96];
    const char *files[3];
    for (unsigned i = 0; i < 3; i++) {
        shard_path(paths[i], sizeof paths[i], "r", i);
        ASSERT(write_shard(i == 1 ? b : a, i == 1 ? seed_b : SEED, i, 3, paths[i]));
        files[i] = paths[i];
    }
    tyche_err err;
    tyche_scenario *ms = NULL;
    tyche_results *m = tyche_merge_shards(files, 3, &ms, &err);
    for (unsigned i = 0; i < 3; i++) unlink(paths[i]);
    if (m != NULL) FAIL_("a shard of another run (%s) was merged", what);
    ASSERT(ms == NULL);
    ASSERT_INT_EQ(err.code, TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, paths[1]);
    ASSERT_STR_CONTAINS(err.msg, what);
}

TEST(a_shard_of_another_seed_is_refused_naming_its_file) {
    tyche_err err;
    tyche_scenario *s = tyche_scenario_load(TYCHE_SOURCE_DIR "/models/article.json", &err);
    ASSERT(s != NULL);
    check_refused(s, s, SEED + 1, "seed");
    tyche_scenario_free(s);
}

TEST(a_shard_of_another_scenario_is_refused_naming_its_file) {
    tyche_err err;
    tyche_scenario *a = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(a != NULL);
    tyche_scenario *b = option_scenario(DEFAULT_OPTION_PARAMS_FIXED_DELAY, P1_STATEMENTS, &err);
    ASSERT(b != NULL);
    check_refused(a, b, SEED, "scenario");
    tyche_scenario_free(a);
    tyche_scenario_free(b);
}
