"""Where the collections commands get their records: a ledger folder, or the store.

Why one object for both: `plan`, `worklist` and `send` must apply the same rules to the same kind
of records whichever the source; only the loading differs. The ledger folder holds disputes and
promises in CSV files and has no record of reminders sent; the store keeps all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import typer

from creditbridge.core.collections import (
    DunningPlan,
    DunningPolicy,
    WorklistEntry,
    build_worklist,
    plan_dunning,
)
from creditbridge.core.model import Dispute, DunningAction, Ledger, PromiseToPay
from creditbridge.sync.collections.contacts import Contact

Fail = Callable[..., typer.Exit]


@dataclass(frozen=True, slots=True)
class CollectionsData:
    """Everything the dunning rules read: the ledger, the policy, disputes, promises, what was sent."""

    ledger: Ledger
    policy: DunningPolicy
    disputes: tuple[Dispute, ...] = ()
    promises: tuple[PromiseToPay, ...] = ()
    sent: tuple[DunningAction, ...] = ()
    contacts: Mapping[str, Contact] = field(default_factory=dict)
    last_contacts: Mapping[str, str] = field(default_factory=dict)
    store_url: str | None = None

    def plan(self, as_of: date) -> DunningPlan:
        return plan_dunning(
            self.ledger, as_of, self.policy, disputes=self.disputes, promises=self.promises, sent=self.sent
        )

    def worklist(self, as_of: date, plan: DunningPlan | None = None) -> list[WorklistEntry]:
        """The worklist at `as_of`; `plan` is `self.plan(as_of)` when the caller has it already."""
        return build_worklist(
            self.ledger, as_of, self.policy, plan if plan is not None else self.plan(as_of), self.last_contacts
        )


def resolve_policy(policy_file: Path | None, configured: Path | None, fail: Fail) -> DunningPolicy:
    from creditbridge.sync.collections.policy_file import PolicyError, builtin_policy, load_policy

    chosen = policy_file or configured
    try:
        return builtin_policy() if chosen is None else load_policy(chosen)
    except PolicyError as exc:
        raise fail(f"the dunning policy has errors:\n{exc}") from None


def load_ledger_data(folder: Path, policy: DunningPolicy, fail: Fail) -> CollectionsData:
    """A ledger folder with its optional disputes.csv, promises.csv and contacts.csv."""
    from creditbridge.adapters.files import LedgerError, read_ledger
    from creditbridge.adapters.files.collections_files import read_collections_files

    try:
        ledger = read_ledger(folder).to_ledger()
        extra = read_collections_files(folder, ledger)
    except LedgerError as exc:
        raise fail(f"the ledger has errors:\n{exc}") from None
    contacts = {
        c.customer_id: Contact(c.customer_id, email=c.email, phone=c.phone, address=c.address) for c in extra.contacts
    }
    return CollectionsData(ledger, policy, extra.disputes, extra.promises, extra.sent, contacts=contacts)


def load_data(
    ledger: Path | None, config_file: Path | None, store: str | None, policy_file: Path | None, fail: Fail
) -> CollectionsData:
    """The records from `--ledger DIR`, else from the store named by --store / the config / the environment."""
    if ledger is not None:
        return load_ledger_data(ledger, resolve_policy(policy_file, None, fail), fail)
    from creditbridge.sync.collections.settings import collections_settings

    settings = collections_settings(config_file, store, fail)
    policy = resolve_policy(policy_file, settings.policy, fail)
    from creditbridge.sync.collections.repository import load_store_data

    return load_store_data(settings.store_url, policy, fail)
