/* The forecast log: lines appended whole, in order; concurrent appenders
 * (forked processes) never interleave within a line; a line cut short by a
 * file-size limit is taken back; and a run's line holds its probabilities
 * exactly (read back with cJSON, compared bit for bit). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "files.h"
#include "scen.h"
#include "test.h"
#include "tyche/tyche.h"

static void log_path(char *buf, size_t len) {
    snprintf(buf, len, "/tmp/tyche-test-log-%ld-XXXXXX", (long)getpid());
    const int fd = mkstemp(buf);
    if (fd >= 0) close(fd);
    unlink(buf); /* the log is made by the first append */
}

TEST(forecast_log_lines_are_appended_whole_and_in_order) {
    char path[128];
    log_path(path, sizeof path);
    tyche_err err = {0};
    static const char *const lines[] = {"{\"a\": 1}\n", "{\"b\": [1, 2, 3]}\n", "{}\n"};
    for (int i = 0; i < 3; i++)
        ASSERT_INT_EQ(tyche_forecast_log_append_line(path, lines[i], strlen(lines[i]), &err), TYCHE_OK);
    char *got = file_read(path, NULL);
    ASSERT(got != NULL);
    ASSERT_STR_EQ(got, "{\"a\": 1}\n{\"b\": [1, 2, 3]}\n{}\n");
    free(got);
    unlink(path);
}

#define KIDS 6
#define EACH 150
#define LINE 3000 /* well above PIPE_BUF: no write atomicity to lean on */

TEST(forecast_log_concurrent_appends_from_forked_processes_give_whole_lines) {
    char path[128];
    log_path(path, sizeof path);
    pid_t kids[KIDS];
    for (int k = 0; k < KIDS; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            char line[LINE + 64];
            for (int i = 0; i < EACH; i++) {
                /* "k i " then a run of one letter, its length varying */
                const int len = LINE - 97 * ((k + i) % 7);
                int n = snprintf(line, sizeof line, "%d %d ", k, i);
                memset(line + n, 'a' + k, (size_t)(len - n));
                line[len] = '\n';
                if (tyche_forecast_log_append_line(path, line, (size_t)len + 1, NULL) != TYCHE_OK) _exit(1);
            }
            _exit(0);
        }
        ASSERT(kids[k] > 0);
    }
    int bad_exit = 0;
    for (int k = 0; k < KIDS; k++) bad_exit |= !child_ok(kids[k]);
    ASSERT(!bad_exit);
    size_t len;
    char *got = file_read(path, &len);
    ASSERT(got != NULL);
    int seen[KIDS][EACH] = {{0}}, lines = 0, malformed = 0;
    for (char *p = got; *p;) {
        char *nl = strchr(p, '\n');
        if (nl == NULL) {
            malformed++;
            break;
        }
        int k, i, n;
        if (sscanf(p, "%d %d %n", &k, &i, &n) != 2 || k < 0 || k >= KIDS || i < 0 || i >= EACH) {
            malformed++;
        } else {
            const long want = LINE - 97 * ((k + i) % 7);
            int same = nl - p == want;
            for (char *q = p + n; same && q < nl; q++) same = *q == 'a' + k;
            if (same) seen[k][i]++;
            else malformed++;
        }
        lines++;
        p = nl + 1;
    }
    free(got);
    unlink(path);
    ASSERT_INT_EQ(malformed, 0);
    ASSERT_INT_EQ(lines, KIDS * EACH);
    for (int k = 0; k < KIDS; k++)
        for (int i = 0; i < EACH; i++) ASSERT_INT_EQ(seen[k][i], 1);
}

TEST(forecast_log_a_line_cut_short_by_a_size_limit_is_taken_back) {
    char path[128];
    log_path(path, sizeof path);
    const char *first = "{\"first\": true}\n";
    ASSERT_INT_EQ(tyche_forecast_log_append_line(path, first, strlen(first), NULL), TYCHE_OK);
    const pid_t kid = fork();
    if (kid == 0) {
        /* room for 10 more bytes: the write of 200 is cut short (EFBIG after) */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {(rlim_t)strlen(first) + 10, (rlim_t)strlen(first) + 10};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(2);
        char line[201];
        memset(line, 'x', 200);
        line[199] = '\n';
        line[200] = '\0';
        tyche_err err = {0};
        const tyche_status st = tyche_forecast_log_append_line(path, line, 200, &err);
        _exit(st == TYCHE_EIO && strstr(err.msg, "cannot append to the log: File too large") && strstr(err.msg, path) ? 0 : 1);
    }
    ASSERT(child_ok(kid));
    ASSERT(file_holds(path, first));
    unlink(path);
}

TEST(forecast_log_a_runs_line_holds_its_probabilities_exactly) {
    tyche_err err = {0};
    tyche_scenario *s = option_scenario(DEFAULT_OPTION_PARAMS, P1_STATEMENTS, &err);
    ASSERT(s != NULL);
    tyche_results *r = run_trials(s, 3000, 11, 1, TYCHE_STORE_NONE);
    ASSERT(r != NULL);
    char path[128];
    log_path(path, sizeof path);
    ASSERT_INT_EQ(tyche_forecast_log_append(path, s, r, "2026-12-01T00:00:00Z", &err), TYCHE_OK);
    ASSERT_INT_EQ(tyche_forecast_log_append(path, s, r, "2026-12-01T00:00:01Z", &err), TYCHE_OK);
    size_t len;
    char *got = file_read(path, &len);
    ASSERT(got != NULL);
    char *nl = strchr(got, '\n');
    ASSERT(nl != NULL && nl[1] != '\0' && got[len - 1] == '\n');
    *nl = '\0';
    cJSON *j = cJSON_Parse(got);
    free(got);
    ASSERT(j != NULL);
    char hash[65];
    tyche_scenario_hash(s, hash);
    ASSERT_STR_EQ(cJSON_GetObjectItem(j, "created_utc")->valuestring, "2026-12-01T00:00:00Z");
    ASSERT_STR_EQ(cJSON_GetObjectItem(j, "scenario_sha256")->valuestring, hash);
    ASSERT_INT_EQ(cJSON_GetObjectItem(j, "seed")->valuedouble, 11);
    ASSERT_INT_EQ(cJSON_GetObjectItem(j, "trials")->valuedouble, 3000);
    const cJSON *st = cJSON_GetObjectItem(j, "statements");
    ASSERT_INT_EQ(cJSON_GetArraySize(st), (int)tyche_scenario_n_statements(s));
    for (size_t i = 0; i < tyche_scenario_n_statements(s); i++) {
        tyche_statement_info si;
        tyche_prob p;
        tyche_scenario_statement(s, i, &si);
        tyche_results_statement(r, i, &p);
        const cJSON *v = cJSON_GetObjectItem(st, si.id);
        ASSERT(v != NULL && cJSON_GetArraySize(v) == 2);
        ASSERT_DBL_IDENTICAL(cJSON_GetArrayItem(v, 0)->valuedouble, p.probability);
    }
    cJSON_Delete(j);
    /* a log that cannot be made: EIO naming it */
    ASSERT_INT_EQ(tyche_forecast_log_append("/nonexistent-folder/log.jsonl", s, r, "x", &err), TYCHE_EIO);
    ASSERT_STR_CONTAINS(err.msg, "/nonexistent-folder/log.jsonl: cannot append to the log: ");
    unlink(path);
    tyche_results_free(r);
    tyche_scenario_free(s);
}
