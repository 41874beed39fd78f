/* tyche: scoring forecasts once statements resolve.
 *
 * Outcomes file (JSON):
 *   {"scenario": "article",                       optional: checked against the summary
 *    "outcomes": {"P1": {"outcome": false, "resolved": "2027-06-30"},
 *                 "P2": {"outcome": true,  "resolved": "2027-10-20"}}}
 * Statements of the summary missing from "outcomes" are listed as not yet
 * resolved.  Per resolved statement, with p its forecast probability and o
 * the outcome (1 true, 0 false):
 *   Brier score      (p - o)^2                      0 best, lower is better
 *   log score        ln p_o, p_o = p if o else 1-p  0 best, higher is better
 *   baseline score   100 log2(p_o / 0.5)            Metaculus' baseline-relative log score:
 *                                                   0 for a coin flip, 100 for certainty
 * A Monte Carlo probability of exactly 0 or 1 means "not seen in n trials",
 * not "impossible": p is clamped to [1/(2n), 1 - 1/(2n)] so log scores stay
 * finite. */
#ifndef TYCHE_SCORE_H
#define TYCHE_SCORE_H

#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *id, *text;
    int resolved, outcome;
    char resolved_on[11];
    double p;                      /* as forecast */
    double brier, log_score, baseline;
} tyche_score_row;

typedef struct tyche_scores tyche_scores;

/* Reads both files; EINPUT naming the file and JSON path on any problem. */
TYCHE_API tyche_scores *tyche_score_files(const char *summary, const char *outcomes,
                                          tyche_err *err);
TYCHE_API void tyche_scores_free(tyche_scores *s);
TYCHE_API size_t tyche_scores_n(const tyche_scores *s);
TYCHE_API const tyche_score_row *tyche_scores_row(const tyche_scores *s, size_t i);
/* Means over the resolved statements; n = how many. */
TYCHE_API void tyche_scores_overall(const tyche_scores *s, double *brier, double *log_score,
                                    double *baseline, size_t *n);
/* The scores as JSON text (caller frees). */
TYCHE_API char *tyche_scores_json(const tyche_scores *s);
/* The same, written to path through a temporary file and a rename: a
 * failure leaves any file already there as it was.  EIO naming the file
 * and the reason, or ENOMEM. */
TYCHE_API tyche_status tyche_scores_write_json(const tyche_scores *s, const char *path,
                                               tyche_err *err);

#ifdef __cplusplus
}
#endif
#endif
