"""The in-memory ERP beyond the contract: its clock, keys, faults, and state shared between processes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from creditbridge.adapters.memory import Fault, InMemoryErp
from creditbridge.core.model import CreditProfile, Customer, Ledger, Order, WriteOff
from creditbridge.core.money import Money
from creditbridge.core.ports import Entity, ErpConfigError, ErpUnavailable, ProfileValues, ProfileWrite, WriteOutcome

START = datetime(2026, 1, 1, tzinfo=UTC)
LEDGER = Ledger(
    customers=(Customer("A", "Acme", "USD"), Customer("B", "Berg", "EUR")),
    profiles=(CreditProfile("A", Money.of("5000.00", "USD")),),
    orders=(Order("SO-1", "A", date(2026, 3, 1), Money.of("10", "USD")),),
    writeoffs=(
        WriteOff("I1", date(2026, 2, 1), Money.of("5", "USD")),
        WriteOff("I1", date(2026, 2, 2), Money.of("6", "USD")),
    ),
)


def limit_write(erp: InMemoryErp, key: str, new_limit: str, customer_id: str = "A") -> ProfileWrite:
    profile = erp.profile(customer_id)
    assert profile is not None and profile.credit_limit is not None
    old = profile.credit_limit
    return ProfileWrite(
        customer_id,
        profile.source_version,
        ProfileValues(old.amount, profile.on_hold, old.currency),
        ProfileValues(Decimal(new_limit), profile.on_hold, old.currency),
        key,
    )


def run_child(code: str, state: Path) -> subprocess.CompletedProcess[str]:
    script = f"from pathlib import Path\nstate = Path({str(state)!r})\n" + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)


def test_the_fake_clock_ticks_one_second_per_mutation_and_not_on_reads():
    erp = InMemoryErp.from_ledger(LEDGER)
    assert erp.read_changes(Entity.CUSTOMERS, None).served_at == START + timedelta(seconds=1)
    erp.edit_profile("A", on_hold=True)
    erp.read_changes(Entity.CUSTOMERS, None)
    page = erp.read_changes(Entity.CREDIT_PROFILES, None)
    assert page.served_at == START + timedelta(seconds=2)
    assert [(c.key, c.changed_at, c.version) for c in page.changes] == [("A", START + timedelta(seconds=2), "2")]


def test_a_given_clock_stamps_every_change():
    now = [datetime(2030, 5, 1, 12, tzinfo=UTC)]
    erp = InMemoryErp(clock=lambda: now[0])
    erp.upsert(Customer("A", "Acme", "USD"))
    now[0] += timedelta(minutes=5)
    page = erp.read_changes(Entity.CUSTOMERS, None)
    assert page.changes[0].changed_at == datetime(2030, 5, 1, 12, tzinfo=UTC)
    assert page.served_at == now[0]


def test_writeoffs_are_keyed_by_item_and_ordinal_and_keep_their_key_when_edited():
    erp = InMemoryErp.from_ledger(LEDGER)
    assert sorted(erp.records(Entity.WRITEOFFS)) == ["I1#1", "I1#2"]
    erp.upsert(WriteOff("I1", date(2026, 2, 2), Money.of("6", "USD"), reason="insolvency"))
    erp.upsert(WriteOff("I1", date(2026, 2, 3), Money.of("7", "USD")))
    records = erp.records(Entity.WRITEOFFS)
    assert records["I1#2"].reason == "insolvency"
    assert sorted(records) == ["I1#1", "I1#2", "I1#3"]


def test_a_deleted_record_leaves_a_tombstone_and_its_version_continues_when_it_returns():
    erp = InMemoryErp.from_ledger(LEDGER)
    erp.delete(Entity.ORDERS, "SO-1")
    assert erp.records(Entity.ORDERS) == {}
    with pytest.raises(KeyError):
        erp.delete(Entity.ORDERS, "SO-1")
    erp.upsert(LEDGER.orders[0])
    (change,) = erp.read_changes(Entity.ORDERS, None).changes
    assert change.version == "3" and change.record == LEDGER.orders[0]


def test_edit_profile_creates_a_profile_in_the_customers_currency():
    erp = InMemoryErp.from_ledger(LEDGER)
    erp.edit_profile("B", credit_limit=Decimal("100.5"))
    assert erp.profile("B") == CreditProfile("B", Money.of("100.5", "EUR"), source_version="1")
    erp.edit_profile("B", credit_limit=None, on_hold=True)
    profile = erp.profile("B")
    assert profile is not None and profile.credit_limit is None and profile.on_hold
    with pytest.raises(KeyError):
        erp.edit_profile("nobody", on_hold=True)


def test_faults_are_queued_per_operation_and_used_up():
    erp = InMemoryErp.from_ledger(LEDGER)
    erp.fail_next("read_changes", Fault.UNAVAILABLE, times=2)
    erp.fail_next("read_credit_profile", Fault.REJECT)
    for _ in range(2):
        with pytest.raises(ErpUnavailable):
            erp.read_changes(Entity.CUSTOMERS, None)
    assert len(erp.read_changes(Entity.CUSTOMERS, None).changes) == 2
    with pytest.raises(ErpConfigError):
        erp.read_credit_profile("A")
    assert erp.read_credit_profile("A") is not None
    with pytest.raises(ValueError):
        erp.fail_next("post_invoice", Fault.REJECT)


def test_a_malformed_page_token_is_refused():
    erp = InMemoryErp.from_ledger(LEDGER)
    with pytest.raises(ValueError):
        erp.read_changes(Entity.CUSTOMERS, None, "not-a-token")


def test_state_file_keeps_decimals_as_strings(tmp_path):
    state = tmp_path / "erp.json"
    erp = InMemoryErp.from_ledger(LEDGER, state_path=state)
    erp.write_credit_profile(limit_write(erp, "k1", "1234.5678"))
    text = state.read_text()
    assert '"1234.5678"' in text and "1234.5678," not in text
    assert json.loads(text)["applied"] == ["k1"]


def test_state_path_survives_a_separate_process(tmp_path):
    state = tmp_path / "erp.json"
    erp = InMemoryErp.from_ledger(LEDGER, state_path=state)
    erp.fail_next("write_credit_profile", Fault.TIMEOUT_AFTER_APPLY)
    child = run_child(
        """
        from decimal import Decimal
        from creditbridge.adapters.memory import InMemoryErp
        from creditbridge.core.ports import ProfileValues, ProfileWrite, WriteOutcomeUnknown
        erp = InMemoryErp(state_path=state)
        profile = erp.profile("A")
        write = ProfileWrite("A", profile.source_version, ProfileValues(profile.credit_limit.amount, False, "USD"),
                             ProfileValues(Decimal("7777.77"), True, "USD"), "from-child")
        try:
            erp.write_credit_profile(write)
        except WriteOutcomeUnknown:
            print("unknown")
        """,
        state,
    )
    assert child.stdout.strip() == "unknown", "the fault armed here was hit in the child"
    profile = erp.profile("A")
    assert profile is not None and profile.credit_limit == Money.of("7777.77", "USD") and profile.on_hold
    assert erp.applied_writes == ["from-child"]
    assert erp.read_changes(Entity.CREDIT_PROFILES, None).served_at == START + timedelta(seconds=2)


def test_concurrent_processes_do_not_lose_updates(tmp_path):
    """Two processes raise A's limit by 1, 25 times each, by compare-and-set: none is lost."""
    state = tmp_path / "erp.json"
    erp = InMemoryErp.from_ledger(LEDGER, state_path=state)
    code = """
        import sys
        from decimal import Decimal
        from creditbridge.adapters.memory import InMemoryErp
        from creditbridge.core.ports import ProfileValues, ProfileWrite, WriteOutcome
        erp = InMemoryErp(state_path=state)
        tag = sys.argv[1]
        done = attempt = 0
        while done < 25:
            attempt += 1
            p = erp.profile("A")
            old = p.credit_limit.amount
            result = erp.write_credit_profile(ProfileWrite("A", p.source_version, ProfileValues(old, False, "USD"),
                                              ProfileValues(old + 1, False, "USD"), f"{tag}-{attempt}"))
            if result.outcome is WriteOutcome.APPLIED:
                done += 1
        """
    script = f"from pathlib import Path\nstate = Path({str(state)!r})\n" + textwrap.dedent(code)
    children = [subprocess.Popen([sys.executable, "-c", script, tag]) for tag in ("x", "y")]
    assert [child.wait(timeout=120) for child in children] == [0, 0]

    profile = erp.profile("A")
    assert profile is not None and profile.credit_limit == Money.of("5050", "USD")
    assert len(erp.applied_writes) == 50 and len(set(erp.applied_writes)) == 50  # a CONFLICT key is spent
    assert InMemoryErp(state_path=state).read_changes(Entity.CUSTOMERS, None).served_at == START + timedelta(
        seconds=1 + 50
    )


def test_a_replayed_write_returns_the_first_result_even_from_another_process(tmp_path):
    state = tmp_path / "erp.json"
    erp = InMemoryErp.from_ledger(LEDGER, state_path=state)
    write = limit_write(erp, "k1", "6000")
    first = erp.write_credit_profile(write)
    again = InMemoryErp(state_path=state).write_credit_profile(write)
    assert first == again and first.outcome is WriteOutcome.APPLIED
    assert erp.applied_writes == ["k1"]
