#!/usr/bin/env bash
# Installs the Debian packages tyche needs, only those missing (idempotent:
# a no-op taking well under a second when everything is there).
#   scripts/deps.sh build   compiler, CMake, GSL, OpenMP, HDF5, cJSON, Random123, python3-dev
#                           (the Python module; the build goes on without it)
#   scripts/deps.sh run     the above plus Python's readers and matplotlib (the plots), tqdm (the
#                           Python API's progress bar)
#   scripts/deps.sh test    all of it, plus what the tests use (clang, Jupyter, OpenMPI and
#                           parallel HDF5, Slurm, ...)
#   scripts/deps.sh mpi     build, plus OpenMPI and parallel HDF5 (cmake -DTYCHE_MPI=ON)
set -euo pipefail

build_pkgs=(gcc make cmake libc6-dev libgsl-dev libcjson-dev libhdf5-dev hdf5-tools
            librandom123-dev libsleef-dev python3-dev)
test_pkgs=(clang libomp-dev libclang-rt-dev locales slurm-wlm slurm-wlm-basic-plugins openmpi-bin
           libopenmpi-dev libhdf5-openmpi-dev python3 python3-numpy python3-h5py
           python3-xarray python3-h5netcdf python3-netcdf4 netcdf-bin python3-pandas
           python3-matplotlib python3-scipy python3-nbconvert python3-ipykernel jupyter-core
           jupyter-nbconvert valgrind util-linux python3-pytest python3-tqdm)

run_pkgs=(python3 python3-numpy python3-pandas python3-h5py python3-xarray python3-h5netcdf
          python3-matplotlib python3-tqdm)

want=("${build_pkgs[@]}")
case "${1:-build}" in
  build) ;;
  run) want+=("${run_pkgs[@]}") ;;
  test) want+=("${run_pkgs[@]}" "${test_pkgs[@]}") ;;
  mpi) want+=(openmpi-bin libopenmpi-dev libhdf5-openmpi-dev) ;;
  *) echo "usage: scripts/deps.sh build|run|test|mpi" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
