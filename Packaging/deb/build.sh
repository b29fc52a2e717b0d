#!/usr/bin/env bash
# Builds faultline_VERSION_ARCH.deb with dpkg-deb (no debhelper: the package is two binaries,
# a unit, a conffile and two maintainer scripts).
#
#   Packaging/deb/build.sh VERSION BINDIR OUTDIR
#
# BINDIR holds `faultline` and `faultline-agent` (`make deb` passes .build/release; its
# test passes .build/debug). The unit is Agents/systemd/faultline-agent.service with
# ExecStart at /usr/bin; postinst gives /usr/bin/faultline-agent as file capabilities
# exactly the unit's AmbientCapabilities, read from the unit here so the two cannot differ.
# Recommends iptables: the delay engine (latency where the kernel has no netem) runs
# iptables-restore. Depends: the package of every shared library the binaries name (DT_NEEDED), found with
# ldconfig and dpkg -S on this machine; the Swift runtime is not in any package (a
# release build links it statically; a debug build finds it in the toolchain by rpath).
set -euo pipefail

version=${1:?usage: build.sh VERSION BINDIR OUTDIR}
bindir=${2:?usage: build.sh VERSION BINDIR OUTDIR}
outdir=${3:?usage: build.sh VERSION BINDIR OUTDIR}
package=${DEB_PACKAGE:-faultline}
repo=$(cd "$(dirname "$0")/../.." && pwd)
unit_source=$repo/Agents/systemd/faultline-agent.service
arch=$(dpkg --print-architecture)

for b in faultline faultline-agent; do
  [ -x "$bindir/$b" ] || { echo "build.sh: missing $bindir/$b (make release, or BIN=.build/debug after swift build)" >&2; exit 1; }
done

# The unit's capabilities, lower-cased for setcap: "cap_net_admin,cap_sys_admin,...".
capabilities=$(sed -n 's/^AmbientCapabilities=//p' "$unit_source" | tr 'A-Z' 'a-z' | tr ' ' ',')
[ -n "$capabilities" ] || { echo "build.sh: no AmbientCapabilities= in $unit_source" >&2; exit 1; }
bounding=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit_source" | tr 'A-Z' 'a-z' | tr ' ' ',')
[ "$capabilities" = "$bounding" ] || { echo "build.sh: the unit's AmbientCapabilities and CapabilityBoundingSet differ" >&2; exit 1; }

# Depends, from the libraries the binaries link.
packages_of_needed_libraries() {
  local lib path owner runtime=""
  for lib in $( (objdump -p "$bindir/faultline"; objdump -p "$bindir/faultline-agent") | awk '$1 == "NEEDED" { print $2 }' | sort -u); do
    path=$(ldconfig -p | awk -v lib="$lib" '$1 == lib && /x86-64/ { print $NF; exit }')
    if [ -z "$path" ]; then
      case $lib in
        libswift*|libFoundation*|lib_Foundation*|libdispatch.so*|libBlocksRuntime.so*)
          runtime="$runtime $lib"; continue ;;
      esac
      echo "build.sh: $lib is not known to ldconfig" >&2; exit 1
    fi
    owner=$(dpkg -S "$path" 2>/dev/null || dpkg -S "$(readlink -f "$path")" 2>/dev/null || dpkg -S "/usr$path" 2>/dev/null) \
      || { echo "build.sh: no package owns $path ($lib)" >&2; exit 1; }
    echo "${owner%%:*}"
  done
  if [ -n "$runtime" ]; then
    echo "build.sh: note: the binaries link the Swift runtime dynamically (a debug build?): the package runs only where that toolchain is:$runtime" >&2
  fi
}
needed=$(packages_of_needed_libraries | sort -u)
# passwd: useradd/userdel in the maintainer scripts; libcap2-bin: setcap in postinst.
depends=$(printf '%s\n' $needed passwd libcap2-bin | sort -u | paste -sd, | sed 's/,/, /g')

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root=$stage/root
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/faultline" "$root/usr/share/doc/$package"
install -m 0755 "$bindir/faultline" "$root/usr/bin/faultline"
install -m 0755 "$bindir/faultline-agent" "$root/usr/bin/faultline-agent"
sed 's|^ExecStart=/usr/local/bin/faultline-agent|ExecStart=/usr/bin/faultline-agent|' "$unit_source" > "$root/lib/systemd/system/faultline-agent.service"
grep -q '^ExecStart=/usr/bin/faultline-agent ' "$root/lib/systemd/system/faultline-agent.service" \
  || { echo "build.sh: could not point the unit's ExecStart at /usr/bin" >&2; exit 1; }
chmod 0644 "$root/lib/systemd/system/faultline-agent.service"
install -m 0644 "$repo/Agents/agent.yaml" "$root/etc/faultline/agent.yaml"
install -m 0644 "$repo/Agents/README.md" "$root/usr/share/doc/$package/README.md"
printf 'Faultline %s, packaged from its repository.\nThird-party notices: Tests/Fixtures/porcupine/LICENSE in the repository (test data, not packaged).\n' \
  "$version" > "$root/usr/share/doc/$package/copyright"
chmod 0644 "$root/usr/share/doc/$package/copyright"

echo /etc/faultline/agent.yaml > "$root/DEBIAN/conffiles"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat > "$root/DEBIAN/control" <<CONTROL
Package: $package
Version: $version
Architecture: $arch
Maintainer: Faultline maintainers <faultline@localhost>
Installed-Size: $installed_size
Depends: $depends
Recommends: iptables
Section: admin
Priority: optional
Description: chaos engineering for Linux: controller and per-host agent
 faultline runs experiments (plans in YAML) against hosts; faultline-agent, on each
 host, applies and reverts network, process and clock faults under leases. The agent
 runs as the faultline user with the file capabilities its unit lists.
CONTROL

cat > "$root/DEBIAN/postinst" <<POSTINST
#!/bin/sh
# Made by Packaging/deb/build.sh.
set -e
if [ "\$1" = configure ]; then
  if ! getent passwd faultline >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/faultline --shell /usr/sbin/nologin faultline
  fi
  install -d -o faultline -g faultline -m 0750 /var/lib/faultline
  # The unit's capabilities, also when the agent is started without systemd. Under
  # systemd they make the ambient ones moot (exec of a file with capabilities clears the
  # ambient set); the agent hands CAP_NET_ADMIN on to its iptables-restore itself.
  setcap $capabilities+ep /usr/bin/faultline-agent
  if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
fi
exit 0
POSTINST

cat > "$root/DEBIAN/postrm" <<POSTRM
#!/bin/sh
# Made by Packaging/deb/build.sh. The agent's certificates and ledger go with purge only.
set -e
if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
if [ "\$1" = purge ]; then
  rm -rf /etc/faultline /var/lib/faultline
  if getent passwd faultline >/dev/null; then userdel faultline; fi
  if getent group faultline >/dev/null; then groupdel faultline; fi
fi
exit 0
POSTRM
chmod 0755 "$root/DEBIAN/postinst" "$root/DEBIAN/postrm"

mkdir -p "$outdir"
deb="$outdir/${package}_${version}_${arch}.deb"
# DEB_COMPRESSION=none for a quick local package (the test's); xz by default.
dpkg-deb --root-owner-group -Z"${DEB_COMPRESSION:-xz}" --build "$root" "$deb" >/dev/null
echo "$deb"
