/* Checkpoint folders: what a claim refuses (a folder of other files, one
 * locked by another process, one holding another run's parts, a resume
 * where no run is) and that a refusal leaves the folder as it was; the
 * identity names what the results depend on; the parts split the trials
 * exactly; a run in parts, stopped and resumed, merges to the results of
 * one run. */
#include <sys/stat.h>
#include "files.h"
#include "scen.h"
#include "test.h"
#include "tyche/tyche.h"

/* The test's scenario and a fresh folder (NULL, after the message, when
 * either cannot be made). */
static tyche_scenario *setup(char *dir, size_t len) {
    tyche_err err = {0};
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    if (s == NULL) fprintf(stderr, "scenario: %s\n", err.msg);
    folder_make(dir, len, "ckpt");
    if (s && dir[0] == '\0') {
        tyche_scenario_free(s);
        s = NULL;
    }
    return s;
}

/* The args writer: one line. */
static tyche_status write_args(const void *obj, const char *path, tyche_err *err) {
    (void)obj;
    FILE *f = fopen(path, "w");
    if (f == NULL) return tyche_err_set(err, TYCHE_EIO, "%s: cannot write", path);
    fputs("--checkpoint\nDIR\n", f);
    fclose(f);
    return TYCHE_OK;
}

static tyche_checkpoint_spec spec_of(const tyche_scenario *s, uint64_t seed) {
    tyche_checkpoint_spec p = {.scenario = s, .seed = seed, .trials = 5000, .rng = NULL,
                               .store = TYCHE_STORE_OUTPUTS, .sampling = TYCHE_SAMPLING_MC,
                               .replicates = 10, .every = 1, .set = NULL, .n_set = 0};
    return p;
}

TEST(checkpoint_identity_names_what_the_results_depend_on) {
    tyche_err err = {0};
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    const char *set[2] = {"option.h0=0.5", "option.mu=0.1"};
    tyche_checkpoint_spec p = spec_of(s, 7);
    p.set = set;
    p.n_set = 2;
    char *id = tyche_checkpoint_identity(&p);
    ASSERT(id != NULL);
    char hash[65], want[2048];
    tyche_scenario_hash(s, hash);
    snprintf(want, sizeof want,
             "tyche_version %s\nstream_version %d\nscenario_sha256 %s\nas_of 2026-04-20\nseed 7\n"
             "trials 5000\nrng philox\nstore outputs\nsampling mc\nreplicates 0\ncheckpoint_every 1\n"
             "set option.h0=0.5\nset option.mu=0.1\n",
             tyche_version(), TYCHE_STREAM_VERSION, hash);
    ASSERT_STR_EQ(id, want);
    free(id);
    tyche_scenario_free(s);
}

TEST(checkpoint_parts_split_the_trials_into_whole_blocks) {
    const uint64_t trials = 10 * TYCHE_BLOCK_TRIALS + 77;
    ASSERT_INT_EQ(tyche_checkpoint_parts(trials, 3), 4); /* 11 blocks, 3 a part */
    for (uint32_t parts = 1; parts <= 11; parts++) {
        uint64_t sum = 0;
        for (uint32_t i = 0; i < parts; i++) {
            const uint64_t n = tyche_checkpoint_part_trials(trials, i, parts);
            if (i + 1 < parts) ASSERT_INT_EQ(n % TYCHE_BLOCK_TRIALS, 0);
            sum += n;
        }
        ASSERT_INT_EQ(sum, trials);
    }
    ASSERT(tyche_checkpoint_own("part-000001-of-000004.h5"));
    ASSERT(tyche_checkpoint_own("part-000001-of-000004.h5.tmp.host.12"));
    ASSERT(tyche_checkpoint_own("identity.tmp.host.12"));
    ASSERT(!tyche_checkpoint_own("part-1-of-4.h5"));
    ASSERT(!tyche_checkpoint_own("notes.txt"));
    ASSERT(!tyche_checkpoint_own("argsx"));
}

TEST(checkpoint_claim_refuses_a_folder_of_other_files_and_leaves_it_as_it_was) {
    tyche_err err = {0};
    char dir[256], p[300];
    tyche_scenario *s = setup(dir, sizeof dir);
    ASSERT(s != NULL);
    snprintf(p, sizeof p, "%s/notes.txt", dir);
    file_write(p, "");
    const tyche_checkpoint_spec spec = spec_of(s, 1);
    tyche_checkpoint *c = NULL;
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &spec, 0, write_args, NULL, NULL, NULL, NULL, 0, &c, &err), TYCHE_EINPUT);
    ASSERT(c == NULL);
    char want[1400];
    snprintf(want, sizeof want, "--checkpoint %s: holds other files (notes.txt) and no run of tyche's: give a new or empty folder", dir);
    ASSERT_STR_EQ(err.msg, want);
    ASSERT_INT_EQ(folder_count(dir), 1);
    /* a file where the folder should be */
    ASSERT_INT_EQ(tyche_checkpoint_claim(p, &spec, 0, write_args, NULL, NULL, NULL, NULL, 0, &c, NULL), TYCHE_EINPUT);
    folder_remove(dir);
    tyche_scenario_free(s);
}

