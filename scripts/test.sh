#!/bin/bash
# Builds nwsim and runs the whole test suite, then again under AddressSanitizer and
# UndefinedBehaviorSanitizer. Installs missing Debian packages first (needs root or sudo).
#   scripts/test.sh [--quick]    --quick: skip the sanitizer pass
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
nwsim_deps chromium

jobs=$(nproc)
run_suite() {
	local dir=$1; shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir" -j "$jobs"
	# A build without tests would "pass" with none run.
	meson test -C "$dir" --list 2>/dev/null | grep -q ' / ' || { echo "no tests in $dir" >&2; return 1; }
	meson test -C "$dir" --print-errorlogs --num-processes 1
}

echo "== build and test (build/)"
# -Dtests=true: demo.sh may have set up build/ without the tests.
run_suite build -Dtests=true

if [ "${1:-}" != "--quick" ]; then
	echo "== build and test under ASan + UBSan (build-san/)"
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
	export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
	export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
	run_suite build-san -Dtests=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
fi
echo "== all tests passed"
