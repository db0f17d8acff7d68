#!/usr/bin/env bash
# Builds a real `consul` binary from the Go module proxy and prints its path.
#
# The Consul version is pinned by the tools module next to this script
# (tools/go.mod + tools/go.sum). The binary is cached under
# <repo>/.cache/consul/<version>/consul, so a second run is instant.
#
# Only the very first resolution (no tools/go.sum yet, or
# APPMESH_CONSUL_RESOLVE=1) talks to the checksum database with
# GONOSUMDB=github.com/hashicorp/consul: a few of Consul's sub-modules are
# not in sum.golang.org. Commit tools/go.sum afterwards; later builds are
# then verified against it.
#
# Usage: scripts/consul/build.sh            -> prints /path/to/consul
#        APPMESH_CONSUL_CACHE=/dir build.sh -> cache somewhere else
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tools="$here/tools"
go="${GO:-go}"

# `require github.com/hashicorp/consul vX` or a line of a require block.
version="$(awk -v m=github.com/hashicorp/consul '
	($1 == "require" && $2 == m) { print $3; exit }
	($1 == m && $2 ~ /^v/)       { print $2; exit }' "$tools/go.mod")"
if [ -z "$version" ]; then
	echo "build.sh: no github.com/hashicorp/consul requirement in $tools/go.mod" >&2
	exit 1
fi
cache="${APPMESH_CONSUL_CACHE:-$root/.cache/consul}/$version"
bin="$cache/consul"

usable() { [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; }

if usable; then
	echo "$bin"
	exit 0
fi

mkdir -p "$cache"
# One builder at a time (parallel `make test` runs, several shells).
exec 9>"$cache/.lock"
if command -v flock >/dev/null 2>&1; then flock 9; fi
if usable; then
	echo "$bin"
	exit 0
fi

cd "$tools"
# Never inherit the caller's flags (e.g. -mod=vendor) or workspace.
export GOWORK=off GOFLAGS=-buildvcs=false
if [ ! -s go.sum ] || [ "${APPMESH_CONSUL_RESOLVE:-0}" = 1 ]; then
	echo "build.sh: resolving consul $version (first time; commit scripts/consul/tools/go.sum)" >&2
	GONOSUMDB=github.com/hashicorp/consul GOFLAGS="-mod=mod -buildvcs=false" "$go" mod tidy >&2
fi

echo "build.sh: building consul $version into $cache (cold: ~4 min on 2 cores)" >&2
start=$(date +%s)
CGO_ENABLED=0 "$go" build -trimpath -ldflags "-s -w" -o "$bin.tmp" github.com/hashicorp/consul >&2
mv -f "$bin.tmp" "$bin"
echo "build.sh: built consul $version in $(( $(date +%s) - start ))s" >&2
echo "$bin"
