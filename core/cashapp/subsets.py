"""Many-to-one: which subset of a customer's open items adds up to a payment, in exact cents.

Meet in the middle over at most `MAX_ITEMS` candidates (2^7 sums per half, ~0.1 ms). It counts
solutions and stops at two: with exact cents the true subset is the only one up to ~18
candidates, while any generic tolerance makes answers ambiguous quickly (cash-application.md
§2.2 b) — so the matcher auto-applies only a unique solution and never searches with a tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ITEMS = 14


def _sums(values: Sequence[int], offset: int) -> dict[int, list[int]]:
    sums: dict[int, list[int]] = {0: [0]}
    for index, value in enumerate(values):
        bit = 1 << (index + offset)
        for total, masks in list(sums.items()):
            sums.setdefault(total + value, []).extend(mask | bit for mask in masks)
    return sums


def subset_solutions(values: Sequence[int], target: int, limit: int = 2) -> list[tuple[int, ...]]:
    """Up to `limit` distinct non-empty index sets of `values` summing exactly to `target`.

    Two items of one amount make two solutions: that is ambiguity, and the caller treats it so.
    """
    values = list(values[:MAX_ITEMS])
    half = len(values) // 2
    left = _sums(values[:half], 0)
    right = _sums(values[half:], half)
    found: list[tuple[int, ...]] = []
    for total, masks in left.items():
        partners = right.get(target - total)
        if not partners:
            continue
        for mask in masks:
            for other in partners:
                combined = mask | other
                if combined == 0:
                    continue
                found.append(tuple(i for i in range(len(values)) if combined >> i & 1))
                if len(found) >= limit:
                    return found
    return found
