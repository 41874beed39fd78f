#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test
# (unit, command line, HDF5 readers), then the ASan+UBSan build's suite (with
# allocation faults injected), the fuzz targets, and the ThreadSanitizer
# build's suite.  Exit status 0 only if all pass.
#   TYCHE_QUICK=1 scripts/test.sh   skips the sanitizer builds and the fuzzing
#   TYCHE_FUZZ_SECONDS=N              fuzzes each target N s (default 15)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
jobs=$(nproc)

echo "== build (RelWithDebInfo, -Werror)"
scripts/build.sh build
echo "== MPI build (-DTYCHE_MPI=ON, OpenMPI + parallel HDF5) and mpirun -np 1, 2, 3"
scripts/build.sh build-mpi -DTYCHE_MPI=ON
TYCHE=$PWD/build-mpi/tyche TYCHE_SRC=$PWD bash tests/mpi/mpirun.sh

echo "== tests (the Slurm test also runs the MPI build's hybrid job)"
ctest --test-dir build --output-on-failure -j "$jobs"

echo "== valgrind memcheck (a run with paths, a merge, a describe, a failed write)"
bash tests/valgrind.sh build/tyche .

if [[ "${TYCHE_QUICK:-0}" != 1 ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer build (with allocation fault injection) and tests"
  scripts/build.sh build-asan -DTYCHE_SANITIZE=ON -DTYCHE_FAULT_INJECTION=ON
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
    ctest --test-dir build-asan --output-on-failure -j "$jobs"

  echo "== fuzz targets (libFuzzer, clang, ASan+UBSan): every kept input, then ${TYCHE_FUZZ_SECONDS:-15} s of fuzzing each"
  scripts/fuzz.sh --replay
  scripts/fuzz.sh "${TYCHE_FUZZ_SECONDS:-15}"

  echo "== ThreadSanitizer build (clang + LLVM libomp + Archer): the suite, 3 threads"
  # gcc's libgomp synchronises through futexes TSan cannot see, so every
  # OpenMP hand-over would be reported; LLVM's libomp with its Archer tool
  # tells TSan about OpenMP's barriers instead.  Left out: the tests of other
  # programs (Slurm, the notebook, the NumPy reference), io_faults, whose
  # file-size limits stop TSan's own runtime before main(), and long_runs
  # (signals and files between processes, not threads; at TSan's speed its
  # runs of 10^5 trials would take most of the time).
  CC=clang scripts/build.sh build-tsan -DTYCHE_TSAN=ON
  archer=$(ls /usr/lib/llvm-*/lib/libarcher.so | sort -V | tail -n 1)
  OMP_TOOL_LIBRARIES="$archer" TSAN_OPTIONS="halt_on_error=1 ignore_noninstrumented_modules=1" \
    OMP_NUM_THREADS=3 ctest --test-dir build-tsan --output-on-failure -j "$jobs" \
    -E 'cli_(slurm|notebook|numpy_crosscheck|io_faults|alloc_faults|long_runs)'
fi
echo "== all tests passed"
