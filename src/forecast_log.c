/* The forecast log (tyche/forecast_log.h): a run's forecast as one JSON line
 * appended to a file that other runs may be appending to at the same time.
 *
 * What could go wrong, and what happens: two runs appending at once each
 * take an fcntl lock on the whole file first, so their lines follow one
 * another whole; a write cut short (a full disk, a file-size limit) would
 * leave half a line that spoils every later reader, so the file is cut back
 * to the size it had when the lock was taken, which, under the lock, is the
 * end of the last whole line and never another run's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/forecast_log.h"
#include "tyche/date.h"
#include "json_util.h"

tyche_status tyche_forecast_log_append_line(const char *file, const char *line, size_t n, tyche_err *err) {
    const int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0666);
    int e = fd < 0 ? errno : 0;
    struct flock lk;
    memset(&lk, 0, sizeof lk);
    lk.l_type = F_WRLCK;
    lk.l_whence = SEEK_SET;
    if (!e) (void)fcntl(fd, F_SETLKW, &lk); /* no locks on this file system: unlocked */
    struct stat st0;
    if (!e && fstat(fd, &st0) != 0) e = errno;
    size_t done = 0;
    while (!e && done < n) {
        const ssize_t w = write(fd, line + done, n - done);
        if (w > 0) done += (size_t)w;
        else if (w < 0 && errno != EINTR) e = errno;
        else if (w == 0) e = EIO;
    }
    if (e && done > 0 && ftruncate(fd, st0.st_size) != 0) e = errno;
    if (fd >= 0 && close(fd) != 0 && !e) e = errno; /* closing drops the lock */
    return e == 0 ? TYCHE_OK
                  : tyche_err_set(err, TYCHE_EIO, "%s: cannot append to the log: %s", file, strerror(e));
}

tyche_status tyche_forecast_log_append(const char *file, const tyche_scenario *s, const tyche_results *r,
                                       const char *created_utc, tyche_err *err) {
    tyche_run_info info;
    char hash[65], as_of[11], line[65536];
    tyche_results_info(r, &info);
    tyche_scenario_hash(s, hash);
    tyche_date_format(tyche_scenario_as_of(s), as_of);
    size_t n = (size_t)snprintf(line, sizeof line,
                                "{\"created_utc\": \"%s\", \"as_of\": \"%s\", \"scenario\": \"%s\", "
                                "\"scenario_sha256\": \"%s\", \"seed\": %llu, \"trials\": %llu, "
                                "\"statements\": {",
                                created_utc, as_of, tyche_scenario_name(s), hash,
                                (unsigned long long)info.seed, (unsigned long long)info.trials);
    for (size_t i = 0; i < tyche_scenario_n_statements(s) && n < sizeof line - 200; i++) {
        tyche_statement_info si;
        tyche_prob p;
        tyche_scenario_statement(s, i, &si);
        tyche_results_statement(r, i, &p);
        /* ids are plain identifiers: no escaping needed; the numbers as the
         * summary JSON spells them (the shortest that reads back exactly,
         * '.' under any locale), so a log line and its run's summary agree */
        char pr[TYCHE_NUMBER_CHARS], se[TYCHE_NUMBER_CHARS];
        tyche_json_format_number(p.probability, pr);
        tyche_json_format_number(p.stderr_, se);
        n += (size_t)snprintf(line + n, sizeof line - n, "%s\"%s\": [%s, %s]", i ? ", " : "",
                              si.id, pr, se);
    }
    n += (size_t)snprintf(line + n, sizeof line - n, "}}\n");
    if (n >= sizeof line) return tyche_err_set(err, TYCHE_EIO, "%s: too many statements for one line", file);
    return tyche_forecast_log_append_line(file, line, n, err);
}
