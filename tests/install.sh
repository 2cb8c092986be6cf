#!/bin/bash
# nwsim as installed: 'meson install --destdir' puts the binary, the manual page, the bash
# completion and the documentation (with the example topologies and captures) in place; the
# installed binary answers a query and replays a capture from the installed examples; the
# manual page renders and has every command; the completion offers the commands and completes
# -t with the installed .json files.
#   usage: install.sh BUILD-DIR
set -u
build=$(realpath "$1")
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
pass=0
fail=0
check() { # NAME, then a command that must succeed
	local name=$1
	shift
	if "$@" >/dev/null 2>"$dest/err"; then
		echo "ok   $name"
		pass=$((pass + 1))
	else
		echo "FAIL $name: $(tail -c 600 "$dest/err")"
		fail=$((fail + 1))
	fi
}
if ! meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest/install.log" 2>&1; then
	echo "FAIL meson install: $(tail -n 20 "$dest/install.log")"
	exit 1
fi
prefix=$(meson introspect "$build" --buildoptions | python3 -c 'import json,sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))')
root=$dest$prefix
bin=$root/bin/nwsim
doc=$root/share/doc/nwsim
check "the binary is installed" test -x "$bin"
check "the manual page is installed" test -f "$root/share/man/man1/nwsim.1"
check "the bash completion is installed" test -f "$root/share/bash-completion/completions/nwsim"
check "the docs, example topologies and captures are installed" \
	test -f "$doc/commands.md" -a -f "$doc/errors.md" -a -f "$doc/examples/web-app.json" -a -f "$doc/pcap-samples/hub-spoke.pcap"
check "the help names the installed documentation, which exists" \
	bash -c "'$bin' --help | grep -q '$prefix/share/doc/nwsim' && test -d '$doc'"
check "the installed binary answers a query on an installed example" \
	bash -c "'$bin' test-ip-flow -t '$doc/examples/web-app.json' --vm web1 --direction Inbound --protocol TCP \
		--local 10.0.1.4:443 --remote 13.107.21.200:50000 | grep -q AllowHTTPS"
check "the installed binary replays an installed capture" \
	bash -c "'$bin' replay -t '$doc/examples/hub-spoke.json' --workers 0 -o json '$doc/pcap-samples/hub-spoke.pcap' |
		grep -q '\"accountingBalanced\": true'"
MANWIDTH=100 man -l "$root/share/man/man1/nwsim.1" >"$dest/page.txt" 2>"$dest/man.err"
check "the manual page renders, with every command's usage and description as --help gives them" \
	python3 - "$bin" "$dest/page.txt" <<'PY'
import re, subprocess, sys
nwsim, page = sys.argv[1], open(sys.argv[2]).read()
flat = " ".join(re.sub("\u2010\n\\s*", "", page).split())  # words man hyphenated, joined back
top = subprocess.run([nwsim, "--help"], capture_output=True, text=True).stdout
cmds = re.findall(r"^  ([a-z-]+) ", top.split("commands:")[1], re.M)
assert len(cmds) >= 10, cmds
for c in cmds:
    h = subprocess.run([nwsim, c, "--help"], capture_output=True, text=True).stdout
    assert re.search(r"^   %s$" % c, page, re.M), "no section for " + c
    first = " ".join(h.split("\n\n")[1].split()[:12])
    assert first in flat, "%s: its description is not in the page: %r" % (c, first)
PY
comp=$root/share/bash-completion/completions/nwsim
check "the completion offers the commands" \
	bash -c "source '$comp'; COMP_WORDS=(nwsim re); COMP_CWORD=1; _nwsim; [ \"\${COMPREPLY[*]}\" = replay ]"
check "the completion offers a command's options and their values" \
	bash -c "source '$comp'; COMP_WORDS=(nwsim test-ip-flow --dir); COMP_CWORD=2; _nwsim; [ \"\${COMPREPLY[*]}\" = --direction ] &&
		COMP_WORDS=(nwsim test-ip-flow --direction O); COMP_CWORD=3; _nwsim; [ \"\${COMPREPLY[*]}\" = Outbound ]"
check "the completion completes -t with .json files" \
	bash -c "cd '$doc/examples' && source '$comp'; COMP_WORDS=(nwsim replay -t w); COMP_CWORD=3; _nwsim; [ \"\${COMPREPLY[*]}\" = web-app.json ]"
echo "$pass passed, $fail failed"
[ $fail = 0 ]
