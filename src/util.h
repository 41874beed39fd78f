/* Small helpers with no module of their own. */
#ifndef TYCHE_UTIL_H
#define TYCHE_UTIL_H

#include <stddef.h>

/* The folder of path ("." when it names none), as a string (tmpfile.c). */
void tyche_path_folder(const char *path, char *buf, size_t len);

/* SHA-256 of len bytes as 64 hex digits. */
void tyche_sha256_hex(const void *data, size_t len, char out[65]);

#endif
