#!/usr/bin/env bash
# `make dev CONSUL=1`: a dev Consul agent on 127.0.0.1:8500 and a dev appmesh
# agent with the Consul integration on (services, KV status, jobs from KV).
# Ctrl-C stops both.
set -euo pipefail
appmesh="${1:?usage: dev.sh path/to/appmesh}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
consul="$("$here/build.sh")"
tmp="$(mktemp -d)"
"$consul" agent -dev -bind 127.0.0.1 -client 127.0.0.1 -log-level warn >"$tmp/consul.log" 2>&1 &
consul_pid=$!
trap 'kill $consul_pid 2>/dev/null; wait $consul_pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do
	"$consul" info -http-addr=127.0.0.1:8500 >/dev/null 2>&1 && break
	sleep 0.1
done
cat >"$tmp/consul.hcl" <<HCL
consul {
  address     = "127.0.0.1:8500"
  watch_tasks = true
}
HCL
echo "consul UI: http://127.0.0.1:8500/ui  (log: $tmp/consul.log)" >&2
"$appmesh" agent -dev -config "$tmp/consul.hcl"
