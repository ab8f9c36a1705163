#!/usr/bin/env bash
# The whole check, as CI runs it: formatting, lints, and every test (unit tests and the
# end-to-end tests, which start their own private redis-server processes, and the dashboard's
# tests in a headless Chromium), then the Python package's tests (python/tests, pytest)
# against the debug binary that `cargo test` built.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/ensure-redis.sh
./scripts/ensure-chromium.sh
echo "== python virtualenv: scikit-learn, flask, pytest and the mlqd package from python/ (made once, then reused)"
MLQD_TEST_PYTHON="$(./scripts/python-venv.sh "${CARGO_TARGET_DIR:-target}/tmp/python-venv")"
export MLQD_TEST_PYTHON
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== library without the CLI's crates" && cargo build --lib --no-default-features --quiet
echo "== cargo test"
cargo test --quiet -- --color never
echo "== pytest python/tests"
MLQD_BIN="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)/debug/mlqd" \
  "$MLQD_TEST_PYTHON" -m pytest python/tests -q -p no:cacheprovider -rxX
