#!/bin/bash
# Benchmarks of nwsim's query commands, on ClassBench rule sets turned into NSGs and routes.
#   scripts/bench.sh [RULES-FILE] [N-QUERIES]
#   scripts/bench.sh --sweep [--quick]   the rule-set sweeps only (see below): CSVs and plots
#   scripts/bench.sh --quick            the same as --sweep --quick
#   scripts/bench.sh --scaling          nwsim bench on 1..CPUs workers: docs/benchmarks/scaling.csv
#   scripts/bench.sh --plots            the plots drawn again from the recorded CSVs (nothing measured)
#   scripts/bench.sh --scale            generated hub-and-spoke networks of growing size (gen-topology.py):
#                                       one test-ip-flow and a replay of 1M packets, each start to exit,
#                                       time and peak memory: docs/benchmarks/scale.csv and scale-*.svg
#   scripts/bench.sh --reference        only nwsim bench beside dpdk-test-acl (NWSIM_BENCH_ROUNDS, default 5), and by
#                                       packets a flow
#   scripts/bench.sh --instructions     instructions a packet (nwsim bench) and a key (dpdk-test-acl), counted
#                                       by valgrind: figures a shared machine's neighbours do not move
# Defaults: ../shared/bench-data/classbench/acl1_1k and 2,000,000 queries (next hop: the
# destinations of acl1_10k, 4,000,000 queries). Prints the figures recorded in
# docs/benchmarks.md. Timings are wall clock on an otherwise idle machine; DPDK uses hugepages
# when they are mounted (see docs/commands.md), which shortens start-up. nwsim bench runs on a
# build made with a profile (bench_build below; NWSIM_PGO=0 for the plain one).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
--quick) set -- --sweep --quick ;;
--sweep | --reference | --scaling | --instructions | --plots | --scale) ;;
-*)
	echo "scripts/bench.sh: unknown option '$1' (--sweep [--quick], --quick, --reference, --scaling, --scale, --instructions, --plots, or RULES-FILE [N-QUERIES])" >&2
	exit 2
	;;
esac
if [ "${1:-}" = "--sweep" ] && [ -n "${2:-}" ] && [ "$2" != "--quick" ]; then
	echo "scripts/bench.sh: --sweep takes only --quick, not '$2'" >&2
	exit 2
fi

# rte_acl's AVX-512 classify methods need these four CPU features (and a SIMD width of 512
# allowed: nwsim allows it, dpdk-test-acl is given --force-max-simd-bitwidth=512).
has_avx512() {
	local flags
	flags=$(grep -m1 '^flags' /proc/cpuinfo)
	[[ $flags == *avx512f* && $flags == *avx512bw* && $flags == *avx512vl* && $flags == *avx512cd* ]]
}

# dpdk-test-acl's memory options: hugepages when they are mounted with room (as nwsim decides,
# see dp_eal_have_hugepages), else none; --in-memory needs hugepages.
acl_mem_opts() {
	local free
	free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
	if grep -qs ' hugetlbfs ' /proc/mounts && [ "${free:-0}" -ge 64 ]; then
		echo "--in-memory"
	else
		echo "--no-huge -m 1024 --no-shconf"
	fi
}

# EAL lcores for N workers, one CPU each; the main lcore, which sleeps while they run, shares the
# first CPU with worker 1.
lcores_for() {
	local l="0@0"
	for k in $(seq "$1"); do l="$l,$k@$((k - 1))"; done
	echo "$l"
}

# nwsim bench's figures come from a build made with a profile of its own runs (gcc's
# -fprofile-use, meson's b_pgo), as packet-processing software is often built for speed: built
# instrumented in build-pgo/, run on generated policies (never the reference's ClassBench rules or
# trace), then built again from what those runs counted. About 15 seconds, from scratch each time,
# so the profile always matches the sources. NWSIM_PGO=0: the plain build (build/) instead.
# Prints the binary's path.
bench_build() {
	if [ "${NWSIM_PGO:-1}" = 0 ]; then
		[ -x build/control/nwsim ] || { meson setup build >/dev/null && ninja -C build >/dev/null; }
		ninja -C build >/dev/null
		echo build/control/nwsim
		return
	fi
	local d=build-pgo
	rm -rf "$d"
	meson setup "$d" -Dtests=false -Db_pgo=generate >/dev/null
	ninja -C "$d" >/dev/null
	"$d/control/nwsim" bench --packets 3000000 -o json >/dev/null
	"$d/control/nwsim" bench --packets 2000000 --packets-per-flow 2 --ipv6 30 --nsgs 4 -o json >/dev/null
	meson configure "$d" -Db_pgo=use >/dev/null
	ninja -C "$d" >/dev/null
	echo "$d/control/nwsim"
}

