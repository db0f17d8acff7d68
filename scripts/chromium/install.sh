#!/usr/bin/env bash
# Makes sure Debian's `chromium` package is installed and prints the path
# of the browser, for the web UI's browser tests (e2e/ui_test.go):
#
#   scripts/chromium/install.sh   -> /usr/bin/chromium
#
# Nothing is downloaded outside the package manager. Runs apt-get as root,
# or through sudo otherwise; the package list is refreshed only when the
# first install attempt fails (a fresh machine with no lists yet). Running
# it again when chromium is present does nothing but print the path.
set -euo pipefail
if [ "$#" -ne 0 ]; then
	echo "install.sh: takes no arguments (it installs chromium and prints its path)" >&2
	exit 2
fi

if ! command -v chromium >/dev/null 2>&1; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
	echo "install.sh: installing Debian's chromium package" >&2
	export DEBIAN_FRONTEND=noninteractive
	if ! $sudo apt-get install -y --no-install-recommends chromium >&2; then
		$sudo apt-get update >&2
		$sudo apt-get install -y --no-install-recommends chromium >&2
	fi
fi
command -v chromium
