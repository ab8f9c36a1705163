#!/usr/bin/env bash
# Makes (or reuses) a Python virtualenv with scikit-learn, for examples/iris and its test.
# Prints the venv's python. Usage: scripts/python-venv.sh DIR
set -euo pipefail
dir="${1:?usage: scripts/python-venv.sh DIR}"
mkdir -p "$(dirname "$dir")"
dir="$(cd "$(dirname "$dir")" && pwd)/$(basename "$dir")"
exec 9>"$dir.lock"
flock 9
if [ -x "$dir/bin/python" ] && "$dir/bin/python" -c "import sklearn" 2>/dev/null; then
  echo "$dir/bin/python"
  exit 0
fi
python=python3
command -v "$python" >/dev/null 2>&1 || { echo "python3 is needed (for examples/iris and its test)" >&2; exit 1; }
echo "creating a virtualenv with scikit-learn in $dir ..." >&2
rm -rf "$dir"
"$python" -m venv "$dir" >&2 || { echo "python3 -m venv failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 1; }
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check scikit-learn >&2
"$dir/bin/python" -c "import sklearn" >&2
echo "$dir/bin/python"
