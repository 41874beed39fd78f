/* The argument file of a checkpointed run.  It is read back on --resume,
 * possibly after a crash or by a later version, so the reader trusts
 * nothing: every line is checked, and a file it could not have written is
 * an error naming the line, never a guess. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "args_file.h"
#include "tyche/io.h"

tyche_status cli_args_write(const char *path, int argc, char **argv, tyche_err *err) {
    if (argc - 1 > CLI_ARGS_MAX)
        return tyche_err_set(err, TYCHE_EINPUT, "--checkpoint: more than %d arguments cannot be "
                             "kept for --resume", CLI_ARGS_MAX);
    for (int i = 1; i < argc; i++)
        if (strchr(argv[i], '\n') || strlen(argv[i]) > CLI_ARG_MAX_LEN)
            return tyche_err_set(err, TYCHE_EINPUT,
                                 "--checkpoint: argument %d cannot be kept for --resume "
                                 "(a newline in it, or longer than %d bytes)", i, CLI_ARG_MAX_LEN);
    size_t n = 1;
    for (int i = 1; i < argc; i++) n += strlen(argv[i]) + 1;
    char *text = tyche_malloc(n);
    if (text == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    size_t used = 0;
    for (int i = 1; i < argc; i++) used += (size_t)sprintf(text + used, "%s\n", argv[i]);
    text[used] = '\0';
    tyche_status st = cli_file_write(path, text, "run's arguments", err);
    free(text);
    return st;
}

tyche_status cli_file_write(const char *path, const char *text, const char *what, tyche_err *err) {
    char *tmp = tyche_tmp_name(path);
    if (tmp == NULL) return tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    FILE *f = fopen(tmp, "w");
    int e = f ? 0 : errno;
    if (!e && fputs(text, f) == EOF) e = errno;
    if (f && fflush(f) != 0 && !e) e = errno;
    /* on the disk before it has its name, as every result file */
    if (f && !e && fsync(fileno(f)) != 0) e = errno;
    if (f && fclose(f) != 0 && !e) e = errno;
    if (!e && rename(tmp, path) != 0) e = errno;
    if (e) unlink(tmp);
    tyche_tmp_forget(tmp);
    free(tmp);
    if (e) return tyche_err_set(err, TYCHE_EIO, "%s: cannot write the %s: %s", path, what, strerror(e));
    return TYCHE_OK;
}

void cli_args_free(int argc, char **argv) {
    for (int i = 1; argv && i < argc; i++) free(argv[i]);
    free(argv);
}

tyche_status cli_args_read(const char *path, int *argc_out, char ***argv_out, tyche_err *err) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return tyche_err_set(err, TYCHE_EINPUT, "%s: cannot open it", path);
    char **v = tyche_calloc(CLI_ARGS_MAX + 2, sizeof *v);
    char *line = tyche_malloc(CLI_ARG_MAX_LEN + 2);
    tyche_status st = v && line ? TYCHE_OK : tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
    int n = 1, checkpoints = 0;
    if (v) v[0] = "run";
    while (st == TYCHE_OK) {
        /* fgets cannot tell a NUL byte from the end of the line: count by hand */
        size_t len = 0;
        int c = EOF;
        while (len <= CLI_ARG_MAX_LEN && (c = getc(f)) != EOF && c != '\n' && c != '\0')
            line[len++] = (char)c;
        if (c == EOF && len == 0) break;
        if (c == '\0') {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %d: a NUL byte", path, n);
        } else if (len > CLI_ARG_MAX_LEN) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %d: longer than %d bytes", path, n,
                               CLI_ARG_MAX_LEN);
        } else if (c == EOF) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %d: no newline at its end (the file "
                               "was cut short)", path, n);
        } else if (n > CLI_ARGS_MAX) {
            st = tyche_err_set(err, TYCHE_EINPUT, "%s: more than %d arguments", path, CLI_ARGS_MAX);
        } else {
            line[len] = '\0';
            if (strcmp(line, "--resume") == 0)
                st = tyche_err_set(err, TYCHE_EINPUT, "%s: line %d: --resume (a checkpointed run "
                                   "cannot resume another)", path, n);
            else if ((v[n] = tyche_strdup(line)) == NULL)
                st = tyche_err_set(err, TYCHE_ENOMEM, "out of memory");
            else
                checkpoints += strcmp(v[n++], "--checkpoint") == 0;
        }
    }
    if (st == TYCHE_OK && ferror(f)) st = tyche_err_set(err, TYCHE_EINPUT, "%s: cannot read it", path);
    if (st == TYCHE_OK && checkpoints != 1)
        st = tyche_err_set(err, TYCHE_EINPUT, "%s: expected one --checkpoint among the arguments, "
                           "found %d", path, checkpoints);
    fclose(f);
    free(line);
    if (st != TYCHE_OK) {
        cli_args_free(n, v);
        return st;
    }
    v[n] = NULL;
    *argc_out = n;
    *argv_out = v;
    return TYCHE_OK;
}
