#!/usr/bin/env bash
# Makes sure redis-server is installed: installs it with apt-get when missing and we are
# root (or have passwordless sudo); otherwise stops with the command to run.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
echo "redis-server is not installed; mlqd and its tests need it." >&2
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing it with apt-get..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    exit 0
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "installing it with sudo apt-get..." >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    exit 0
  fi
  echo "install it with:  sudo apt-get install -y redis-server" >&2
else
  echo "install Redis 7 (https://redis.io/docs/install/) so that redis-server is on PATH" >&2
fi
exit 1
