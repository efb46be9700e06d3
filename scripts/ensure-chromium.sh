#!/usr/bin/env bash
# Debian's chromium and chromedriver for the web app's browser tests (the tests fail, never skip,
# without them). Installs them when missing; needs root (or sudo) and Debian's package archive.
set -euo pipefail
if [ -x /usr/bin/chromedriver ] && [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "installing chromium and chromium-driver (Debian packages) for the browser tests"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
