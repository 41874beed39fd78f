/* JSON reading helpers: every accessor names the JSON path in its message,
 * so a user can find the problem without reading the code. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "json_util.h"
#include "tyche/date.h"

char *tyche_strdup(const char *s) {
    if (s == NULL) s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

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

int tyche_parse_number(const char *text, double *out) {
    /* cJSON reads numbers the same under any locale (strtod alone would stop
     * at '.' under a comma-decimal LC_NUMERIC) */
    if (text == NULL || *text == '\0' || *text == ' ') return 0;
    cJSON *j = cJSON_ParseWithOpts(text, NULL, 1); /* the whole text: "62.3abc" is not a number */
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
    char *buf = malloc(cap);
    while (buf) {
        len += fread(buf + len, 1, cap - len - 1, f);
        if (len + 1 < cap) break;
        char *nb = cap < ((size_t)1 << 30) ? realloc(buf, cap * 2) : NULL;
        if (nb == NULL) {
            free(buf);
            fclose(f);
            tyche_err_set(err, cap < ((size_t)1 << 30) ? TYCHE_ENOMEM : TYCHE_EINPUT,
                          "%s: cannot read the %s (larger than 1 GiB, or out of memory)", file, what);
            return NULL;
        }
        buf = nb;
        cap *= 2;
    }
    const int bad = ferror(f);
    fclose(f);
    if (buf == NULL || bad) {
        free(buf);
        tyche_err_set(err, buf ? TYCHE_EINPUT : TYCHE_ENOMEM, "%s: cannot read the %s", file, what);
        return NULL;
    }
    buf[len] = '\0';
    if (len_out) *len_out = len;
    return buf;
}

tyche_status tyche_write_text_file(const char *path, char *text, tyche_err *err) {
    if (text == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    if (f && fclose(f) != 0) ok = 0;
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) unlink(tmp);
    free(text);
    return ok ? TYCHE_OK
              : tyche_err_set(err, TYCHE_EIO, "%s: cannot write (is the folder writable?)", path);
}
