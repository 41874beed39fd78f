/* Temporary files of the writers: named, remembered and swept.
 *
 * Every result is written under "<path>.tmp.<host>.<pid>" and renamed onto
 * <path> when whole.  The name says who wrote it, so that
 *  - a signal handler can remove this process's own temporary files (the
 *    list below is fixed-size and lock-free: unlink() is all it calls), and
 *  - a later run writing the same output can tell a file left by a process
 *    that no longer exists (kill -9, a node's crash) from one being written
 *    now, and remove only the former.
 * The host is in the name because folders are shared between the nodes of a
 * cluster, where a pid means nothing off its own host: only files of this
 * host are ever judged.  (A container that shares the host's name but not
 * its pid namespace sees the host's writers as gone: run tyche in one
 * namespace per output folder.) */
#include <errno.h>
#include <limits.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tyche/io.h"
#include "util.h"

#define TMP_SLOTS 32
#define TMP_NAME_MAX 4096

static struct {
    int used; /* 0 free, 1 being filled, 2 holds a name (atomics: a handler may read it) */
    char name[TMP_NAME_MAX];
} slots[TMP_SLOTS];

void tyche_path_folder(const char *path, char *buf, size_t len) {
    const char *slash = strrchr(path, '/');
    if (slash == NULL) snprintf(buf, len, ".");
    else snprintf(buf, len, "%.*s", (int)(slash == path ? 1 : slash - path), path);
}

static void host_name(char *buf, size_t len) {
    if (gethostname(buf, len) != 0) snprintf(buf, len, "localhost");
    buf[len - 1] = '\0';
    /* a name that could not be read back (a slash would also leave the folder) */
    for (char *p = buf; *p; p++)
        if (*p == '/' || *p == ' ' || *p == '\n') *p = '_';
}

static void remember(const char *tmp) {
    if (strlen(tmp) >= TMP_NAME_MAX) return; /* too long to keep: not removed on a signal */
    for (int i = 0; i < TMP_SLOTS; i++) {
        int expect = 0;
        if (__atomic_compare_exchange_n(&slots[i].used, &expect, 1, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            memcpy(slots[i].name, tmp, strlen(tmp) + 1);
            __atomic_store_n(&slots[i].used, 2, __ATOMIC_RELEASE);
            return;
        }
    }
}

char *tyche_tmp_name(const char *path) {
    char host[65];
    host_name(host, sizeof host);
    const size_t n = strlen(path) + strlen(host) + 40;
    char *tmp = tyche_malloc(n);
    if (tmp == NULL) return NULL;
    snprintf(tmp, n, "%s.tmp.%s.%ld", path, host, (long)getpid());
    remember(tmp);
    return tmp;
}

void tyche_tmp_forget(const char *tmp) {
    if (tmp == NULL) return;
    for (int i = 0; i < TMP_SLOTS; i++)
        if (__atomic_load_n(&slots[i].used, __ATOMIC_ACQUIRE) == 2 && strcmp(slots[i].name, tmp) == 0) {
            __atomic_store_n(&slots[i].used, 0, __ATOMIC_RELEASE);
            return;
        }
}

void tyche_tmp_remove_all(void) {
    /* async-signal-safe: atomic loads and unlink() only */
    for (int i = 0; i < TMP_SLOTS; i++)
        if (__atomic_load_n(&slots[i].used, __ATOMIC_ACQUIRE) == 2) (void)unlink(slots[i].name);
}

/* Whether `rest` (what follows "<base>.tmp.") names a dead process of this
 * host: "<host>.<pid>", optionally followed by ".tmp.<host>.<pid>" (a
 * temporary file of a temporary file); *pid gets the first pid. */
static int left_by_dead_process(const char *rest, const char *host, long *pid) {
    char own[TMP_NAME_MAX];
    snprintf(own, sizeof own, "%s", rest);
    char *inner = strstr(own, ".tmp.");
    if (inner) *inner = '\0';
    char *dot = strrchr(own, '.');
    if (dot == NULL || dot[1] == '\0') return 0;
    for (const char *p = dot + 1; *p; p++)
        if (*p < '0' || *p > '9') return 0;
    *dot = '\0';
    if (strcmp(own, host) != 0) return 0;
    errno = 0;
    *pid = strtol(dot + 1, NULL, 10);
    /* no pid of this machine's is above INT_MAX; a larger one cast to
     * pid_t could even name a process group */
    if (errno || *pid <= 0 || *pid > INT_MAX || *pid == (long)getpid()) return 0;
    /* EPERM: alive, another user's; only ESRCH says it is gone */
    return kill((pid_t)*pid, 0) != 0 && errno == ESRCH;
}

int tyche_tmp_sweep(const char *path, int whole_folder, tyche_tmp_swept_fn said, void *user) {
    char dir[TMP_NAME_MAX], base[TMP_NAME_MAX], host[65];
    host_name(host, sizeof host);
    if (whole_folder) {
        snprintf(dir, sizeof dir, "%s", path);
        base[0] = '\0';
    } else {
        const char *slash = strrchr(path, '/');
        tyche_path_folder(path, dir, sizeof dir);
        snprintf(base, sizeof base, "%s", slash ? slash + 1 : path);
    }
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    int removed = 0;
    const size_t nb = strlen(base);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        const char *name = e->d_name, *rest;
        if (whole_folder) {
            rest = strstr(name, ".tmp.");
            if (rest == NULL || rest == name) continue;
            rest += 5;
        } else {
            if (strncmp(name, base, nb) != 0 || strncmp(name + nb, ".tmp.", 5) != 0) continue;
            rest = name + nb + 5;
        }
        long pid;
        if (!left_by_dead_process(rest, host, &pid)) continue;
        char full[2 * TMP_NAME_MAX + 2];
        snprintf(full, sizeof full, "%s/%s", dir, name);
        if (unlink(full) == 0) {
            removed++;
            if (said) said(user, full, pid);
        }
    }
    closedir(d);
    return removed;
}
