"""Reference normalisation: turn what payers write into keys that find invoice numbers.

Payers mangle document numbers the way SAP's "string search" documents (cash-application.md §1.2,
§3): the company's constant prefix dropped (`18000…`), separators inserted (`540 6423`,
`60-67132`, `6.032946`), padding and extra segments (`001*0050*0000851333`), leading zeros
dropped, words in front (`INV`, `RE`, `Rg.`, `Nr.`), OCR-ish confusions (O/0, I/l/1, S/5, B/8).
Both sides — our invoice numbers and their text — are reduced to the same *keys*; a key is a
digit string without leading zeros (or, for numbers without digits, the upper-case alphanumerics).
Keys only ever propose candidates: the matcher accepts one only when customer or amount agrees.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_WORD_PREFIXES = (
    "RECHNUNGSNUMMER", "RECHNUNGSNR", "RECHNUNG", "INVOICE", "FACTURE", "FACTURA", "FATTURA",
    "INVNO", "INVNR", "INV", "RGNR", "RG", "RE", "NR", "NO", "NUM", "REF", "DOC", "BILL", "FA", "FT",
)  # fmt: skip
"""Words payers put in front of a number (checked longest first, upper-case, separators removed)."""

_OCR = str.maketrans({"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "S": "5", "B": "8", "Z": "2"})
_SEPARATORS = re.compile(r"[\s.\-*/#_:,;]+")
_DIGIT_RUN = re.compile(r"\d+")
_NON_DIGITS = re.compile(r"\D+")
_GROUPED = re.compile(r"\d+(?:[ .\-/]\d+)+")
_TOKEN = re.compile(r"[0-9A-Za-z|][0-9A-Za-z|.\-*/#_]*")

MIN_KEY_DIGITS = 4
"""Shorter digit runs (dates' parts, quantities, cents) are not references."""


def strip_zeros(digits: str) -> str:
    stripped = digits.lstrip("0")
    return stripped or "0"


def document_key(number: str) -> str:
    """The key of one of our document numbers: its digits without leading zeros, else its alphanumerics.

    `INV-0012345` → `12345`; `1800051234` → `1800051234`; `ABC-X` → `ABCX`.
    """
    if number.isdigit():
        return number.lstrip("0") or "0"
    digits = _NON_DIGITS.sub("", number)
    if digits:
        return digits.lstrip("0") or "0"
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def constant_prefix(keys: Iterable[str], share: float = 0.9) -> str:
    """The tenant's constant number prefix: the longest leading digits ≥ `share` of its keys have.

    SAP's example `18000XXXXX`: payers drop the `18000`. Knowing it, the matcher also indexes each
    invoice under its key without the prefix (`short_key`). Learned from the ledger, not configured.
    """
    values = [k for k in keys if k.isdigit() and len(k) >= MIN_KEY_DIGITS + 2]
    if not values:
        return ""
    prefix = ""
    need = share * len(values)
    while True:
        counts = Counter(v[: len(prefix) + 1] for v in values if len(v) > len(prefix) + MIN_KEY_DIGITS)
        if not counts:
            return prefix
        candidate, count = counts.most_common(1)[0]
        if count < need:
            return prefix
        prefix = candidate


def short_key(key: str, prefix: str) -> str | None:
    """`key` without the tenant's constant prefix (and the zeros after it), if it has the prefix."""
    if prefix and key.startswith(prefix) and len(key) > len(prefix):
        rest = strip_zeros(key[len(prefix) :])
        if len(rest) >= MIN_KEY_DIGITS:
            return rest
    return None


def text_keys(text: str) -> tuple[str, ...]:
    """Candidate keys in a payer's text, most specific first, without duplicates.

    Each token (prefix words removed, OCR confusions fixed when the token is mostly digits), each
    digit run of ≥ 4 digits, digit groups split by single separators joined (`540 6423` →
    `5406423`), and each segment of padded numbers (`001*0050*0000851333` → `851333`).
    """
    if not text:
        return ()
    upper = text.upper()
    seen: dict[str, None] = {}

    def add(digits: str) -> None:
        key = strip_zeros(digits)
        if len(key) >= MIN_KEY_DIGITS:
            seen.setdefault(key, None)

    for match in _TOKEN.finditer(upper):
        token = _SEPARATORS.sub("", match.group())
        for word in _WORD_PREFIXES:
            if token.startswith(word) and len(token) > len(word):
                token = token[len(word) :]
                break
        if not token:
            continue
        digit_count = sum(ch.isdigit() for ch in token)
        if digit_count == len(token):
            add(token)
        elif digit_count >= MIN_KEY_DIGITS and digit_count >= len(token) - 2:
            fixed = token.translate(_OCR)
            if fixed.isdigit():
                add(fixed)
    for match in _GROUPED.finditer(upper):
        add(re.sub(r"\D", "", match.group()))
    for run in _DIGIT_RUN.findall(upper):
        add(run)
    return tuple(seen)


def line_keys(number: str) -> tuple[str, ...]:
    """Keys of a structured remittance line's document number (its own key first, then its parts)."""
    first = document_key(number)
    if number.isdigit():
        return (first,)
    keys = [first] if first else []
    keys += [k for k in text_keys(number) if k != first]
    return tuple(keys)


_DIGITS = "0123456789"


def one_edit_away(key: str) -> set[str]:
    """Every digit string within Damerau-Levenshtein distance 1 of the digit string `key` (itself included).

    Why: looking these up in a hash of invoice keys finds the same candidates as scoring the key against
    every key of a customer's block, in a few hundred dict probes instead of a scan of tens of
    thousands of keys (a large customer's block). Only digit keys are searched fuzzily, and a key with
    letters has no digits at all (`document_key`), so digit neighbours are all there is to find.
    """
    found = {key}
    length = len(key)
    for i in range(length):
        head, tail = key[:i], key[i + 1 :]
        found.add(head + tail)  # deletion
        for digit in _DIGITS:
            found.add(head + digit + tail)  # substitution
        if i + 1 < length:
            found.add(head + key[i + 1] + key[i] + key[i + 2 :])  # transposition
    for i in range(length + 1):
        head, tail = key[:i], key[i:]
        for digit in _DIGITS:
            found.add(head + digit + tail)  # insertion
    return found
