/* The argument file of a checkpointed run (DIR/args): one argument per
 * line, written by `tyche run --checkpoint DIR` and read back by
 * `tyche run --resume DIR`. */
#ifndef TYCHE_CLI_ARGS_FILE_H
#define TYCHE_CLI_ARGS_FILE_H

#include "tyche/common.h"

#define CLI_ARGS_MAX 1024        /* arguments in one file */
#define CLI_ARG_MAX_LEN 4096     /* bytes in one argument */

/* Writes argv[1..argc-1], one per line, to `path` through a temporary file
 * and a rename.  EINPUT when an argument holds a newline (it could not be
 * read back as one), EIO when the file cannot be written. */
tyche_status cli_args_write(const char *path, int argc, char **argv, tyche_err *err);

/* Reads `path` into a new argv whose argv[0] is "run" and argv[*argc] is
 * NULL (free with cli_args_free).  EINPUT naming the file and line for
 * anything tyche cannot have written: a NUL byte, a line longer than
 * CLI_ARG_MAX_LEN, more than CLI_ARGS_MAX lines, a last line without its
 * newline (a cut-short file), "--resume" (a run that resumes itself would
 * never end), or not exactly one "--checkpoint DIR". */
tyche_status cli_args_read(const char *path, int *argc, char ***argv, tyche_err *err);

void cli_args_free(int argc, char **argv);

/* Writes text to path whole: a temporary name, fsync, rename (EIO
 * "<path>: cannot write the <what>: <reason>"). */
tyche_status cli_file_write(const char *path, const char *text, const char *what, tyche_err *err);

#endif
