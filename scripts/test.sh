#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, and every test (unit tests and the
# end-to-end tests, which start their own private redis-server processes).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-redis.sh
echo "== python virtualenv with scikit-learn (for the examples/iris test; made once, then reused)"
MLQD_TEST_PYTHON="$(./scripts/python-venv.sh "${CARGO_TARGET_DIR:-target}/tmp/iris-venv")"
export MLQD_TEST_PYTHON
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== library without the CLI's crates" && cargo build --lib --no-default-features --quiet
echo "== cargo test"
cargo test --quiet -- --color never
