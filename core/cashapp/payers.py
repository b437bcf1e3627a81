"""Who paid: payer names and accounts resolved to a customer (stage S1 of cash-application.md §6).

In order of certainty: a known bank account (master data or learned from confirmations), a
learned name alias, the exact normalised name (legal suffixes dropped, abbreviations expanded),
then a fuzzy name inside a first-token block (rapidfuzz `token_sort_ratio` ≥ 85 with a margin of
5 over the runner-up; banks truncate names to 16, 22 or 35 characters, so a payer name that is a
prefix of exactly one customer's name counts too). All pure: the directory is built from records.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from creditbridge.core.model import Customer

_LEGAL_SUFFIXES = frozenset(
    [
        "INC",
        "INCORPORATED",
        "CORP",
        "CORPORATION",
        "CO",
        "COMPANY",
        "LTD",
        "LIMITED",
        "LLC",
        "LLP",
        "LP",
        "PLC",
        "GMBH",
        "AG",
        "KG",
        "OHG",
        "SE",
        "SA",
        "SAS",
        "SARL",
        "SRL",
        "SPA",
        "BV",
        "NV",
        "OY",
        "AB",
        "AS",
        "APS",
        "KK",
        "PTY",
        "PTE",
        "UG",
        "EK",
        "MBH",
    ]
)
_ABBREVIATIONS = {
    "INTL": "INTERNATIONAL", "INT": "INTERNATIONAL", "MFG": "MANUFACTURING", "MFRS": "MANUFACTURERS",
    "DIST": "DISTRIBUTION", "SVCS": "SERVICES", "SVC": "SERVICES", "SERV": "SERVICES", "TECH": "TECHNOLOGIES",
    "TECHS": "TECHNOLOGIES", "BROS": "BROTHERS", "ASSOC": "ASSOCIATES", "IND": "INDUSTRIES", "INDS": "INDUSTRIES",
    "GRP": "GROUP", "HLDGS": "HOLDINGS", "HLDG": "HOLDINGS", "NATL": "NATIONAL", "AMER": "AMERICAN",
    "MGMT": "MANAGEMENT", "ENGR": "ENGINEERING", "ENG": "ENGINEERING", "SYS": "SYSTEMS", "LABS": "LABORATORIES",
    "LAB": "LABORATORIES", "ELEC": "ELECTRIC", "&": "AND", "U": "UND",
}  # fmt: skip
_NON_WORD = re.compile(r"[^0-9A-Z&]+")
_ACCOUNT_JUNK = re.compile(r"[^0-9A-Z]")

FUZZY_MIN = 85.0
FUZZY_MARGIN = 5.0
PREFIX_MIN_LENGTH = 10


def normalise_name(name: str) -> str:
    """Upper-case words, punctuation gone, abbreviations expanded, legal suffixes dropped."""
    words = [_ABBREVIATIONS.get(w, w) for w in _NON_WORD.sub(" ", name.upper().replace("&", " & ")).split()]
    while len(words) > 1 and words[-1] in _LEGAL_SUFFIXES:
        words.pop()
    words = [w for w in words if w not in _LEGAL_SUFFIXES] or words
    return " ".join(words)


_SUFFIX_FORMS = {"INCORPORATED": "INC", "CORPORATION": "CORP", "LIMITED": "LTD", "COMPANY": "CO"}


def legal_name(name: str) -> str:
    """The name with its legal suffix kept (in one spelling): tells "Atlas Inc" from "Atlas LLC"."""
    words = [_ABBREVIATIONS.get(w, w) for w in _NON_WORD.sub(" ", name.upper().replace("&", " & ")).split()]
    return " ".join(_SUFFIX_FORMS.get(w, w) for w in words)


def normalise_account(account: str) -> str:
    """IBAN / account number without spaces and punctuation, upper-case."""
    return _ACCOUNT_JUNK.sub("", account.upper())


@dataclass(frozen=True, slots=True)
class PayerMatch:
    """The customer a payer was resolved to, how, and how sure (0–1)."""

    customer_id: str
    how: str  # account, learned_account, alias, name, fuzzy_name, truncated_name
    score: float
    detail: str = ""


class PayerDirectory:
    """Customers by account, by normalised name and by first-name-token block."""

    def __init__(
        self,
        customers: Iterable[Customer],
        learned_accounts: Mapping[str, str] | None = None,
        learned_names: Mapping[str, str] | None = None,
    ) -> None:
        self._accounts: dict[str, str] = {}
        self._names: dict[str, str | None] = {}
        self._blocks: dict[str, list[str]] = defaultdict(list)
        self._customer_of_name: dict[str, str] = {}
        self._legal: dict[str, str | None] = {}
        known: set[str] = set()
        for customer in customers:
            known.add(customer.customer_id)
            for account in customer.bank_accounts:
                self._accounts[normalise_account(account)] = customer.customer_id
            legal = legal_name(customer.name)
            self._legal[legal] = customer.customer_id if legal not in self._legal else None
            name = normalise_name(customer.name)
            if not name:
                continue
            # two customers with one normalised name: the name identifies neither
            self._names[name] = customer.customer_id if name not in self._names else None
            if name not in self._customer_of_name:
                self._blocks[name.split()[0]].append(name)
            self._customer_of_name[name] = customer.customer_id
        self._learned_accounts = {normalise_account(a): c for a, c in (learned_accounts or {}).items() if c in known}
        self._learned_names = {normalise_name(n): c for n, c in (learned_names or {}).items() if c in known}

    def identify(self, name: str | None, account: str | None) -> PayerMatch | None:
        if account:
            key = normalise_account(account)
            if key in self._accounts:
                return PayerMatch(self._accounts[key], "account", 0.99, key)
            if key in self._learned_accounts:
                return PayerMatch(self._learned_accounts[key], "learned_account", 0.98, key)
        if not name:
            return None
        normal = normalise_name(name)
        if not normal:
            return None
        if normal in self._learned_names:
            return PayerMatch(self._learned_names[normal], "alias", 0.97, normal)
        exact = self._names.get(normal)
        if exact is not None:
            return PayerMatch(exact, "name", 0.96, normal)
        legal = self._legal.get(legal_name(name))
        if legal is not None:  # two customers share the name but not the legal form
            return PayerMatch(legal, "name", 0.95, legal_name(name))
        if normal in self._names:  # ambiguous exact name
            return None
        return self._fuzzy(normal)

    def _fuzzy(self, normal: str) -> PayerMatch | None:
        block = self._blocks.get(normal.split()[0])
        if not block:
            return None
        if len(normal) >= PREFIX_MIN_LENGTH:
            prefixed = [n for n in block if n.startswith(normal) and n != normal]
            if len(prefixed) == 1 and self._names.get(prefixed[0]) is not None:
                return PayerMatch(self._customer_of_name[prefixed[0]], "truncated_name", 0.9, prefixed[0])
            if len(prefixed) > 1:
                return None
        best = process.extract(normal, block, scorer=fuzz.token_sort_ratio, limit=2, score_cutoff=FUZZY_MIN - 10)
        if not best or best[0][1] < FUZZY_MIN:
            return None
        if len(best) > 1 and best[0][1] - best[1][1] < FUZZY_MARGIN:
            return None
        choice = best[0][0]
        customer = self._names.get(choice)
        if customer is None:
            return None
        return PayerMatch(customer, "fuzzy_name", round(0.75 + best[0][1] / 1000, 3), f"{choice} ({best[0][1]:.0f})")