TEST(checkpoint_claim_refuses_another_runs_folder_and_a_resume_of_nothing) {
    tyche_err err = {0};
    char dir[256];
    tyche_scenario *s = setup(dir, sizeof dir);
    ASSERT(s != NULL);
    const tyche_checkpoint_spec one = spec_of(s, 1), two = spec_of(s, 2);
    tyche_checkpoint *c = NULL;
    char warning[TYCHE_ERR_MAX];
    /* resuming where no run is */
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &one, 1, write_args, NULL, NULL, NULL, warning, sizeof warning, &c, &err),
                  TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "the run is no longer there");
    /* a new run takes it: lock, identity, args */
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &one, 0, write_args, NULL, NULL, NULL, warning, sizeof warning, &c, &err),
                  TYCHE_OK);
    ASSERT(c != NULL);
    ASSERT_INT_EQ(folder_count(dir), 3);
    /* another process, while this one holds the lock */
    const pid_t kid = fork();
    if (kid == 0) {
        tyche_checkpoint *k = NULL;
        tyche_err e = {0};
        const tyche_status st = tyche_checkpoint_claim(dir, &one, 1, write_args, NULL, NULL, NULL, NULL, 0, &k, &e);
        char pid[64];
        snprintf(pid, sizeof pid, "(pid %ld on ", (long)getppid());
        _exit(st == TYCHE_EINPUT && strstr(e.msg, "in use by another run") && strstr(e.msg, pid) ? 0 : 1);
    }
    ASSERT(child_ok(kid));
    tyche_checkpoint_release(c);
    /* the same run again (a resume): accepted; another seed: refused by name */
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &one, 1, write_args, NULL, NULL, NULL, NULL, 0, &c, &err), TYCHE_OK);
    tyche_checkpoint_release(c);
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &two, 0, write_args, NULL, NULL, NULL, NULL, 0, &c, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "holds the parts of another run (its seed is 1, this run's is 2)");
    ASSERT_INT_EQ(tyche_checkpoint_claim(dir, &two, 1, write_args, NULL, NULL, NULL, NULL, 0, &c, &err), TYCHE_EINPUT);
    ASSERT_STR_CONTAINS(err.msg, "not the run that started there (its seed is 1, this run's is 2)");
    ASSERT_INT_EQ(folder_count(dir), 3);
    tyche_checkpoint_remove(dir);
    ASSERT(access(dir, F_OK) != 0);
    tyche_scenario_free(s);
}

static volatile sig_atomic_t stop_now;

/* Stops the run before its second part. */
static void stop_after_one(void *user, uint64_t done, uint64_t round) {
    (void)round;
    int *calls = user;
    if (++*calls == 1 && done == 0) return;
    stop_now = 1;
}

TEST(checkpoint_a_run_stopped_and_resumed_merges_to_one_runs_results) {
    tyche_err err = {0};
    char dir[256];
    tyche_scenario *s = setup(dir, sizeof dir);
    ASSERT(s != NULL);
    tyche_run_config cfg;
    tyche_run_config_init(&cfg);
    cfg.trials = 3 * TYCHE_BLOCK_TRIALS + 5;
    cfg.seed = 3;
    cfg.threads = 1;
    cfg.store = TYCHE_STORE_OUTPUTS;
    const uint32_t parts = (uint32_t)tyche_checkpoint_parts(cfg.trials, 1);
    ASSERT_INT_EQ(parts, 4);
    int stopped = 0, threads = 0, calls = 0;
    stop_now = 0;
    /* the first part runs; the stop is seen before the third */
    ASSERT_INT_EQ(tyche_checkpoint_run_parts(s, &cfg, dir, parts, &stop_now, stop_after_one, &calls, &stopped,
                                             &threads, &err), TYCHE_OK);
    ASSERT_INT_EQ(stopped, 1);
    ASSERT_INT_EQ(folder_count(dir), 2);
    stop_now = 0;
    calls = 0;
    ASSERT_INT_EQ(tyche_checkpoint_run_parts(s, &cfg, dir, parts, &stop_now, NULL, NULL, &stopped, &threads, &err),
                  TYCHE_OK);
    ASSERT_INT_EQ(stopped, 0);
    ASSERT_INT_EQ(folder_count(dir), 4);
    tyche_results *m = tyche_checkpoint_merge(dir, parts, NULL, NULL, &err);
    ASSERT(m != NULL);
    tyche_results *one = tyche_run(s, &cfg, &err);
    ASSERT(one != NULL);
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        tyche_prob a, b;
        tyche_results_statement(m, i, &a);
        tyche_results_statement(one, i, &b);
        ASSERT_DBL_IDENTICAL(a.probability, b.probability);
    }
    for (size_t i = 0; i < tyche_scenario_n_outputs(s); i++) {
        const double *x = tyche_results_output_column(m, i), *y = tyche_results_output_column(one, i);
        ASSERT(x != NULL && y != NULL);
        ASSERT(memcmp(x, y, cfg.trials * sizeof *x) == 0);
    }
    tyche_results_free(m);
    tyche_results_free(one);
    tyche_checkpoint_remove(dir);
    ASSERT(access(dir, F_OK) != 0);
    tyche_scenario_free(s);
}
