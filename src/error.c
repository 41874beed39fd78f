/* The one place errors are recorded: break here to catch any of them. */
#include <stdarg.h>
#include <stdio.h>
#include "tyche/common.h"

tyche_status tyche_err_set(tyche_err *err, tyche_status code, const char *fmt, ...) {
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

int tyche_status_exit_code(tyche_status s) {
    if (s == TYCHE_OK) return 0;
    return s == TYCHE_EINPUT ? 2 : 1;
}

const char *tyche_version(void) { return TYCHE_VERSION_STRING; }
