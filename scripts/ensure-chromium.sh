#!/usr/bin/env bash
# Makes sure Chromium and its WebDriver are installed (the dashboard's browser tests,
# tests/ui/, drive a headless Chromium through chromedriver): installs Debian's `chromium`
# and `chromium-driver` with apt-get when missing and we are root (or have passwordless
# sudo); otherwise stops with the command to run. MLQD_TEST_CHROMIUM and
# MLQD_TEST_CHROMEDRIVER point the tests at other binaries.
set -euo pipefail
chromium="${MLQD_TEST_CHROMIUM:-/usr/bin/chromium}"
driver="${MLQD_TEST_CHROMEDRIVER:-/usr/bin/chromedriver}"
present() { [ -x "$chromium" ] && [ -x "$driver" ]; }
installed() {
  present && return 0
  echo "still missing after the install: $chromium or $driver" >&2
  exit 1
}
if present; then
  exit 0
fi
echo "chromium and chromedriver are not installed; the dashboard tests need them." >&2
packages="chromium chromium-driver"
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing them with apt-get..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    installed
    exit 0
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "installing them with sudo apt-get..." >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    installed
    exit 0
  fi
  echo "install them with:  sudo apt-get install -y $packages" >&2
else
  echo "install Chromium and a matching chromedriver, then set MLQD_TEST_CHROMIUM and MLQD_TEST_CHROMEDRIVER to their paths" >&2
fi
exit 1
