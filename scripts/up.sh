#!/usr/bin/env bash
# Runs mlqd on this machine: builds it, makes sure redis-server is installed, then starts
# `mlqd up` (a managed Redis with AOF, the HTTP API, a worker and the reaper in one
# process). Arguments go to `mlqd up`; without any, the worker runs the builtin echo
# handler. Ctrl-C stops everything.
#
#   scripts/up.sh --print-binary   prints where the release binary is (or will be), and
#                                  builds nothing: cargo decides, so CARGO_TARGET_DIR and
#                                  .cargo/config.toml are honoured. For your PATH:
#   export PATH="$(dirname "$(./scripts/up.sh --print-binary)"):$PATH"
set -euo pipefail
cd "$(dirname "$0")/.."

# The release binary, where cargo puts it: cargo metadata's target_directory (one JSON
# line; read without jq so nothing beyond cargo is needed).
binary() {
  local meta dir
  meta="$(cargo metadata --format-version 1 --no-deps --offline)"
  dir="$(printf '%s' "$meta" | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
  if [ -z "$dir" ]; then
    echo "scripts/up.sh: cargo metadata did not name a target directory" >&2
    exit 1
  fi
  printf '%s/release/mlqd\n' "$dir"
}

if [ "${1:-}" = "--print-binary" ]; then
  binary
  exit 0
fi

./scripts/ensure-redis.sh
cargo build --release --quiet --bin mlqd
bin="$(binary)"
if [ ! -x "$bin" ]; then
  echo "scripts/up.sh: cargo built mlqd but it is not at $bin" >&2
  exit 1
fi
if [ "$#" -eq 0 ]; then
  set -- --builtin echo
fi
echo "mlqd up: binary $bin (for other terminals: export PATH=\"$(dirname "$bin"):\$PATH\")"
exec "$bin" up "$@"
