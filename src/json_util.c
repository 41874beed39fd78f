/* JSON reading helpers: every accessor names the JSON path in its message,
 * so a user can find the problem without reading the code. */
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "json_util.h"
#include "util.h"
#include "tyche/date.h"

void tyche_json_path(char *buf, size_t len, const char *path, const char *key) {
    size_t n = strlen(path);
    /* the root path is "<file>: ", after which keys need no dot */
    snprintf(buf, len, "%s%s%s", path, (n > 0 && path[n - 1] == ' ') ? "" : ".", key);
}

const char *tyche_json_sep(const char *path) {
    size_t n = strlen(path);
    return (n > 0 && path[n - 1] == ' ') ? "" : ": ";
}

const char *tyche_json_type_name(const cJSON *item) {
    if (item == NULL) return "nothing";
    if (cJSON_IsNumber(item)) return "a number";
    if (cJSON_IsString(item)) return "a string";
    if (cJSON_IsBool(item)) return "a boolean";
    if (cJSON_IsNull(item)) return "null";
    if (cJSON_IsArray(item)) return "an array";
    if (cJSON_IsObject(item)) return "an object";
    return "an invalid value";
}

tyche_status tyche_json_check_keys(const cJSON *obj, const char *const *allowed, const char *path,
                                   tyche_err *err) {
    for (const cJSON *it = obj->child; it; it = it->next) {
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, it->string) == 0) ok = 1;
        if (!ok) {
            char list[512] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list; a++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         a == allowed ? "" : ", ", *a);
            return tyche_err_set(err, TYCHE_EINPUT, "%s%sunknown key \"%s\" (expected one of %s)",
                                 path, tyche_json_sep(path), it->string, list);
        }
        for (const cJSON *b = obj->child; b != it; b = b->next)
            if (strcmp(b->string, it->string) == 0)
                return tyche_err_set(err, TYCHE_EINPUT, "%s%sduplicate key \"%s\"", path,
                                     tyche_json_sep(path), it->string);
    }
    return TYCHE_OK;
}

tyche_status tyche_json_string(const cJSON *obj, const char *key, int required, const char *dflt,
                               const char *path, const char **out, tyche_err *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it == NULL) {
        if (required)
            return tyche_err_set(err, TYCHE_EINPUT, "%s%smissing key \"%s\"", path, tyche_json_sep(path), key);
        *out = dflt;
        return TYCHE_OK;
    }
    if (!cJSON_IsString(it)) {
        char where[600];
        tyche_json_path(where, sizeof where, path, key);
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a string, got %s", where,
                             tyche_json_type_name(it));
    }
    *out = it->valuestring;
    return TYCHE_OK;
}

tyche_status tyche_json_number(const cJSON *obj, const char *key, int required, double dflt,
                               const char *path, double *out, tyche_err *err) {
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (it == NULL) {
        if (required)
            return tyche_err_set(err, TYCHE_EINPUT, "%s%smissing key \"%s\"", path, tyche_json_sep(path), key);
        *out = dflt;
        return TYCHE_OK;
    }
    char where[600];
    tyche_json_path(where, sizeof where, path, key);
    if (!cJSON_IsNumber(it))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: expected a number, got %s", where,
                             tyche_json_type_name(it));
    if (!isfinite(it->valuedouble))
        return tyche_err_set(err, TYCHE_EINPUT, "%s: must be a finite number", where);
    *out = it->valuedouble;
    return TYCHE_OK;
}

tyche_status tyche_json_date(const cJSON *obj, const char *key, int required, int32_t dflt,
                             const char *path, int32_t *out, tyche_err *err) {
    const char *s = NULL;
    tyche_status st = tyche_json_string(obj, key, required, NULL, path, &s, err);
    if (st) return st;
    if (s == NULL) {
        *out = dflt;
        return TYCHE_OK;
    }
    char where[600];
    tyche_json_path(where, sizeof where, path, key);
    return tyche_date_parse(s, out, where, err);
}

cJSON *tyche_json_parse(const char *text, size_t len, const char **end, int *oom) {
    const unsigned long long failed = tyche_alloc_failures();
    const char *e = NULL;
    /* len + 1: cJSON wants the terminating NUL inside the length it is given */
    cJSON *j = len ? cJSON_ParseWithLengthOpts(text, len + 1, &e, 1) : cJSON_ParseWithOpts(text, &e, 1);
    *oom = j == NULL && tyche_alloc_failures() != failed;
    if (end) *end = e;
    return j;
}

