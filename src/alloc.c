/* The one allocator: every allocation of the library and of the command
 * goes through here, so that a fault-injection build can fail any single
 * one of them and the test suite can prove each failure is handled (an
 * error, no crash, no leak).  GSL's and HDF5's own allocations are theirs. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "tyche/common.h"

/* Every allocation that returned NULL, injected or real: cJSON's parser
 * returns NULL both for bad JSON and for a failed allocation, and callers
 * tell the two apart by this count (tyche_json_parse). */
static atomic_ullong alloc_failed;

unsigned long long tyche_alloc_failures(void) { return atomic_load(&alloc_failed); }

static void *counted(void *p) {
    if (p == NULL) atomic_fetch_add(&alloc_failed, 1);
    return p;
}

#ifdef TYCHE_FAULT_INJECTION
/* TYCHE_FAIL_ALLOC=k: the k-th allocation fails; TYCHE_FAIL_ALLOC=count:
 * none fails, and the number made is printed at exit (the driver's bound).
 * Read on the first call; the count is atomic because OpenMP threads
 * allocate their workspaces. */
static atomic_ullong alloc_count;
static atomic_ullong fail_at;   /* 0: never */
static atomic_flag fail_read = ATOMIC_FLAG_INIT;

static void alloc_report(void) {
    fprintf(stderr, "tyche: fault injection: %llu allocations\n",
            (unsigned long long)atomic_load(&alloc_count));
}

static int alloc_should_fail(void) {
    if (!atomic_flag_test_and_set(&fail_read)) {
        const char *v = getenv("TYCHE_FAIL_ALLOC");
        if (v && strcmp(v, "count") == 0) atexit(alloc_report);
        atomic_store(&fail_at, v ? strtoull(v, NULL, 10) : 0);
    }
    const unsigned long long k = atomic_fetch_add(&alloc_count, 1) + 1;
    if (k != atomic_load(&fail_at)) return 0;
    fprintf(stderr, "tyche: fault injection: allocation %llu fails\n", k);
    return 1;
}
#define FAIL_HERE() alloc_should_fail()
#else
#define FAIL_HERE() 0
#endif

void *tyche_malloc(size_t n) { return counted(FAIL_HERE() ? NULL : malloc(n)); }

void *tyche_calloc(size_t n, size_t size) { return counted(FAIL_HERE() ? NULL : calloc(n, size)); }

void *tyche_realloc(void *p, size_t n) { return counted(FAIL_HERE() ? NULL : realloc(p, n)); }

/* Zeroed memory on whole cache lines of its own: what a thread writes per
 * trial must not share a line with another thread's data, or the two cores
 * fight over it (false sharing). */
void *tyche_alloc_lines(size_t n) {
    if (FAIL_HERE()) return counted(NULL);
    const size_t r = n ? (n + 63) & ~(size_t)63 : 64;
    if (r < n) return counted(NULL);
    void *p = counted(aligned_alloc(64, r));
    if (p) memset(p, 0, r);
    return p;
}

char *tyche_strdup(const char *s) {
    if (s == NULL) s = "";
    const size_t n = strlen(s) + 1;
    char *d = tyche_malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* cJSON allocates every node and string of the JSON it reads and writes;
 * route those through tyche_malloc too, once, as the library loads.  (cJSON's
 * hooks are process-wide: a program that also uses cJSON and sets its own
 * hooks after loading tyche takes them back, and loses only the injection.) */

__attribute__((constructor)) static void alloc_hook_cjson(void) {
    cJSON_Hooks h = {tyche_malloc, free};
    cJSON_InitHooks(&h);
}
