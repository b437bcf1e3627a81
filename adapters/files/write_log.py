"""The ledger folder's memory of idempotency keys: `.creditbridge-writes.json` next to the CSVs.

Why a pending mark: a crash between rewriting customers.csv and recording the result would make
a resend look like a conflict (the file already holds the new values). So a key is marked pending
with its wanted values before the rewrite; a resend of a pending key whose values are in the file
is the same write, applied once, and is finished as APPLIED instead of being applied again.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from creditbridge.adapters.files.customer_csv import replace_atomically
from creditbridge.adapters.record_json import decode, encode
from creditbridge.core.ports import ProfileValues, WriteResult

WRITE_LOG = ".creditbridge-writes.json"
LOCK = ".creditbridge-writes.lock"


@dataclass(slots=True)
class WriteLog:
    """Results by idempotency key, writes begun but not finished, and the keys applied in order."""

    results: dict[str, WriteResult] = field(default_factory=dict)
    pending: dict[str, ProfileValues] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "results": {key: encode(result) for key, result in self.results.items()},
            "pending": {
                key: [None if v.credit_limit is None else str(v.credit_limit), v.on_hold, v.currency]
                for key, v in self.pending.items()
            },
            "applied": self.applied,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WriteLog:
        return cls(
            results={key: decode(result) for key, result in data.get("results", {}).items()},
            pending={
                key: ProfileValues(None if limit is None else decode({"$dec": limit}), hold, currency)
                for key, (limit, hold, currency) in data.get("pending", {}).items()
            },
            applied=list(data.get("applied", [])),
        )


@contextmanager
def locked_write_log(folder: Path) -> Iterator[tuple[WriteLog, Callable[[], None]]]:
    """The folder's write log under an exclusive lock, and a `save()` to persist it atomically."""
    with open(folder / LOCK, "a+b") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            path = folder / WRITE_LOG
            log = WriteLog.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else WriteLog()

            def save() -> None:
                replace_atomically(path, json.dumps(log.to_json(), indent=1).encode("utf-8"))

            yield log, save
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)