void tyche_json_add(cJSON *o, const char *key, cJSON *item) {
    if (item && (o == NULL || !cJSON_AddItemToObject(o, key, item))) cJSON_Delete(item);
}

void tyche_json_push(cJSON *a, cJSON *item) {
    if (item && (a == NULL || !cJSON_AddItemToArray(a, item))) cJSON_Delete(item);
}

/* %.*g of x in the current locale, and whether strtod (same locale) reads
 * it back to exactly x. */
static int format_at(double x, int prec, char *buf, size_t len) {
    snprintf(buf, len, "%.*g", prec, x);
    char *end;
    return strtod(buf, &end) == x && *end == '\0';
}

size_t tyche_json_format_number(double x, char out[TYCHE_NUMBER_CHARS]) {
    if (!isfinite(x)) {
        strcpy(out, "null");
        return 4;
    }
    char buf[TYCHE_NUMBER_CHARS];
    size_t best = 0; /* length of out; 0: nothing kept yet */
    /* a normal double that any k <= 15 digits read back to comes out of
     * %.15g as those digits (the double is within half a unit in the last
     * place of them, far inside half a step of 15 digits); a subnormal has
     * fewer bits, so its shortest may need fewer than 15 */
    const int first = fabs(x) < DBL_MIN ? 1 : 15;
    for (int prec = first; prec <= 17; prec++) {
        if (!format_at(x, prec, buf, sizeof buf)) continue;
        const size_t n = strlen(buf);
        /* %.17g can be the shorter one where it is fixed-point and %.16g
         * has an exponent (12345678901234570 against 1.234567890123457e+16) */
        if (best == 0 || n < best) {
            memcpy(out, buf, n + 1);
            best = n;
        }
        if (prec < 15) break; /* the fewest digits of a subnormal */
    }
    /* %.17g always reads back (DBL_DECIMAL_DIG, C11 5.2.4.2.2, is 17) */
    if (best == 0) best = (size_t)snprintf(out, TYCHE_NUMBER_CHARS, "%.17g", x);
    /* the locale's decimal point (printf and strtod agree on it) as '.' */
    const char *dp = localeconv()->decimal_point;
    if (dp != NULL && dp[0] != '\0' && strcmp(dp, ".") != 0) {
        char *at = strstr(out, dp);
        if (at != NULL) {
            const size_t k = strlen(dp);
            *at = '.';
            memmove(at + 1, at + k, strlen(at + k) + 1);
            best -= k - 1;
        }
    }
    return best;
}

/* Turns item, if a number, and every number under it into raw JSON text as
 * tyche_json_format_number writes it (cJSON prints a raw item as it is).
 * Returns 0 when memory ran out. */
static int numbers_to_raw(cJSON *item) {
    if (cJSON_IsNumber(item)) {
        char buf[TYCHE_NUMBER_CHARS];
        const size_t n = tyche_json_format_number(item->valuedouble, buf);
        char *text = cJSON_malloc(n + 1); /* cJSON_Delete frees it */
        if (text == NULL) return 0;
        memcpy(text, buf, n + 1);
        item->valuestring = text;
        /* the flags above the type (a key the item does not own) stay */
        item->type = cJSON_Raw | (item->type & ~0xFF);
        return 1;
    }
    for (cJSON *c = item->child; c != NULL; c = c->next)
        if (!numbers_to_raw(c)) return 0;
    return 1;
}

char *tyche_json_print(cJSON *root, unsigned long long failures, int compact) {
    char *text = NULL;
    if (root != NULL && numbers_to_raw(root))
        text = compact ? cJSON_PrintUnformatted(root) : cJSON_Print(root);
    cJSON_Delete(root);
    if (text && tyche_alloc_failures() != failures) {
        free(text);
        text = NULL;
    }
    return text;
}

