"""Paths shared by the CLI tests (a plainly named module: `conftest` names clash across folders)."""

from __future__ import annotations

import sys

from support import CORPUS, REPO  # noqa: F401 (re-exported to the CLI tests)

SEED_TURN_1 = (
    "llama-stack-2025-10/responses/recordings/"
    "d30a3a9a90ea3ba6ea62417aec80e79ee502a2e75b58f7c87ee65c446200af0e.json"
)
SEED_TURN_2 = (
    "llama-stack-2025-10/responses/recordings/"
    "ccf305c14285e6c5788c9126f13bc02f786a1562614596c8ac5ffa38cb49e0a1.json"
)

# The hostile-file maker (badinputs) is shared with the catalog tests.
if str(REPO / "tests" / "catalog") not in sys.path:
    sys.path.append(str(REPO / "tests" / "catalog"))
