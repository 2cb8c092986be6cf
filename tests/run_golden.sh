#!/bin/bash
# Golden tests: run the real nwsim binary on every CASE.cmd in a folder and compare what it
# prints with CASE.out (stdout) and CASE.err (stderr), and its exit status with CASE.rc (0 when
# absent). A missing .out or .err means that stream must be empty.
#   usage: run_golden.sh NWSIM CASE-DIR PROJECT-ROOT
# In CASE.cmd and the expected output, {root} stands for the project root; commands run inside CASE-DIR.
# NWSIM_WRAP, when set, is put before each command (scripts/test.sh runs the cases under valgrind).
set -u
nwsim=$(realpath "$1")
dir=$(realpath "$2")
root=$(realpath "$3")
wrap=${NWSIM_WRAP:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for cmd in "$dir"/*.cmd; do
	name=$(basename "$cmd" .cmd)
	args=$(sed -e "s|{root}|$root|g" "$cmd")
	# NWSIM_ONLY: an extended regular expression; only the cases whose command matches it run.
	if [ -n "${NWSIM_ONLY:-}" ] && ! grep -Eq -- "$NWSIM_ONLY" <<<"$args"; then
		continue
	fi
	(cd "$dir" && eval "$wrap \"$nwsim\" $args" >"$tmp/out" 2>"$tmp/err")
	rc=$?
	want_rc=0
	[ -f "$dir/$name.rc" ] && want_rc=$(cat "$dir/$name.rc")
	ok=1
	if [ "$rc" != "$want_rc" ]; then
		echo "FAIL $name: exit status $rc, expected $want_rc"
		ok=0
	fi
	for s in out err; do
		# Paths under the project root are written {root} in the expected files, wherever it is.
		sed -i -e "s|$root|{root}|g" "$tmp/$s"
		want=/dev/null
		[ -f "$dir/$name.$s" ] && want="$dir/$name.$s"
		if ! diff -u "$want" "$tmp/$s" >"$tmp/diff"; then
			echo "FAIL $name: std$s differs from $name.$s:"
			head -n 40 "$tmp/diff"
			ok=0
		fi
	done
	if [ $ok = 1 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ] && [ $pass -gt 0 ]
