"""The in-memory ERP's whole state, and where it lives: in this process, or in one file.

Why a file option: tests of crash safety kill the process that uses the ERP (`kill -9`) and must
then see what the ERP holds, and a test process must see what a child process did. So with a
file, every operation is load → mutate → save under an exclusive `fcntl` lock on a side lock
file, and the save is atomic (temp file, fsync, `os.replace`): a reader sees the state before
or after an operation, never half of one. The fake clock and armed faults are state too.
"""

from __future__ import annotations

import fcntl
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from creditbridge.adapters.memory.faults import Fault
from creditbridge.adapters.record_json import decode, encode
from creditbridge.core.ports import Change, Entity, Record, WriteResult

CLOCK_START = datetime(2026, 1, 1, tzinfo=UTC)
"""The default fake clock's time before the first mutation; each mutation advances it 1 second."""

_FORMAT = 1


@dataclass(slots=True)
class Entry:
    """One record as the ERP holds it: its version, when it last changed, and None once deleted."""

    version: int
    changed_at: datetime
    record: Record | None


@dataclass(slots=True)
class ErpState:
    """Records by entity and key, write results by idempotency key, the clock and armed faults.

    Mutations go through the methods so `dirty` tells the file store whether to save.
    """

    now: datetime = CLOCK_START
    entries: dict[Entity, dict[str, Entry]] = field(default_factory=lambda: {entity: {} for entity in Entity})
    results: dict[str, WriteResult] = field(default_factory=dict)
    applied: list[str] = field(default_factory=list)
    faults: dict[str, list[Fault]] = field(default_factory=dict)
    dirty: bool = False
    _ordered: dict[Entity, list[Change]] = field(default_factory=dict, repr=False)

    def tick(self) -> datetime:
        """Advance the fake clock one second and return the new time."""
        self.now += timedelta(seconds=1)
        self.dirty = True
        return self.now

    def next_version(self, entity: Entity, key: str) -> int:
        previous = self.entries[entity].get(key)
        return 1 if previous is None else previous.version + 1

    def put(self, entity: Entity, key: str, record: Record | None, changed_at: datetime) -> None:
        """Store `record` (None: a tombstone) under the next version."""
        self.entries[entity][key] = Entry(self.next_version(entity, key), changed_at, record)
        self._ordered.pop(entity, None)
        self.dirty = True

    def ordered_changes(self, entity: Entity) -> list[Change]:
        """Every record and tombstone of `entity` as a Change, in (changed_at, key) order; kept until a put."""
        if entity not in self._ordered:
            self._ordered[entity] = sorted(
                (
                    Change(entity, key, e.changed_at, e.record, str(e.version))
                    for key, e in self.entries[entity].items()
                ),
                key=lambda change: (change.changed_at, change.key),
            )
        return self._ordered[entity]

    def arm(self, operation: str, fault: Fault, times: int) -> None:
        self.faults.setdefault(operation, []).extend([fault] * times)
        self.dirty = True

    def take_fault(self, operation: str) -> Fault | None:
        """The next armed fault of `operation`, used up; None when none is armed."""
        queue = self.faults.get(operation)
        if not queue:
            return None
        self.dirty = True
        fault = queue.pop(0)
        if not queue:
            del self.faults[operation]
        return fault

    def remember(self, idempotency_key: str, result: WriteResult, *, applied: bool) -> None:
        self.results[idempotency_key] = result
        if applied:
            self.applied.append(idempotency_key)
        self.dirty = True

    def to_json(self) -> dict[str, Any]:
        return {
            "format": _FORMAT,
            "now": self.now.isoformat(),
            "entries": {
                entity.value: {
                    key: [e.version, e.changed_at.isoformat(), encode(e.record)] for key, e in by_key.items()
                }
                for entity, by_key in self.entries.items()
            },
            "results": {key: encode(result) for key, result in self.results.items()},
            "applied": list(self.applied),
            "faults": {op: [f.value for f in queue] for op, queue in self.faults.items()},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ErpState:
        if data.get("format") != _FORMAT:
            raise ValueError(f"unknown in-memory ERP state format {data.get('format')!r}")
        entries: dict[Entity, dict[str, Entry]] = {entity: {} for entity in Entity}
        for name, by_key in data["entries"].items():
            entries[Entity(name)] = {
                key: Entry(version, datetime.fromisoformat(at), decode(record))
                for key, (version, at, record) in by_key.items()
            }
        return cls(
            now=datetime.fromisoformat(data["now"]),
            entries=entries,
            results={key: decode(result) for key, result in data["results"].items()},
            applied=list(data["applied"]),
            faults={op: [Fault(f) for f in queue] for op, queue in data["faults"].items()},
        )


class MemoryStateStore:
    """State held by this process; a lock makes each operation atomic across threads."""

    def __init__(self) -> None:
        self._state = ErpState()
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[ErpState]:
        with self._lock:
            yield self._state


class FileStateStore:
    """State in a JSON file: each transaction loads it under an exclusive lock and saves it atomically."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock_path = self.path.with_name(self.path.name + ".lock")
        self._thread_lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[ErpState]:
        """Load → yield for mutation → save if changed; an exception inside saves nothing."""
        with self._thread_lock, open(self._lock_path, "a+b") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                state = self._load()
                yield state
                if state.dirty:
                    self._save(state)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def _load(self) -> ErpState:
        if not self.path.exists():
            state = ErpState()
            state.dirty = True  # the file is created by the first transaction
            return state
        return ErpState.from_json(json.loads(self.path.read_text(encoding="utf-8")))

    def _save(self, state: ErpState) -> None:
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(temp, "w", encoding="utf-8") as out:
            json.dump(state.to_json(), out, separators=(",", ":"))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, self.path)
        state.dirty = False
