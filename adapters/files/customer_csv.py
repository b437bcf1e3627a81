"""customers.csv as rows with their exact text, so a credit-profile write changes one row only.

Why keep the raw text: finance keeps these files under version control or diffs them in Excel;
a write-back of one customer's limit must not re-quote, re-order or re-encode anyone else's row.
Each row's version is a short hash of its fields, so editing any column of a customer (say, the
risk class) moves that customer's version, and nobody else's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from creditbridge.adapters.files.convert import TRUE_WORDS
from creditbridge.adapters.files.schema import normalize_header
from creditbridge.core.money import parse_decimal

_BOM = "\ufeff"


def row_version(fields: list[str]) -> str:
    """A short hash of a CSV row's fields: the row's version for compare-and-set."""
    return hashlib.sha256(json.dumps(fields, ensure_ascii=False).encode()).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """One data row: its parsed fields and its text exactly as in the file (line ending included)."""

    fields: list[str]
    text: str


@dataclass(frozen=True, slots=True)
class CustomerCsv:
    """A parsed customers.csv that can produce its own bytes with one row's limit and hold replaced."""

    bom: bool
    header: list[str]
    header_text: str
    rows: tuple[CustomerRow, ...]

    @classmethod
    def read(cls, path: Path) -> CustomerCsv:
        text = path.read_bytes().decode("utf-8")
        bom = text.startswith(_BOM)
        lines = [line for line in re.split(r"(?<=\n)", text.removeprefix(_BOM)) if line]
        reader = csv.reader(iter(lines))
        parsed: list[tuple[list[str], str]] = []
        consumed = 0
        for fields in reader:
            parsed.append((fields, "".join(lines[consumed : reader.line_num])))
            consumed = reader.line_num
        if not parsed:
            raise ValueError(f"{path.name} has no header line")
        (header, header_text), *body = parsed
        return cls(bom, header, header_text, tuple(CustomerRow(fields, raw) for fields, raw in body))

    def column(self, name: str) -> int | None:
        """Position of a column, matched as the reader matches headers; None if absent."""
        for position, text in enumerate(self.header):
            if normalize_header(text) == name:
                return position
        return None

    def row(self, customer_id: str) -> CustomerRow | None:
        position = self.column("customer_id")
        if position is None:
            return None
        for row in self.rows:
            if position < len(row.fields) and row.fields[position].strip() == customer_id:
                return row
        return None

    def cell(self, row: CustomerRow, name: str) -> str:
        position = self.column(name)
        return "" if position is None or position >= len(row.fields) else row.fields[position].strip()

    def profile_values(self, row: CustomerRow) -> tuple[Decimal | None, bool]:
        """(credit_limit, on_hold) as the reader reads them: empty limit = none, empty hold = false."""
        limit = self.cell(row, "credit_limit")
        return (parse_decimal(limit) if limit else None, self.cell(row, "on_hold").lower() in TRUE_WORDS)

    def with_profile(self, customer_id: str, credit_limit: Decimal | None, on_hold: bool) -> tuple[bytes, list[str]]:
        """The file's bytes with the customer's limit and hold replaced, and the row's new fields.

        Other rows keep their exact text; a missing credit_limit or on_hold column is appended
        (then every row gains an empty cell, which the reader reads as before).
        """
        header, header_text, rows = list(self.header), self.header_text, list(self.rows)
        for name in ("credit_limit", "on_hold"):
            if self.column(name) is None:
                header.append(name)
                header_text = _line(header, header_text)
                rows = [CustomerRow([*r.fields, ""], _line([*r.fields, ""], r.text)) for r in rows]
        edited = CustomerCsv(self.bom, header, header_text, tuple(rows))
        target = edited.row(customer_id)
        if target is None:
            raise KeyError(customer_id)
        fields = list(target.fields)
        fields += [""] * (len(header) - len(fields))
        limit_at, hold_at = edited.column("credit_limit"), edited.column("on_hold")
        assert limit_at is not None and hold_at is not None
        fields[limit_at] = "" if credit_limit is None else _amount_text(credit_limit)
        fields[hold_at] = "true" if on_hold else "false"
        parts = [_BOM if self.bom else "", header_text]
        parts += [_line(fields, r.text) if r is target else r.text for r in rows]
        return "".join(parts).encode("utf-8"), fields


def _line(fields: list[str], like: str) -> str:
    """`fields` as one CSV line, ending as `like` ends (CRLF, LF, or nothing at the end of the file)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(fields)
    ending = "\r\n" if like.endswith("\r\n") else "\n" if like.endswith("\n") else ""
    return out.getvalue() + ending


def replace_atomically(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a reader (or a crash) sees the old file or the new, never half."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temp, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temp, path)


def _amount_text(amount: Decimal) -> str:
    """A plain decimal as a ledger file writes it: cents at least, no trailing zeros beyond them."""
    normalized = amount.normalize()
    if normalized.as_tuple().exponent > -2:  # type: ignore[operator]  # finite amounts only here
        normalized = normalized.quantize(Decimal("0.01"))
    return format(normalized, "f")
