#!/usr/bin/env bash
# Install the Debian packages cz needs, if any are missing. Works on a bare Debian 12 root
# (bash + apt only). Needs root, or sudo without a password.
set -euo pipefail

PACKAGES=(
  # toolchain
  gcc g++ make cmake pkg-config
  # C libraries
  libsymspg-dev libyaml-dev libpng-dev
  # Python (Debian's /usr/bin/python3 with numpy and ASE)
  python3 python3-dev python3-numpy python3-ase python3-pytest python3-setuptools
  python3-venv python3-pip
  # LAMMPS: lmp reads our data files in the tests; liblammps-dev and mpirun run cz relax;
  # lammps-data holds the potential files (Au_u3.eam, SiC.tersoff, CH.airebo)
  lammps liblammps-dev lammps-data openmpi-bin python3-lammps
  # apt-get source (dpkg-source) fetches LAMMPS's C++ headers for the styles (lammps-headers.sh)
  dpkg-dev
  # the multislice simulator (single-precision FFTW) and its HDF5 output; h5py in the tests
  libfftw3-dev libhdf5-dev python3-h5py
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "cz: missing Debian packages (${missing[*]}) and not root: run as root or install them" >&2
  exit 1
fi
echo "cz: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
