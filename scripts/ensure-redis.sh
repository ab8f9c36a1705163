#!/usr/bin/env bash
# Makes sure redis-server, redis-cli (the cluster tests create a cluster with it) and openssl
# (the TLS tests make their certificates with it) are installed: installs them with apt-get
# when missing and we are root (or have passwordless sudo); otherwise stops with the command
# to run.
set -euo pipefail
missing=0
for tool in redis-server redis-cli openssl; do
  command -v "$tool" >/dev/null 2>&1 || missing=1
done
if [ "$missing" = 0 ]; then
  exit 0
fi
packages="redis-server redis-tools openssl"
echo "redis-server, redis-cli or openssl is not installed; mlqd's tests need them." >&2
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing them with apt-get..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    exit 0
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "installing them with sudo apt-get..." >&2
    sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
    exit 0
  fi
  echo "install them with:  sudo apt-get install -y $packages" >&2
else
  echo "install Redis 7 (https://redis.io/docs/install/, built with TLS) so that redis-server and redis-cli are on PATH, and openssl" >&2
fi
exit 1