# DPDK's own dpdk-test-acl, built into $1 (once) from the dpdk source package's
# app/test-acl/main.c against the installed libdpdk: Debian ships no binary of it. Prints its path.
build_test_acl() {
	local work=$1 test_acl=$1/dpdk-test-acl
	if [ ! -x "$test_acl" ]; then
		if ! grep -rqs "deb-src\|Types:.*deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
			sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/nwsim-src.sources 2>/dev/null ||
				echo "deb-src http://deb.debian.org/debian bookworm main" >/etc/apt/sources.list.d/nwsim-src.list
			apt-get update -qq >&2
		fi
		mkdir -p "$work/dpdk-src"
		(cd "$work/dpdk-src" && apt-get source --download-only -qq dpdk >/dev/null 2>&1)
		tar -C "$work/dpdk-src" -xJf "$work"/dpdk-src/dpdk_*.orig.tar.xz --wildcards '*/app/test-acl/main.c'
		cc -O3 -o "$test_acl" "$work"/dpdk-src/dpdk-*/app/test-acl/main.c $(pkg-config --cflags --libs libdpdk) >&2
	fi
	echo "$test_acl"
}

# The plots, drawn with gnuplot from the CSVs: titles as plain text (an underscore is not a
# subscript), legends outside the data, y axes from 0. scripts/bench.sh --plots draws them again
# from the recorded CSVs without measuring anything.
PLOT_STYLE='set datafile separator ","
set terminal svg size 820,420 font "sans,11" noenhanced
set key outside right top
set yrange [0:*]
set grid'

plot_deps() {
	. scripts/deps.sh
	command -v gnuplot >/dev/null || nwsim_deps gnuplot-nox
}

# Throughput by rule count (per algorithm, burst 32, inline), and by burst size (1,000 rules).
sweep_plots() {
	local csv=$1 out=$2 algs
	algs=$(awk -F, 'NR > 1 { print $3 }' "$csv" | awk '!seen[$0]++' | tr '\n' ' ')
	gnuplot <<PLOT
$PLOT_STYLE
set output "$out/mpps-by-rules.svg"
set title "nwsim bench: full packet path, 20,000 flows of 10 packets"
set xlabel "rules in the NSG"
set ylabel "million packets per second"
set logscale x
plot for [a in "$algs"] "< awk -F, -v a=" . a . " '\$3==a && \$4==32 && \$2==0' $csv" using 1:5 with linespoints title a." (inline)"
unset logscale x
set output "$out/mpps-by-burst.svg"
set xlabel "burst size"
set title "nwsim bench: 1,000 rules, by burst size"
plot for [a in "$algs"] "< awk -F, -v a=" . a . " '\$3==a && \$1==1000 && \$2==0' $csv" using 4:5 with linespoints title a
set terminal pngcairo size 820,420 noenhanced
set output "$out/mpps-by-rules.png"
set xlabel "rules in the NSG"
set title "nwsim bench: full packet path, 20,000 flows of 10 packets"
set logscale x
plot for [a in "$algs"] "< awk -F, -v a=" . a . " '\$3==a && \$4==32 && \$2==0' $csv" using 1:5 with linespoints title a." (inline)"
PLOT
}

# All workers' rate by worker count, beside one worker's rate times the count.
scaling_plot() {
	local csv=$1 one
	one=$(awk -F, 'NR == 2 { print $2 }' "$csv")
	gnuplot <<PLOT
$PLOT_STYLE
set output "docs/benchmarks/mpps-by-workers.svg"
set title "nwsim bench: acl1_10k, 100,000 flows of 10 packets, one CPU a worker"
set xlabel "workers"
set ylabel "million packets per second"
set xtics 1
plot "$csv" every ::1 using 1:2 with linespoints title "all workers", "$csv" every ::1 using 1:(\$1 * $one) with lines dashtype 2 title "one worker's rate x workers"
PLOT
}

