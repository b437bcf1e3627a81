"""Collections on the store: reminders sent through a real SMTP server on loopback (aiosmtpd), recorded once.

The store holds tests/fixtures/ledger_collections (see its README) as of 2026-10-01; in the store
nothing was dunned yet, so C6's I8 (40 days) is due at level 3 too. Contacts: C1 and C6 have
e-mail addresses, C7 only a postal address, the others nothing. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from creditbridge.adapters.files import read_ledger
from creditbridge.core.money import Money
from creditbridge.sync.collections import repository as repo
from creditbridge.sync.collections.contacts import Contact
from creditbridge.sync.collections.job import run_collections_job
from creditbridge.sync.collections.policy_file import builtin_policy
from creditbridge.sync.collections.settings import CollectionsSettings
from creditbridge.sync.collections.sources import CollectionsData
from creditbridge.sync.config import CollectionsConfig, SmtpConfig
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_collections"
AS_OF = date(2026, 10, 1)


@dataclass
class Mailbox:
    """An SMTP handler that keeps what it accepts, or refuses every message while `refuse` is set."""

    refuse: bool = False
    received: list[Message] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 4.3.0 mailbox temporarily unavailable"
        self.received.append(message_from_bytes(envelope.content))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture
def loaded(store_url: str) -> str:
    with Store.open(store_url) as store:
        store.import_ledger(read_ledger(FIXTURE))
        with store.engine.begin() as conn:
            repo.set_contact(conn, Contact("C1", "ap@alpha.example", None, "Alpha Ltd|1 Main St|Springfield"))
            repo.set_contact(conn, Contact("C6", "ap@zeta.example", None, "Zeta BV|Keizersgracht 1|Amsterdam"))
            repo.set_contact(conn, Contact("C7", None, "+1 555 0107", "Eta LLC|7 Elm Road|Dayton, OH"))
            repo.open_dispute(conn, "I3", "C2", date(2026, 9, 25), "pricing", "USD")
            repo.add_promise(conn, "C2", date(2026, 10, 15), Money.of("300.00", "USD"), ["I4"], date(2026, 9, 26))
    return store_url


def settings(url: str, port: int, tmp_path: Path) -> CollectionsSettings:
    return CollectionsSettings(
        url,
        CollectionsConfig(
            company_name="Northwind", from_address="ar@northwind.example", letters_dir=tmp_path / "letters"
        ),
        SmtpConfig(host="127.0.0.1", port=port, timeout_seconds=5),
    )


def data(url: str) -> CollectionsData:
    from creditbridge.sync.collections.repository import load_store_data

    return load_store_data(url, builtin_policy(), lambda *a: AssertionError(a))  # type: ignore[arg-type,return-value]


def statuses(url: str) -> dict[str, tuple[int, str, str]]:
    with Store.open(url) as store, store.engine.connect() as conn:
        return {m.customer_id: (m.level, m.channel, m.status) for m in repo.load_messages(conn)}


def test_send_delivers_each_reminder_once_by_its_channel(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    summary = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert (summary.queued, summary.sent, summary.still_queued) == (4, 4, 0)
    by_customer = statuses(loaded)
    assert by_customer["C1"] == (2, "email", "sent")
    assert by_customer["C6"] == (3, "email+letter", "sent")
    assert by_customer["C7"] == (4, "call", "sent")
    assert by_customer["C5"] == (5, "escalation", "sent")  # an escalation task in the contact log
    assert set(by_customer) == {"C1", "C5", "C6", "C7"}  # C2 disputed/promised, C3 covered, C4 below minimum

    assert sorted(r[0] for r in box.recipients) == ["ap@alpha.example", "ap@zeta.example"]
    zeta = next(m for m in box.received if m["To"] == "ap@zeta.example")
    assert zeta["Subject"] == "Final notice from Northwind: 480.00 USD overdue"
    assert zeta.is_multipart() and [p.get_content_type() for p in zeta.get_payload()] == ["text/plain", "text/html"]  # type: ignore[union-attr]
    text = zeta.get_payload()[0].get_payload(decode=True).decode()  # type: ignore[index,union-attr]
    assert "I8" in text and "I9" in text and "400.00 USD" in text
    assert len(summary.letters) == 1 and Path(summary.letters[0]).read_bytes().startswith(b"%PDF")

    with Store.open(loaded) as store, store.engine.connect() as conn:
        tasks = [(n.customer_id, n.kind, n.status) for n in repo.load_notes(conn) if n.status == "open"]
    assert ("C7", "call", "open") in tasks and ("C5", "escalation", "open") in tasks

    again = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert (again.queued, again.sent, len(again.planned)) == (0, 0, 0)
    assert len(box.received) == 2


def test_a_customer_without_an_email_address_gets_a_letter_with_a_warning(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    with Store.open(loaded) as store, store.engine.begin() as conn:
        repo.set_contact(conn, Contact("C1", None, None, "Alpha Ltd|1 Main St|Springfield"))
    summary = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert any("C1 has no e-mail address: level 2 goes by letter" in w for w in summary.warnings)
    assert statuses(loaded)["C1"] == (2, "letter", "sent")
    assert "ap@alpha.example" not in [r[0] for r in box.recipients]


def test_a_refusing_mail_server_leaves_the_reminder_queued_and_a_later_run_sends_it_once(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    box.refuse = True
    first = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert first.still_queued == 2 and box.received == []
    assert statuses(loaded)["C1"] == (2, "email", "queued")
    with Store.open(loaded) as store, store.engine.connect() as conn:
        c1 = next(m for m in repo.load_messages(conn) if m.customer_id == "C1")
    assert c1.attempts == 1 and c1.last_error is not None and "451" in c1.last_error

    box.refuse = False
    second = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert (second.queued, second.sent) == (0, 2)  # nothing new is planned: the queued ones are sent
    third = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert third.sent == 0
    assert sorted(r[0] for r in box.recipients) == ["ap@alpha.example", "ap@zeta.example"]
    assert statuses(loaded)["C1"] == (2, "email", "sent")


def test_an_unreachable_mail_server_loses_nothing(loaded: str, tmp_path: Path) -> None:
    summary = run_collections_job(settings(loaded, free_port(), tmp_path), data(loaded), AS_OF)
    assert summary.still_queued == 2 and summary.sent == 2  # the call and the escalation task went
    assert {k: v[2] for k, v in statuses(loaded).items()} == {
        "C1": "queued",
        "C5": "sent",
        "C6": "queued",
        "C7": "sent",
    }


def test_an_interrupted_send_is_not_resent_until_a_person_says_so(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    box.refuse = True
    run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    with Store.open(loaded) as store, store.engine.begin() as conn:  # as if killed after the server took it
        c1 = next(m for m in repo.load_messages(conn) if m.customer_id == "C1")
        repo.mark(conn, c1.id, "sending")
    box.refuse = False
    run = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert run.unknown == 1 and [r[0] for r in box.recipients] == ["ap@zeta.example"]
    again = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF, resend_unknown=True)
    assert again.sent == 1 and box.received[-1]["Message-ID"] == c1.message_id


def test_the_same_item_and_level_cannot_be_recorded_twice(loaded: str) -> None:
    plan = data(loaded).plan(AS_OF)
    message = next(m for m in plan.messages if m.customer_id == "C1")
    with Store.open(loaded) as store:
        with store.engine.begin() as conn:
            repo.queue_message(conn, message, AS_OF, "email", "ap@alpha.example", None)
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as conn:
            repo.queue_message(conn, message, AS_OF, "email", "ap@alpha.example", None)


def test_dry_run_records_and_sends_nothing(loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path) -> None:
    box, port = mailbox
    summary = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF, dry_run=True)
    assert len(summary.planned) == 4 and summary.sent == 0
    assert statuses(loaded) == {} and box.received == []


def test_promises_and_disputes_in_the_store_steer_the_plan(loaded: str) -> None:
    skipped = {s.item_id: s.reason.value for s in data(loaded).plan(AS_OF).skipped}
    assert skipped == {"I3": "disputed", "I4": "promised", "I5": "covered_by_unapplied_cash", "I6": "below_minimum"}
    with Store.open(loaded) as store, store.engine.begin() as conn:
        (dispute,) = repo.load_disputes(conn)
        assert repo.resolve_dispute(conn, int(dispute.dispute_id or 0), "rejected", AS_OF, "price was right")
        assert not repo.resolve_dispute(conn, int(dispute.dispute_id or 0), "rejected", AS_OF, None)
    skipped = {s.item_id: s.reason.value for s in data(loaded).plan(AS_OF).skipped}
    assert "I3" not in skipped


def test_a_letter_without_a_postal_address_becomes_a_call_task(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    _, port = mailbox
    with Store.open(loaded) as store, store.engine.begin() as conn:
        repo.set_contact(conn, Contact("C6", "ap@zeta.example"))
    summary = run_collections_job(settings(loaded, port, tmp_path), data(loaded), AS_OF)
    assert "customer C6 has no postal address: level 3 goes by email+call" in summary.warnings
    assert statuses(loaded)["C6"] == (3, "email+call", "sent") and summary.letters == []


def test_the_job_reads_the_store_itself_when_a_scheduler_calls_it(
    loaded: str, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    box, port = mailbox
    summary = run_collections_job(settings(loaded, port, tmp_path), None, AS_OF)
    assert summary.sent == 4 and len(box.received) == 2
    assert run_collections_job(settings(loaded, port, tmp_path), None, AS_OF).sent == 0
