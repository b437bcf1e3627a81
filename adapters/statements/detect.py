"""Which format a statement file is in, from its content (file names lie: '.txt' is all of them)."""

from __future__ import annotations

import re

from creditbridge.adapters.statements.bai2_reader import read_bai2
from creditbridge.adapters.statements.camt import read_camt
from creditbridge.adapters.statements.errors import fail
from creditbridge.adapters.statements.lockbox import LockboxLayout, looks_like_lockbox, read_lockbox
from creditbridge.adapters.statements.mt940_reader import read_mt940
from creditbridge.adapters.statements.remittance_csv import looks_like_remittance_csv, read_remittance_csv
from creditbridge.core.model import BankStatement

FORMATS = ("camt.053", "camt.054", "camt.052", "bai2", "mt940", "lockbox", "remittance_csv")
"""`BankStatement.format` values; camt's version of the message is known only once the XML is parsed."""

_MT940 = re.compile(r"^(\{1:|:20:)", re.MULTILINE)
_MT940_ACCOUNT = re.compile(r"^:25:", re.MULTILINE)


def decode(data: bytes) -> str:
    """Text of a bank file: UTF-8 (with or without BOM), else Latin-1, which MT940 and BAI2 banks still send."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def detect_format(data: bytes, lockbox_layout: LockboxLayout | None = None) -> str | None:
    """'xml' (read as camt), 'bai2', 'mt940', 'remittance_csv', 'lockbox', or None when the content is none of them."""
    head = data.lstrip(b"\xef\xbb\xbf\xfe\xff\x00 \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    text = decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "").strip()
    if first.startswith("01,"):
        return "bai2"
    if _MT940.search(text) and _MT940_ACCOUNT.search(text):
        return "mt940"
    if looks_like_remittance_csv(first):
        return "remittance_csv"
    if looks_like_lockbox(text.splitlines(), lockbox_layout or LockboxLayout()):
        return "lockbox"
    return None


def read_bytes(data: bytes, file: str, lockbox_layout: LockboxLayout | None = None) -> BankStatement:
    """The statement in `data` (read from `file`, named in errors), whatever its format."""
    kind = detect_format(data, lockbox_layout)
    if kind == "xml":
        return read_camt(data, file)
    if kind == "bai2":
        return read_bai2(decode(data), file)
    if kind == "mt940":
        return read_mt940(decode(data), file)
    if kind == "remittance_csv":
        return read_remittance_csv(decode(data), file)
    if kind == "lockbox":
        return read_lockbox(decode(data), file, lockbox_layout or LockboxLayout())
    raise fail(file, "not a statement format creditbridge reads: expected ISO 20022 camt.053/054 XML, BAI2 "
                     "('01,' header), SWIFT MT940 (':20:'/':25:' fields), a remittance CSV (header with payment_id "
                     "and amount) or a lockbox file (fixed-width records of the lockbox layout)", line=1)  # fmt: skip
