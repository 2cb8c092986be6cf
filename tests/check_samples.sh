#!/bin/bash
# The bundled captures are what scripts/make-samples.py writes, byte for byte.
#   usage: check_samples.sh PROJECT-ROOT
set -eu
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$root/scripts/make-samples.py" "$tmp" >/dev/null
pass=0
fail=0
for f in "$tmp"/*.pcap; do
	if cmp -s "$f" "$root/pcap-samples/$(basename "$f")"; then
		pass=$((pass + 1))
	else
		echo "FAIL pcap-samples/$(basename "$f") differs from what scripts/make-samples.py writes"
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]