# Time and memory against the topology's size (NSG rules in all), query and replay.
scale_plot() {
	local csv=$1
	gnuplot <<PLOT
$PLOT_STYLE
set output "docs/benchmarks/scale-time.svg"
set title "nwsim on generated hub-and-spoke networks: start to exit"
set xlabel "NSG rules compiled (rules x the networks each NSG is used in)"
set ylabel "seconds"
set logscale x
plot "< awk -F, 'NR > 1 && \$13 == \"ok\"' $csv" using 8:11 with linespoints title "replay of 1M packets", "$csv" every ::1 using 8:9 with linespoints title "one test-ip-flow"
set output "docs/benchmarks/scale-memory.svg"
set title "nwsim on generated hub-and-spoke networks: peak memory"
set ylabel "MiB"
plot "< awk -F, 'NR > 1 && \$13 == \"ok\"' $csv" using 8:12 with linespoints title "replay of 1M packets", "$csv" every ::1 using 8:10 with linespoints title "one test-ip-flow"
PLOT
}

if [ "${1:-}" = "--plots" ]; then
	plot_deps
	sweep_plots docs/benchmarks/sweep.csv docs/benchmarks
	scaling_plot docs/benchmarks/scaling.csv
	scale_plot docs/benchmarks/scale.csv
	echo "drew docs/benchmarks/mpps-by-rules.svg, mpps-by-rules.png, mpps-by-burst.svg, mpps-by-workers.svg, scale-time.svg, scale-memory.svg from the recorded CSVs"
	exit 0
fi

# The sweep: nwsim bench over rule count x workers x classify algorithm x burst size, one CSV
# row each, and plots drawn with gnuplot into docs/benchmarks/. --quick: a smaller grid and
# fewer packets (under five minutes on two cores).
if [ "${1:-}" = "--sweep" ]; then
	quick=${2:-}
	bench=$(bench_build)
	plot_deps
	out=docs/benchmarks
	mkdir -p "$out"
	csv=$out/sweep.csv
	rules_set="10 100 1000 4000"
	# Inline on the main lcore, one worker, and as many workers as there are CPUs.
	workers_set="0 1"
	[ "$(nproc)" -gt 1 ] && workers_set="$workers_set $(nproc)"
	algs="scalar sse avx2"
	has_avx512 && algs="$algs avx512x16 avx512x32"
	bursts="8 32 64"
	packets=4000000
	if [ "$quick" = "--quick" ]; then
		workers_set="0"
		algs="sse avx2"
		has_avx512 && algs="$algs avx512x32"
		bursts="8 32"
		packets=1500000
	fi
	echo "rules,workers,algorithm,burst,mpps,cycles_per_packet,p50_ns,p99_ns,build_ms,table_mb" >"$csv"
	for r in $rules_set; do
		for w in $workers_set; do
			for a in $algs; do
				for b in $bursts; do
					"$bench" bench --rules "$r" --workers "$w" --alg "$a" --burst "$b" --packets "$packets" \
						--flows 20000 -o json -- --lcores "$(lcores_for "$w")" 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["workers"][-1]
p = d["policy"]
print("%s,%s,%s,%s,%.3f,%d,%d,%d,%.1f,%.1f" % (sys.argv[1], sys.argv[2], p["algorithm"], sys.argv[3], t["kpps"] / 1e3,
      t["cyclesPerPacket"], t["p50Ns"], t["p99Ns"], p["buildMicroseconds"] / 1e3, p["tableBytes"] / 1048576))
' "$r" "$w" "$b" >>"$csv"
					tail -n 1 "$csv"
				done
			done
		done
	done
	# The policy's shape at 1,000 rules: NSG count, service tags, IPv6, port lists (one at a time
	# from the defaults: 1 NSG, 10% tags, 10% IPv6, 20% port lists).
	shape=$out/shape.csv
	echo "nsgs,tags_pct,ipv6_pct,port_lists_pct,mpps,cycles_per_packet,acl_rules,build_ms,table_mb" >"$shape"
	for s in "1 10 10 20" "8 10 10 20" "1 0 10 20" "1 60 10 20" "1 10 0 20" "1 10 60 20" "1 10 10 0" "1 10 10 80"; do
		read -r n t v l <<<"$s"
		"$bench" bench --rules 1000 --nsgs "$n" --tags "$t" --ipv6 "$v" --port-lists "$l" --workers 0 \
			--packets "$packets" --flows 20000 -o json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
t = d["workers"][-1]
p = d["policy"]
print("%s,%.3f,%d,%d,%.1f,%.1f" % (sys.argv[1], t["kpps"] / 1e3, t["cyclesPerPacket"], p["aclRules"],
      p["buildMicroseconds"] / 1e3, p["tableBytes"] / 1048576))
