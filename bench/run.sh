#!/usr/bin/env bash
# `make bench`: latent against the strongest forms of its peers on the same
# conv VAE, same data, same initial weights, on this machine's CPUs.
#
#   1. bench/.venv: PyTorch, JAX (jax[cpu], optax) and numpy from PyPI, pinned
#      in bench/requirements.txt and installed with --no-deps: a CPU-only set
#      (≈1.9 GB) instead of the ≈5.4 GB that torch's CUDA dependencies pull.
#      bench/cuda_stubs.py then stubs the CUDA libraries torch's wheel links
#      against, so that it imports and runs on CPU. Installed once (a stamp
#      names the inputs' hash; a second run installs nothing).
#   2. For each model (BENCH_MODELS, hidden units: 0 is the benchmark model,
#      191,265 parameters; 256 the default model, 1,659,169), $BENCH_ROUNDS
#      interleaved rounds of: latentbench on XLA CPU, PyTorch eager (NCHW),
#      PyTorch channels_last, PyTorch torch.compile, JAX jit. Each run trains
#      $BENCH_STEPS steps on the first $BENCH_STEPS×128 MNIST training images
#      in order from latent's initial weights (latentbench --init-out, first
#      round), times the steps after $BENCH_WARMUP, evaluates the negative ELBO
#      on the first 1000 test images, and times a 64-sample decode. A peer run
#      that fails is a row saying so.
#   3. latentbench on the pure-Go backend, $BENCH_GO_STEPS steps, benchmark
#      model only (it may be unable to train: the row then says why).
#   4. report.py: one markdown table of medians with min–max over the rounds,
#      latent against the best peer form per model, the parity check (exit 1
#      if a peer's negative ELBO differs from latent's by more than
#      $BENCH_MAX_DIFF nats), raw numbers in bench/results/<timestamp>.json.
#
# Environment: BENCH_STEPS (100), BENCH_WARMUP (10), BENCH_ROUNDS (3),
# BENCH_MODELS ("0 256"), BENCH_FORMS ("eager channels_last compile"; the
# PyTorch forms), BENCH_JAX (1; 0 leaves JAX out), BENCH_GO_STEPS (3; 0 leaves
# the pure-Go row out), BENCH_MAX_DIFF (5), BENCH_GO_TIMEOUT (300 s),
# BENCH_TORCH_THREADS (the cores), BENCH_OMP_WAIT_POLICY (unset: libgomp's
# default; PASSIVE keeps PyTorch's idle threads from spinning, much faster
# when other work shares the cores, see bench/NOTES.md), GO (go), PYTHON
# (python3, used only to create the venv). torch.compile needs a C++ compiler (g++), as
# bench/cuda_stubs.py needs cc and readelf.
#
# Timings need an otherwise idle machine: PyTorch's OpenMP threads slow down
# many times over when another process takes a core (on 2 busy cores, 2
# threads ran ~6x slower than 1). Interleaving the rounds shows a busy
# neighbour as spread rather than as a wrong ratio, and the report notes the
# load average before and after.
set -euo pipefail
cd "$(dirname "$0")/.."

steps=${BENCH_STEPS:-100}
warmup=${BENCH_WARMUP:-10}
rounds=${BENCH_ROUNDS:-3}
models=${BENCH_MODELS:-0 256}
forms=${BENCH_FORMS:-eager channels_last compile}
with_jax=${BENCH_JAX:-1}
go_steps=${BENCH_GO_STEPS:-3}
max_diff=${BENCH_MAX_DIFF:-5}
torch_threads=${BENCH_TORCH_THREADS:-$(nproc)}
omp_env=()
[[ -n ${BENCH_OMP_WAIT_POLICY:-} ]] && omp_env=("OMP_WAIT_POLICY=$BENCH_OMP_WAIT_POLICY")
go_timeout=${BENCH_GO_TIMEOUT:-300}
bin=bench/bin/latentbench
start=$SECONDS

# 1. The Python environment, once (bench/venv.sh).
py=$(bench/venv.sh)

# 2. The Go benchmark program.
"${GO:-go}" build -o "$bin" ./bench/cmd/latentbench

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
read -r load_before _ </proc/loadavg
cores=$(nproc)

# failed NAME HIDDEN OUT: a row for a peer run that did not finish.
failed() {
	printf '{"system": "%s", "hidden": %d, "train": {"error": "failed: exited with an error (see above)"}, "decode": {}}\n' \
		"$1" "$2" >"$3"
}

common=(--steps "$steps" --warmup "$warmup")
for hidden in $models; do
	init=$tmp/init-$hidden.json
	for round in $(seq "$rounds"); do
		echo "bench: model hidden $hidden, round $round of $rounds: $steps steps ($warmup warm-up) each" >&2
		out=$tmp/h$hidden-r$round
		init_out=()
		[[ $round == 1 ]] && init_out=(--init-out "$init")
		"$bin" --backend xla:cpu --hidden "$hidden" "${common[@]}" "${init_out[@]}" --json "$out-latent.json"
		for form in $forms; do
			env "${omp_env[@]}" "$py" bench/torch_vae.py --device cpu --form "$form" --hidden "$hidden" --threads "$torch_threads" \
				"${common[@]}" --init-from "$init" --json "$out-torch-$form.json" ||
				failed "PyTorch cpu $form" "$hidden" "$out-torch-$form.json"
		done
		if [[ $with_jax != 0 ]]; then
			"$py" bench/jax_vae.py --hidden "$hidden" "${common[@]}" --init-from "$init" --json "$out-jax.json" ||
				failed "JAX cpu jit" "$hidden" "$out-jax.json"
		fi
	done
done

# 3. The pure-Go backend: a failure to train is a row, not a failed bench.
if [[ $go_steps != 0 ]]; then
	echo "bench: latent on the pure-Go backend, $go_steps steps" >&2
	if ! timeout "$go_timeout" "$bin" --backend go --hidden 0 --steps "$go_steps" --warmup $((go_steps > 1)) --decode-repeats 5 \
		--json "$tmp/go-latent.json"; then
		printf '{"system": "latent go", "hidden": 0, "detail": "pure Go", "train": {"error": "failed: exited with an error or ran past %ss (see above)"}, "decode": {}}\n' \
			"$go_timeout" >"$tmp/go-latent.json"
	fi
fi

# 4. The table and the parity check.
read -r load_after _ </proc/loadavg
notes=(--note "bench: $((SECONDS - start)) s in all; $rounds interleaved round(s) of $steps steps; load average $load_before before, $load_after after, on $cores cores")
if awk -v l="$load_before" -v c="$cores" 'BEGIN { exit !(l > c / 4) }'; then
	notes+=(--note "warning: other work shared the CPUs (load average $load_before at the start): read the spread, not only the medians")
fi
mkdir -p bench/results
results=("$tmp"/h*-latent.json "$tmp"/h*-torch-*.json)
[[ $with_jax != 0 ]] && results+=("$tmp"/h*-jax.json)
[[ -f $tmp/go-latent.json ]] && results+=("$tmp/go-latent.json")
"$py" bench/report.py --max-diff "$max_diff" --out "bench/results/$(date +%Y%m%dT%H%M%S).json" "${notes[@]}" \
	"${results[@]}"
