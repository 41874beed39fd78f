/* The `tyche` command: argument parsing, subcommands, the progress bar and
 * the terminal tables.  It uses the public API in include/tyche/ only. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tyche/tyche.h"
#ifdef TYCHE_MPI
#include <mpi.h>
#endif

#include "cli.h"

static const char *usage_main =
    "usage: tyche <command> [options]\n"
    "\n"
    "Monte Carlo forecasts of dated statements from a scenario file.\n"
    "\n"
    "commands:\n"
    "  run SCENARIO       simulate trials; print a table, write HDF5 and a JSON summary\n"
    "  describe SCENARIO  list every parameter (prior, 5/50/95%) and every statement\n"
    "  replay SCENARIO    re-simulate one trial alone and print it\n"
    "  backtest SCENARIO  forecast a revenue model from past origins, score against the data\n"
    "  score SUMMARY.json OUTCOMES.json   Brier and log scores of resolved statements\n"
    "  merge SHARD.h5... -o FILE.h5   join the files of a --shard I/N job array\n"
    "  tornado SCENARIO   each uncertain parameter at its 10% and 90% values: the swings\n"
    "  sweep SCENARIO --grid NAME=V1,V2,...   the statements over a grid of values\n"
    "  sobol SCENARIO --base N   first-order and total Sobol indices of every statement\n"
    "\n"
    "  tyche --version    print the version\n"
    "  tyche COMMAND --help\n";

static int wants_help(int argc, char **argv) {
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return 1;
    return 0;
}

static const struct {
    const char *name;
    const char *const *usage;
    int (*fn)(int argc, char **argv, char *line);
} commands[] = {
    {"run", &cli_usage_run, cli_cmd_run},
    {"describe", &cli_usage_describe, cli_cmd_describe},
    {"replay", &cli_usage_replay, cli_cmd_replay},
    {"tornado", &cli_usage_tornado, cli_cmd_tornado},
    {"sweep", &cli_usage_tornado, cli_cmd_sweep},
    {"sobol", &cli_usage_sobol, cli_cmd_sobol},
    {"merge", &cli_usage_merge, cli_cmd_merge},
    {"score", &cli_usage_score, cli_cmd_score},
    {"backtest", &cli_usage_backtest, cli_cmd_backtest},
};

static int dispatch(int argc, char **argv);

int main(int argc, char **argv) {
    /* A file-size limit (ulimit -f, a batch system's quota) must end in an
     * error that removes the temporary file, not in SIGXFSZ killing the
     * process and leaving it behind: ignored, the write fails with EFBIG. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &ign, NULL);
    cli_install_stop_handlers();
#ifdef TYCHE_MPI
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &cli_mpi_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &cli_mpi_size);
    const int rc = dispatch(argc, argv);
    MPI_Finalize();
    return rc;
#else
    return dispatch(argc, argv);
#endif
}

static int dispatch(int argc, char **argv) {
    if (argc < 2) {
        fputs(usage_main, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("tyche %s\n", tyche_version());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
        if (strcmp(cmd, commands[k].name) != 0) continue;
        if (wants_help(argc - 1, argv + 1)) return fputs(*commands[k].usage, stdout), 0;
        char *line = cli_join_args(argc, argv); /* the command line, for provenance */
        if (line == NULL) {
            fputs("tyche: out of memory\n", stderr);
            return 1;
        }
        const int rc = commands[k].fn(argc - 1, argv + 1, line);
        free(line);
        return rc;
    }
    fprintf(stderr, "tyche: unknown command \"%s\"\n\n%s", cmd, usage_main);
    return 2;
}

