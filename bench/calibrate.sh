#!/usr/bin/env bash
# bench/calibrate.sh RUN: the FIDs of RUN's samples in features latent did not
# make (issue 24's calibration): a LeNet-5 trained with PyTorch
# (bench/calibrate.py), 5,000 samples of each prior against the test split.
#
# Rows: N(0, I); one Gaussian (a 1-component gmm prior fitted to a copy of
# the run); each prior the run has fitted (gmm, diffusion); the training
# split (the floor). Samples are `latent sample -n 5000 --seed 1 -o FILE.npy`.
# Python is bench/.venv (bench/venv.sh, installed once). Environment: N
# (5000), SEED (1), BACKEND (xla:cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
run=${1:?usage: bench/calibrate.sh RUN}
n=${N:-5000}
seed=${SEED:-1}
backend=${BACKEND:-xla:cpu}
[[ -f $run/config.json ]] || { echo "calibrate: $run: no run folder (no config.json)" >&2; exit 1; }

py=$(bench/venv.sh)
"${GO:-go}" build -o bin/latent ./cmd/latent
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

sample() { # NAME RUN PRIOR LABEL: samples of RUN's PRIOR as $tmp/NAME.npy, a row called LABEL
	bin/latent sample --run "$2" --backend "$backend" -n "$n" --seed "$seed" --prior "$3" -o "$tmp/$1.npy" >&2
	args+=(--samples "$4=$tmp/$1.npy")
}
args=()
sample normal "$run" normal "N(0, I)"
# One Gaussian: a copy of the run without its priors, fitted a 1-component mixture.
mkdir "$tmp/one" && cp -r "$run"/. "$tmp/one/" && rm -rf "$tmp/one/priors"
bin/latent prior fit --run "$tmp/one" --backend "$backend" --kind gmm --components 1 >&2
sample one "$tmp/one" gmm "one Gaussian"
for kind in gmm diffusion; do
	if [[ -d $run/priors/$kind ]]; then sample "$kind" "$run" "$kind" "$kind prior"; fi
done
"$py" bench/calibrate.py --n "$n" "${args[@]}"
