#!/bin/sh
# Installs Debian's chromium for the browser end-to-end test (tests/browser.rs), unless
# it is already there. Idempotent; .ci/run calls it before `cargo test`.
set -eu
if command -v chromium >/dev/null 2>&1; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y chromium
command -v chromium
