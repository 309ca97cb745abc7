#!/usr/bin/env bash
# `make bench`: latent against PyTorch on the same conv VAE, same data, same
# initial weights, on this machine's CPUs.
#
#   1. bench/.venv: PyTorch and numpy from PyPI, pinned in bench/requirements.txt,
#      installed once (a stamp names the requirements' hash; a second run
#      installs nothing).
#   2. latentbench (bench/cmd/latentbench) on XLA CPU: trains $BENCH_STEPS
#      steps on the first $BENCH_STEPS×128 MNIST training images in order, and
#      writes its initial weights for PyTorch.
#   3. torch_vae.py: the same model from those weights, on the same batches.
#   4. latentbench on the pure-Go backend, $BENCH_GO_STEPS steps (it may be
#      unable to train: the row then says why).
#   5. report.py: one markdown table, the parity check (exit 1 if the
#      negative ELBOs differ by more than $BENCH_MAX_DIFF nats), raw numbers in
#      bench/results/<timestamp>.json.
#
# Environment: BENCH_STEPS (200), BENCH_WARMUP (20), BENCH_GO_STEPS (3),
# BENCH_MAX_DIFF (5), BENCH_GO_TIMEOUT (300 s), BENCH_TORCH_THREADS (the
# cores), GO (go), PYTHON (python3, used only to create the venv).
#
# Timings need an otherwise idle machine: PyTorch's OpenMP threads slow down
# many times over when another process takes a core (on 2 busy cores, 2
# threads ran ~6x slower than 1), and the report warns when the load average
# was high at the start.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${BENCH_STEPS:-200}
warmup=${BENCH_WARMUP:-20}
go_steps=${BENCH_GO_STEPS:-3}
max_diff=${BENCH_MAX_DIFF:-5}
torch_threads=${BENCH_TORCH_THREADS:-$(nproc)}
go_timeout=${BENCH_GO_TIMEOUT:-300}
venv=bench/.venv
req=bench/requirements.txt
bin=bench/bin/latentbench
start=$SECONDS

# 1. The PyTorch environment, once.
stamp="$venv/.installed-$(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $stamp ]]; then
	echo "bench: installing $(grep -E '^[a-z]' "$req" | tr '\n' ' ')into $venv (once; the torch wheel pulls several GB of CUDA libraries)" >&2
	rm -rf "$venv"
	"${PYTHON:-python3}" -m venv "$venv"
	"$venv/bin/pip" install --quiet --no-cache-dir --disable-pip-version-check -r "$req"
	touch "$stamp"
fi
py=$venv/bin/python

# 2. The Go benchmark program.
"${GO:-go}" build -o "$bin" ./bench/cmd/latentbench

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
read -r load1 _ </proc/loadavg
cores=$(nproc)
notes=()
if awk -v l="$load1" -v c="$cores" 'BEGIN { exit !(l > c / 4) }'; then
	notes+=(--note "warning: load average $load1 on $cores cores before the run: other work shares the CPUs, timings are unreliable")
fi

echo "bench: latent on XLA CPU, $steps steps ($warmup warm-up)" >&2
"$bin" --backend xla:cpu --steps "$steps" --warmup "$warmup" \
	--init-out "$tmp/init.json" --json "$tmp/latent-xla-cpu.json"

# 3. PyTorch from latent's initial weights.
echo "bench: PyTorch on CPU, $steps steps ($warmup warm-up)" >&2
"$py" bench/torch_vae.py --device cpu --threads "$torch_threads" --steps "$steps" --warmup "$warmup" \
	--init-from "$tmp/init.json" --json "$tmp/torch-cpu.json"

# 4. The pure-Go backend: a failure to train is a row, not a failed bench.
echo "bench: latent on the pure-Go backend, $go_steps steps" >&2
if ! timeout "$go_timeout" "$bin" --backend go --steps "$go_steps" --warmup 1 \
	--json "$tmp/latent-go.json"; then
	printf '{"system": "latent go", "detail": "pure Go", "train": {"error": "failed: exited with an error or ran past %ss (see above)"}, "decode": {}}\n' \
		"$go_timeout" >"$tmp/latent-go.json"
fi

# 5. The table and the parity check.
mkdir -p bench/results
notes+=(--note "bench: $((SECONDS - start)) s in all")
"$py" bench/report.py --baseline "$tmp/torch-cpu.json" --max-diff "$max_diff" \
	--out "bench/results/$(date +%Y%m%dT%H%M%S).json" "${notes[@]}" \
	"$tmp/latent-xla-cpu.json" "$tmp/latent-go.json"
