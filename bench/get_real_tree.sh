#!/usr/bin/env bash
# Fetch the real recordings tree the benches copy (--real / $TUI_REPLAY_BENCH_REAL): llama-stack's
# tests/integration at a pinned commit, 3,162 recordings, 87 MB. Needs network access to GitHub.
#   bash bench/get_real_tree.sh [DIR]     (default: ../llama-stack-recordings)
set -euo pipefail
dir="${1:-../llama-stack-recordings}"
commit=d1b663294
if [ ! -d "$dir/.git" ]; then
    git clone --filter=blob:none --no-checkout https://github.com/llamastack/llama-stack "$dir"
fi
git -C "$dir" sparse-checkout set tests/integration
git -C "$dir" checkout --quiet "$commit"
echo "export TUI_REPLAY_BENCH_REAL=$(cd "$dir" && pwd)/tests/integration"
