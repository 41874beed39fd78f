/* Test helper: scratch folders and small files for the tests of writers
 * (commit, forecast log, checkpoint). */
#ifndef TYCHE_TEST_FILES_H
#define TYCHE_TEST_FILES_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* A fresh folder "/tmp/tyche-test-<tag>-XXXXXX" in dir ("" on failure). */
static inline void folder_make(char *dir, size_t len, const char *tag) {
    snprintf(dir, len, "/tmp/tyche-test-%s-XXXXXX", tag);
    if (mkdtemp(dir) == NULL) dir[0] = '\0';
}

/* Entries of dir (not . and ..); with remove, each is removed (files and
 * empty folders), then dir itself. */
static inline int folder_walk(const char *dir, int remove) {
    DIR *d = opendir(dir);
    char p[1200];
    int n = 0;
    for (struct dirent *e = d ? readdir(d) : NULL; e; e = readdir(d)) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        n++;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (remove && rmdir(p) != 0) unlink(p);
    }
    if (d) closedir(d);
    if (remove) rmdir(dir);
    return n;
}
static inline int folder_count(const char *dir) { return folder_walk(dir, 0); }
static inline void folder_remove(const char *dir) { (void)folder_walk(dir, 1); }

/* The whole of a file (the caller frees; NULL when absent), *len its size. */
static inline char *file_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)(n > 0 ? n : 0) + 1);
    const size_t got = buf ? fread(buf, 1, (size_t)(n > 0 ? n : 0), f) : 0;
    if (buf) buf[got] = '\0';
    fclose(f);
    if (len) *len = got;
    return buf;
}

/* Whether file holds exactly text (a missing file holds nothing). */
static inline int file_holds(const char *path, const char *text) {
    char *got = file_read(path, NULL);
    const int same = got ? strcmp(got, text) == 0 : 0;
    if (!same && got) fprintf(stderr, "%s holds \"%s\", not \"%s\"\n", path, got, text);
    free(got);
    return same;
}

static inline void file_write(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* Whether child exited with status 0. */
static inline int child_ok(pid_t child) {
    int status = 0;
    return waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

#endif