' "$n,$t,$v,$l" >>"$shape"
		tail -n 1 "$shape"
	done
	sweep_plots "$csv" "$out"
	echo "wrote $csv, $shape, $out/mpps-by-rules.svg, $out/mpps-by-rules.png, $out/mpps-by-burst.svg"
	exit 0
fi
# Scaling with workers: the reference's rules and trace (acl1_10k, flows of 10 packets) on 1, 2, ...
# as many workers as the machine has CPUs, one CPU each. The main lcore shares the first CPU with
# worker 1: it only sleeps while they run. Median of 3 runs per point (NWSIM_SCALING_RUNS).
# NWSIM_BIN: another nwsim to run (scripts/device-build.sh's, on a machine without DPDK), and
# then the trace already made (build/bench/acl1_10k.trace) is used as it is.
# One command, start to exit: "seconds,peak-MiB,status" (status ok, timeout, or exit N).
scale_run() {
	local out rc
	out=$(mktemp)
	rc=0
	timeout "${NWSIM_SCALE_TIMEOUT:-300}" /usr/bin/time -f "%e %M" -o "$out" "$@" >/dev/null 2>&1 || rc=$?
	if [ "$rc" = 124 ]; then
		echo "${NWSIM_SCALE_TIMEOUT:-300},,timeout"
	else
		awk -v rc="$rc" 'END { printf "%s,%d,%s\n", $1, $2 / 1024, rc == 0 ? "ok" : "exit " rc }' "$out"
	fi
	rm -f "$out"
}

if [ "${1:-}" = "--scale" ]; then
	work=build/bench/scale
	mkdir -p "$work" docs/benchmarks
	nwsim=${NWSIM_BIN:-build/control/nwsim}
	[ -n "${NWSIM_BIN:-}" ] || { [ -d build ] || meson setup build >/dev/null; ninja -C build >/dev/null; }
	csv=docs/benchmarks/scale.csv
	echo "topology,spokes,subnets,rules,vms,shared_nsgs,nics,rules_compiled,query_s,query_mib,replay_s,replay_mib,replay_status" >"$csv"
	# name, spokes, subnets a spoke, rules an NSG, VMs a subnet, shared NSGs: the issue's four
	# sizes and a sweep between them.
	while read -r name spokes subnets rules vms shared; do
		topo=$work/$name.json
		python3 scripts/gen-topology.py --spokes "$spokes" --subnets "$subnets" --rules "$rules" --vms "$vms" \
			--shared-nsgs "$shared" --seed 1 -o "$topo" --pcap "$work/$name.pcap" --packets 1000000
		nics=$((spokes * subnets * vms + 1))
		# Every NSG is compiled once, however many networks use it.
		nsgs=$([ "$shared" -gt 0 ] && echo "$shared" || echo $((spokes * subnets)))
		q=$(scale_run "$nwsim" test-ip-flow -t "$topo" --vm vm-1-0-0 --direction Inbound --protocol TCP \
			--local 10.1.0.4:443 --remote 8.8.8.8:50000)
		r=$(scale_run "$nwsim" replay -t "$topo" "$work/$name.pcap")
		echo "$name,$spokes,$subnets,$rules,$vms,$shared,$nics,$((nsgs * rules)),${q%,*},$r" | tee -a "$csv"
		rm -f "$work/$name.pcap"
	done <<SIZES
spokes100 100 2 100 2 0
spokes200 200 2 100 2 0
spokes500 500 2 100 3 0
spokes1000 1000 2 100 5 0
shared1000 1000 1 1000 1 1
rules4000 50 2 4000 1 0
SIZES
	plot_deps
	scale_plot "$csv"
	exit 0
fi

if [ "${1:-}" = "--scaling" ]; then
	work=build/bench
	mkdir -p "$work" docs/benchmarks
	cb=../shared/bench-data/classbench/acl1_10k
	nwsim=${NWSIM_BIN:-$(bench_build)}
	[ -n "${NWSIM_BIN:-}" ] && [ -f "$work/acl1_10k.trace" ] ||
		python3 scripts/classbench2trace.py "$cb" "$work/acl1_10k.trace" 100000 7 >/dev/null
	csv=docs/benchmarks/scaling.csv
	echo "workers,total_mpps,min_worker_mpps,max_worker_mpps,speedup" >"$csv"
	ncpu=$(nproc)
	one=
	for w in $(seq "$ncpu"); do
		lcores=$(lcores_for "$w")
		for _ in $(seq "${NWSIM_SCALING_RUNS:-3}"); do
			"$nwsim" bench --classbench "$cb" --trace "$work/acl1_10k.trace" --packets $((10000000 * w)) \
				--workers "$w" -o json -- --lcores "$lcores" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ws = [x["kpps"] / 1e3 for x in d["workers"] if x["worker"] != "total"]
