#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, and every test (unit tests and the
# end-to-end tests, which start their own private redis-server processes).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-redis.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --quiet -- --color never
