/* tyche_commit_files: a set of result files appears whole under its final
 * names, or (a writer failing at any file of the set) not at all: no
 * temporary left, no new final file, an existing one byte for byte as it
 * was, and the message naming the user's file, not the temporary. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "test.h"
#include "tyche/tyche.h"

/* A fresh folder under /tmp (the caller removes it with rm_folder). */
static void make_folder(char *dir, size_t len) {
    snprintf(dir, len, "/tmp/tyche-test-commit-XXXXXX");
    if (mkdtemp(dir) == NULL) dir[0] = '\0';
}

static void rm_folder(const char *dir) {
    DIR *d = opendir(dir);
    char p[1200];
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (rmdir(p) != 0) unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Entries of dir, not counting . and .. */
static int n_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (d) closedir(d);
    return n;
}

static int has_temporary(const char *dir) {
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) found |= strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return found;
}

/* The whole of a small file ("" when absent). */
static void slurp(const char *path, char *buf, size_t len) {
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, len - 1, f) : 0;
    buf[n] = '\0';
    if (f) fclose(f);
}

static void spit(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int writes; /* writer calls so far */

/* Writes its text at the path given. */
static tyche_status write_text(const void *obj, const char *tmp, tyche_err *err) {
    writes++;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) return tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", tmp, strerror(errno));
    fputs(obj, f);
    fclose(f);
    return TYCHE_OK;
}

/* Writes half its text, then fails as a full disk would, naming the path. */
static tyche_status write_half_then_fail(const void *obj, const char *tmp, tyche_err *err) {
    writes++;
    FILE *f = fopen(tmp, "wb");
    if (f) {
        fwrite(obj, 1, strlen(obj) / 2, f);
        fclose(f);
    }
    return tyche_err_set(err, TYCHE_EIO, "%s: cannot write the results: No space left on device", tmp);
}

TEST(commit_puts_every_file_of_a_set_in_place_whole) {
    char dir[256], p[3][300], got[256];
    make_folder(dir, sizeof dir);
    ASSERT(dir[0]);
    static const char *const text[3] = {"{\"summary\": 1}\n", "results, much longer than the summary\n", "third\n"};
    tyche_result_file files[3];
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof p[i], "%s/out%d", dir, i);
        files[i] = (tyche_result_file){p[i], write_text, text[i]};
    }
    spit(p[1], "the previous results\n"); /* replaced */
    tyche_err err = {0};
    writes = 0;
    ASSERT_INT_EQ(tyche_commit_files(files, 3, NULL, NULL, &err), TYCHE_OK);
    ASSERT_INT_EQ(writes, 3);
    for (int i = 0; i < 3; i++) {
        slurp(p[i], got, sizeof got);
        ASSERT_STR_EQ(got, text[i]);
    }
    ASSERT_INT_EQ(n_entries(dir), 3);
    ASSERT_INT_EQ(tyche_commit_renaming, 0);
    rm_folder(dir);
}

TEST(commit_with_a_writer_failing_at_any_file_leaves_the_old_files_and_no_temporary) {
    for (int k = 0; k < 3; k++) {
        char dir[256], p[3][300], got[256];
        make_folder(dir, sizeof dir);
        ASSERT(dir[0]);
        tyche_result_file files[3];
        for (int i = 0; i < 3; i++) {
            snprintf(p[i], sizeof p[i], "%s/out%d.h5", dir, i);
            files[i] = (tyche_result_file){p[i], i == k ? write_half_then_fail : write_text, "new contents\n"};
        }
        spit(p[0], "old 0\n"); /* a previous result; out1 and out2 are new */
        tyche_err err = {0};
        writes = 0;
        ASSERT_INT_EQ(tyche_commit_files(files, 3, NULL, NULL, &err), TYCHE_EIO);
        ASSERT_INT_EQ(writes, k + 1); /* the writers after the failure do not run */
        slurp(p[0], got, sizeof got);
        ASSERT_STR_EQ(got, "old 0\n");
        ASSERT(access(p[1], F_OK) != 0);
        ASSERT(access(p[2], F_OK) != 0);
        ASSERT(!has_temporary(dir));
        ASSERT_INT_EQ(n_entries(dir), 1);
        /* the message names the user's file, whole, and no temporary */
        char want[1400];
        snprintf(want, sizeof want, "%s: cannot write the results: No space left on device", p[k]);
        ASSERT_STR_EQ(err.msg, want);
        ASSERT(strstr(err.msg, ".tmp.") == NULL);
        rm_folder(dir);
    }
}

