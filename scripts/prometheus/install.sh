#!/usr/bin/env bash
# Makes sure Debian's `prometheus` package (prometheus + promtool) is
# installed and prints the path of the tool asked for, for the tests:
#
#   scripts/prometheus/install.sh prometheus   -> /usr/bin/prometheus
#   scripts/prometheus/install.sh promtool     -> /usr/bin/promtool
#   scripts/prometheus/install.sh              -> installs, prints nothing
#
# Nothing is downloaded outside the package manager. Runs apt-get as root,
# or through sudo otherwise; the package list is refreshed only when the
# first install attempt fails (a fresh machine with no lists yet).
set -euo pipefail
want="${1:-}"
case "$want" in
"" | prometheus | promtool) ;;
*)
	echo "install.sh: unknown tool \"$want\": use prometheus or promtool" >&2
	exit 2
	;;
esac

if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	echo "install.sh: installing Debian's prometheus package" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! $sudo apt-get install -y --no-install-recommends prometheus >&2; then
		$sudo apt-get update >&2
		$sudo apt-get install -y --no-install-recommends prometheus >&2
	fi
fi
if [ -n "$want" ]; then
	command -v "$want"
fi
