#!/usr/bin/env bash
# Runs mlqd on this machine: builds it, makes sure redis-server is installed, then starts
# `mlqd up` (a managed Redis with AOF, the HTTP API, a worker and the reaper in one
# process). Arguments go to `mlqd up`; without any, the worker runs the builtin echo
# handler. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-redis.sh
cargo build --release --quiet
if [ "$#" -eq 0 ]; then
  set -- --builtin echo
fi
exec ./target/release/mlqd up "$@"
