#!/bin/bash
# Runs every libFuzzer harness for SECONDS each (default 60), starting from the committed seed
# corpus in tests/fuzz/corpus/NAME. New inputs the fuzzer finds go to build-fuzz/corpus/NAME
# (not the repository); a crash, leak, timeout or out-of-memory stops it with the input saved
# as build-fuzz/findings/NAME-*, and the script fails. Copy such an input into
# tests/fuzz/regress/NAME/ when it is fixed: the test suite runs those on every build.
#   scripts/fuzz.sh [SECONDS] [NAME...]     NAME: topo parse pcap batch (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
nwsim_deps clang libclang-rt-dev

secs=${1:-60}
shift || true
names=("$@")
[ ${#names[@]} -eq 0 ] && names=(topo parse pcap batch)
if [ -d build-fuzz ]; then
	CC=clang meson setup --reconfigure build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debug >/dev/null
else
	CC=clang meson setup build-fuzz -Dfuzz=true -Dtests=false -Db_sanitize=address,undefined -Db_lundef=false \
		-Dbuildtype=debug >/dev/null
fi
ninja -C build-fuzz -j "$(nproc)" >/dev/null
mkdir -p build-fuzz/findings
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
fail=0
for n in "${names[@]}"; do
	mkdir -p "build-fuzz/corpus/$n"
	log=build-fuzz/fuzz-$n.log
	# -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that takes 2 GB a leak.
	if build-fuzz/tests/fuzz/fuzz_"$n" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="build-fuzz/findings/$n-" "build-fuzz/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1; then
		status="no finding"
	else
		status="FINDING (see $log and build-fuzz/findings/)"
		fail=1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corpus=$(find "build-fuzz/corpus/$n" "tests/fuzz/corpus/$n" -type f | wc -l)
	echo "fuzz_$n: $secs s, ${runs:-?} executions, coverage ${cov:-?} edges, $corpus inputs in the corpus: $status"
done
exit $fail
