/* tyche: errors as values, shared by every module.
 *
 * Every fallible function returns a tyche_status and, on failure, fills a
 * caller-owned tyche_err with one human-readable line that names what is
 * wrong and where (file, JSON path, flag).  `err` may be NULL in every call
 * (the status is returned either way; tests/test_scenario.c and the other
 * unit tests call with NULL).  All messages go through
 * tyche_err_set(), so a single breakpoint there catches every error. */
#ifndef TYCHE_COMMON_H
#define TYCHE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(TYCHE_BUILDING_LIBRARY) && defined(__GNUC__)
#define TYCHE_API __attribute__((visibility("default")))
#else
#define TYCHE_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    TYCHE_OK = 0,
    TYCHE_EINPUT = 2,  /* bad scenario, flag or value: the user's to fix (exit 2) */
    TYCHE_EIO = 3,     /* a file could not be read or written (exit 1) */
    TYCHE_ENOMEM = 4,  /* an allocation failed (exit 1) */
    TYCHE_ERUN = 5     /* a failure while running, e.g. a numerical one (exit 1) */
} tyche_status;

#define TYCHE_ERR_MAX 1024

typedef struct {
    tyche_status code;
    char msg[TYCHE_ERR_MAX];
} tyche_err;

/* Records status `code` with a printf-style message in `err` (which may be
 * NULL).  Returns `code`, so callers can write `return tyche_err_set(...)`. */
TYCHE_API tyche_status tyche_err_set(tyche_err *err, tyche_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Process exit status for a status: 0 ok, 2 bad input, 1 anything else. */
TYCHE_API int tyche_status_exit_code(tyche_status s);

/* The allocator every part of tyche uses, the command included: malloc,
 * calloc, realloc, a 64-byte-aligned zeroed allocation (on cache lines of
 * its own) and strdup (NULL gives "").  Release them with free().  They
 * exist so that a build configured with -DTYCHE_FAULT_INJECTION=ON can fail
 * any one of them on purpose: with TYCHE_FAIL_ALLOC=k in the environment,
 * the k-th call (counting from 1, across threads) returns NULL and says so
 * on stderr; scripts/test.sh drives k over every allocation of a run. */
TYCHE_API void *tyche_malloc(size_t n);
TYCHE_API void *tyche_calloc(size_t n, size_t size);
TYCHE_API void *tyche_realloc(void *p, size_t n);
TYCHE_API void *tyche_alloc_lines(size_t n);
TYCHE_API char *tyche_strdup(const char *s);

/* Version string of the library, e.g. "0.1.0". */
TYCHE_API const char *tyche_version(void);

#ifdef __cplusplus
}
#endif
#endif