print("%.3f %.3f %.3f" % (d["workers"][-1]["kpps"] / 1e3, min(ws), max(ws)))'
		done | sort -n | sed -n "$(((${NWSIM_SCALING_RUNS:-3} + 1) / 2))p" >"$work/scaling-point"
		read -r tot lo hi <"$work/scaling-point"
		one=${one:-$tot}
		awk -v w="$w" -v t="$tot" -v l="$lo" -v h="$hi" -v o="$one" 'BEGIN { printf "%d,%.3f,%.3f,%.3f,%.2f\n", w, t, l, h, t / o }' >>"$csv"
		tail -n 1 "$csv"
	done
	if ! plot_deps; then
		echo "wrote $csv (no gnuplot here: the plot is not drawn)"
		exit 0
	fi
	scaling_plot "$csv"
	echo "wrote $csv, docs/benchmarks/mpps-by-workers.svg ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $ncpu CPUs)"
	exit 0
fi
# Instructions, not time: valgrind's callgrind counts what the packet loop of nwsim bench executes
# (its setup left out), and dpdk-test-acl's whole run. Each is run at two lengths and the
# difference taken, so that what happens once (the first pass's new pairs, start-up) drops out:
# what is left is a packet (a key) in the steady state. Valgrind does not decode AVX-512, so both
# run on a build for x86-64-v3 (AVX2) with the avx2 classify method: the counts are those of that
# build, near but not equal to the native one's. About 5 minutes here.
if [ "${1:-}" = "--instructions" ]; then
	. scripts/deps.sh
	command -v valgrind >/dev/null || nwsim_deps valgrind
	work=build/bench
	mkdir -p "$work"
	cb=../shared/bench-data/classbench/acl1_10k
	[ -f "$work/acl1_10k.trace" ] || python3 scripts/classbench2trace.py "$cb" "$work/acl1_10k.trace" 100000 7 >/dev/null
	[ -d build-insn ] || meson setup build-insn -Dtests=false >/dev/null
	meson configure build-insn -Dcpu=x86-64-v3 -Db_lto=true -Db_pgo=off >/dev/null
	ninja -C build-insn control/nwsim >/dev/null
	test_acl=$(build_test_acl "$work")
	# Instructions counted in a run: the command's words after the first argument (a callgrind tag).
	counted() {
		local out=$work/callgrind.$1
		shift
		valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >/dev/null 2>"$out.log" ||
			{ echo "scripts/bench.sh: valgrind failed; see $out.log" >&2; exit 1; }
		sed -n 's/^summary: *//p' "$out"
	}
	echo "instructions (callgrind, build-insn: -march=x86-64-v3, --alg avx2), acl1_10k, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'):"
	for ppf in 100 10 1; do
		n=$((ppf == 1 ? 1000000 : 2000000))
		ins=()
		for k in 1 2; do
			ins+=("$(NWSIM_EAL_OPTIONS="--no-huge -m 4096" counted nwsim-$ppf-$k --toggle-collect='bench_main*' build-insn/control/nwsim bench \
				--classbench "$cb" --trace "$work/acl1_10k.trace" --workers 0 --alg avx2 --packets $((k * n)) --packets-per-flow $ppf -o json)")
		done
		awk -v a="${ins[0]}" -v b="${ins[1]}" -v n="$n" -v p="$ppf" 'BEGIN { printf "  nwsim bench, flows of %3d packets: %6.1f instructions a packet\n", p, (b - a) / n }'
	done
	ins=()
	for k in 1 2; do
		ins+=("$(counted test-acl-$k "$test_acl" --no-huge -m 1024 -l 0 --no-pci --log-level=error -- --rulesf="$cb" \
			--tracef="$work/acl1_10k.trace" --tracenum=100000 --iter=$((2 * k)) --verbose=0 --alg=avx2)")
	done
	awk -v a="${ins[0]}" -v b="${ins[1]}" 'BEGIN { printf "  dpdk-test-acl, classification alone:  %6.1f instructions a key\n", (b - a) / 200000 }'
	# Both tools count cycles on the TSC, whose rate is fixed; the core may run faster. A chain of
	# dependent additions takes one core cycle each, so its TSC cycles give the ratio, and with it
	# the instructions a core cycle of a figure in TSC cycles.
	cat >"$work/clock.c" <<'C'
