#!/usr/bin/env bash
# xlaflags.sh: does an XLA CPU flag make latent train faster or start sooner?
#
# For each set of XLA_FLAGS below it measures, interleaved over ROUNDS rounds
# (A B C … A B C …, so a busy neighbour shows as spread, not as a wrong ratio):
#   - the training speed of the default and the benchmark model
#     (BenchmarkTrainStep, batch 128, real MNIST, after the compiling step);
#   - the first training step of `latent train --steps 1` (compile + one step).
# It prints each flag set's medians with min–max. Usage, after `make build`:
#   bash bench/xlaflags.sh [ROUNDS]        (default 3)
# Results of 2026-11-29 are in bench/NOTES.md, "XLA CPU flags".
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
flagsets=(
	""
	"--xla_cpu_use_onednn=true"
	"--xla_cpu_use_xnnpack=true"
	"--xla_cpu_experimental_ynn_fusion_type=LIBRARY_FUSION_TYPE_DOT"
	"--xla_llvm_disable_expensive_passes=true"
	"--xla_backend_optimization_level=1"
	"--xla_cpu_use_fusion_emitters=false"
)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test -c -o "$work/train.test" ./train
[[ -x bin/latent ]] || { echo "xlaflags.sh: bin/latent missing: run make build" >&2; exit 1; }

for ((r = 1; r <= rounds; r++)); do
	for i in "${!flagsets[@]}"; do
		f=${flagsets[$i]}
		speeds=$(cd train && XLA_FLAGS="$f" "$work/train.test" -test.run '^$' \
			-test.bench 'TrainStep/(default|hidden0)$' -test.benchtime 30x |
			awk '/^Benchmark/ {printf "%s ", $5}')
		rm -rf "$work/run"
		first=$(XLA_FLAGS="$f" bin/latent train --quiet --steps 1 --eval-batch 500 --out "$work/run" |
			sed -n 's/.*first step \([0-9.]*\)s.*/\1/p')
		echo "$i $speeds$first" >>"$work/rows"
		echo "round $r, flags '${f:-none}': default, hidden0 img/s, first step s: $speeds$first" >&2
	done
done

median() { sort -g | awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%g (%g–%g)", m, v[1], v[NR]}'; }
printf '| XLA_FLAGS | default model, img/s | benchmark model, img/s | first step, s |\n|---|---|---|---|\n'
for i in "${!flagsets[@]}"; do
	cols=()
	for c in 2 3 4; do
		cols+=("$(awk -v i="$i" -v c="$c" '$1 == i {print $c}' "$work/rows" | median)")
	done
	printf '| `%s` | %s | %s | %s |\n' "${flagsets[$i]:-(none)}" "${cols[@]}"
done
