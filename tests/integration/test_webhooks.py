"""The QuickBooks webhook receiver and its queue, on SQLite and PostgreSQL.

The connection is the in-memory ERP with a state file, seeded from tests/fixtures/ledger_kpi:
the receiver is per connection, not per ERP kind, so it stands in for QuickBooks here. The
signature oracle is python-quickbooks' own `QuickBooks.validate_webhook_signature`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
import structlog
from fastapi.testclient import TestClient
from quickbooks.client import QuickBooks

from creditbridge.core.ports import Entity
from creditbridge.sync.config import Config, ConnectionConfig
from creditbridge.sync.service import queue
from creditbridge.sync.service.app import MAX_BODY_BYTES, create_app
from creditbridge.sync.service.events import WebhookEvent, parse_payload
from creditbridge.sync.service.signatures import signature_matches, webhook_signature
from creditbridge.sync.service.worker import drain_pull_requests
from creditbridge.sync.store import Store
from creditbridge.sync.store.service_tables import pull_requests

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
VERIFIER_ENV = "CB_TEST_QBO_VERIFIER"
VERIFIER = "verifier-token-s3ntinel-9f2c"
URL = "/webhooks/quickbooks/qbo-acme"


def legacy(*entities: tuple[str, str, str], realm: str = "4620816365") -> bytes:
    changed = [
        {"name": name, "id": record_id, "operation": op, "lastUpdated": "2026-11-23T07:00:00.000Z"}
        for name, record_id, op in entities
    ]
    return json.dumps({"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": changed}}]}).encode()


def cloud(*events: tuple[str, str, str], realm: str = "4620816365") -> bytes:
    return json.dumps(
        [
            {
                "specversion": "1.0",
                "id": event_id,
                "source": "intuit.dsnBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=",
                "type": kind,
                "datacontenttype": "application/json",
                "time": "2026-11-23T07:00:00.000Z",
                "intuitentityid": record_id,
                "intuitaccountid": realm,
                "data": {},
            }
            for event_id, kind, record_id in events
        ]
    ).encode()


def signed(body: bytes, token: str = VERIFIER) -> dict[str, str]:
    return {"intuit-signature": webhook_signature(body, token), "content-type": "application/json"}


@pytest.fixture
def config(tmp_path: Path, store_url: str, monkeypatch: pytest.MonkeyPatch) -> Config:
    monkeypatch.setenv(VERIFIER_ENV, VERIFIER)
    options: dict[str, Any] = {
        "state_path": str(tmp_path / "erp.json"),
        "seed_ledger": str(SEED),
        "webhook_verifier": f"env:{VERIFIER_ENV}",
    }
    return Config(
        store_url=store_url,
        connections=[
            ConnectionConfig(name="qbo-acme", erp="memory", options=options),
            ConnectionConfig(name="qbo-realm", erp="memory", options={**options, "realm_id": "111"}),
            ConnectionConfig(name="no-hooks", erp="memory", options={"state_path": str(tmp_path / "x.json")}),
        ],
    )


@pytest.fixture
def store(config: Config) -> Any:
    with Store.open(config.store_url) as opened:
        yield opened


@pytest.fixture
def client(config: Config, store: Store) -> Any:
    with TestClient(create_app(config, store=store)) as test_client:
        yield test_client


def queued(store: Store) -> list[queue.PullRequest]:
    return queue.requests(store.engine)


def test_our_signature_is_the_one_python_quickbooks_validates() -> None:
    body = legacy(("Invoice", "130", "Create"))
    signature = webhook_signature(body, VERIFIER)
    oracle = SimpleNamespace(verifier_token=None)
    assert QuickBooks.validate_webhook_signature(oracle, body.decode(), signature, VERIFIER)
    assert signature_matches(body, signature, VERIFIER)
    assert not signature_matches(body + b" ", signature, VERIFIER)
    assert not signature_matches(body, signature, "another-token")
    assert not signature_matches(body, None, VERIFIER)
    assert not signature_matches(body, "not base64 ✗", VERIFIER)


@pytest.mark.parametrize("headers", [{}, {"intuit-signature": "AAAA"}, signed(b"another body")])
def test_a_missing_or_wrong_signature_is_refused_and_nothing_is_queued(
    client: TestClient, store: Store, headers: dict[str, str]
) -> None:
    body = legacy(("Invoice", "130", "Create"))
    with structlog.testing.capture_logs() as logs:
        response = client.post(URL, content=body, headers=headers)
    assert response.status_code == 401
    assert queued(store) == []
    warning = next(line for line in logs if line["event"] == "webhook.bad_signature")
    assert warning["log_level"] == "warning" and warning["connection"] == "qbo-acme"
    shown = json.dumps(logs, default=str)
    assert "eventNotifications" not in shown and VERIFIER not in shown


def test_a_legacy_payload_queues_the_entities_it_names(client: TestClient, store: Store) -> None:
    body = legacy(("Customer", "1", "Update"), ("Invoice", "130", "Create"), ("Vendor", "7", "Create"))
    response = client.post(URL, content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    assert response.json()["entities"] == ["customers", "credit_profiles", "open_items"]
    [request] = queued(store)
    assert request.connection == "qbo-acme" and request.status == "queued"
    assert request.entities == (Entity.CUSTOMERS, Entity.CREDIT_PROFILES, Entity.OPEN_ITEMS)
    assert len(request.event_ids) == 2 and all(e.startswith("legacy:") for e in request.event_ids)


def test_a_cloudevents_payload_queues_the_entities_it_names(client: TestClient, store: Store) -> None:
    body = cloud(
        ("ev-1", "qbo.payment.created.v1", "55"),
        ("ev-2", "qbo.estimate.updated.v1", "9"),
        ("ev-3", "qbo.creditmemo.voided.v1", "12"),
        ("ev-4", "qbo.account.created.v1", "3"),
    )
    response = client.post(URL, content=body, headers=signed(body))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "queued": 1, "entities": ["open_items", "payments", "orders"], "events": 3, "duplicates": 0, "ignored": 1,
    }  # fmt: skip
    [request] = queued(store)
    assert request.event_ids == ("ev-1", "ev-2", "ev-3")


def test_redelivered_events_are_queued_once(client: TestClient, store: Store) -> None:
    first = cloud(("ev-1", "qbo.invoice.created.v1", "130"))
    assert client.post(URL, content=first, headers=signed(first)).json()["queued"] == 1
    again = client.post(URL, content=first, headers=signed(first))
    assert again.status_code == 200 and again.json()["queued"] is None and again.json()["duplicates"] == 1
    both = cloud(("ev-1", "qbo.invoice.created.v1", "130"), ("ev-2", "qbo.customer.updated.v1", "1"))
    assert client.post(URL, content=both, headers=signed(both)).json()["events"] == 1
    legacy_body = legacy(("Payment", "55", "Create"))
    for _ in range(2):
        client.post(URL, content=legacy_body, headers=signed(legacy_body))
    assert [r.event_ids for r in reversed(queued(store))] == [("ev-1",), ("ev-2",), parse_ids(legacy_body)]


def parse_ids(body: bytes) -> tuple[str, ...]:
    return tuple(e.event_id for e in parse_payload(body))


def test_unknown_connections_and_connections_without_a_verifier_are_not_found(client: TestClient) -> None:
    body = legacy(("Invoice", "130", "Create"))
    assert client.post("/webhooks/quickbooks/nobody", content=body, headers=signed(body)).status_code == 404
    assert client.post("/webhooks/quickbooks/no-hooks", content=body, headers=signed(body)).status_code == 404


def test_a_body_over_the_cap_is_refused_unread(client: TestClient, store: Store) -> None:
    body = b"[" + b" " * MAX_BODY_BYTES + b"]"
    assert client.post(URL, content=body, headers=signed(body)).status_code == 413
    chunks = (b" " * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))  # streamed: no content-length
    assert client.post(URL, content=chunks, headers={"intuit-signature": "x"}).status_code == 413
    assert queued(store) == []


def test_a_signed_body_that_is_not_a_payload_is_a_bad_request(client: TestClient, store: Store) -> None:
    for body in (b"not json", b'{"hello": 1}', b'[{"type": "qbo.invoice.created.v1"}]'):
        assert client.post(URL, content=body, headers=signed(body)).status_code == 400
    assert queued(store) == []


def test_events_of_another_company_are_ignored_when_the_realm_is_set(client: TestClient, store: Store) -> None:
    url = "/webhooks/quickbooks/qbo-realm"
    other = cloud(("ev-1", "qbo.invoice.created.v1", "130"), realm="222")
    response = client.post(url, content=other, headers=signed(other))
    assert response.status_code == 200 and response.json()["ignored"] == 1 and response.json()["queued"] is None
    mine = cloud(("ev-2", "qbo.invoice.created.v1", "130"), realm="111")
    assert client.post(url, content=mine, headers=signed(mine)).json()["queued"] is not None
    assert [r.event_ids for r in queued(store)] == [("ev-2",)]


def test_the_drain_pulls_what_webhooks_asked_for_into_the_replica(
    client: TestClient, config: Config, store: Store
) -> None:
    body = legacy(("Customer", "A", "Update"), ("Invoice", "I1", "Create"))
    client.post(URL, content=body, headers=signed(body))
    more = cloud(("ev-9", "qbo.payment.created.v1", "P1"))
    client.post(URL, content=more, headers=signed(more))

    [result] = drain_pull_requests(config, store)

    assert result.ok and result.connection == "qbo-acme" and result.request_ids == (1, 2)
    assert result.entities == (Entity.CUSTOMERS, Entity.CREDIT_PROFILES, Entity.OPEN_ITEMS, Entity.PAYMENTS)
    assert result.summary is not None and result.summary.run_id == result.run_id
    ledger = store.load_ledger("qbo-acme")
    assert {c.customer_id for c in ledger.customers} >= {"A", "B"}
    assert ledger.items and ledger.payments and not ledger.orders  # orders were not asked for
    assert [r.status for r in queued(store)] == ["finished", "finished"]
    assert {r.run_id for r in queued(store)} == {result.run_id}
    assert drain_pull_requests(config, store) == []


def test_a_failed_pull_marks_its_requests_failed_and_the_rest_still_drain(config: Config, store: Store) -> None:
    event = WebhookEvent("ev-1", None, "Invoice", "1")
    queue.enqueue(store.engine, "gone", [event])  # a connection since removed from the config
    queue.enqueue(store.engine, "qbo-acme", [event])

    results = {r.connection: r for r in drain_pull_requests(config, store)}

    assert not results["gone"].ok and "no connection named 'gone'" in (results["gone"].error or "")
    assert results["qbo-acme"].ok
    assert {r.connection: r.status for r in queued(store)} == {"gone": "failed", "qbo-acme": "finished"}


def test_each_request_is_claimed_by_one_worker(config: Config, store: Store) -> None:
    for n in range(3):
        queue.enqueue(store.engine, "qbo-acme", [WebhookEvent(f"ev-{n}", None, "Invoice", str(n))])
    assert [r.id for r in queue.claim(store.engine, "qbo-acme", "run-a", max_requests=2)] == [1, 2]
    assert [r.id for r in queue.claim(store.engine, "qbo-acme", "run-b")] == [3]
    assert queue.claim(store.engine, "qbo-acme", "run-c") == []
    with store.engine.begin() as conn:  # run-a's worker died an hour ago: its claim is stale
        conn.execute(
            sa.update(pull_requests).where(pull_requests.c.run_id == "run-a")
            .values(started_at=queue.utc_now() - queue.STALE_CLAIM * 2)
        )  # fmt: skip
    assert [r.id for r in queue.claim(store.engine, "qbo-acme", "run-d")] == [1, 2]
    queue.finish(store.engine, "run-a", "too late")  # the dead worker's late word changes nothing
    assert {r.run_id: r.status for r in queued(store)} == {"run-d": "running", "run-b": "running"}


def test_two_drains_at_once_pull_each_request_once(config: Config, store: Store) -> None:
    for n in range(5):
        queue.enqueue(store.engine, "qbo-acme", [WebhookEvent(f"ev-{n}", None, "Customer", str(n))])
    results: list[Any] = []
    barrier = threading.Barrier(2)

    def drain() -> None:
        barrier.wait()
        results.extend(drain_pull_requests(config, store))

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    claimed = [i for r in results if not r.requeued for i in r.request_ids]
    assert sorted(claimed) == [1, 2, 3, 4, 5]
    assert all(r.ok for r in results if not r.requeued)


def test_health_reports_the_store(client: TestClient, config: Config) -> None:
    response = client.get("/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"
    down = config.model_copy(update={"store_url": "postgresql+psycopg://nobody@127.0.0.1:1/none"})
    with TestClient(create_app(down)) as unavailable:
        response = unavailable.get("/health")
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_an_estimate_named_by_a_webhook_gets_an_order_time_credit_check_in_the_audit_log(
    client: TestClient, config: Config, store: Store
) -> None:
    """SO-1 (700.00 USD) for A: limit 5,000; open AR 1,999.00 (A6 is invoiced by now) + the order = 2,699.00,
    54% of the limit, but A1 is more than 30 days past due -> review. The cancelled SO-2 is not checked."""
    from creditbridge.sync.writeback.audit import list_entries, verify_chain

    first = legacy(("Customer", "A", "Update"), ("Invoice", "A1", "Update"), ("Payment", "P1", "Update"))
    client.post(URL, content=first, headers=signed(first))
    drain_pull_requests(config, store)  # the replica as a running installation has it
    body = legacy(("Estimate", "SO-1", "Create"), ("Estimate", "SO-2", "Update"))
    client.post(URL, content=body, headers=signed(body))

    [result] = drain_pull_requests(config, store)

    assert result.ok and Entity.ORDERS in result.entities
    [entry] = [e for e in list_entries(store.engine, "qbo-acme") if e.fields["action"] == "order_credit_check"]
    assert entry.fields["customer_id"] == "A" and entry.fields["outcome"] == "review"
    assert entry.fields["field"] == "order SO-1" and "past_due" in entry.fields["reason_code"]
    assert verify_chain(store.engine).ok
