#!/usr/bin/env bash
# The README's test command: installs everything the tests need from scratch
# (the project venv, the pinned test tools, the live llama.cpp server and its
# model) and runs ruff and the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
bash scripts/setup-live-server.sh
.venv/bin/ruff check .
.venv/bin/ruff format --check . || echo "ruff format: some files would be reformatted (not an error)"
exec .venv/bin/python -m pytest "$@"