TEST(commit_refuses_a_folder_under_a_final_name_before_writing_anything) {
    char dir[256], a[300], b[300];
    make_folder(dir, sizeof dir);
    ASSERT(dir[0]);
    snprintf(a, sizeof a, "%s/summary.json", dir);
    snprintf(b, sizeof b, "%s/results.h5", dir);
    ASSERT_INT_EQ(mkdir(b, 0777), 0);
    const tyche_result_file files[2] = {{a, write_text, "x\n"}, {b, write_text, "y\n"}};
    tyche_err err = {0};
    writes = 0;
    ASSERT_INT_EQ(tyche_commit_files(files, 2, NULL, NULL, &err), TYCHE_EIO);
    ASSERT_INT_EQ(writes, 0);
    char want[1400];
    snprintf(want, sizeof want, "%s: is a folder, not a file", b);
    ASSERT_STR_EQ(err.msg, want);
    ASSERT_INT_EQ(n_entries(dir), 1);
    /* err may be NULL: the status says it all the same */
    ASSERT_INT_EQ(tyche_commit_files(files, 2, NULL, NULL, NULL), TYCHE_EIO);
    rmdir(b);
    rm_folder(dir);
}

typedef struct {
    const char *paths[2];
    int renaming, present;
} hook_seen;

/* Runs after the renames, while signals still wait. */
static void look(void *user) {
    hook_seen *h = user;
    h->renaming = tyche_commit_renaming;
    h->present = access(h->paths[0], F_OK) == 0 && access(h->paths[1], F_OK) == 0;
}

TEST(commit_hook_runs_after_the_renames_with_signals_waiting) {
    char dir[256], a[300], b[300];
    make_folder(dir, sizeof dir);
    ASSERT(dir[0]);
    snprintf(a, sizeof a, "%s/a", dir);
    snprintf(b, sizeof b, "%s/b", dir);
    const tyche_result_file files[2] = {{a, write_text, "a\n"}, {b, write_text, "b\n"}};
    hook_seen h = {{a, b}, 0, 0};
    ASSERT_INT_EQ(tyche_commit_files(files, 2, look, &h, NULL), TYCHE_OK);
    ASSERT_INT_EQ(h.renaming, 1);
    ASSERT_INT_EQ(h.present, 1);
    ASSERT_INT_EQ(tyche_commit_renaming, 0);
    rm_folder(dir);
}

TEST(commit_in_steps_takes_a_file_written_by_the_caller_at_its_temporary_name) {
    char dir[256], a[300], b[300], got[64];
    make_folder(dir, sizeof dir);
    ASSERT(dir[0]);
    snprintf(a, sizeof a, "%s/s.json", dir);
    snprintf(b, sizeof b, "%s/r.h5", dir);
    const tyche_result_file files[2] = {{a, write_text, "summary\n"}, {b, NULL, NULL}};
    tyche_commit *c = NULL;
    tyche_err err = {0};
    ASSERT_INT_EQ(tyche_commit_alloc(files, 2, &c, &err), TYCHE_OK);
    const char *tb = tyche_commit_tmp(c, 1);
    ASSERT(tb != NULL && strncmp(tb, b, strlen(b)) == 0 && strstr(tb, ".tmp.") != NULL);
    ASSERT(tyche_commit_tmp(c, 2) == NULL);
    ASSERT_INT_EQ(tyche_commit_write(c, &err), TYCHE_OK);
    spit(tb, "rows\n"); /* as the ranks of an MPI run write it */
    ASSERT_INT_EQ(tyche_commit_rename(c, NULL, NULL, &err), TYCHE_OK);
    tyche_commit_free(c, &err);
    slurp(a, got, sizeof got);
    ASSERT_STR_EQ(got, "summary\n");
    slurp(b, got, sizeof got);
    ASSERT_STR_EQ(got, "rows\n");
    ASSERT_INT_EQ(n_entries(dir), 2);
    /* a set given up before its renames leaves nothing */
    ASSERT_INT_EQ(tyche_commit_alloc(files, 2, &c, &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_commit_write(c, &err), TYCHE_OK);
    spit(tyche_commit_tmp(c, 1), "other rows\n");
    tyche_commit_free(c, NULL);
    ASSERT_INT_EQ(n_entries(dir), 2);
    slurp(b, got, sizeof got);
    ASSERT_STR_EQ(got, "rows\n");
    rm_folder(dir);
}

TEST(commit_a_temporary_name_in_a_message_becomes_the_users_name) {
    tyche_err err;
    tyche_err_set(&err, TYCHE_EIO, "x.h5.tmp.host.42: cannot write: disk full (x.h5.tmp.host.42)");
    tyche_err_name_user_file(&err, "x.h5.tmp.host.42", "x.h5");
    ASSERT_STR_EQ(err.msg, "x.h5: cannot write: disk full (x.h5)");
    ASSERT_INT_EQ(err.code, TYCHE_EIO);
    tyche_err_name_user_file(NULL, "a", "b"); /* no error to change */
}
