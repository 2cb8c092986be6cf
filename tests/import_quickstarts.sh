#!/bin/bash
# Loads every template under tests/import/quickstarts (Azure's public quickstarts, unchanged, each
# with its azuredeploy.parameters.json when it has one) as a user would, and prints for each either
# the network nwsim read (topology -o dot, with its warnings) or the one line it refused the
# template with; then the counts. The output must equal tests/import/quickstarts.expected.
#   usage: import_quickstarts.sh NWSIM PROJECT-ROOT [--regen]
set -u
nwsim=$(realpath "$1")
root=$(realpath "$2")
dir=$root/tests/import/quickstarts
expected=$root/tests/import/quickstarts.expected
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
loads=0
refused=0
bad=0
cd "$dir" || exit 1
for t in */azuredeploy.json; do
	name=${t%/azuredeploy.json}
	args=(topology -o dot -t "$t")
	[ -f "$name/azuredeploy.parameters.json" ] && args+=(--parameters "$name/azuredeploy.parameters.json")
	"$nwsim" "${args[@]}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc = 0 ]; then
		loads=$((loads + 1))
		echo "== $name: loads"
		cat "$tmp/err" "$tmp/out"
	else
		refused=$((refused + 1))
		echo "== $name: refused (exit $rc)"
		cat "$tmp/err"
		# A refusal is one line, an input error (3), never a crash or a half-written answer.
		if [ "$(wc -l <"$tmp/err")" != 1 ] || [ $rc != 3 ] || [ -s "$tmp/out" ]; then
			echo "BAD $name: a refusal must be one line on stderr, exit status 3, nothing on stdout" >&2
			bad=1
		fi
	fi
done >"$tmp/all"
echo "$((loads + refused)) templates: $loads load, $refused refused" >>"$tmp/all"
if [ "${3:-}" = --regen ]; then
	cp "$tmp/all" "$expected"
	tail -n 1 "$expected"
	exit $bad
fi
if ! diff -u "$expected" "$tmp/all"; then
	echo "FAIL: what nwsim makes of the quickstarts differs from $expected" >&2
	exit 1
fi
tail -n 1 "$tmp/all"
exit $bad
