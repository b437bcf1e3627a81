"""The credit tag creditbridge keeps in Customer.Notes.

It reads `[creditbridge: limit=50000.00 USD; hold=yes; updated=2026-11-23]`.

Why Notes: QuickBooks Online has no credit limit or hold field (CreditLimit is Desktop-only), and
Notes exists on every plan. The tag is human-readable (the credit team sees it in the customer
screen) and structured (we parse it back, so a person's edit of the tag is seen as a change).
Only the tag is replaced; the rest of the notes is kept byte for byte, and the result must fit
QuickBooks' length limit or the write is refused rather than truncating someone's notes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

NOTES_MAX = 2000
TAG = re.compile(r"\[creditbridge:(?P<body>[^\]]*)\]")


class TagTooLong(ValueError):
    """The notes with the tag would exceed QuickBooks' limit."""


@dataclass(frozen=True, slots=True)
class CreditTag:
    credit_limit: Decimal | None
    currency: str | None
    on_hold: bool
    updated: date | None = None


def parse_tag(notes: str | None) -> CreditTag | None:
    """The tag in `notes` (None if there is none or it cannot be read: treated as 'no profile')."""
    match = TAG.search(notes or "")
    if match is None:
        return None
    fields: dict[str, str] = {}
    for part in match.group("body").split(";"):
        key, sep, value = part.partition("=")
        if sep:
            fields[key.strip().lower()] = value.strip()
    limit_text = fields.get("limit", "none")
    limit: Decimal | None = None
    currency: str | None = None
    if limit_text.lower() not in ("", "none"):
        amount, _, currency_text = limit_text.partition(" ")
        try:
            limit = Decimal(amount)
        except InvalidOperation:
            return None
        currency = currency_text.strip().upper() or None
    try:
        updated = date.fromisoformat(fields["updated"]) if "updated" in fields else None
    except ValueError:
        updated = None
    return CreditTag(limit, currency, fields.get("hold", "no").lower() in ("yes", "y", "true"), updated)


def format_tag(tag: CreditTag) -> str:
    limit = "none" if tag.credit_limit is None else f"{tag.credit_limit:f} {tag.currency or ''}".strip()
    parts = [f"limit={limit}", f"hold={'yes' if tag.on_hold else 'no'}"]
    if tag.updated is not None:
        parts.append(f"updated={tag.updated.isoformat()}")
    return f"[creditbridge: {'; '.join(parts)}]"


def merge_tag(notes: str | None, tag: CreditTag, *, limit: int = NOTES_MAX) -> str:
    """`notes` with its tag replaced by `tag` (appended on a new line if it had none)."""
    text = notes or ""
    rendered = format_tag(tag)
    if TAG.search(text):
        merged = TAG.sub(lambda _: rendered, text, count=1)
    else:
        merged = f"{text}\n{rendered}" if text else rendered
    if len(merged) > limit:
        raise TagTooLong(f"Customer.Notes would be {len(merged)} characters with the credit tag (limit {limit})")
    return merged
