#!/usr/bin/env bash
# The service mesh proxy benchmark of issue 18: the same load through a
# direct connection, a pair of Consul's built-in proxies (`consul connect
# proxy`) and a pair of appmesh proxies (`appmesh connect proxy`), one after
# the other on loopback, then the three side by side (added p50/p99 latency
# per request, req/s and MB/s over 1 and over 100 connections, throughput
# lost against direct). See website/performance.md, "Service mesh proxy".
#
# The optional `forward` and `splice` legs are the floor: two plain TCP
# forwarders in a row (`meshbench forward`: no TLS, no policy), copying
# through a buffer (forward) or with splice(2) (splice), the cheapest pairs
# of hops a sidecar pair can add. What they lose against direct, no mesh
# proxy pair can win back on the same machine.
#
#   scripts/bench/mesh.sh
#   BENCH_DURATION=5s BENCH_LEGS=direct,consul scripts/bench/mesh.sh
#
# Environment:
#   CONSUL_BIN       a consul binary (default: scripts/consul/build.sh, cached)
#   APPMESH_BIN      the appmesh binary (default: bin/appmesh from `make build`)
#   BENCH_SKIP_BUILD=1  do not run `make build`
#   BENCH_LEGS       legs to run, in order (default direct,consul,appmesh;
#                    add forward and splice for the floor; direct is the
#                    baseline of the report and always runs)
#   BENCH_DURATION   measured time of each load (default 10s)
#   BENCH_WARMUP     unmeasured time before each load (default 2s)
#   BENCH_CONNS      request/response loads by connections (default 1,100)
#   BENCH_BULK_CONNS bulk streaming loads by connections (default 1; "" none)
#   BENCH_REQ, BENCH_RESP  request and response sizes (default 1024 each)
#   BENCH_SERVICE_TIME  the server waits this long before each response
#                    (default 0: an echo; e.g. 10ms for a service that works,
#                    so that 100 connections no longer saturate the CPU)
#   BENCH_SERVICE_JITTER  spread the service time evenly over its value ±
#                    this (default 0), so that the connections' waits do
#                    not end together
#   BENCH_ROUNDS     run the legs this many times, interleaved (default 1);
#                    the report shows each figure's median over the rounds
#   BENCH_OUT        keep the per-leg JSON results and logs in this directory
#
# The run joins the cgroup /sys/fs/cgroup/cpu/bench when it exists and is
# writable, so that a machine can give the benchmark its own CPU share.
# Every process it starts is stopped on exit.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

duration="${BENCH_DURATION:-10s}"
warmup="${BENCH_WARMUP:-2s}"
conns="${BENCH_CONNS:-1,100}"
bulk_conns="${BENCH_BULK_CONNS-1}"
req="${BENCH_REQ:-1024}"
resp="${BENCH_RESP:-1024}"
service_time="${BENCH_SERVICE_TIME:-0s}"
service_jitter="${BENCH_SERVICE_JITTER:-0s}"
legs="${BENCH_LEGS:-direct,consul,appmesh}"
rounds="${BENCH_ROUNDS:-1}"

work="$(mktemp -d "${TMPDIR:-/tmp}/appmesh-meshbench.XXXXXX")"
out="${BENCH_OUT:-$work}"
mkdir -p "$out"

pids=()
cleanup() {
	local pid
	for pid in "${pids[@]}"; do
		stop_pid "$pid"
	done
	if [ -z "${BENCH_OUT:-}" ]; then rm -rf "$work"; fi
}
# stop_pid ends one process we started: TERM, then KILL after 5 s.
stop_pid() {
	local pid="$1" i
	kill -TERM "$pid" 2>/dev/null || return 0
	for i in $(seq 50); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "mesh.sh: $*" >&2; }

# start NAME CMD...: runs CMD in the background, its output in $out/NAME.log.
start() {
	local name="$1"
	shift
	"$@" >"$out/$name.log" 2>&1 &
	pids+=("$!")
	last_pid=$!
}

