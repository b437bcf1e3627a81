"""`InMemoryErp`: a stateful fake ERP that implements the ports, for tests and demos.

Why a fake with state and not a mock: the write-back and pull rules (inclusive cursors, tombstones,
compare-and-set, idempotency keys, lost responses) are about what the ERP holds afterwards, so
tests assert on that state (`profile`, `records`, `applied_writes`), not on calls made. People's
edits in the ERP's own UI are `upsert`, `delete` and `edit_profile`; failures are armed with
`fail_next`. With `state_path` the whole ERP lives in one file (see `state.py`), so it survives
a `kill -9` of the process using it and a test can inspect what a child process did.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, Final

from creditbridge.adapters.change_paging import page_of, require_aware
from creditbridge.adapters.memory.faults import OPERATIONS, Fault
from creditbridge.adapters.memory.state import ErpState, FileStateStore, MemoryStateStore
from creditbridge.core.model import CreditProfile, Customer, Ledger, OpenItem, Order, Payment, WriteOff
from creditbridge.core.money import Money
from creditbridge.core.ports import (
    Capability,
    ChangePage,
    Entity,
    ErpConfigError,
    ErpError,
    ErpUnavailable,
    ProfileWrite,
    Record,
    WriteOutcome,
    WriteOutcomeUnknown,
    WriteResult,
    own_key,
    writeoff_key,
)

CAPABILITIES: Final = frozenset(
    {
        Capability.READ_CUSTOMERS,
        Capability.READ_CREDIT_PROFILES,
        Capability.READ_OPEN_ITEMS,
        Capability.READ_PAYMENTS,
        Capability.READ_ORDERS,
        Capability.READ_WRITEOFFS,
        Capability.READ_DELETIONS,
        Capability.WRITE_CREDIT_PROFILE,
    }
)

ENTITY_OF_TYPE: Final[dict[type[Any], Entity]] = {
    Customer: Entity.CUSTOMERS,
    CreditProfile: Entity.CREDIT_PROFILES,
    OpenItem: Entity.OPEN_ITEMS,
    Payment: Entity.PAYMENTS,
    Order: Entity.ORDERS,
    WriteOff: Entity.WRITEOFFS,
}


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
"""'Leave this field as it is' in `edit_profile` (None means 'no credit limit')."""


def record_key(record: Record) -> str:
    """The ERP key of a record; write-offs have none of their own (see `InMemoryErp.upsert`)."""
    key = own_key(record)
    if key is None:
        raise TypeError(f"{type(record).__name__} has no key of its own")
    return key


class InMemoryErp:
    """An ERP held in memory (or in one file): ErpAdapter, ChangeReader and CreditProfileWriter.

    Keys: customers and credit profiles by customer_id, open items by item_id, payments by
    payment_id, orders by order_number, write-offs by `writeoff_key(item_id, n)`.
    Every mutation stamps `changed_at` from the clock and bumps the record's integer version
    (`Change.version`, `CreditProfile.source_version`, as a string). The default clock is a fake
    that starts at 2026-01-01T00:00:00Z and advances 1 second per mutation (`from_ledger` is one
    mutation: every seeded record shares one stamp); reads never advance it.
    """

    def __init__(
        self,
        *,
        page_size: int = 100,
        state_path: Path | None = None,
        clock: Callable[[], datetime] | None = None,
        name: str = "memory",
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.erp_name = name
        self.capabilities: frozenset[Capability] = CAPABILITIES
        self.page_size = page_size
        self.state_path = state_path
        self._clock = clock
        self._store: MemoryStateStore | FileStateStore = (
            MemoryStateStore() if state_path is None else FileStateStore(state_path)
        )

    @classmethod
    def from_ledger(cls, ledger: Ledger, **kwargs: Any) -> InMemoryErp:
        """An ERP holding `ledger`'s customers, credit profiles, items, payments, orders and write-offs."""
        erp = cls(**kwargs)
        erp.seed(ledger)
        return erp

    # --- what a person does in the ERP's own UI --------------------------------------------------

    def seed(self, ledger: Ledger) -> None:
        """Load every record of `ledger` as one bulk import (one clock stamp for all)."""
        with self._store.transaction() as state:
            at = self._stamp(state)
            records: tuple[Record, ...] = (
                *ledger.customers,
                *ledger.profiles,
                *ledger.items,
                *ledger.payments,
                *ledger.orders,
            )
            for record in records:
                self._put(state, ENTITY_OF_TYPE[type(record)], record_key(record), record, at)
            for writeoff in ledger.writeoffs:
                self._put(state, Entity.WRITEOFFS, self._writeoff_key(state, writeoff), writeoff, at)

    def upsert(self, record: Record) -> None:
        """Create or replace a record (the entity follows from its type).

        A write-off replaces the item's live write-off with the same date and amount (say, a new
        reason), else it is the item's next write-off.
        """
        entity = ENTITY_OF_TYPE[type(record)]
        with self._store.transaction() as state:
            key = self._writeoff_key(state, record) if isinstance(record, WriteOff) else record_key(record)
            self._put(state, entity, key, record, self._stamp(state))

    def delete(self, entity: Entity, key: str) -> None:
        """Delete a live record; readers see a tombstone. KeyError if there is none."""
        with self._store.transaction() as state:
            entry = state.entries[entity].get(key)
            if entry is None or entry.record is None:
                raise KeyError(f"no {entity} with key {key!r}")
            self._put(state, entity, key, None, self._stamp(state))

    def edit_profile(
        self,
        customer_id: str,
        *,
        credit_limit: Decimal | _Unset | None = UNSET,
        on_hold: bool | _Unset = UNSET,
    ) -> None:
        """Change a customer's credit limit (in the profile's or customer's currency) and/or hold."""
        with self._store.transaction() as state:
            current = self._profile_or_blank(state, customer_id)
            if current is None:
                raise KeyError(f"no customer {customer_id!r}")
            updated = current
            if not isinstance(credit_limit, _Unset):
                currency = self._currency_of(state, customer_id)
                updated = replace(updated, credit_limit=None if credit_limit is None else Money(credit_limit, currency))
            if not isinstance(on_hold, _Unset):
                updated = replace(updated, on_hold=on_hold)
            self._put(state, Entity.CREDIT_PROFILES, customer_id, updated, self._stamp(state))

    # --- the ports -------------------------------------------------------------------------------

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        """Changes with changed_at >= since in (changed_at, key) order, tombstones included."""
        require_aware(since)
        with self._store.transaction() as state:
            error = self._fault_error(state.take_fault("read_changes"), reading=True)
            page: ChangePage | None = None
            if error is None:
                ordered = state.ordered_changes(entity)
                start = 0 if since is None else bisect_left(ordered, since, key=lambda change: change.changed_at)
                changes = ordered[start:]
                page = page_of(changes, entity, since, page_token, self.page_size, self._now(state))
        if error is not None:
            raise error
        assert page is not None
        return page

    def read_credit_profile(self, customer_id: str) -> CreditProfile | None:
        with self._store.transaction() as state:
            error = self._fault_error(state.take_fault("read_credit_profile"), reading=True)
            profile = self._live(state, Entity.CREDIT_PROFILES, customer_id)
        if error is not None:
            raise error
        return profile if isinstance(profile, CreditProfile) else None

    def write_credit_profile(self, write: ProfileWrite) -> WriteResult:
        """Compare-and-set on (credit_limit, on_hold); a replayed idempotency key returns its first result.

        Every answer (APPLIED, CONFLICT, a validation REJECTED) is kept under the key, as a real
        ERP's request id does, so a new attempt after a CONFLICT needs a new key. Injected faults
        are not kept: after TIMEOUT_BEFORE_APPLY the key is unknown, after TIMEOUT_AFTER_APPLY it
        holds the APPLIED result the caller never saw.
        """
        with self._store.transaction() as state:
            fault = state.take_fault("write_credit_profile")
            error = self._fault_error(fault, reading=False)
            result: WriteResult | None = None
            if fault is Fault.REJECT:
                current = self._live(state, Entity.CREDIT_PROFILES, write.customer_id)
                result = WriteResult(
                    WriteOutcome.REJECTED,
                    current if isinstance(current, CreditProfile) else None,
                    message="the ERP refused the write (injected fault)",
                )
            elif fault in (None, Fault.TIMEOUT_AFTER_APPLY):
                result = self._compare_and_set(state, write)
        if error is not None:
            raise error
        assert result is not None
        return result

    # --- fault injection and observation ---------------------------------------------------------

    def fail_next(self, operation: str, fault: Fault, times: int = 1) -> None:
        """Make the next `times` calls of `operation` fail with `fault` (queued after faults armed before)."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {sorted(OPERATIONS)}")
        with self._store.transaction() as state:
            state.arm(operation, Fault(fault), times)

    @property
    def applied_writes(self) -> list[str]:
        """Idempotency keys of writes that changed the ERP, in order (a replay is not appended)."""
        with self._store.transaction() as state:
            return list(state.applied)

    def profile(self, customer_id: str) -> CreditProfile | None:
        """The customer's credit profile now (with `source_version`), without fault injection."""
        with self._store.transaction() as state:
            profile = self._live(state, Entity.CREDIT_PROFILES, customer_id)
        return profile if isinstance(profile, CreditProfile) else None

    def records(self, entity: Entity) -> dict[str, Record]:
        """The live records of `entity` by key (deleted ones are left out)."""
        with self._store.transaction() as state:
            return {key: e.record for key, e in state.entries[entity].items() if e.record is not None}

    # --- internals -------------------------------------------------------------------------------

    def _stamp(self, state: ErpState) -> datetime:
        """The time of a mutation: the fake clock advanced one second, or the given clock."""
        return state.tick() if self._clock is None else self._aware_now()

    def _now(self, state: ErpState) -> datetime:
        return state.now if self._clock is None else self._aware_now()

    def _aware_now(self) -> datetime:
        assert self._clock is not None
        now = self._clock()
        require_aware(now)
        return now

    def _put(self, state: ErpState, entity: Entity, key: str, record: Record | None, at: datetime) -> Record | None:
        """Store a record under its next version; a credit profile carries that version."""
        if isinstance(record, CreditProfile):
            record = replace(record, source_version=str(state.next_version(entity, key)))
        state.put(entity, key, record, at)
        return record

    @staticmethod
    def _live(state: ErpState, entity: Entity, key: str) -> Record | None:
        entry = state.entries[entity].get(key)
        return None if entry is None else entry.record

    def _profile_or_blank(self, state: ErpState, customer_id: str) -> CreditProfile | None:
        """The live profile, a blank one (no limit, no hold) for a customer without one, else None."""
        profile = self._live(state, Entity.CREDIT_PROFILES, customer_id)
        if isinstance(profile, CreditProfile):
            return profile
        if self._live(state, Entity.CUSTOMERS, customer_id) is not None:
            return CreditProfile(customer_id=customer_id, credit_limit=None)
        return None

    def _currency_of(self, state: ErpState, customer_id: str) -> str:
        profile = self._live(state, Entity.CREDIT_PROFILES, customer_id)
        if isinstance(profile, CreditProfile) and profile.credit_limit is not None:
            return profile.credit_limit.currency
        customer = self._live(state, Entity.CUSTOMERS, customer_id)
        if isinstance(customer, Customer):
            return customer.currency
        raise KeyError(f"no currency known for customer {customer_id!r}")

    def _writeoff_key(self, state: ErpState, writeoff: WriteOff) -> str:
        prefix = writeoff.item_id + "#"
        numbers = [0]
        for key, entry in state.entries[Entity.WRITEOFFS].items():
            if not key.startswith(prefix):
                continue
            numbers.append(int(key[len(prefix) :]))
            live = entry.record
            if (
                isinstance(live, WriteOff)
                and live.written_off_on == writeoff.written_off_on
                and live.amount == writeoff.amount
            ):
                return key
        return writeoff_key(writeoff.item_id, max(numbers) + 1)

    def _compare_and_set(self, state: ErpState, write: ProfileWrite) -> WriteResult:
        known = state.results.get(write.idempotency_key)
        if known is not None:
            return known
        current = self._profile_or_blank(state, write.customer_id)
        if current is None:
            return self._refuse(state, write, None, f"no customer {write.customer_id!r}")
        currency = self._currency_of(state, write.customer_id)
        wanted = write.wanted
        if wanted.credit_limit is not None and wanted.credit_limit < 0:
            return self._refuse(state, write, current, f"credit limit {wanted.credit_limit} is negative")
        if wanted.currency != currency:
            return self._refuse(state, write, current, f"credit limit must be in {currency}, not {wanted.currency}")
        has = (None if current.credit_limit is None else current.credit_limit.amount, current.on_hold)
        if has != (write.expected.credit_limit, write.expected.on_hold):
            result = WriteResult(WriteOutcome.CONFLICT, current, message=f"the ERP has limit {has[0]}, hold {has[1]}")
            state.remember(write.idempotency_key, result, applied=False)
            return result
        limit = None if wanted.credit_limit is None else Money(wanted.credit_limit, currency)
        updated = self._put(
            state,
            Entity.CREDIT_PROFILES,
            write.customer_id,
            replace(current, credit_limit=limit, on_hold=wanted.on_hold),
            self._stamp(state),
        )
        assert isinstance(updated, CreditProfile)
        result = WriteResult(WriteOutcome.APPLIED, updated, erp_reference=f"mem-{len(state.applied) + 1}")
        state.remember(write.idempotency_key, result, applied=True)
        return result

    @staticmethod
    def _refuse(state: ErpState, write: ProfileWrite, current: CreditProfile | None, message: str) -> WriteResult:
        """A validation refusal: final, so a replay of the key gets it again."""
        result = WriteResult(WriteOutcome.REJECTED, current, message=message)
        state.remember(write.idempotency_key, result, applied=False)
        return result

    @staticmethod
    def _fault_error(fault: Fault | None, *, reading: bool) -> ErpError | None:
        """The exception an armed fault raises (after the state is saved); REJECT on a write returns instead."""
        if fault is None:
            return None
        if fault is Fault.UNAVAILABLE:
            return ErpUnavailable("the ERP is unavailable (injected fault)")
        if reading:
            if fault is Fault.REJECT:
                return ErpConfigError("the ERP refused the read (injected fault)")
            return ErpUnavailable("the ERP did not answer in time (injected fault)")
        if fault in (Fault.TIMEOUT_BEFORE_APPLY, Fault.TIMEOUT_AFTER_APPLY):
            return WriteOutcomeUnknown("no answer from the ERP: the write may or may not have been applied")
        return None