#include <stdio.h>
#include <x86intrin.h>
int main(void)
{
	unsigned long long t = __rdtsc(), x = 0;

	for (long i = 0; i < 1000000000L; i++)
		__asm__ volatile("add $1, %0" : "+r"(x));
	printf("%.2f\n", 1e9 / (double)(__rdtsc() - t));
	return 0;
}
C
	cc -O2 -o "$work/clock" "$work/clock.c"
	echo "  core cycles a TSC cycle (one dependent addition a core cycle): $("$work/clock")"
	exit 0
fi
# --reference: only the side-by-side rounds with dpdk-test-acl (at the end of this script).
reference_only=
if [ "${1:-}" = "--reference" ]; then
	reference_only=1
	shift
fi
rules=${1:-../shared/bench-data/classbench/acl1_1k}
nq=${2:-2000000}
[ -x build/control/nwsim ] || { meson setup build >/dev/null && ninja -C build >/dev/null; }
ninja -C build >/dev/null
nwsim=build/control/nwsim
bench=$(bench_build)
work=build/bench
mkdir -p "$work"
python3 scripts/classbench2topo.py "$rules" "$work/topo.json" "$work/queries.txt" "$nq" 7

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

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), hugepages free: $(awk '/HugePages_Free/ {print $2}' /proc/meminfo)"
if [ -z "$reference_only" ]; then
echo "rules: $rules ($(grep -c '"priority"' "$work/topo.json") NSG rules)"
q1=$(head -n 1 "$work/queries.txt")
single=$(median_ms $nwsim test-ip-flow -t "$work/topo.json" $q1)
echo "test-ip-flow, one query, process start to exit: ${single} ms (median of 7)"
# Throughput as nwsim itself measures it (--verbose): from the first line read to the last
# answer written, so DPDK's start-up is left out. Median of 3 runs.
rate() {
	for _ in 1 2 3; do
		"$@" -v 2>&1 >/dev/null | sed -n 's/.* answered in \([0-9.]*\) ms: \([0-9.]*\) million per second/\2 \1/p'
	done | sort -n | sed -n 2p
}
read -r mq ms < <(rate $nwsim test-ip-flow -t "$work/topo.json" --batch "$work/queries.txt")
echo "test-ip-flow --batch, $nq queries: $ms ms => $mq million queries per second on one core (median of 3)"

# Next hop: ClassBench destination prefixes as one subnet's user-defined routes.
rq=${NH_QUERIES:-4000000}
nh_rules=$(dirname "$rules")/acl1_10k
python3 scripts/classbench2routes.py "$nh_rules" "$work/routes.json" "$work/nh-queries.txt" "$rq" 7
nh1=$(head -n 1 "$work/nh-queries.txt")
single=$(median_ms $nwsim show-next-hop -t "$work/routes.json" $nh1)
echo "show-next-hop, one query, process start to exit: ${single} ms (median of 7)"
read -r mq ms < <(rate $nwsim show-next-hop -t "$work/routes.json" --batch "$work/nh-queries.txt")
echo "show-next-hop --batch, $rq queries: $ms ms => $mq million lookups per second on one core (median of 3)"

# Replay from memory: flows against the same 942-rule NSG, ten packets a flow (both ways) and two.
# 1,000,000 packets in flows of 2 are 500,000 flows: near the default table's 524,288, where the
# table's hash slows down, so they are also run with a table four times that size.
python3 scripts/classbench2topo.py "$rules" "$work/replay-topo.json" /dev/null 0 7 >/dev/null
for case in "10 524288" "2 524288" "2 2097152"; do
	read -r per flows <<<"$case"
	[ -f "$work/replay-$per.pcap" ] || python3 scripts/classbench2pcap.py "$rules" "$work/replay-$per.pcap" $((1000000 / per)) $per 7 >/dev/null
	rs=()
	for _ in 1 2 3 4 5; do
		rs+=("$($nwsim replay -v -t "$work/replay-topo.json" --workers 0 --loop 1 --flows "$flows" "$work/replay-$per.pcap" 2>&1 >/dev/null |
			sed -n 's/.*: \([0-9.]*\) million packets per second.*/\1/p')")
	done
	med=$(printf '%s\n' "${rs[@]}" | sort -n | sed -n 3p)
	echo "replay from memory, 1,000,000 packets in flows of $per, flow table of $flows: $med million packets per second on one worker (median of 5; runs: ${rs[*]})"
done