# stop_leg: ends the processes a leg started (everything after the echo
# server), so that they take no CPU from the next leg.
stop_leg() {
	local i
	for ((i = ${#pids[@]} - 1; i >= 1; i--)); do
		stop_pid "${pids[$i]}"
	done
	pids=("${pids[0]}")
}

if [ -d /sys/fs/cgroup/cpu/bench ] && [ -w /sys/fs/cgroup/cpu/bench/cgroup.procs ]; then
	echo $$ >/sys/fs/cgroup/cpu/bench/cgroup.procs
	log "running in cgroup /sys/fs/cgroup/cpu/bench"
fi

# --- Build -------------------------------------------------------------------
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
	log "make build"
	make build >&2
fi
appmesh="${APPMESH_BIN:-$root/bin/appmesh}"
mb="$work/meshbench"
go build -o "$mb" ./scripts/bench/meshbench

want() { case ",$legs," in *",$1,"*) return 0 ;; esac; return 1; }

consul=""
if want consul; then
	consul="${CONSUL_BIN:-}"
	if [ -z "$consul" ]; then
		consul="$(scripts/consul/build.sh)"
	fi
	consul_version="$("$consul" version)"
	echo "${consul_version%%$'\n'*}" >&2
fi

round=1
bench() { # bench LABEL ADDR
	local json="$out/$1-round$round.json"
	log "round $round/$rounds, leg $1: $conns connections, bulk ${bulk_conns:-none}, $duration each after $warmup"
	"$mb" run -label "$1" -addr "$2" -conns "$conns" -bulk-conns "$bulk_conns" \
		-req "$req" -resp "$resp" -duration "$duration" -warmup "$warmup" -json "$json"
	results+=("$json")
}

mapfile -t port < <("$mb" ports 14)
svc="127.0.0.1:${port[0]}"
results=()

# --- The service ---------------------------------------------------------------
# The echo server stays up for every leg: the direct leg loads it straight,
# each proxy pair forwards to it.
start server "$mb" serve -addr "$svc" -delay "$service_time" -jitter "$service_jitter"
"$mb" probe -addr "$svc" -timeout 10s

# --- Consul's built-in proxy ---------------------------------------------------
consul_leg() {
	local http="127.0.0.1:${port[1]}" inbound="${port[2]}" upstream="127.0.0.1:${port[3]}"
	# A dev agent (Connect on, its own CA, intentions allow by default) on
	# ports of its own; api is registered with a sidecar whose public
	# listener is the mTLS side, checked every second so that it is
	# healthy (and so discoverable by web's proxy) quickly.
	cat >"$work/consul.hcl" <<HCL
bind_addr   = "127.0.0.1"
client_addr = "127.0.0.1"
log_level   = "warn"
ports {
  http     = ${port[1]}
  https    = -1
  grpc     = -1
  grpc_tls = -1
  dns      = -1
  serf_lan = ${port[4]}
  serf_wan = ${port[5]}
  server   = ${port[6]}
}
services {
  name    = "api"
  id      = "api"
  address = "127.0.0.1"
  port    = ${port[0]}
  connect {
    sidecar_service {
      port = $inbound
      proxy {
        local_service_address = "127.0.0.1"
        local_service_port    = ${port[0]}
        config { bind_address = "127.0.0.1" }
      }
      checks = [{
        name     = "listening"
        tcp      = "127.0.0.1:$inbound"
        interval = "1s"
      }]
    }
  }
}
HCL
	start consul-agent "$consul" agent -dev -node meshbench -config-file "$work/consul.hcl"
	# The proxies need the leader (and with it Connect's CA) up.
	local i
	for i in $(seq 150); do
		"$consul" connect ca get-config -http-addr="$http" >/dev/null 2>&1 && break
		sleep 0.2
	done
	start consul-proxy-api "$consul" connect proxy -http-addr="$http" -sidecar-for api
	start consul-proxy-web "$consul" connect proxy -http-addr="$http" -service web -upstream "api:${port[3]}"
	"$mb" probe -addr "$upstream" -timeout 60s || {
		log "consul proxies not ready; logs in $out (set BENCH_OUT to keep them)"
		tail -n 20 "$out"/consul-*.log >&2
		return 1
	}
	bench consul "$upstream"
}

# --- The floor: two plain TCP hops --------------------------------------------
forward_leg() { # forward_leg LABEL read|splice
	local first="127.0.0.1:${port[12]}" second="127.0.0.1:${port[13]}"
	start "$1-api" "$mb" forward -copy "$2" -listen "$second" -to "$svc"
	start "$1-web" "$mb" forward -copy "$2" -listen "$first" -to "$second"
	"$mb" probe -addr "$first" -timeout 10s || {
		log "forwarders not ready; logs in $out (set BENCH_OUT to keep them)"
		tail -n 20 "$out/$1"-*.log >&2
		return 1
	}
	bench "$1" "$first"
}

# --- appmesh's proxy ---------------------------------------------------------
appmesh_leg() {
	local upstream="127.0.0.1:${port[7]}"
	"$mb" certs -dir "$work" -service-addr "$svc" -inbound-addr "127.0.0.1:${port[8]}" \
		-upstream-addr "$upstream" -web-inbound-addr "127.0.0.1:${port[9]}" \
		-web-service-addr "127.0.0.1:${port[10]}"
	start appmesh-proxy-api "$appmesh" connect proxy -config "$work/api.json"
	start appmesh-proxy-web "$appmesh" connect proxy -config "$work/web.json"
	"$mb" probe -addr "$upstream" -timeout 30s || {
		log "appmesh proxies not ready; logs in $out (set BENCH_OUT to keep them)"
		tail -n 20 "$out"/appmesh-*.log >&2
		return 1
	}
	bench appmesh "$upstream"
}
# The proxy is an `appmesh connect proxy` subcommand; until it is built the
# leg is reported missing rather than failing the run.
appmesh_built=0
if want appmesh; then
	# Captured first: `grep -q` closing the pipe early would fail it.
	help="$("$appmesh" connect proxy -h 2>&1 || true)"
	if [[ "$help" == *-config* ]]; then
		appmesh_built=1
	else
		echo "appmesh proxy: not built yet"
	fi
fi

# --- The legs, round after round ----------------------------------------------
for ((round = 1; round <= rounds; round++)); do
	bench direct "$svc"
	if want forward; then
		forward_leg forward read
		stop_leg
	fi
	if want splice; then
		forward_leg splice splice
		stop_leg
	fi
	if want consul; then
		consul_leg
		stop_leg
	fi
	if [ "$appmesh_built" = 1 ]; then
		appmesh_leg
		stop_leg
	fi
done

echo
echo "== mesh proxy benchmark: ${req} B requests, ${resp} B responses, service time $service_time ± $service_jitter, $duration per load, $rounds round(s) =="
"$mb" report "${results[@]}"
