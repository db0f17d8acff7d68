#!/usr/bin/env bash
# Builds the appmesh .deb from a built binary (`make package`):
#   scripts/package/deb.sh BIN OUTDIR
# and prints the path of the package. Contents: /usr/bin/appmesh, the
# systemd unit (dist/systemd/appmesh.service) under /usr/lib/systemd/system,
# the configuration dist/appmesh.hcl as /etc/appmesh.d/appmesh.hcl (a
# conffile: an edited one survives upgrades), and the maintainer scripts
# of dist/deb. dpkg-deb comes with dpkg; where it is missing, dpkg-dev is
# installed with apt-get.
set -euo pipefail

bin=${1:?usage: deb.sh BIN OUTDIR}
out=${2:?usage: deb.sh BIN OUTDIR}
root=$(cd "$(dirname "$0")/../.." && pwd)

if ! command -v dpkg-deb >/dev/null; then
	apt-get install -y --no-install-recommends dpkg-dev >&2 ||
		{ apt-get update >&2 && apt-get install -y --no-install-recommends dpkg-dev >&2; }
fi

# The version the binary reports ("appmesh v0.1.0 (abc1234)" -> 0.1.0).
version=$("$bin" version | sed -n 's/^appmesh v\([0-9][^ ]*\).*/\1/p' | head -n1)
if [ -z "$version" ]; then
	echo "deb.sh: cannot read the version of $bin" >&2
	exit 1
fi
# The binary's architecture, in Debian's names (Go's amd64/arm64 match).
arch=$(go env GOARCH 2>/dev/null || dpkg --print-architecture)
case "$(file -b "$bin" 2>/dev/null || true)" in
*x86-64*) arch=amd64 ;;
*aarch64*) arch=arm64 ;;
esac

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
pkg="$stage/appmesh"
install -D -m 0755 "$bin" "$pkg/usr/bin/appmesh"
install -D -m 0644 "$root/dist/systemd/appmesh.service" "$pkg/usr/lib/systemd/system/appmesh.service"
install -D -m 0644 "$root/dist/appmesh.hcl" "$pkg/etc/appmesh.d/appmesh.hcl"
install -d -m 0755 "$pkg/DEBIAN"
install -m 0755 "$root/dist/deb/postinst" "$root/dist/deb/prerm" "$pkg/DEBIAN/"
echo /etc/appmesh.d/appmesh.hcl >"$pkg/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" \
	"$root/dist/deb/control.in" >"$pkg/DEBIAN/control"

mkdir -p "$out"
deb="${out%/}/appmesh_${version}_${arch}.deb"
# --root-owner-group: files owned by root whoever builds it.
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >&2
echo "$deb"
