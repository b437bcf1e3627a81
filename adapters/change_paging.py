"""Keyset paging over a sweep of changes, with opaque tokens bound to the sweep they belong to.

Why keyset, not offsets: changes are served in (changed_at, key) order, and a record edited
during a sweep moves to the end of that order. With an offset, every record behind it would
shift forward by one and the next page would skip one of them for good (its stamp is older than
the sweep's start, so no later sweep reads it either). A token that says "continue after
(changed_at, key) = X" skips nothing: the edited record is simply served again at the end.

Why bind the token to the sweep: continuing a token with a different `since` or entity would
silently skip or repeat records, so that is refused.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from datetime import datetime

from creditbridge.core.ports import Change, ChangePage, Entity


def require_aware(since: datetime | None) -> None:
    """Cursors are instants: a naive datetime cannot be compared with the ERP's UTC stamps."""
    if since is not None and (since.tzinfo is None or since.utcoffset() is None):
        raise ValueError(f"since must be timezone-aware, got {since!r}")


def encode_token(entity: Entity, since: datetime | None, after: Change) -> str:
    return encode_position(entity, since, after.changed_at, after.key)


def encode_position(entity: Entity, since: datetime | None, changed_at: datetime, key: str) -> str:
    """A token continuing after (changed_at, key), for ERPs whose keyset key is not the record's key."""
    payload = {
        "e": entity.value,
        "s": None if since is None else since.isoformat(),
        "t": changed_at.isoformat(),
        "k": key,
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode()


def decode_token(token: str, entity: Entity, since: datetime | None) -> tuple[datetime, str]:
    """The (changed_at, key) the token continues after; ValueError if malformed or from another sweep."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        token_entity, token_since = payload["e"], payload["s"]
        after = (datetime.fromisoformat(payload["t"]), str(payload["k"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"not a page token of this ERP: {token!r}") from exc
    stated = None if since is None else since.isoformat()
    if token_entity != entity.value or token_since != stated:
        raise ValueError(
            f"page token belongs to another sweep ({token_entity} since {token_since}), not {entity} since {stated}"
        )
    return after


def page_of(
    changes: Sequence[Change],
    entity: Entity,
    since: datetime | None,
    page_token: str | None,
    page_size: int,
    served_at: datetime,
) -> ChangePage:
    """One page of `changes` (filtered to >= since, in (changed_at, key) order) after the token's position."""
    if page_token is not None:
        after = decode_token(page_token, entity, since)
        changes = [c for c in changes if (c.changed_at, c.key) > after]
    page = tuple(changes[:page_size])
    next_token = encode_token(entity, since, page[-1]) if len(changes) > page_size else None
    return ChangePage(entity, page, next_token, served_at)


class KeptSweep:
    """The changes of the sweep being paged, read once: its next pages (same entity and `since`) reuse them.

    Why: an ERP that cannot page a read itself (SAP hands a day's changes back whole) would otherwise
    be read in full again for every page; and the pages of one sweep must share one `served_at`.
    """

    def __init__(self) -> None:
        self._kept: tuple[Entity, datetime | None, datetime, list[Change]] | None = None

    def page(self, entity: Entity, since: datetime | None, page_token: str | None, page_size: int,
             start: Callable[[], datetime], read: Callable[[datetime], list[Change]]) -> ChangePage:  # fmt: skip
        """A page of the kept sweep, or of a new one: `start()` is its `served_at`, `read(served_at)` its changes."""
        kept = self._kept
        if page_token is not None and kept is not None and kept[:2] == (entity, since):
            served_at, changes = kept[2], kept[3]
        else:
            served_at = start()
            changes = read(served_at)
            self._kept = (entity, since, served_at, changes)
        return page_of(changes, entity, since, page_token, page_size, served_at)
