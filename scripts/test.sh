#!/usr/bin/env bash
# The README's test command: installs everything the tests need from scratch
# (the project venv, the pinned test tools, the live llama.cpp server and its
# model) and runs ruff, lint-imports (the layer contracts in pyproject.toml) and
# the whole test suite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
step() { printf '[test %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
if [ ! -x .venv/bin/python ]; then
  step "creating .venv"
  "$PY" -m venv .venv || { echo "test: '$PY -m venv' failed (on Debian/Ubuntu: apt-get install python3-venv)" >&2; exit 2; }
fi
step "installing tui-replay and the pinned test tools into .venv"
.venv/bin/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
bash scripts/setup-live-server.sh
step "ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check . || echo "ruff format: some files would be reformatted (not an error)"
step "lint-imports"
.venv/bin/lint-imports --no-cache
step "pytest"
exec .venv/bin/python -m pytest "$@"
