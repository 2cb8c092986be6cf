#!/bin/bash
# Builds nwsim and runs the whole test suite, then again under AddressSanitizer and
# UndefinedBehaviorSanitizer, then the query and failure cases under valgrind, then every fuzz
# harness for a short while. Installs missing Debian packages first (needs root or sudo).
#   scripts/test.sh [--quick]    --quick: the first pass only
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
nwsim_deps chromium valgrind man-db

jobs=$(nproc)
configure() {
	local dir=$1; shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}
run_suite() {
	local dir=$1; shift
	configure "$dir" "$@"
	ninja -C "$dir" -j "$jobs"
	# A build without tests would "pass" with none run. The list is read whole, with what meson
	# said, so that a failure to list shows why (one CI run stopped here once, saying no more).
	local list rc=0
	list=$(meson test -C "$dir" --list 2>&1) || rc=$?
	if ! grep -q ' / ' <<<"$list"; then
		printf 'no tests in %s (meson test --list: status %d)\n%s\n' "$dir" "$rc" "$list" >&2
		return 1
	fi
	# Tests that time signals, sockets or ports, or load the machine (chromium), are marked
	# is_parallel: false in tests/meson.build and run alone; the rest share the cores.
	meson test -C "$dir" --print-errorlogs --num-processes "$jobs"
}

echo "== build and test (build/)"
# -Dtests=true: demo.sh may have set up build/ without the tests.
run_suite build -Dtests=true

if [ "${1:-}" != "--quick" ]; then
	echo "== build and test under ASan + UBSan (build-san/)"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
	run_suite build-san -Dtests=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized -Db_lto=false

	# valgrind sees what the sanitizers cannot (uninitialised reads in DPDK's libraries, which are
	# not instrumented). Everything under it runs some 20 times slower, and worker lcores that
	# poll slower still, so this pass takes the failure cases and the single-threaded queries.
	# valgrind cannot run AVX-512 code, which -march=native emits where the CPU has it: this pass
	# gets a build of its own for Debian's DPDK baseline (corei7: SSE4.2).
	echo "== failure cases and queries under valgrind (build-vg/)"
	configure build-vg -Dtests=false -Dcpu=corei7 -Db_lto=false
	ninja -C build-vg -j "$jobs" control/nwsim
	export NWSIM_EAL_OPTIONS="--no-huge -m 512" # valgrind cannot map hugepages
	export NWSIM_WRAP="valgrind -q --error-exitcode=99 --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite --suppressions=$PWD/tests/valgrind.supp"
	# A case at a time per CPU: each spends its time in valgrind's own start-up, on one core.
	export NWSIM_JOBS=$jobs
	tests/run_golden.sh build-vg/control/nwsim tests/fail .
	NWSIM_ONLY="^(test-ip-flow|show-next-hop|list-effective-nsg|show-effective-route-table) " \
		tests/run_golden.sh build-vg/control/nwsim tests/e2e .
	unset NWSIM_EAL_OPTIONS NWSIM_WRAP NWSIM_JOBS

	echo "== fuzz harnesses, ${NWSIM_FUZZ_SECONDS:-15} s each (build-fuzz/)"
	scripts/fuzz.sh "${NWSIM_FUZZ_SECONDS:-15}"
fi
echo "== all tests passed"
