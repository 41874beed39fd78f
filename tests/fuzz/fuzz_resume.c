/* The args file of a checkpointed run (DIR/args), as `tyche run --resume`
 * reads it. */
#include "fuzz_common.h"
#include "args_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = fuzz_file("args", data, size);
    int argc = 0;
    char **argv = NULL;
    tyche_err err;
    if (cli_args_read(path, &argc, &argv, &err) == TYCHE_OK) {
        /* what was read must be what would be written back */
        char again[600];
        snprintf(again, sizeof again, "%s.again", path);
        if (cli_args_write(again, argc, argv, &err) != TYCHE_OK) abort();
        int argc2 = 0;
        char **argv2 = NULL;
        if (cli_args_read(again, &argc2, &argv2, &err) != TYCHE_OK || argc2 != argc) abort();
        for (int i = 1; i < argc; i++)
            if (strcmp(argv[i], argv2[i]) != 0) abort();
        cli_args_free(argc2, argv2);
        cli_args_free(argc, argv);
    }
    return 0;
}