# Connection troubleshoot: 100 probes on the bundled example, process start to exit (issue 5
# asks for under a second).
single=$(median_ms $nwsim test-connectivity -t docs/examples/connectivity.json --source-resource web1 --dest-resource db1 --dest-port 1433 --probes 100)
echo "test-connectivity, 100 probes through an appliance and two peerings, process start to exit: ${single} ms (median of 7)"
fi

# The reference point: DPDK's own dpdk-test-acl (classification alone, the ceiling for rte_acl)
# on the same ClassBench rules and trace, beside nwsim's full packet path and its linear
# reference (build_test_acl above).
test_acl=$(build_test_acl "$work")
cb=$(dirname "$rules")/acl1_10k
ntrace=100000
python3 scripts/classbench2trace.py "$cb" "$work/acl1_10k.trace" $ntrace 7
# Rounds side by side: per classify algorithm the machine has, dpdk-test-acl then nwsim bench with
# that algorithm, one after the other, so a slow spell of a shared machine hits both. The ceiling
# is dpdk-test-acl's fastest algorithm, and nwsim's figure its fastest too (its default picks the
# fastest there is). Reported: each round's ratio, their median, the ratio of each side's best
# round, and the ratio algorithm by algorithm.
algs="sse avx2"
has_avx512 && algs="$algs avx512x16 avx512x32"
rounds=${NWSIM_BENCH_ROUNDS:-5}
runs=$work/reference-runs.txt
plain=$work/reference-plain.txt
: >"$runs"
: >"$plain"
last_alg=${algs##* }
for round in $(seq "$rounds"); do
	for alg in $algs; do
		# --tracenum must cover the whole trace: dpdk-test-acl overruns its buffer otherwise.
		# shellcheck disable=SC2046
		a=$("$test_acl" $(acl_mem_opts) -l 0 --no-pci --log-level=error --force-max-simd-bitwidth=512 -- --rulesf="$cb" \
			--tracef="$work/acl1_10k.trace" --tracenum=$ntrace --iter=40 --verbose=0 --alg=$alg 2>/dev/null |
			sed -n 's/.* \([0-9.]*\) cycles\/pkt, \([0-9.]*\) pkt\/sec.*/\2 \1/p') || a=
		if [ -z "$a" ]; then
			echo "scripts/bench.sh: dpdk-test-acl --alg=$alg gave no rate (run $test_acl by hand to see why)" >&2
			exit 1
		fi
		out=$("$bench" bench --classbench "$cb" --trace "$work/acl1_10k.trace" --packets 10000000 --workers 0 --alg $alg -o json)
		# Columns: round, method, dpdk-test-acl's rate, nwsim's rate, the linear reference's rate,
		# dpdk-test-acl's cycles a key, nwsim's cycles a key inside rte_acl_classify and its keys a packet.
		echo "$out" | python3 -c 'import json,sys; d = json.load(sys.stdin); w = d["workers"][-1]; a = sys.argv[3].split(); print(sys.argv[1], sys.argv[2], a[0], w["kpps"] * 1e3, d["linearReferenceKpps"], a[1], w["classifyCyclesPerKey"], w["classifyKeysPerPacket"])' \
			"$round" "$alg" "$a" >>"$runs"
	done
	# The plain build too, with the fastest method, for what the profile adds.
	if [ "$bench" != "$nwsim" ]; then
		$nwsim bench --classbench "$cb" --trace "$work/acl1_10k.trace" --packets 10000000 --workers 0 --alg "$last_alg" -o json |
			python3 -c 'import json,sys; print(sys.argv[1], json.load(sys.stdin)["workers"][-1]["kpps"] * 1e3)' "$round" >>"$plain"
	fi
	python3 - "$runs" "$round" "$ntrace" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.split()[0] == sys.argv[2]]
acl = max(rows, key=lambda r: float(r[2]))
nw = max(rows, key=lambda r: float(r[3]))
print("round %s: dpdk-test-acl, acl1_10k, %s-packet trace x 40, classification only: %.2f Mpps (%s); "
      "nwsim bench, the same rules as NSGs and the trace as flows of 10 packets, one core, full path: %.2f Mpps (%s); %.1f%%"
      % (sys.argv[2], sys.argv[3], float(acl[2]) / 1e6, acl[1], float(nw[3]) / 1e6, nw[1], 100 * float(nw[3]) / float(acl[2])))
