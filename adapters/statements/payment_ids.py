"""Payment ids that are unique within a file, from whatever references the bank gives.

Why not simply the end-to-end id: banks send `NOTPROVIDED` (SEPA's placeholder), `NONREF` (SWIFT's),
or one reference for every transaction of a batch. An id that is missing, a placeholder or repeated
in the file falls through to the next candidate, and in the end to one derived from the statement
and the entry's position, which is stable across re-reads of the same file.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

PLACEHOLDERS = frozenset({"", "NOTPROVIDED", "NOT PROVIDED", "NONREF", "NONE", "N/A", "NA", "0"})
"""References that mean 'no reference' (compared upper-case, stripped)."""


def usable(reference: str | None) -> str | None:
    """The reference stripped, or None when it is missing or a placeholder."""
    if reference is None:
        return None
    cleaned = reference.strip()
    return None if cleaned.upper() in PLACEHOLDERS else cleaned


def assign_ids(candidates: Sequence[Sequence[str | None]], fallbacks: Sequence[str]) -> list[str]:
    """One id per payment: its first candidate that is usable and occurs once in the file, else its fallback.

    `candidates[i]` are payment i's references in order of preference (e.g. EndToEndId, AcctSvcrRef,
    NtryRef); `fallbacks[i]` is its positional id. The result is unique: a chosen id that collides
    with another payment's is suffixed with the payment's position.
    """
    counts: Counter[str] = Counter()
    for refs in candidates:
        counts.update({ref for ref in (usable(r) for r in refs) if ref is not None})
    chosen: list[str] = []
    for refs, fallback in zip(candidates, fallbacks, strict=True):
        pick = next((ref for ref in (usable(r) for r in refs) if ref is not None and counts[ref] == 1), None)
        chosen.append(pick if pick is not None else fallback)
    seen: Counter[str] = Counter(chosen)
    result: list[str] = []
    taken: set[str] = set()
    for position, ident in enumerate(chosen, start=1):
        final = ident
        if seen[ident] > 1 or ident in taken:
            final = f"{ident}#{position}"
        taken.add(final)
        result.append(final)
    return result
