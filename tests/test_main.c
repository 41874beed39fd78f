/* The single test runner: runs every registered test, or those named on
 * the command line, and prints "N passed, N failed". */
#include <stdio.h>
#include <stdlib.h>
#include "test.h"

#define MAX_TESTS 512
static struct { const char *file, *name; test_fn fn; } tests[MAX_TESTS];
static int n_tests;
int test_failed;

void test_register(const char *file, const char *name, test_fn fn) {
    if (n_tests < MAX_TESTS) {
        tests[n_tests].file = file;
        tests[n_tests].name = name;
        tests[n_tests].fn = fn;
        n_tests++;
    }
}

int main(int argc, char **argv) {
    int passed = 0, failed = 0;
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (int i = 0; i < n_tests; i++) puts(tests[i].name);
        return 0;
    }
    for (int i = 0; i < n_tests; i++) {
        int selected = argc == 1;
        for (int a = 1; a < argc; a++) {
            if (strcmp(argv[a], "--suite") == 0 && a + 1 < argc) {
                /* tests/test_<suite>.c */
                char want[128];
                snprintf(want, sizeof want, "test_%s.c", argv[++a]);
                const char *base = strrchr(tests[i].file, '/');
                base = base ? base + 1 : tests[i].file;
                if (strcmp(base, want) == 0) selected = 1;
            } else if (strcmp(argv[a], tests[i].name) == 0) {
                selected = 1;
            }
        }
        if (!selected) continue;
        test_failed = 0;
        tests[i].fn();
        if (test_failed) {
            failed++;
            printf("FAIL %s\n", tests[i].name);
        } else {
            passed++;
            printf("ok   %s\n", tests[i].name);
        }
    }
    if (passed + failed == 0) {
        fprintf(stderr, "no test matched\n");
        return 1;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
