"""`POST /credit/check` on a store imported from tests/fixtures/ledger_kpi, on SQLite and PostgreSQL.

The figures are those of tests/e2e/test_credit_check_cli.py (worked out by hand there): customer
A (limit 5,000 USD) as of 2026-01-30 with an order of 2,700 is at 4,000 = 80.00 % -> warn.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from creditbridge.adapters.files import read_ledger
from creditbridge.sync.config import Config, ConnectionConfig
from creditbridge.sync.service.app import create_app
from creditbridge.sync.store import Store

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
D = Decimal


def files_connection(name: str) -> ConnectionConfig:
    return ConnectionConfig(name=name, erp="files", options={"folder": str(FIXTURE)})


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    with Store.open(store_url) as opened:
        opened.import_ledger(read_ledger(FIXTURE), source="erp1")
        yield opened


def client(store: Store, *connections: str) -> TestClient:
    config = Config(store_url=store.url, connections=[files_connection(n) for n in connections])
    return TestClient(create_app(config, store=store))


def post(test_client: TestClient, body: object) -> tuple[int, dict]:
    response = test_client.post("/credit/check", content=json.dumps(body) if not isinstance(body, str) else body)
    return response.status_code, json.loads(response.text, parse_float=Decimal)


def test_the_same_decision_as_the_cli(store: Store) -> None:
    status, data = post(client(store, "erp1"), {"customer_id": "A", "amount": 2700, "as_of": "2026-01-30"})
    assert status == 200, data
    assert data["decision"] == "warn"
    assert data["limit"] == {"amount": D("5000.00"), "currency": "USD"}
    assert data["exposure"] == {
        "open_ar": D("600.00"),
        "open_orders": D("700.00"),
        "order": D("2700.00"),
        "total": D("4000.00"),
        "currency": "USD",
    }
    assert data["available"] == D("1000.00") and data["utilization"] == D("80.00")
    assert [r["rule"] for r in data["reasons"]] == ["near_limit"]


def test_amounts_are_exact_decimals(store: Store) -> None:
    test_client = client(store, "erp1")
    raw = '{"customer_id": "A", "amount": 3300.01, "currency": "USD", "as_of": "2026-03-31"}'
    status, data = post(test_client, raw)
    assert status == 200 and data["decision"] == "hold" and data["available"] == D("-0.01")
    status, data = post(test_client, {"customer_id": "A", "amount": "3300.00", "as_of": "2026-03-31"})
    assert status == 200 and data["decision"] == "review" and data["available"] == D("0.00")


def test_the_connection_is_the_source(store: Store) -> None:
    two = client(store, "erp1", "erp2")
    body = {"customer_id": "A", "amount": 1, "as_of": "2026-01-30"}
    status, data = post(two, body)
    assert status == 400 and "connection" in data["error"]
    status, data = post(two, {**body, "connection": "erp1"})
    assert status == 200 and data["decision"] == "approve"
    status, data = post(two, {**body, "connection": "erp2"})  # nothing imported under erp2
    assert status == 404 and "no customer 'A'" in data["error"]
    status, data = post(two, {**body, "connection": "nope"})
    assert status == 404
    status, data = post(client(store), body)  # no connection configured: the whole store
    assert status == 200 and data["decision"] == "approve"


def test_bad_requests(store: Store) -> None:
    test_client = client(store, "erp1")
    assert post(test_client, {"customer_id": "Z", "amount": 1})[0] == 404
    status, data = post(test_client, {"customer_id": "B", "amount": 1, "currency": "USD"})
    assert status == 400 and "EUR" in data["error"]
    assert post(test_client, {"customer_id": "A"})[0] == 400
    assert post(test_client, {"customer_id": "A", "amount": "lots"})[0] == 400
    assert post(test_client, {"customer_id": "A", "amount": -1})[0] == 400
    assert post(test_client, {"customer_id": "A", "amount": 1, "as_of": "yesterday"})[0] == 400
    assert post(test_client, "not json")[0] == 400
    assert post(test_client, [1, 2])[0] == 400


def test_each_check_is_kept_as_a_decision_that_replays(store: Store) -> None:
    from creditbridge.core.credit.order_record import replay_order_check
    from creditbridge.mappings.credit_policy import parse_policy
    from creditbridge.sync.credit_decisions import get_decision, plain_json

    status, data = post(client(store, "erp1"), {"customer_id": "A", "amount": "2700", "as_of": "2026-01-30"})
    assert status == 200, data
    found = get_decision(store.engine, int(data.pop("decision_id")))
    assert found is not None
    kept, policy_text = found
    assert (kept.kind, kept.decision, kept.customer_id, kept.decided_by) == ("order_check", "warn", "A", "POST /credit/check")
    assert kept.result["exposure"] == plain_json(data["exposure"]) and kept.result["decision"] == data["decision"]
    again = replay_order_check(parse_policy(policy_text).order_check, kept.inputs)
    assert plain_json(again.as_dict()) == kept.result
    stricter = parse_policy(policy_text.replace("warn_percent: 80", "warn_percent: 90"))
    assert replay_order_check(stricter.order_check, kept.inputs).decision == "approve", "the inputs drive the replay"


def test_checks_answered_at_the_same_time_are_all_kept(tmp_path: Path) -> None:
    """Concurrent checks each write their decision: on SQLite a read-then-write transaction that is not
    IMMEDIATE fails with "database is locked" when another commits in between (the route answered 503)."""
    from concurrent.futures import ThreadPoolExecutor

    from creditbridge.sync.credit_decisions import list_decisions

    with Store.open(f"sqlite:///{tmp_path / 'cb.db'}") as opened:
        opened.import_ledger(read_ledger(FIXTURE), source="erp1")
        test_client = client(opened, "erp1")

        def one(n: int) -> int:
            return post(test_client, {"customer_id": "A", "amount": str(100 + n), "as_of": "2026-01-30"})[0]

        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(one, range(80)))
        assert statuses == [200] * 80
        assert len(list_decisions(opened.engine, kind="order_check", limit=None)) == 80
