#!/bin/bash
# A build of nwsim to carry to a machine without DPDK (the 16-core device machine): DPDK linked in
# statically, for x86-64-v3 (AVX2; rte_acl picks AVX-512 at run time where the CPU has it),
# stripped, with the shared libraries it still needs beside it. Writes build-static/dist/:
#   nwsim      the binary
#   lib/       its shared libraries other than the C library's own
#   nwsim.sh   runs the binary with lib/ on the library path
# There: NWSIM_BIN=build-static/dist/nwsim.sh scripts/bench.sh --scaling
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
# DPDK's static libraries name these in their link flags.
nwsim_deps libsystemd-dev libisal-dev binutils
if [ -d build-static ]; then
	meson setup --reconfigure build-static -Dstatic_dpdk=true -Dtests=false -Dcpu=x86-64-v3 >/dev/null
else
	meson setup build-static -Dstatic_dpdk=true -Dtests=false -Dcpu=x86-64-v3 >/dev/null
fi
ninja -C build-static control/nwsim >/dev/null
dist=build-static/dist
rm -rf "$dist"
mkdir -p "$dist/lib"
strip -o "$dist/nwsim" build-static/control/nwsim
# Everything ldd resolves but the C library's own pieces, which the other machine has.
ldd build-static/control/nwsim | awk '$3 ~ /^\// { print $3 }' | while read -r so; do
	case "$(basename "$so")" in
	libc.so.* | libm.so.* | libpthread.so.* | libdl.so.* | librt.so.* | ld-linux*) ;;
	*) cp -L "$so" "$dist/lib/" ;;
	esac
done
cat >"$dist/nwsim.sh" <<'WRAP'
#!/bin/sh
d=$(dirname "$0")
LD_LIBRARY_PATH="$d/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/nwsim" "$@"
WRAP
chmod +x "$dist/nwsim.sh"
if grep -q "librte_" <(ldd "$dist/nwsim"); then
	echo "device-build: $dist/nwsim still loads DPDK's shared libraries" >&2
	exit 1
fi
echo "wrote $dist: $(du -sh "$dist" | cut -f1) ($(ls "$dist/lib" | wc -l) shared libraries beside the binary)"