int tyche_parse_number(const char *text, double *out) {
    /* cJSON reads numbers the same under any locale (strtod alone would stop
     * at '.' under a comma-decimal LC_NUMERIC) */
    if (text == NULL || *text == '\0' || *text == ' ') return 0;
    int oom;
    cJSON *j = tyche_json_parse(text, 0, NULL, &oom); /* the whole text: "62.3abc" is not a number */
    if (oom) return -1;
    const int ok = j != NULL && cJSON_IsNumber(j) && isfinite(j->valuedouble);
    if (ok) *out = j->valuedouble;
    cJSON_Delete(j);
    return ok;
}

char *tyche_read_file(const char *file, size_t *len_out, const char *what, tyche_err *err) {
    FILE *f = fopen(file, "rb");
    if (f == NULL) {
        tyche_err_set(err, TYCHE_EINPUT, "%s: cannot open the %s", file, what);
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = tyche_malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len + 1 < cap) break;
        char *nb = cap < ((size_t)1 << 30) ? tyche_realloc(buf, cap * 2) : NULL;
        if (nb == NULL) {
            free(buf);
            fclose(f);
            if (cap < ((size_t)1 << 30))
                tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading the %s", file, what);
            else
                tyche_err_set(err, TYCHE_EINPUT, "%s: the %s is larger than 1 GiB", file, what);
            return NULL;
        }
        buf = nb;
        cap *= 2;
    }
    const int bad = ferror(f);
    fclose(f);
    if (buf == NULL) {
        tyche_err_set(err, TYCHE_ENOMEM, "%s: out of memory reading the %s", file, what);
        return NULL;
    }
    if (bad) {
        free(buf);
        tyche_err_set(err, TYCHE_EINPUT, "%s: cannot read the %s", file, what);
        return NULL;
    }
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

int tyche_is_folder(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void tyche_fsync_folder_of(const char *path) {
    char dir[4096];
    tyche_path_folder(path, dir, sizeof dir);
    const int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) return;
    (void)fsync(fd); /* best effort: some file systems refuse it on a folder */
    close(fd);
}

tyche_status tyche_commit_file(const char *tmp, const char *path, const char *what, tyche_err *err) {
    int e = 0;
    if (tyche_is_folder(path)) {
        e = EISDIR; /* rename() would say so too, but only after the fsync */
    } else {
        /* On the disk before it has its name: after a crash or power loss
         * the final name holds the previous file or the whole new one,
         * never a file the kernel had not yet written out. */
        const int fd = open(tmp, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0) e = errno;
        if (fd >= 0) close(fd);
        if (!e && rename(tmp, path) != 0) e = errno;
        /* and the rename itself: until the folder is on the disk, a power
         * loss can take back any number of recent renames */
        if (!e) tyche_fsync_folder_of(path);
    }
    if (!e) {
        tyche_tmp_forget(tmp);
        return TYCHE_OK;
    }
    (void)unlink(tmp); /* best effort: the error below is what matters */
    tyche_tmp_forget(tmp);
    if (e == EISDIR) return tyche_err_set(err, TYCHE_EIO, "%s: is a folder, not a file", path);
    return tyche_err_set(err, TYCHE_EIO, "%s: cannot write the %s: %s", path, what, strerror(e));
}

tyche_status tyche_write_text_file(const char *path, char *text, const char *what,
                                   tyche_err *err) {
    if (text == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the %s", what);
    char *tmp = tyche_tmp_name(path);
    if (tmp == NULL) {
        free(text);
        return tyche_err_set(err, TYCHE_ENOMEM, "out of memory writing the %s", what);
    }
    /* errno of the first failure: "File too large", "No space left on
     * device" and "Permission denied" each call for a different remedy */
    int e = 0;
    FILE *f = fopen(tmp, "wb");
    if (f == NULL) {
        e = errno;
    } else {
        if (fputs(text, f) < 0 || fputc('\n', f) == EOF || fflush(f) != 0) e = errno;
        if (fclose(f) != 0 && !e) e = errno;
    }
    free(text);
    tyche_status st;
    if (e) {
        (void)unlink(tmp);
        st = tyche_err_set(err, TYCHE_EIO, "%s: cannot write the %s: %s", path, what, strerror(e));
    } else {
        st = tyche_commit_file(tmp, path, what, err);
    }
    tyche_tmp_forget(tmp); /* renamed or removed: the name no longer ours */
    free(tmp);
    return st;
}
