"""Many-to-one: which subset of a customer's open items adds up to a payment, in exact cents.

Meet in the middle over at most `MAX_ITEMS` candidates (2^7 sums per half, well under 0.1 ms).
It counts solutions and stops at two: with exact cents the true subset is the only one up to ~18
candidates, while any generic tolerance makes answers ambiguous quickly (cash-application.md
§2.2 b) — so the matcher auto-applies only a unique solution and never searches with a tolerance.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_ITEMS = 14


def _half_sums(values: Sequence[int]) -> list[int]:
    """Sum of every subset; the subset with bit mask m sums to element m."""
    sums = [0]
    for value in values:
        sums += [s + value for s in sums]
    return sums


def subset_solutions(values: Sequence[int], target: int, limit: int = 2) -> list[tuple[int, ...]]:
    """Up to `limit` distinct non-empty index sets of `values` summing exactly to `target`.

    Two items of one amount make two solutions: that is ambiguity, and the caller treats it so.
    """
    values = list(values[:MAX_ITEMS])
    if not values:
        return []
    if min(values) >= 0 and not 0 < target <= sum(values):
        return []
    if max(values) <= 0 and not sum(values) <= target < 0:
        return []
    half = len(values) // 2
    left = _half_sums(values[:half])
    right = _half_sums(values[half:])
    reachable = set(right)
    # most searches find nothing: test every left sum against the right sums in one pass, index only on a hit
    hits = [(mask, total) for mask, total in enumerate(left) if target - total in reachable]
    if not hits:
        return []
    right_index: dict[int, list[int]] = {}
    for mask, total in enumerate(right):
        if total in right_index:
            right_index[total].append(mask)
        else:
            right_index[total] = [mask]
    found: list[tuple[int, ...]] = []
    for left_mask, total in hits:
        for right_mask in right_index[target - total]:
            combined = left_mask | (right_mask << half)
            if combined == 0:
                continue
            found.append(tuple(i for i in range(len(values)) if combined >> i & 1))
            if len(found) >= limit:
                return found
    return found
