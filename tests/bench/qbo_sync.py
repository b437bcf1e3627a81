"""Benchmark (not in CI): a full QuickBooks pull and a cash-application push against the simulator over HTTP.

Reports API calls per 1,000 records against the minimum QuickBooks allows (1 query per 1,000
rows read, 1 batch per 30 writes) and wall time, as a markdown table.

    .venv/bin/python tests/bench/qbo_sync.py --customers 500
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import date
from decimal import Decimal

from creditbridge.adapters.quickbooks.client import QuickBooksClient
from creditbridge.adapters.quickbooks.erp import QuickBooksErp
from creditbridge.adapters.quickbooks.ratelimit import RateLimiter
from creditbridge.adapters.quickbooks.reader import QuickBooksChangeReader
from creditbridge.adapters.quickbooks.simulator import QuickBooksSimulator
from creditbridge.adapters.quickbooks.tokens import TokenEndpoint, TokenManager
from creditbridge.core.money import Money
from creditbridge.core.ports import CashApplicationPosting, Entity


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--postings", type=int, default=300)
    args = parser.parse_args()
    sim = QuickBooksSimulator(seed=7, customers=args.customers, rate_limits=False)
    rows = ["| step | records | API calls | minimum | calls per 1,000 records | wall s |", "|---|---|---|---|---|---|"]
    with sim.serve(port=0) as running:
        stored = [sim.refresh_token]
        endpoint = TokenEndpoint(f"{running.base_url}/oauth2/v1/tokens/bearer", sim.client_id, sim.client_secret)
        tokens = TokenManager(endpoint, lambda: stored[-1], stored.append)
        client = QuickBooksClient(sim.realm_id, tokens, base_url=running.base_url, limiter=RateLimiter())
        erp = QuickBooksErp(client)
        erp.reader = QuickBooksChangeReader(client, erp.storage, clock=sim.now)
        for entity, kinds in (
            (Entity.CUSTOMERS, ("Customer",)),
            (Entity.OPEN_ITEMS, ("Invoice", "CreditMemo")),
            (Entity.PAYMENTS, ("Payment",)),
        ):
            before, started, n, token = client.calls, time.perf_counter(), 0, None
            while True:
                page = erp.read_changes(entity, None, token)
                n += len(page.changes)
                token = page.next_page_token
                if token is None:
                    break
            calls = client.calls - before
            minimum = sum(max(1, math.ceil(len(sim.entities(k)) / 1000)) for k in kinds)
            rows.append(_row(f"pull {entity}", n, calls, minimum, time.perf_counter() - started))
        active = {cid for cid, c in sim.entities("Customer").items() if c.get("Active", True)}
        invoices = [
            i for i in sim.entities("Invoice").values() if i["CustomerRef"]["value"] in active and i.get("Balance")
        ]
        one = Money(Decimal("0.01"), "USD")
        postings = [
            CashApplicationPosting(
                f"bench-{n}", inv["CustomerRef"]["value"], date(2026, 1, 5), one, None, ((inv["Id"], one),)
            )
            for n, inv in ((n, invoices[n % len(invoices)]) for n in range(args.postings))
        ]
        before, started = client.calls, time.perf_counter()
        results = erp.post_cash_applications(postings)
        applied = sum(r.outcome.value == "applied" for r in results)
        rows.append(
            _row(f"post payments ({applied} applied)", len(postings), client.calls - before,
                 math.ceil(len(postings) / 30), time.perf_counter() - started)
        )  # fmt: skip
    print("\n".join(rows))


def _row(step: str, records: int, calls: int, minimum: int, seconds: float) -> str:
    per_k = calls * 1000 / records if records else float("nan")
    return f"| {step} | {records} | {calls} | {minimum} | {per_k:.1f} | {seconds:.2f} |"


if __name__ == "__main__":
    main()
