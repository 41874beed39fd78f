#!/usr/bin/env bash
# Configures and builds tyche into build/ (or $1 with extra CMake flags after it): the command,
# the library and, with python3-dev, the Python API in <dir>/python (PYTHONPATH=<dir>/python;
# README "Python API").
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
shift || true
cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$(nproc)" >/dev/null
