/* Small helpers for reading validated JSON with messages that name the
 * file and the JSON path of every problem. */
#ifndef TYCHE_JSON_UTIL_H
#define TYCHE_JSON_UTIL_H

#include <cjson/cJSON.h>
#include "tyche/common.h"
#include "tyche/io.h" /* tyche_tmp_name */

/* Fails with "<path>: unknown key \"k\" (expected one of a, b, c)" for any key
 * not in the NULL-terminated `allowed`, and for duplicate keys. */
tyche_status tyche_json_check_keys(const cJSON *obj, const char *const *allowed, const char *path,
                                   tyche_err *err);

/* Reads obj[key] as a string.  Absent: TYCHE_OK with *out = dflt when
 * !required, else an error.  *out points into the cJSON tree. */
tyche_status tyche_json_string(const cJSON *obj, const char *key, int required, const char *dflt,
                               const char *path, const char **out, tyche_err *err);

/* Reads obj[key] as a finite number (same absent rule). */
tyche_status tyche_json_number(const cJSON *obj, const char *key, int required, double dflt,
                               const char *path, double *out, tyche_err *err);

/* Reads obj[key] as a date "YYYY-MM-DD" (days since 1970-01-01). */
tyche_status tyche_json_date(const cJSON *obj, const char *key, int required, int32_t dflt,
                             const char *path, int32_t *out, tyche_err *err);

/* Writes path + "." + key into buf ("<file>: " + key at the root). */
void tyche_json_path(char *buf, size_t len, const char *path, const char *key);

/* The separator between a path and a message: ": ", or "" after the root
 * path "<file>: ". */
const char *tyche_json_sep(const char *path);

/* The name of a JSON type for messages ("a string", "an object", ...). */
const char *tyche_json_type_name(const cJSON *item);

/* Failed allocations so far in this process (src/alloc.c). */
unsigned long long tyche_alloc_failures(void);

/* cJSON's parser (the whole text, nothing after it), telling bad JSON
 * (NULL, *oom = 0) from a failed allocation (NULL, *oom = 1).  len 0: up to
 * the NUL; *end (when end is not NULL) gets where parsing stopped. */
cJSON *tyche_json_parse(const char *text, size_t len, const char **end, int *oom);

/* Building JSON to write: cJSON's Add functions leave a member out when an
 * allocation fails.  tyche_json_add/push add `item` to object `o` under
 * `key` / to array `a`, and delete it when that fails (o or item NULL, or
 * no memory), so nothing leaks; tyche_json_print prints `root` (compact or
 * indented; every number as tyche_json_format_number writes it), deletes
 * it, and returns NULL when any allocation failed since
 * `failures` (tyche_alloc_failures() read before building), so that a
 * document with a member silently missing is never written. */
void tyche_json_add(cJSON *o, const char *key, cJSON *item);
void tyche_json_push(cJSON *a, cJSON *item);
char *tyche_json_print(cJSON *root, unsigned long long failures, int compact);

/* Room for any number tyche_json_format_number writes, NUL included. */
#define TYCHE_NUMBER_CHARS 32

/* Writes x into out in the shortest of %.15g, %.16g and %.17g that strtod
 * reads back to exactly x (for a subnormal, the fewest digits that do), with
 * '.' as the decimal point under any locale; "null" when x is not finite
 * (JSON has no NaN).  Returns the length.  cJSON's own printer goes from
 * %1.15g straight to %1.17g (1/3 as 0.33333333333333331) and keeps a %1.15g
 * that reads back within a relative DBL_EPSILON, not exactly (0.1 + 0.2 as
 * 0.3), so the JSON files print numbers with this instead. */
size_t tyche_json_format_number(double x, char out[TYCHE_NUMBER_CHARS]);

/* Parses a whole string as a finite number, the same under any locale.
 * Returns 1 on success, 0 if it is not one, -1 if memory ran out. */
int tyche_parse_number(const char *text, double *out);

/* The whole of `file` (at most 1 GiB), NUL-terminated; *len (if not NULL)
 * gets its length.  `what` names it in messages ("scenario file").  The
 * caller frees.  NULL with EINPUT (cannot open or read) or ENOMEM. */
char *tyche_read_file(const char *file, size_t *len, const char *what, tyche_err *err);

/* Writes text (and a final newline) to path through a temporary file and a
 * rename; takes ownership of text (freed; NULL reports ENOMEM).  `what`
 * names the file in messages: EIO "<path>: cannot write the <what>:
 * <reason>" ("File too large").  A failure leaves neither the temporary
 * file nor a change under path. */
tyche_status tyche_write_text_file(const char *path, char *text, const char *what,
                                   tyche_err *err);

/* Every result file is written whole under a temporary name, then renamed:
 * tyche_tmp_name (tmpfile.c, declared in tyche/io.h) gives
 * "<path>.tmp.<host>.<pid>" in the same folder, so the rename cannot cross
 * file systems.
 * tyche_commit_file flushes the complete tmp to the disk and renames it
 * onto path; on failure it removes tmp and sets EIO "<path>: cannot write
 * the <what>: <reason>" (or "<path>: is a folder, not a file"). */
tyche_status tyche_commit_file(const char *tmp, const char *path, const char *what, tyche_err *err);
/* fsync()s the folder that holds path (best effort): a rename is on the
 * disk only once its folder is. */
void tyche_fsync_folder_of(const char *path);
/* 1 when path exists and is a folder (a result cannot be written there). */
int tyche_is_folder(const char *path);

#endif
