"""One file's verdict in `tui-replay check` (FileCheck): what check.py reports and check_fix.py
plans renames from.

Apart from check.py, which runs `check --fix` through check_fix.py: the two would otherwise
import each other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from tui_replay.quoting import shell_word
from tui_replay.recording.request_hash import MIS_KEYED, OLDER_KEY, KeyStatus

CASSETTE = "cassette"
CASSETTE_REASON = "vcrpy cassettes have no recorder key: not checked"


@dataclass(slots=True)
class FileCheck:
    path: str
    key: str  # current | older | mis-keyed | opaque | error
    status: KeyStatus | None = None
    error: str | None = None
    test_id: str | None = None
    request_name: str | None = None  # the name the request gives under the current rules
    hint: str | None = None
    duplicates: list[str] = field(default_factory=list)
    orphan: bool | None = None  # None: not checked (no --collected, or no test id)

    @property
    def folder(self) -> str:
        return os.path.dirname(self.path)

    def git_mv(self) -> str | None:
        if self.key != MIS_KEYED or self.status is None or not self.status.expected:
            return None
        # shell_word: one line even for a name with a newline ($'...'), so no part of it can
        # pass for a command of its own
        return f"git mv {shell_word(self.path)} {shell_word(os.path.join(self.folder, self.status.expected))}"

    @property
    def problem(self) -> bool:
        return self.key in (MIS_KEYED, "error") or bool(self.duplicates) or bool(self.orphan)

    def to_json(self) -> dict[str, Any]:
        status = self.status
        reason = CASSETTE_REASON if self.key == CASSETTE else status.reason if status else None
        return {
            "path": self.path,
            "key": self.key,
            "rules": status.rules.since if status and status.rules and self.key == OLDER_KEY else None,
            "expected": status.expected if status and self.key in (MIS_KEYED, OLDER_KEY) else None,
            "git_mv": self.git_mv(),
            "hint": self.hint,
            "reason": reason or None,
            "error": self.error,
            "test_id": self.test_id,
            "duplicates": self.duplicates,
            "orphan": self.orphan,
        }


def in_common(path: str) -> bool:
    parts = os.path.normpath(path).split(os.sep)
    return len(parts) >= 3 and parts[-3] == "common" and parts[-2] == "recordings"
