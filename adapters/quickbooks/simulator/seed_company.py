"""A realistic, deterministic QuickBooks company for a seed: customers (some sub-customers, some
inactive), terms, a year of invoices with due dates, credit memos, payments linked to invoices and a few
open estimates. Timestamps lie before the simulator clock's start, spread over the year."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from creditbridge.adapters.quickbooks.simulator.clock import PACIFIC, qbo_timestamp
from creditbridge.adapters.quickbooks.simulator.state import CompanyState

TERMS = (("Due on receipt", 0), ("Net 15", 15), ("Net 30", 30), ("Net 60", 60))
_FIRST = ("Amy", "Bill", "Carla", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Luis")
_LAST = ("Lauterbach", "Lucchini", "Okafor", "Nakamura", "Silva", "Novak", "Haddad", "Brennan", "Ito", "Moreau")
_TRADE = ("Bird Sanctuary", "Windsurf Shop", "Diner", "Landscaping", "Bakery", "Consulting", "Garage", "Pharmacy",
          "Print Works", "Cycles", "Dental", "Hardware", "Florist", "Brewing", "Law Office", "Books")
_JOBS = ("Remodel", "Warehouse fit-out", "Spring campaign", "Maintenance contract")


def _meta(moment: datetime) -> dict[str, str]:
    return {"CreateTime": qbo_timestamp(moment), "LastUpdatedTime": qbo_timestamp(moment)}


def _at(day: datetime, rng: random.Random) -> datetime:
    local = datetime.combine(day.date(), time(8 + rng.randrange(9), rng.randrange(60), rng.randrange(60)), PACIFIC)
    return local


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randrange(low * 100, high * 100)) / 100).quantize(Decimal("0.01"))


def seed_company(state: CompanyState, *, seed: int, customers: int, start: datetime) -> None:
    """Fill `state` with the company for `seed`; the year of history ends the day before `start`."""
    rng = random.Random(seed)
    year_ago = start - timedelta(days=365)

    def put(entity: str, obj: dict[str, Any], moment: datetime) -> dict[str, Any]:
        obj = {"domain": "QBO", "sparse": False, "Id": state.new_id(entity), "SyncToken": "0", **obj,
               "MetaData": _meta(moment)}
        state.insert_seeded(entity, obj)
        return obj

    for name, days in TERMS:
        put("Term", {"Name": name, "Active": True, "Type": "STANDARD", "DueDays": days}, year_ago - timedelta(days=30))
    put("Item", {"Name": "Services", "Active": True, "Type": "Service", "UnitPrice": Decimal("0")},
        year_ago - timedelta(days=30))

    made: list[dict[str, Any]] = []
    used: set[str] = set()
    for index in range(customers):
        given, family = rng.choice(_FIRST), rng.choice(_LAST)
        created = _at(year_ago - timedelta(days=rng.randrange(1, 200)), rng)
        term_id = str(rng.choice((1, 2, 3, 3, 3, 4)))
        parent = made[rng.randrange(len(made))] if made and index % 6 == 5 else None
        if parent is not None and parent.get("ParentRef") is None:
            display = f"{rng.choice(_JOBS)} {index + 1}"
            obj: dict[str, Any] = {
                "DisplayName": display, "CompanyName": parent["CompanyName"], "Active": True, "Job": True,
                "BillWithParent": True, "ParentRef": {"value": parent["Id"]}, "Level": 1,
                "FullyQualifiedName": f"{parent['DisplayName']}:{display}", "SalesTermRef": parent["SalesTermRef"],
            }
        else:
            company = f"{family}'s {rng.choice(_TRADE)}"
            while company in used:
                company = f"{company} {len(used)}"
            obj = {
                "GivenName": given, "FamilyName": family, "CompanyName": company, "DisplayName": company,
                "PrintOnCheckName": company, "FullyQualifiedName": company, "Active": True, "Job": False,
                "BillWithParent": False, "PreferredDeliveryMethod": rng.choice(("Print", "Email", "None")),
                "PrimaryEmailAddr": {"Address": f"{given.lower()}.{family.lower()}{index}@example.com"},
                "PrimaryPhone": {"FreeFormNumber": f"(650) 555-{1000 + rng.randrange(9000)}"},
                "BillAddr": {"Id": str(100 + index), "Line1": f"{rng.randrange(1, 9999)} Main St.", "City": "Bayshore",
                             "CountrySubDivisionCode": "CA", "PostalCode": "94326"},
                "SalesTermRef": {"value": term_id}, "Taxable": False,
                "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            }
            if rng.random() < 0.3:
                obj["Notes"] = "Prefers statements by email."
        used.add(obj["DisplayName"])
        made.append(put("Customer", obj, created))

    # transactions, in date order so ids grow with time (like a real company)
    events: list[tuple[datetime, str, dict[str, Any]]] = []
    for cust in made:
        for _ in range(rng.randrange(2, 8)):
            day = start - timedelta(days=rng.randrange(1, 365))
            events.append((day, "Invoice", cust))
        if rng.random() < 0.3:
            events.append((start - timedelta(days=rng.randrange(1, 365)), "CreditMemo", cust))
        if rng.random() < 0.2:
            events.append((start - timedelta(days=rng.randrange(1, 45)), "Estimate", cust))
    events.sort(key=lambda e: (e[0], e[1], e[2]["Id"]))

    term_days = {str(i + 1): d for i, (_, d) in enumerate(TERMS)}
    open_invoices: list[dict[str, Any]] = []
    for day, kind, cust in events:
        moment = _at(day, rng)
        ref = {"value": cust["Id"], "name": cust["DisplayName"]}
        amount = _money(rng, 80, 6000) if kind != "CreditMemo" else _money(rng, 20, 400)
        line = {"Id": "1", "LineNum": 1, "Amount": amount, "DetailType": "SalesItemLineDetail",
                "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}, "TaxCodeRef": {"value": "NON"}}}
        body: dict[str, Any] = {
            "DocNumber": state.next_doc_number(), "TxnDate": day.date().isoformat(), "CustomerRef": ref,
            "Line": [line, {"DetailType": "SubTotalLineDetail", "Amount": amount, "SubTotalLineDetail": {}}],
            "TotalAmt": amount, "CurrencyRef": {"value": "USD", "name": "United States Dollar"},
            "TxnTaxDetail": {"TotalTax": Decimal("0")},
        }
        if kind == "Invoice":
            days = term_days.get(cust.get("SalesTermRef", {}).get("value", "3"), 30)
            body.update({"DueDate": (day + timedelta(days=days)).date().isoformat(), "Balance": amount,
                         "Deposit": Decimal("0"), "LinkedTxn": [], "EmailStatus": "NotSet",
                         "PrintStatus": "NeedToPrint", "SalesTermRef": cust.get("SalesTermRef", {"value": "3"})})
            open_invoices.append(put("Invoice", body, moment))
        elif kind == "CreditMemo":
            body.update({"Balance": amount, "RemainingCredit": amount})
            put("CreditMemo", body, moment)
        else:
            body.update({"TxnStatus": "Pending", "ExpirationDate": (day + timedelta(days=30)).date().isoformat()})
            put("Estimate", body, moment)
        # customers pay older invoices: most in full, some partly, some not at all
        due = [inv for inv in open_invoices
               if datetime.fromisoformat(inv["DueDate"]).date() <= day.date() and rng.random() < 0.2]
        for inv in due[:2]:
            share = rng.random()
            paid = inv["TotalAmt"] if share < 0.8 else (inv["TotalAmt"] * Decimal("0.5")).quantize(Decimal("0.01"))
            put("Payment", {
                "TxnDate": day.date().isoformat(), "CustomerRef": dict(inv["CustomerRef"]), "TotalAmt": paid,
                "DepositToAccountRef": {"value": "4"}, "ProcessPayment": False, "UnappliedAmt": Decimal("0"),
                "Line": [{"Amount": paid, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
                "PaymentRefNum": str(5000 + rng.randrange(5000)),
            }, _at(day, rng))
            open_invoices.remove(inv)
            # the payment touched the invoice: its LastUpdatedTime moves on
            inv["MetaData"] = {**inv["MetaData"], "LastUpdatedTime": qbo_timestamp(_at(day, rng))}
    for index, cust in enumerate(made):  # a few customers were made inactive
        if index % 7 == 3 and cust.get("ParentRef") is None:
            cust["Active"] = False
    state.derive_all()
