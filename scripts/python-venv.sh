#!/usr/bin/env bash
# Makes (or reuses) the Python virtualenv for the examples and their tests: scikit-learn
# (examples/iris), flask (examples/generate's web relay), and the mlqd package from python/
# with its test extras (pytest). The package is reinstalled whenever python/pyproject.toml or
# a file under python/src changed since the last install. Prints the venv's python.
# Usage: scripts/python-venv.sh DIR
set -euo pipefail
dir="${1:?usage: scripts/python-venv.sh DIR}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
exec 9>"$dir.lock"
flock 9
pip() { "$dir/bin/python" -m pip --disable-pip-version-check --quiet "$@" >&2; }

# what the installed copy of python/ was made from
stamp="$(cd "$repo/python" && find pyproject.toml README.md src -type f -not -path '*/__pycache__/*' -print0 \
  | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)"

if ! { [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import sklearn, flask, pytest" 2>/dev/null; }; then
  python=python3
  command -v "$python" >/dev/null 2>&1 || { echo "python3 is needed (for the examples and the python/ tests)" >&2; exit 1; }
  echo "creating a virtualenv with scikit-learn, flask and pytest in $dir ..." >&2
  rm -rf "$dir"
  "$python" -m venv "$dir" >&2 || { echo "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
  pip install scikit-learn flask
  "$dir/bin/python" -c "import sklearn, flask" >&2
fi
if [ "$(cat "$dir/.mlqd-stamp" 2>/dev/null)" != "$stamp" ]; then
  echo "installing the mlqd Python package from $repo/python into $dir ..." >&2
  pip install "$repo/python[test]"
  # pip may keep an installed copy of the same version: make sure this one is in
  pip install --force-reinstall --no-deps "$repo/python"
  echo "$stamp" >"$dir/.mlqd-stamp"
fi
"$dir/bin/python" -c "import mlqd, pytest" >&2
echo "$dir/bin/python"
