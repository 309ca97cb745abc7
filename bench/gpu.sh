#!/usr/bin/env bash
# The GPU half of issue 7's benchmark, for a machine with an NVIDIA GPU, a
# Python that has PyTorch (CUDA) and JAX's CUDA PJRT plugin installed (the full
# install of bench/requirements-gpu.txt, not run.sh's CPU-only venv), and no
# package registry: nothing is installed or built here.
#
# Needs, beside the working tree:
#   bench/bin/latentbench  built elsewhere:
#                          go build -o bench/bin/latentbench ./bench/cmd/latentbench
#   bench/bin/latent       optional, for the multi-GPU table (more than one GPU):
#                          go build -o bench/bin/latent ./cmd/latent
#   MNIST's gzipped IDX files in $LATENT_DATA/mnist, ./data/mnist or
#                          ~/.local/share/latent/mnist (cp -r ~/.local/share/latent/mnist data/)
#
# It runs latentbench on XLA CUDA (the plugin `latent setup --cuda` installed
# in ~/.local/lib/go-xla/cuda13 or cuda12, else the one inside the Python's
# jax_plugins package with its nvidia/ wheels, or $XLA_CUDA_PLUGIN; latent
# checks the driver, GPUs and NVIDIA libraries first and says what is
# missing), then PyTorch on cuda from
# latent's initial weights on the same batches, and prints the same table and
# parity check as bench/run.sh, with PyTorch cuda as the baseline. Raw numbers
# go to $BENCH_OUT (default bench/results)/gpu-<timestamp>.json. With more than
# one GPU it then trains with `latent train --devices N` for N = 1, 2, 4, … and
# all (128 images per device per step) and prints images/s per device count,
# also saved as gpu-devices-<timestamp>.txt.
#
# Environment: BENCH_STEPS (200), BENCH_WARMUP (20), BENCH_MAX_DIFF (5),
# BENCH_OUT, PYTHON (python3), XLA_CUDA_PLUGIN (path to xla_cuda_plugin.so).
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${BENCH_STEPS:-200}
warmup=${BENCH_WARMUP:-20}
max_diff=${BENCH_MAX_DIFF:-5}
out_dir=${BENCH_OUT:-bench/results}
py=${PYTHON:-python3}
bin=bench/bin/latentbench
start=$SECONDS

die() { echo "gpu.sh: $*" >&2; exit 1; }

[[ -x $bin ]] || die "$bin is missing: build it with go build -o $bin ./bench/cmd/latentbench and carry it"
"$py" -c 'import torch, sys; sys.exit(not torch.cuda.is_available())' ||
	die "$py: PyTorch with a usable CUDA device is needed"

data_dir=
for d in ${LATENT_DATA:+"$LATENT_DATA/mnist"} data/mnist "$HOME/.local/share/latent/mnist"; do
	if [[ -f $d/train-images-idx3-ubyte.gz && -f $d/t10k-images-idx3-ubyte.gz ]]; then
		data_dir=$d
		break
	fi
done
[[ -n $data_dir ]] || die "no MNIST: put the gzipped IDX files in data/mnist (cp -r ~/.local/share/latent/mnist data/)"

# The XLA CUDA PJRT plugin: `latent setup --cuda`'s, else JAX's installed plugin package.
plugin=${XLA_CUDA_PLUGIN:-}
for major in 13 12; do
	setup_plugin=$HOME/.local/lib/go-xla/cuda$major/pjrt/pjrt_c_api_cuda_plugin.so
	if [[ -z $plugin && -f $setup_plugin ]]; then
		plugin=$setup_plugin
	fi
done
if [[ -z $plugin ]]; then
	for mod in xla_cuda13 xla_cuda12; do
		dir=$("$py" -c "import os, jax_plugins.$mod as m; print(os.path.dirname(m.__file__))" 2>/dev/null) || continue
		if [[ -f $dir/xla_cuda_plugin.so ]]; then
			plugin=$dir/xla_cuda_plugin.so
			break
		fi
	done
fi
if [[ -z $plugin ]]; then
	plugin=$(find / \( -path /proc -o -path /sys -o -path /dev \) -prune -o \
		\( -name xla_cuda_plugin.so -o -name pjrt_c_api_cuda_plugin.so \) -print 2>/dev/null | head -n 1 || true)
fi
[[ -n $plugin && -f $plugin ]] || die "no xla_cuda_plugin.so found (set XLA_CUDA_PLUGIN to the CUDA PJRT plugin's path)"
plugin=$(realpath "$plugin")

# latent names XLA's CUDA data folder (ptxas, libdevice) itself, from the
# nvidia/ folder beside the plugin (`latent setup --cuda`'s or the Python's
# site-packages/nvidia), unless XLA_FLAGS already names one.
echo "gpu.sh: plugin $plugin; XLA_FLAGS=${XLA_FLAGS:-}; data $data_dir" >&2
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2 || true

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "gpu.sh: latent on XLA CUDA, $steps steps ($warmup warm-up)" >&2
if ! "$bin" --backend "xla:$plugin" --data-dir "$data_dir" --steps "$steps" --warmup "$warmup" \
	--init-out "$tmp/init.json" --json "$tmp/latent-cuda.json"; then
	printf '{"system": "latent xla:cuda", "detail": "%s", "train": {"error": "failed: latentbench exited with an error (see above)"}, "decode": {}}\n' \
		"$plugin" >"$tmp/latent-cuda.json"
fi

echo "gpu.sh: PyTorch on cuda, $steps steps ($warmup warm-up)" >&2
init=()
[[ -f $tmp/init.json ]] && init=(--init-from "$tmp/init.json")
"$py" bench/torch_vae.py --device cuda --data-dir "$data_dir" --steps "$steps" --warmup "$warmup" \
	"${init[@]}" --json "$tmp/torch-cuda.json"

mkdir -p "$out_dir"
"$py" bench/report.py --max-diff "$max_diff" \
	--note "gpu.sh: $((SECONDS - start)) s in all" \
	--out "$out_dir/gpu-$(date +%Y%m%dT%H%M%S).json" "$tmp/latent-cuda.json" "$tmp/torch-cuda.json"

# Data-parallel training: images/s per device count, 128 images per device.
gpus=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU' || true)
if ((gpus > 1)) && [[ -x bench/bin/latent ]]; then
	table=$out_dir/gpu-devices-$(date +%Y%m%dT%H%M%S).txt
	counts=()
	for ((n = 1; n < gpus; n *= 2)); do counts+=("$n"); done
	counts+=(all)
	printf '%-8s %-7s %s\n' devices batch images/s | tee "$table"
	for n in "${counts[@]}"; do
		k=$n
		[[ $n == all ]] && k=$gpus
		line=$(bench/bin/latent train --backend "xla:$plugin" --devices "$n" --data-dir "$data_dir" \
			--out "$tmp/devices-$n" --steps "$steps" --batch-size $((128 * k)) --test-limit 1000 --save-every 0 2>/dev/null |
			grep -o '[0-9.]* images/s' || echo 'failed images/s')
		printf '%-8s %-7s %s\n' "$n" $((128 * k)) "${line% images/s}" | tee -a "$table"
	done
elif ((gpus > 1)); then
	echo "gpu.sh: $gpus GPUs but no bench/bin/latent: build it to measure --devices" >&2
fi
