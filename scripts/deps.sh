#!/bin/bash
# Installs what nwsim needs to build and test, with apt-get, when it is missing.
# Sourced by test.sh and demo.sh; runs as root or through sudo. Arguments: more packages (test.sh
# adds chromium, the headless browser the topology view's test loads the HTML page in).
nwsim_deps() {
	local pkgs=(gcc libc6-dev pkg-config meson ninja-build python3 libdpdk-dev libpcap-dev libcjson-dev
		libcmocka-dev zlib1g-dev "$@")
	local missing=()
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo=sudo
	echo "nwsim: installing ${missing[*]}" >&2
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
