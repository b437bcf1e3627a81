"""A core `Ledger` written into the simulator's EBS tables, as EBS would hold it.

Customers become a party, an account (ACCOUNT_NUMBER = the customer id), a bill-to site in the
operating unit, an account-level profile (CREDIT_HOLD, RISK_CODE, STANDARD_TERMS → RA_TERMS_LINES
with the due days) and one amounts row in the customer's currency (OVERALL_CREDIT_LIMIT, NULL
when the customer has no limit); a parent becomes an HZ_CUST_ACCT_RELATE_ALL row. Items become a
transaction and one payment schedule (TRX_NUMBER = the item id; status OP/CL by the open amount);
payments a CASH receipt, its PMT schedule (negative) and APP rows per application plus an UNAPP
row for the rest; orders a header and one line (cancelled orders: the line cancelled, quantity 0,
as Order Management keeps them). Write-offs (AR adjustments) are not held: the items' open
amounts already show them. Every row is stamped `stamp`.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from decimal import Decimal

from creditbridge.core.model import Ledger, OrderStatus

STAMP = "%Y-%m-%d %H:%M:%S"
FLOW_STATUS = {OrderStatus.OPEN: "BOOKED", OrderStatus.CLOSED: "CLOSED", OrderStatus.CANCELLED: "CANCELLED"}


def _d(value: date | datetime) -> str:
    return value.strftime(STAMP) if isinstance(value, datetime) else f"{value.isoformat()} 00:00:00"


def _n(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def seed_ledger(db: sqlite3.Connection, ledger: Ledger, *, org_id: int, stamp: datetime, start_id: int = 1000) -> None:
    now = stamp.strftime(STAMP)
    ids: dict[str, int] = {}
    profiles = {p.customer_id: p for p in ledger.profiles}
    terms = sorted({c.payment_terms_days for c in ledger.customers if c.payment_terms_days is not None})
    db.executemany("INSERT INTO RA_TERMS_LINES (TERM_ID, SEQUENCE_NUM, DUE_DAYS, RELATIVE_AMOUNT) "
                   "VALUES (?, 1, ?, '100')", [(5000 + days, days) for days in terms])  # fmt: skip
    parties, accounts, sites, uses, profs, amounts, relations = [], [], [], [], [], [], []
    for n, c in enumerate(ledger.customers, start=start_id):
        ids[c.customer_id] = n
        profile = profiles.get(c.customer_id)
        parties.append((n, str(n), c.name, "ORGANIZATION", "A", c.tax_id, 1, now))
        accounts.append((n, n, c.customer_id, c.name, "A", 1, now))
        sites.append((n, n, org_id, "A", now))
        uses.append((n, n, "BILL_TO", "Y", "A", org_id, now))
        profs.append((n, n, n, 0, "A", "Y", "Y" if profile and profile.on_hold else "N",
                      profile.risk_class if profile else None,
                      None if c.payment_terms_days is None else 5000 + c.payment_terms_days,
                      _d(profile.review_date) if profile and profile.review_date else None, 1, now))  # fmt: skip
        limit = profile.credit_limit if profile else None
        currency = limit.currency if limit is not None else c.currency
        amounts.append((n, n, n, currency, _n(None if limit is None else limit.amount), 1, "TCA_V2_API", now))
    for c in ledger.customers:
        if c.parent_id is not None and c.parent_id in ids:
            relations.append((ids[c.customer_id], ids[c.customer_id], ids[c.parent_id], "ALL", "A", org_id, now))
    db.executemany(
        "INSERT INTO HZ_PARTIES (PARTY_ID, PARTY_NUMBER, PARTY_NAME, PARTY_TYPE, STATUS, JGZZ_FISCAL_CODE, "
        "OBJECT_VERSION_NUMBER, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        parties,
    )
    db.executemany(
        "INSERT INTO HZ_CUST_ACCOUNTS (CUST_ACCOUNT_ID, PARTY_ID, ACCOUNT_NUMBER, ACCOUNT_NAME, STATUS, "
        "OBJECT_VERSION_NUMBER, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?)",
        accounts,
    )
    db.executemany(
        "INSERT INTO HZ_CUST_ACCT_SITES_ALL (CUST_ACCT_SITE_ID, CUST_ACCOUNT_ID, ORG_ID, STATUS, "
        "LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?)",
        sites,
    )
    db.executemany(
        "INSERT INTO HZ_CUST_SITE_USES_ALL (SITE_USE_ID, CUST_ACCT_SITE_ID, SITE_USE_CODE, PRIMARY_FLAG, "
        "STATUS, ORG_ID, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?)",
        uses,
    )
    db.executemany(
        "INSERT INTO HZ_CUSTOMER_PROFILES (CUST_ACCOUNT_PROFILE_ID, CUST_ACCOUNT_ID, PARTY_ID, "
        "PROFILE_CLASS_ID, STATUS, CREDIT_CHECKING, CREDIT_HOLD, RISK_CODE, STANDARD_TERMS, "
        "NEXT_CREDIT_REVIEW_DATE, OBJECT_VERSION_NUMBER, LAST_UPDATE_DATE) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        profs,
    )
    db.executemany(
        "INSERT INTO HZ_CUST_PROFILE_AMTS (CUST_ACCT_PROFILE_AMT_ID, CUST_ACCOUNT_PROFILE_ID, "
        "CUST_ACCOUNT_ID, CURRENCY_CODE, OVERALL_CREDIT_LIMIT, OBJECT_VERSION_NUMBER, CREATED_BY_MODULE, "
        "LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        amounts,
    )
    db.executemany(
        "INSERT INTO HZ_CUST_ACCT_RELATE_ALL (CUST_ACCT_RELATE_ID, CUST_ACCOUNT_ID, RELATED_CUST_ACCOUNT_ID, "
        "RELATIONSHIP_TYPE, STATUS, ORG_ID, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?)",
        relations,
    )

    schedules: dict[str, int] = {}
    trx, ps = [], []
    for n, item in enumerate(ledger.items, start=start_id):
        schedules[item.item_id] = n
        account = ids[item.customer_id]
        open_amount = item.open_amount.amount
        trx.append((n, item.item_id, _d(item.invoice_date), account, item.amount.currency, item.po_number, "Y",
                    org_id, now))  # fmt: skip
        ps.append((n, n, account, item.item_id, _d(item.invoice_date), _d(item.due_date), item.doc_type.value,
                   "CL" if open_amount == 0 else "OP", _n(item.amount.amount), _n(open_amount),
                   _n(item.amount.amount - open_amount), item.amount.currency, 1, 1, org_id, now))  # fmt: skip
    db.executemany(
        "INSERT INTO RA_CUSTOMER_TRX_ALL (CUSTOMER_TRX_ID, TRX_NUMBER, TRX_DATE, BILL_TO_CUSTOMER_ID, "
        "INVOICE_CURRENCY_CODE, PURCHASE_ORDER, COMPLETE_FLAG, ORG_ID, LAST_UPDATE_DATE) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        trx,
    )
    db.executemany(
        "INSERT INTO AR_PAYMENT_SCHEDULES_ALL (PAYMENT_SCHEDULE_ID, CUSTOMER_TRX_ID, CUSTOMER_ID, TRX_NUMBER, "
        "TRX_DATE, DUE_DATE, CLASS, STATUS, AMOUNT_DUE_ORIGINAL, AMOUNT_DUE_REMAINING, AMOUNT_APPLIED, "
        "INVOICE_CURRENCY_CODE, TERMS_SEQUENCE_NUMBER, NUMBER_OF_DUE_DATES, ORG_ID, LAST_UPDATE_DATE) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        ps,
    )

    receipts: list[tuple[object, ...]] = []
    receipt_ps: list[tuple[object, ...]] = []
    apps: list[tuple[object, ...]] = []
    next_ps = start_id + len(ledger.items)
    next_app = start_id
    for n, p in enumerate(ledger.payments, start=start_id):
        applied = sum((a.amount.amount for a in p.applications), Decimal(0))
        unapplied = p.amount.amount - applied
        receipts.append((n, p.payment_id, _d(p.payment_date), _n(p.amount.amount), p.amount.currency,
                         ids[p.customer_id], "CASH", "APP" if unapplied == 0 else "UNAPP", p.reference, org_id,
                         now))  # fmt: skip
        receipt_ps.append((next_ps, n, ids[p.customer_id], p.payment_id, _d(p.payment_date), _d(p.payment_date), "PMT",
                           "CL" if unapplied == 0 else "OP", _n(-p.amount.amount), _n(-unapplied), _n(-applied),
                           p.amount.currency, org_id, now))  # fmt: skip
        for a in p.applications:
            target = schedules[a.item_id]
            apps.append((next_app, n, next_ps, target, target, _n(a.amount.amount), "APP", "CASH", "Y",
                         _d(a.applied_on), org_id, now))  # fmt: skip
            next_app += 1
        if unapplied:
            apps.append((next_app, n, next_ps, None, None, _n(unapplied), "UNAPP", "CASH", "N", _d(p.payment_date),
                         org_id, now))  # fmt: skip
            next_app += 1
        next_ps += 1
    db.executemany(
        "INSERT INTO AR_CASH_RECEIPTS_ALL (CASH_RECEIPT_ID, RECEIPT_NUMBER, RECEIPT_DATE, AMOUNT, "
        "CURRENCY_CODE, PAY_FROM_CUSTOMER, TYPE, STATUS, COMMENTS, ORG_ID, LAST_UPDATE_DATE) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        receipts,
    )
    db.executemany("INSERT INTO AR_PAYMENT_SCHEDULES_ALL (PAYMENT_SCHEDULE_ID, CASH_RECEIPT_ID, CUSTOMER_ID, "
                   "TRX_NUMBER, TRX_DATE, DUE_DATE, CLASS, STATUS, AMOUNT_DUE_ORIGINAL, AMOUNT_DUE_REMAINING, "
                   "AMOUNT_APPLIED, INVOICE_CURRENCY_CODE, ORG_ID, LAST_UPDATE_DATE) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   receipt_ps)  # fmt: skip
    db.executemany(
        "INSERT INTO AR_RECEIVABLE_APPLICATIONS_ALL (RECEIVABLE_APPLICATION_ID, CASH_RECEIPT_ID, "
        "PAYMENT_SCHEDULE_ID, APPLIED_PAYMENT_SCHEDULE_ID, APPLIED_CUSTOMER_TRX_ID, AMOUNT_APPLIED, STATUS, "
        "APPLICATION_TYPE, DISPLAY, APPLY_DATE, ORG_ID, LAST_UPDATE_DATE) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        apps,
    )

    headers, lines = [], []
    for n, o in enumerate(ledger.orders, start=start_id):
        cancelled = o.status is OrderStatus.CANCELLED
        headers.append((n, o.order_number, ids[o.customer_id], _d(o.order_date), o.amount.currency,
                        FLOW_STATUS[o.status], org_id, now))  # fmt: skip
        lines.append((n, n, "0" if cancelled else "1", _n(o.amount.amount), "Y" if cancelled else "N", org_id, now))
    db.executemany("INSERT INTO OE_ORDER_HEADERS_ALL (HEADER_ID, ORDER_NUMBER, SOLD_TO_ORG_ID, ORDERED_DATE, "
                   "TRANSACTIONAL_CURR_CODE, FLOW_STATUS_CODE, ORG_ID, LAST_UPDATE_DATE) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   headers)  # fmt: skip
    db.executemany(
        "INSERT INTO OE_ORDER_LINES_ALL (LINE_ID, HEADER_ID, ORDERED_QUANTITY, UNIT_SELLING_PRICE, "
        "CANCELLED_FLAG, ORG_ID, LAST_UPDATE_DATE) VALUES (?, ?, ?, ?, ?, ?, ?)",
        lines,
    )
