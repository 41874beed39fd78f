/* The atomic write of a set of result files (tyche/commit.h): each written
 * whole under its temporary name, flushed, then all renamed into place with
 * signals waiting, the folders flushed; on failure every temporary removed
 * and the final names untouched.
 *
 * How it works: a writer is handed the temporary name "<path>.tmp.<host>.
 * <pid>" (remembered by tmpfile.c, so a signal handler can remove it) and
 * writes the whole file there; a writer that itself writes through a
 * temporary file and a rename (tyche_write_hdf5 and the JSON writers do)
 * nests one inside the other, which tyche_tmp_sweep understands.  Only when
 * every file of the set is whole and on the disk do the renames start, so
 * a failure in any writer leaves the previous results under every final
 * name.  A rename can still fail after an earlier one succeeded (a final
 * name turned into a folder in between): that is reported, never hidden. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tyche/commit.h"
#include "tyche/io.h"
#include "json_util.h"

volatile sig_atomic_t tyche_commit_renaming;

struct tyche_commit {
    const tyche_result_file *files;
    size_t n;
    char **tmp;     /* temporary names, owned */
    int *renamed;   /* 1 once file i is under its final name */
};

void tyche_err_name_user_file(tyche_err *err, const char *tmp, const char *path) {
    if (err == NULL || tmp == NULL || tmp[0] == '\0') return;
    for (int guard = 0; guard < 8; guard++) {
        char *at = strstr(err->msg, tmp);
        if (at == NULL) return;
        char rest[TYCHE_ERR_MAX], head[TYCHE_ERR_MAX];
        snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
        *at = '\0';
        snprintf(head, sizeof head, "%s", err->msg);
        tyche_err_set(err, err->code, "%s%s%s", head, path, rest);
    }
}

void tyche_commit_free(tyche_commit *c, tyche_err *err) {
    if (c == NULL) return;
    for (size_t i = 0; c->tmp && i < c->n; i++) {
        char *t = c->tmp[i];
        if (t == NULL) continue;
        if (!c->renamed[i]) (void)unlink(t); /* best effort: absent when its writer failed early */
        tyche_tmp_forget(t);
        tyche_err_name_user_file(err, t, c->files[i].path);
        free(t);
    }
    free(c->tmp);
    free(c->renamed);
    free(c);
}

tyche_status tyche_commit_alloc(const tyche_result_file *files, size_t n, tyche_commit **out,
                                tyche_err *err) {
    *out = NULL;
    /* a folder under a final name is refused before anything is written:
     * the later of two renames would find it only after the first */
    for (size_t i = 0; i < n; i++)
        if (tyche_is_folder(files[i].path))
            return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", files[i].path);
    tyche_commit *c = tyche_calloc(1, sizeof *c);
    if (c == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    c->files = files;
    c->n = n;
    c->tmp = tyche_calloc(n ? n : 1, sizeof *c->tmp);
    c->renamed = tyche_calloc(n ? n : 1, sizeof *c->renamed);
    int ok = c->tmp && c->renamed;
    for (size_t k = 0; ok && k < n; k++) ok = (c->tmp[k] = tyche_tmp_name(files[k].path)) != NULL;
    if (!ok) {
        tyche_commit_free(c, NULL);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    }
    *out = c;
    return TYCHE_OK;
}

const char *tyche_commit_tmp(const tyche_commit *c, size_t i) {
    return c && i < c->n ? c->tmp[i] : NULL;
}

tyche_status tyche_commit_write(tyche_commit *c, tyche_err *err) {
    for (size_t i = 0; i < c->n; i++) {
        if (c->files[i].write == NULL) continue;
        const tyche_status st = c->files[i].write(c->files[i].obj, c->tmp[i], err);
        if (st != TYCHE_OK) return st;
    }
    return TYCHE_OK;
}

/* fsync() of a whole temporary file: on the disk before it has its name, so
 * after a power loss the final name holds the old file or the whole new one. */
static int flush_file(const char *tmp) {
    const int fd = open(tmp, O_RDONLY);
    int e = fd < 0 || fsync(fd) != 0 ? errno : 0;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno;
    return e;
}

tyche_status tyche_commit_rename(tyche_commit *c, tyche_commit_hook after, void *user, tyche_err *err) {
    for (size_t i = 0; i < c->n; i++) {
        const int e = flush_file(c->tmp[i]);
        if (e) return tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", c->files[i].path, strerror(e));
    }
    tyche_status st = TYCHE_OK;
    tyche_commit_renaming = 1;
    for (size_t k = c->n; st == TYCHE_OK && k-- > 0;) {
        if (rename(c->tmp[k], c->files[k].path) != 0)
            st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write: %s", c->files[k].path, strerror(errno));
        else
            c->renamed[k] = 1;
    }
    /* the renames themselves: until its folder is on the disk, a power loss
     * can take back any number of recent renames */
    for (size_t k = 0; k < c->n; k++)
        if (c->renamed[k]) tyche_fsync_folder_of(c->files[k].path);
    if (st == TYCHE_OK && after) after(user);
    tyche_commit_renaming = 0;
    return st;
}

tyche_status tyche_commit_files(const tyche_result_file *files, size_t n, tyche_commit_hook after,
                                void *user, tyche_err *err) {
    tyche_commit *c;
    tyche_status st = tyche_commit_alloc(files, n, &c, err);
    if (st != TYCHE_OK) return st;
    st = tyche_commit_write(c, err);
    if (st == TYCHE_OK) st = tyche_commit_rename(c, after, user, err);
    tyche_commit_free(c, err);
    return st;
}
