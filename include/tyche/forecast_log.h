/* tyche: the forecast log, one JSON object per line: each run's as-of date,
 * scenario (name and SHA-256), seed, trials and statement probabilities, so
 * forecasts can later be scored against what happened (tyche score).
 * Runs may share one log: each line is appended whole, under a lock. */
#ifndef TYCHE_FORECAST_LOG_H
#define TYCHE_FORECAST_LOG_H

#include "common.h"
#include "engine.h"
#include "scenario.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Appends the forecast of results r (of scenario s) to `file`, created if
 * absent, as one line with created_utc (ISO 8601) as its time.  Returns
 * TYCHE_OK, or EIO "<file>: cannot append to the log: <reason>" (the log as
 * it was: a line cut short is taken back) or "<file>: too many statements
 * for one line". */
TYCHE_API tyche_status tyche_forecast_log_append(const char *file, const tyche_scenario *s,
                                                 const tyche_results *r, const char *created_utc,
                                                 tyche_err *err);

/* The append itself, for any text of n bytes (a line with its '\n'): one
 * write under an fcntl lock on the whole file, so lines of concurrent
 * appenders never interleave; on a short write (disk full, a size limit)
 * the file is cut back to its size before.  On a file system without
 * locks the append still happens, unlocked.  Errors as above. */
TYCHE_API tyche_status tyche_forecast_log_append_line(const char *file, const char *line, size_t n,
                                             tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
