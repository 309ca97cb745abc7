#!/usr/bin/env bash
# bench/venv.sh: bench/.venv, the Python side of `make bench` and of
# bench/calibrate.sh (PyTorch, JAX and numpy on CPU, pinned in
# bench/requirements.txt), installed once. Prints the venv's python.
#
# The packages are installed with --no-deps: every package is listed in
# requirements.txt with its pure-Python dependencies, and none of the nvidia-*,
# cuda-* or triton packages (≈4 GB) that PyPI's torch wheel declares.
# bench/cuda_stubs.py then stubs the CUDA libraries the wheel links against.
# A stamp names the inputs' hash: a second run installs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=bench/.venv
req=bench/requirements.txt
stamp="$venv/.installed-$(cat "$req" bench/cuda_stubs.py | sha256sum | cut -c1-16)"
if [[ ! -f $stamp ]]; then
	echo "bench: installing $(grep -cE '^[A-Za-z]' "$req") pinned packages (torch, jax, optax, …) into $venv, once" >&2
	rm -rf "$venv"
	"${PYTHON:-python3}" -m venv "$venv"
	"$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check --no-deps -r "$req" >&2
	"$venv/bin/python" bench/cuda_stubs.py "$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >&2
	"$venv/bin/python" -c 'import torch, jax, optax; torch.ones(2, 2) @ torch.ones(2, 2); jax.numpy.ones(2).sum()'
	touch "$stamp"
fi
echo "$venv/bin/python"
