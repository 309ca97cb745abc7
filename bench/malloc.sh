#!/usr/bin/env bash
# malloc.sh: does one malloc arena (internal/malloc's tuning) make latent
# faster, and at what cost in memory?
#
# It compares latent as built (one arena) with glibc's default number of
# arenas (8 per core, through GLIBC_TUNABLES, which the tuning obeys),
# interleaved over ROUNDS rounds (tuned, default, tuned, …), on three
# workloads:
#   - the transformer prior's fit: 300 steps of 64 grids on a short VQ run;
#   - training: `latent train` of the default model, 400 steps of 128;
#   - the diffusion prior's fit: 1,500 steps on that run;
#   - `latent serve`'s decode: 2,000 requests from 16 clients
#     (BenchmarkServeDecode), whose threads all take the one arena's lock.
# It prints each workload's medians with min–max, their ratio, and the peak
# memory of the training runs. Usage, after `make build`:
#   bash bench/malloc.sh [ROUNDS]        (default 3)
# Results of 2026-12-07 are in bench/NOTES.md, "malloc".
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
[[ -x bin/latent ]] || { echo "malloc.sh: bin/latent missing: run make build" >&2; exit 1; }
latent=$PWD/bin/latent
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
declare -A tunables=([tuned]="" [default]="glibc.malloc.arena_max=$((8 * $(nproc)))")

# fit_time RUN KIND STEPS: the seconds the fit's steps took ("N steps in
# Xs"), stopping the command before it scores the prior.
fit_time() {
	local log=$work/fit.log
	rm -rf "$1/priors"
	"$latent" prior fit --run "$1" --kind "$2" --steps "$3" >"$log" 2>&1 &
	local pid=$!
	until grep -q 'steps in' "$log"; do
		kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
		sleep 0.2
	done
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	sed -n 's/.* steps in \([0-9.]*\)s.*/\1/p' "$log"
}

go test -c -o "$work/serve.test" ./serve
"$latent" train --quiet --data mnist --model vq --steps 100 --out "$work/vq"
for ((r = 1; r <= rounds; r++)); do
	for setting in tuned default; do
		export GLIBC_TUNABLES=${tunables[$setting]}
		tf=$(fit_time "$work/vq" transformer 300)
		rm -rf "$work/conv"
		/usr/bin/time -f '%M' -o "$work/rss" "$latent" train --data mnist --steps 400 --out "$work/conv" 2>"$work/train.log"
		speed=$(grep -o '[0-9.]* img/s' "$work/train.log" | tail -1 | cut -d' ' -f1)
		df=$(fit_time "$work/conv" diffusion 1500)
		srv=$(cd serve && "$work/serve.test" -test.run '^$' -test.bench ServeDecode -test.benchtime 1x |
			awk '/^Benchmark/ {for (i = 2; i <= NF; i++) if ($i ~ /_ms$|req\/s$/) printf "%s ", $(i - 1)}')
		echo "$setting $tf $speed $(tail -1 "$work/rss") $df $srv" >>"$work/rows"
		echo "round $r, $setting: transformer ${tf}s, training $speed img/s (peak $(($(tail -1 "$work/rss") / 1024)) MB), diffusion ${df}s, serve p50 p99 ms, req/s: $srv" >&2
	done
done
unset GLIBC_TUNABLES
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
cols = ["transformer fit, 300 steps (s)", "training (img/s)", "training peak RSS (KB)", "diffusion fit, 1,500 steps (s)",
        "serve decode p50 (ms)", "serve decode p99 (ms)", "serve decode (requests/s)"]
for i, name in enumerate(cols, 1):
    v = {s: [float(r[i]) for r in rows if r[0] == s] for s in ("tuned", "default")}
    m = {s: statistics.median(x) for s, x in v.items()}
    print(f"{name}: one arena {m['tuned']:g} ({min(v['tuned']):g}–{max(v['tuned']):g}), "
          f"glibc's arenas {m['default']:g} ({min(v['default']):g}–{max(v['default']):g}); "
          f"ratio default/tuned {m['default'] / m['tuned']:.2f}")
PY