PY
done
python3 - "$runs" "$plain" "$bench" <<'PY'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
plain = [l.split() for l in open(sys.argv[2])]
rounds = sorted({r[0] for r in rows}, key=int)
algs = list(dict.fromkeys(r[1] for r in rows))
best = lambda rs, i: max(float(r[i]) for r in rs)
per_round = [best([r for r in rows if r[0] == k], 3) / best([r for r in rows if r[0] == k], 2) for k in rounds]
print("nwsim's linear reference (nsg_ref_verify) on those flows: %s thousand packets per second" % rows[-1][4])
print("ratios: nwsim full path / dpdk-test-acl classification, each side's fastest algorithm: median of %d rounds %.0f%%, "
      "best round of each %.0f%% (%.2f / %.2f Mpps); nwsim / linear reference = %.0fx"
      % (len(rounds), 100 * statistics.median(per_round), 100 * best(rows, 3) / best(rows, 2), best(rows, 3) / 1e6,
         best(rows, 2) / 1e6, best(rows, 3) / float(rows[-1][4]) / 1e3))
nw = max(rows, key=lambda r: float(r[3]))
print("classification inside nwsim's fastest round (%s): %s cycles a key inside rte_acl_classify, %s keys a packet; "
      "dpdk-test-acl in that round with %s: %.0f cycles a key" % (nw[1], nw[6], nw[7], nw[1], float(nw[5])))
for a in algs:
    rs = [r for r in rows if r[1] == a]
    print("  --alg %-9s dpdk-test-acl best %6.2f Mpps, nwsim best %6.2f Mpps, median of rounds %.0f%%"
          % (a, best(rs, 2) / 1e6, best(rs, 3) / 1e6, 100 * statistics.median(float(r[3]) / float(r[2]) for r in rs)))
if plain:
    pr = [float(p[1]) / best([r for r in rows if r[0] == p[0]], 2) for p in plain]
    print("nwsim above is %s (built with a profile of generated runs); the plain build (build/), --alg %s: best %.2f Mpps, "
          "%.0f%% of the best ceiling, median of rounds %.0f%%"
          % (sys.argv[3], algs[-1], max(float(p[1]) for p in plain) / 1e6, 100 * max(float(p[1]) for p in plain) / best(rows, 2),
             100 * statistics.median(pr)))
# On a machine whose caches are shared with busy neighbours, dpdk-test-acl (its trie all in L3)
# slows far more than nwsim does, and a round's ratio rises with it: say so when the rounds'
# ceilings disagree.
ceil = [best([r for r in rows if r[0] == k], 2) for k in rounds]
if max(ceil) > 1.15 * min(ceil):
    print("note: dpdk-test-acl's fastest rate ranged %.2f to %.2f Mpps across the rounds: the machine is not quiet, "
          "and ratios against its slower rounds overstate nwsim; compare against the best ceiling this machine gives"
          % (min(ceil) / 1e6, max(ceil) / 1e6))
PY
# The same rules and trace as flows of other lengths. A flow's first packet (and the first reply
# of a flow its NSGs refused) is walked with the NSGs; the others are a known flow's packets and
# cost several times less. So the ratio above depends on the 10 packets a flow the reference
# takes: this shows how. Against the run's best dpdk-test-acl rate, with nwsim's fastest method of
# the rounds; the best of 2 runs a length.
read -r ceiling best_alg < <(python3 -c 'import sys; rows = [l.split() for l in open(sys.argv[1])]; print(max(float(r[2]) for r in rows), max(rows, key=lambda r: float(r[3]))[1])' "$runs")
echo "by packets a flow (nwsim --alg $best_alg, against dpdk-test-acl's best of this run, $(python3 -c "print('%.2f' % ($ceiling / 1e6))") Mpps):"
for ppf in 1 2 5 10 20 30 50 100; do
	for rep in 1 2; do
		"$bench" bench --classbench "$cb" --trace "$work/acl1_10k.trace" --packets-per-flow $ppf --packets 10000000 --workers 0 \
			--alg "$best_alg" -o json | python3 -c 'import json,sys; w = json.load(sys.stdin)["workers"][-1]; print(w["kpps"] * 1e3, w["cyclesPerPacket"], w["classifyKeysPerPacket"])'
	done | python3 -c 'import sys; rows = [l.split() for l in sys.stdin]; r = max(rows, key=lambda r: float(r[0]));
print("  %3s packets a flow: %6.2f Mpps, %4s cycles a packet, %.3f keys a packet, %3.0f%% of dpdk-test-acl" % (sys.argv[1], float(r[0]) / 1e6, r[1], float(r[2]), 100 * float(r[0]) / float(sys.argv[2])))' \
		"$ppf" "$ceiling"
done
