#!/usr/bin/env bash
# `make dev METRICS=1`: a dev appmesh agent on 127.0.0.1:6060 and a real
# Prometheus on 127.0.0.1:9090 scraping its /v1/metrics every 5 s, with the
# example alert rules of website/prometheus/alerts.yml loaded. Ctrl-C stops
# both.
set -euo pipefail
appmesh="${1:?usage: dev.sh path/to/appmesh}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
prometheus="$("$here/install.sh" prometheus)"
tmp="$(mktemp -d)"
cp "$root/website/prometheus/alerts.yml" "$tmp/alerts.yml"
cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 5s
  evaluation_interval: 5s
rule_files: ["$tmp/alerts.yml"]
scrape_configs:
  - job_name: appmesh
    metrics_path: /v1/metrics
    static_configs:
      - targets: ["127.0.0.1:6060"]
YAML
"$prometheus" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
	--web.listen-address=127.0.0.1:9090 >"$tmp/prometheus.log" 2>&1 &
prom_pid=$!
trap 'kill $prom_pid 2>/dev/null; wait $prom_pid 2>/dev/null; rm -rf "$tmp"' EXIT
echo "prometheus: http://127.0.0.1:9090  (config and log: $tmp)" >&2
"$appmesh" agent -dev
