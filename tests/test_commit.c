/* tyche_commit_files: a set of result files appears whole under its final
 * names, or (a writer failing at any file of the set) not at all: no
 * temporary left, no new final file, an existing one byte for byte as it
 * was, and the message naming the user's file, not the temporary. */
#include <errno.h>
#include <sys/stat.h>
#include "files.h"
#include "test.h"
#include "tyche/tyche.h"

static int has_temporary(const char *dir) {
    DIR *d = opendir(dir);
    int found = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) found |= strstr(e->d_name, ".tmp.") != NULL;
    if (d) closedir(d);
    return found;
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

/* A fresh folder (dir, 256 bytes) and two names in it (a and b, 300 bytes
 * each); 0 when the folder cannot be made. */
static int pair_in(char *dir, char *a, const char *na, char *b, const char *nb) {
    folder_make(dir, 256, "commit");
    snprintf(a, 300, "%s/%s", dir, na);
    snprintf(b, 300, "%s/%s", dir, nb);
    return dir[0] != '\0';
}

TEST(commit_puts_every_file_of_a_set_in_place_whole) {
    char dir[256], p[3][300];
    folder_make(dir, sizeof dir, "commit");
    ASSERT(dir[0]);
    static const char *const text[3] = {"{\"summary\": 1}\n", "results, much longer than the summary\n", "third\n"};
    tyche_result_file files[3];
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof p[i], "%s/out%d", dir, i);
        files[i] = (tyche_result_file){p[i], write_text, text[i]};
    }
    file_write(p[1], "the previous results\n"); /* replaced */
    tyche_err err = {0};
    writes = 0;
    ASSERT_INT_EQ(tyche_commit_files(files, 3, NULL, NULL, &err), TYCHE_OK);
    ASSERT_INT_EQ(writes, 3);
    for (int i = 0; i < 3; i++) ASSERT(file_holds(p[i], text[i]));
    ASSERT_INT_EQ(folder_count(dir), 3);
    ASSERT_INT_EQ(tyche_commit_renaming, 0);
    folder_remove(dir);
}

TEST(commit_with_a_writer_failing_at_any_file_leaves_the_old_files_and_no_temporary) {
    for (int k = 0; k < 3; k++) {
        char dir[256], p[3][300];
        folder_make(dir, sizeof dir, "commit");
        ASSERT(dir[0]);
        tyche_result_file files[3];
        for (int i = 0; i < 3; i++) {
            snprintf(p[i], sizeof p[i], "%s/out%d.h5", dir, i);
            files[i] = (tyche_result_file){p[i], i == k ? write_half_then_fail : write_text, "new contents\n"};
        }
        file_write(p[0], "old 0\n"); /* a previous result; out1 and out2 are new */
        tyche_err err = {0};
        writes = 0;
        ASSERT_INT_EQ(tyche_commit_files(files, 3, NULL, NULL, &err), TYCHE_EIO);
        ASSERT_INT_EQ(writes, k + 1); /* the writers after the failure do not run */
        ASSERT(file_holds(p[0], "old 0\n"));
        ASSERT(access(p[1], F_OK) != 0);
        ASSERT(access(p[2], F_OK) != 0);
        ASSERT(!has_temporary(dir));
        ASSERT_INT_EQ(folder_count(dir), 1);
        /* the message names the user's file, whole, and no temporary */
        char want[1400];
        snprintf(want, sizeof want, "%s: cannot write the results: No space left on device", p[k]);
        ASSERT_STR_EQ(err.msg, want);
        ASSERT(strstr(err.msg, ".tmp.") == NULL);
        folder_remove(dir);
    }
}

TEST(commit_refuses_a_folder_under_a_final_name_before_writing_anything) {
    char dir[256], a[300], b[300];
    ASSERT(pair_in(dir, a, "summary.json", b, "results.h5"));
    ASSERT_INT_EQ(mkdir(b, 0777), 0);
    const tyche_result_file files[2] = {{a, write_text, "x\n"}, {b, write_text, "y\n"}};
    tyche_err err = {0};
    writes = 0;
    ASSERT_INT_EQ(tyche_commit_files(files, 2, NULL, NULL, &err), TYCHE_EIO);
    ASSERT_INT_EQ(writes, 0);
    char want[1400];
    snprintf(want, sizeof want, "%s: is a folder, not a file", b);
    ASSERT_STR_EQ(err.msg, want);
    ASSERT_INT_EQ(folder_count(dir), 1);
    /* err may be NULL: the status says it all the same */
    ASSERT_INT_EQ(tyche_commit_files(files, 2, NULL, NULL, NULL), TYCHE_EIO);
    rmdir(b);
    folder_remove(dir);
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
    ASSERT(pair_in(dir, a, "a", b, "b"));
    const tyche_result_file files[2] = {{a, write_text, "a\n"}, {b, write_text, "b\n"}};
    hook_seen h = {{a, b}, 0, 0};
    ASSERT_INT_EQ(tyche_commit_files(files, 2, look, &h, NULL), TYCHE_OK);
    ASSERT_INT_EQ(h.renaming, 1);
    ASSERT_INT_EQ(h.present, 1);
    ASSERT_INT_EQ(tyche_commit_renaming, 0);
    folder_remove(dir);
}

TEST(commit_in_steps_takes_a_file_written_by_the_caller_at_its_temporary_name) {
    char dir[256], a[300], b[300];
    ASSERT(pair_in(dir, a, "s.json", b, "r.h5"));
    const tyche_result_file files[2] = {{a, write_text, "summary\n"}, {b, NULL, NULL}};
    tyche_commit *c = NULL;
    tyche_err err = {0};
    ASSERT_INT_EQ(tyche_commit_alloc(files, 2, &c, &err), TYCHE_OK);
    const char *tb = tyche_commit_tmp(c, 1);
    ASSERT(tb != NULL && strncmp(tb, b, strlen(b)) == 0 && strstr(tb, ".tmp.") != NULL);
    ASSERT(tyche_commit_tmp(c, 2) == NULL);
    ASSERT_INT_EQ(tyche_commit_write(c, &err), TYCHE_OK);
    file_write(tb, "rows\n"); /* as the ranks of an MPI run write it */
    ASSERT_INT_EQ(tyche_commit_rename(c, NULL, NULL, &err), TYCHE_OK);
    tyche_commit_free(c, &err);
    ASSERT(file_holds(a, "summary\n") && file_holds(b, "rows\n"));
    ASSERT_INT_EQ(folder_count(dir), 2);
    /* a set given up before its renames leaves nothing */
    ASSERT_INT_EQ(tyche_commit_alloc(files, 2, &c, &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_commit_write(c, &err), TYCHE_OK);
    file_write(tyche_commit_tmp(c, 1), "other rows\n");
    tyche_commit_free(c, NULL);
    ASSERT_INT_EQ(folder_count(dir), 2);
    ASSERT(file_holds(b, "rows\n"));
    folder_remove(dir);
}

TEST(commit_a_temporary_name_in_a_message_becomes_the_users_name) {
    tyche_err err;
    tyche_err_set(&err, TYCHE_EIO, "x.h5.tmp.host.42: cannot write: disk full (x.h5.tmp.host.42)");
    tyche_err_name_user_file(&err, "x.h5.tmp.host.42", "x.h5");
    ASSERT_STR_EQ(err.msg, "x.h5: cannot write: disk full (x.h5)");
    ASSERT_INT_EQ(err.code, TYCHE_EIO);
    tyche_err_name_user_file(NULL, "a", "b"); /* no error to change */
}
