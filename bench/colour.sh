#!/usr/bin/env bash
# `make bench-colour`: the parity check of latent's colour likelihoods against
# PyTorch (issue 40). For each of the Gaussian and the discretised logistic,
# latentbench --data shapes trains latent's default conv model (hidden 256,
# widths 32,64, latent 16) on package shapes' 32x32 RGB images for
# $COLOUR_STEPS Adam steps (batch 128, lr 1e-3, β 1, no warm-up; batches in
# order, wrapping around the 2,700 training images), writes its initial
# weights and the images, and bench/torch_vae.py --images-from trains the
# PyTorch twin from those weights on those batches (eager, NCHW; the logistic
# is PixelCNN++'s discretized_logistic_mix_likelihood with one component, on
# latent's per-channel log-scale). Both evaluate the negative ELBO (one
# sampled z) on the 300 test images; bench/report.py fails (exit 1) when the
# two differ by more than $COLOUR_MAX_REL (0.01: 1 %) of latent's.
#
# Environment: COLOUR_STEPS (1000), COLOUR_ROUNDS (1; the PyTorch runs use
# seeds 1.., their noise differing), COLOUR_MAX_REL (0.01),
# COLOUR_LIKELIHOODS ("gaussian logistic"),
# COLOUR_TORCH_THREADS (1, with OMP_WAIT_POLICY=PASSIVE: nothing here is
# timed, and PyTorch's spinning threads crawl on a shared CPU), GO (go), PYTHON
# (python3, used only to create bench/.venv; see bench/venv.sh). Results:
# bench/results/colour-<timestamp>.json. bench/NOTES.md records the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${COLOUR_STEPS:-1000}
rounds=${COLOUR_ROUNDS:-1}
max_rel=${COLOUR_MAX_REL:-0.01}
threads=${COLOUR_TORCH_THREADS:-1}
likelihoods=${COLOUR_LIKELIHOODS:-gaussian logistic}
bin=bench/bin/latentbench
start=$SECONDS

py=$(bench/venv.sh)
"${GO:-go}" build -o "$bin" ./bench/cmd/latentbench

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
read -r load_before _ </proc/loadavg
common=(--hidden 256 --steps "$steps" --warmup 1 --eval 300 --decode-repeats 3)
for likelihood in $likelihoods; do
	echo "bench colour: $likelihood, $steps steps: latent" >&2
	"$bin" --backend xla:cpu --data shapes --likelihood "$likelihood" "${common[@]}" \
		--init-out "$tmp/init-$likelihood.json" --images-out "$tmp/images" --json "$tmp/$likelihood-latent.json"
	for round in $(seq "$rounds"); do
		echo "bench colour: $likelihood, $steps steps: PyTorch, round $round of $rounds" >&2
		OMP_WAIT_POLICY=PASSIVE "$py" bench/torch_vae.py --device cpu --form eager --threads "$threads" --likelihood "$likelihood" --images-from "$tmp/images" \
			--seed "$round" "${common[@]}" --init-from "$tmp/init-$likelihood.json" --json "$tmp/$likelihood-torch-$round.json"
	done
done

read -r load_after _ </proc/loadavg
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mkdir -p bench/results
"$py" bench/report.py --max-diff 0 --max-rel-diff "$max_rel" --out "bench/results/colour-$(date +%Y%m%dT%H%M%S).json" \
	--note "bench colour: $((SECONDS - start)) s in all; $steps steps; CPU: $cpu ($(nproc) cores); load average $load_before before, $load_after after" \
	"$tmp"/*-latent.json "$tmp"/*-torch-*.json
