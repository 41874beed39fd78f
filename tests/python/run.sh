#!/usr/bin/env bash
# ctest py_api: the pytest suite of the Python API (tests/python), run by the Python the
# module was built for, with PYTHONPATH at the build's python folder.  Skipped (77) when
# pytest or the module is missing (a build without python3-dev: -DTYCHE_PYTHON=OFF).
set -u
py=${TYCHE_PYTHON_EXE:-/usr/bin/python3}
if ! "$py" -c "import pytest" 2>/dev/null; then echo "py_api: no pytest (python3-pytest)"; exit 77; fi
if ! "$py" -c "import tyche._tyche" 2>/dev/null; then
  echo "py_api: no tyche module under PYTHONPATH=${PYTHONPATH:-} (built with TYCHE_PYTHON=ON?)"
  exit 77
fi
cd "$(mktemp -d)" || exit 1
trap 'rm -rf "$PWD"' EXIT
exec "$py" -m pytest -q -p no:cacheprovider "$TYCHE_SRC/tests/python" "$@"
