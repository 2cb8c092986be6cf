#!/bin/bash
# Benchmarks of nwsim's query commands, on ClassBench rule sets turned into NSGs.
#   scripts/bench.sh [RULES-FILE] [N-QUERIES]
# Defaults: ../shared/bench-data/classbench/acl1_1k and 2,000,000 queries. Prints the figures
# recorded in docs/benchmarks.md. Timings are wall clock on an otherwise idle machine.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-../shared/bench-data/classbench/acl1_1k}
nq=${2:-2000000}
[ -x build/control/nwsim ] || { meson setup build >/dev/null && ninja -C build >/dev/null; }
ninja -C build >/dev/null
nwsim=build/control/nwsim
work=build/bench
mkdir -p "$work"
python3 scripts/classbench2topo.py "$rules" "$work/topo.json" "$work/queries.txt" "$nq" 7
head -n 1 "$work/queries.txt" >"$work/one.txt"

now() { date +%s%N; }
# Median of 7 runs, in milliseconds.
median_ms() {
	local t=()
	for _ in 1 2 3 4 5 6 7; do
		local a b
		a=$(now)
		"$@" >/dev/null
		b=$(now)
		t+=($(((b - a) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n 4p | awk '{printf "%.1f", $1 / 1000}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "rules: $rules ($(grep -c '"priority"' "$work/topo.json") NSG rules)"
q1=$(head -n 1 "$work/queries.txt")
single=$(median_ms $nwsim test-ip-flow -t "$work/topo.json" $q1)
echo "test-ip-flow, one query, process start to exit: ${single} ms (median of 7)"
startup=$(median_ms $nwsim test-ip-flow -t "$work/topo.json" --batch "$work/one.txt")
a=$(now)
$nwsim test-ip-flow -t "$work/topo.json" --batch "$work/queries.txt" >/dev/null
b=$(now)
total_ms=$(((b - a) / 1000000))
awk -v n="$nq" -v t="$total_ms" -v s="$startup" 'BEGIN {
	printf "test-ip-flow --batch, %d queries: %.0f ms in all, %.1f ms of it start-up\n", n, t, s
	printf "  => %.2f million queries per second on one core (start-up excluded)\n", n / ((t - s) / 1000) / 1e6
}'
