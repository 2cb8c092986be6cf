#!/bin/bash
# Golden tests: run the real nwsim binary on every CASE.cmd in a folder and compare what it
# prints with CASE.out (stdout) and CASE.err (stderr), and its exit status with CASE.rc (0 when
# absent). A missing .out or .err means that stream must be empty.
#   usage: run_golden.sh NWSIM CASE-DIR PROJECT-ROOT
# In CASE.cmd and the expected output, {root} stands for the project root; commands run inside CASE-DIR.
# NWSIM_WRAP, when set, is put before each command (scripts/test.sh runs the cases under valgrind).
# NWSIM_JOBS: how many cases run at once (default 1); each case's report is printed whole.
set -u
nwsim=$(realpath "$1")
dir=$(realpath "$2")
root=$(realpath "$3")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export nwsim dir root tmp
export NWSIM_WRAP=${NWSIM_WRAP:-}

# One case: its report goes to $tmp/NAME.report, and $tmp/NAME.ok exists when it passed.
run_case() {
	local cmd=$1 name args rc want_rc ok=1 s want
	name=$(basename "$cmd" .cmd)
	args=$(sed -e "s|{root}|$root|g" "$cmd")
	# NWSIM_ONLY: an extended regular expression; only the cases whose command matches it run.
	if [ -n "${NWSIM_ONLY:-}" ] && ! grep -Eq -- "$NWSIM_ONLY" <<<"$args"; then
		return 0
	fi
	(cd "$dir" && eval "$NWSIM_WRAP \"$nwsim\" $args" >"$tmp/$name.out" 2>"$tmp/$name.err")
	rc=$?
	want_rc=0
	[ -f "$dir/$name.rc" ] && want_rc=$(cat "$dir/$name.rc")
	{
		if [ "$rc" != "$want_rc" ]; then
			echo "FAIL $name: exit status $rc, expected $want_rc"
			ok=0
		fi
		for s in out err; do
			# Paths under the project root are written {root} in the expected files, wherever it is.
			sed -i -e "s|$root|{root}|g" "$tmp/$name.$s"
			want=/dev/null
			[ -f "$dir/$name.$s" ] && want="$dir/$name.$s"
			if ! diff -u "$want" "$tmp/$name.$s" >"$tmp/$name.diff"; then
				echo "FAIL $name: std$s differs from $name.$s:"
				head -n 40 "$tmp/$name.diff"
				ok=0
			fi
		done
	} >"$tmp/$name.report"
	[ $ok = 1 ] && : >"$tmp/$name.ok"
	return 0
}
export -f run_case

printf '%s\0' "$dir"/*.cmd | xargs -0 -n 1 -P "${NWSIM_JOBS:-1}" bash -c 'run_case "$1"' _
pass=0
fail=0
for cmd in "$dir"/*.cmd; do
	name=$(basename "$cmd" .cmd)
	[ -f "$tmp/$name.report" ] || continue # left out by NWSIM_ONLY
	cat "$tmp/$name.report"
	if [ -f "$tmp/$name.ok" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
