/* The `tyche` command: dispatches to its commands (one file each; their
 * options in opts.c).  It uses the public API in include/tyche/ only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
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

/* Every command, in the order of the help above (opts.c names them when an
 * option belongs to another command). */
const cli_command *const cli_commands[] = {
    &cli_run_command, &cli_describe_command, &cli_replay_command, &cli_backtest_command, &cli_score_command,
    &cli_merge_command, &cli_tornado_command, &cli_sweep_command, &cli_sobol_command,
};
const size_t cli_n_commands = sizeof cli_commands / sizeof cli_commands[0];

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
    /* SERIALIZED, not FUNNELED: a run's writer thread writes its rows through
     * MPI-IO while the main thread simulates (never both at once) */
    MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
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
    /* the vector path, forced (tests, or a comparison of paths): every path
     * gives the same bits, so this changes speed only */
    const char *vector = getenv("TYCHE_VECTOR");
    if (vector) {
        tyche_err e;
        if (tyche_vector_select(vector, &e) != TYCHE_OK) {
            fprintf(stderr, "tyche: %s\n", e.msg);
            return 2;
        }
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("tyche %s (stream version %d, vector path %s)\n", tyche_version(), TYCHE_STREAM_VERSION,
               tyche_vector_path());
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    const char *names[sizeof cli_commands / sizeof cli_commands[0]];
    for (size_t k = 0; k < cli_n_commands; k++) {
        names[k] = cli_commands[k]->name;
        if (strcmp(cmd, names[k]) != 0) continue;
        char *line = cli_join_args(argc, argv); /* the command line, for provenance */
        if (line == NULL) {
            fputs("tyche: out of memory\n", stderr);
            return 1;
        }
        const int rc = cli_commands[k]->fn(argc - 1, argv + 1, line);
        free(line);
        return rc;
    }
    const char *near = cli_nearest(cmd, names, cli_n_commands);
    if (cli_mpi_rank == 0)
        fprintf(stderr, "tyche: unknown command \"%s\"%s%s%s\nusage: tyche <command> [options]  (tyche --help for "
                "the commands)\n", cmd, near ? "; did you mean " : "", near ? near : "", near ? "?" : "");
    return 2;
}

