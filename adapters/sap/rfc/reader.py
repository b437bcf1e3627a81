"""`read_changes` for ECC over RFC: each entity rebuilt from SAP and filtered by its change day.

Where the change marks come from (stamps.py explains day granularity):
- customers: KNA1/KNB1 creation (ERDAT), customer change documents (CDHDR, class DEBI) and the
  credit account's change day (KNKK-AEDAT, it holds the group's credit account KNKLI);
- credit profiles: KNKK-ERDAT/AEDAT (FD32 and our write contract set it);
- open items, payments, write-offs: the entry day (CPUDT) of the document and of every document
  that paid or cleared it; read per customer and company code with BAPI_AR_ACC_GETOPENITEMS (open
  at today) and BAPI_AR_ACC_GETBALANCEDITEMS (cleared since settings.history_from) — SAP offers no
  change query on line items through a released BAPI — for every customer on a full load, and on
  an incremental one for the customers whose secondary indexes (BSID/BSAD) show news;
- orders: reconciled in full (those created since settings.history_from) and reported as of today,
  since a status change in VBUK moves no date in VBAK.
ECC keeps no tombstones we can read (archiving and deletion leave no trace), so READ_DELETIONS
is not offered: a record that disappears is found by the shell's full sweep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal
from typing import Any

from creditbridge.adapters.change_paging import KeptSweep, require_aware
from creditbridge.adapters.sap.codes import alpha_out, amount, dats, flag, sap_date
from creditbridge.adapters.sap.receivables import FiLine, documents
from creditbridge.adapters.sap.rfc.returns import failures
from creditbridge.adapters.sap.rfc.session import RfcSession
from creditbridge.adapters.sap.rfc.tables import in_list, rows, rows_in
from creditbridge.adapters.sap.settings import SapSettings
from creditbridge.adapters.sap.stamps import day_stamp, fingerprint, since_day, start_of_day
from creditbridge.core.model import CreditProfile, Customer, Order, OrderStatus
from creditbridge.core.money import Money
from creditbridge.core.ports import Change, ChangePage, Entity, ErpConfigError, Record

ENTITIES = (
    Entity.CUSTOMERS,
    Entity.CREDIT_PROFILES,
    Entity.OPEN_ITEMS,
    Entity.PAYMENTS,
    Entity.ORDERS,
    Entity.WRITEOFFS,
)
LINES_REUSE = 120.0
KNKK_FIELDS = ("KUNNR", "KKBER", "KLIMK", "KNKLI", "CRBLB", "CTLPC", "NXTRV", "ERDAT", "AEDAT")


@dataclass(frozen=True, slots=True)
class _Dated:
    key: str
    day: date
    record: Record
    version: str


class EccReader:
    def __init__(
        self,
        session: RfcSession,
        settings: SapSettings,
        *,
        page_size: int = 500,
        zone: tzinfo = UTC,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.session, self.settings, self.page_size, self.zone, self._clock = session, settings, page_size, zone, clock
        self._sweep = KeptSweep()
        self._areas: dict[str, str] | None = None
        self._lines: tuple[date | None, float, list[FiLine]] | None = None

    # --- the port ----------------------------------------------------------------------------------

    def read_changes(self, entity: Entity, since: datetime | None, page_token: str | None = None) -> ChangePage:
        require_aware(since)
        if entity not in ENTITIES or (entity is Entity.WRITEOFFS and not self.settings.writeoff_document_types):
            raise ValueError(f"SAP ECC has no {entity} here")
        return self._sweep.page(entity, since, page_token, self.page_size,
                                lambda: start_of_day(self._clock(), self.zone),
                                lambda _served_at: self._changes(entity, since))  # fmt: skip

    def _changes(self, entity: Entity, since: datetime | None) -> list[Change]:
        first = since_day(since, self.zone)
        build: Callable[[], list[_Dated]] = {
            Entity.CUSTOMERS: lambda: self._customers(first),
            Entity.CREDIT_PROFILES: self._profiles,
            Entity.OPEN_ITEMS: lambda: self._receivables(entity, first),
            Entity.PAYMENTS: lambda: self._receivables(entity, first),
            Entity.WRITEOFFS: lambda: self._receivables(entity, first),
            Entity.ORDERS: lambda: self._orders(first),
        }[entity]
        changes = []
        for dated in build():
            if first is not None and dated.day < first:
                continue
            stamp = day_stamp(dated.day, self.zone)
            if since is not None and stamp < since:
                stamp = since  # changed on the cursor's day, at an hour SAP does not record
            changes.append(Change(entity, dated.key, stamp, dated.record, dated.version))
        return sorted(changes, key=lambda c: (c.changed_at, c.key))

    # --- master data -------------------------------------------------------------------------------

    def _company_customers(self) -> dict[str, dict[str, str]]:
        """KNB1 of the mapped company codes: customer -> its first company code's row."""
        codes = [c.code for c in self.settings.company_codes]
        found: dict[str, dict[str, str]] = {}
        for row in sorted(rows(self.session, "KNB1", ("KUNNR", "BUKRS", "ZTERM", "ERDAT"), [in_list("BUKRS", codes)]),
                          key=lambda r: codes.index(r["BUKRS"])):  # fmt: skip
            found.setdefault(row["KUNNR"], row)
        return found

    def area_currency(self, kkber: str) -> str:
        if self._areas is None:
            self._areas = {r["KKBER"]: r["WAERS"] for r in rows(self.session, "T014", ("KKBER", "WAERS"))}
        if kkber not in self._areas:
            raise ErpConfigError(f"credit control area {kkber} does not exist in SAP (T014); check the mapping")
        return self._areas[kkber]

    def _credit_rows(self, knb1: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        areas = sorted({self.settings.company(r["BUKRS"]).credit_control_area for r in knb1.values()})
        if not areas:
            return {}
        wanted = {k: self.settings.company(r["BUKRS"]).credit_control_area for k, r in knb1.items()}
        return {
            r["KUNNR"]: r for r in rows(self.session, "KNKK", KNKK_FIELDS, [in_list("KKBER", areas)])
            if wanted.get(r["KUNNR"]) == r["KKBER"]
        }  # fmt: skip

    def profile(self, kunnr: str, company_row: dict[str, str], knkk: dict[str, str] | None) -> CreditProfile:
        area = self.settings.company(company_row["BUKRS"]).credit_control_area
        if knkk is None:
            return CreditProfile(alpha_out(kunnr), None, source_version=fingerprint(area, None))
        limit = amount(knkk["KLIMK"])
        return CreditProfile(
            customer_id=alpha_out(kunnr),
            credit_limit=None if limit == self.settings.no_limit_amount else Money(limit, self.area_currency(area)),
            on_hold=flag(knkk["CRBLB"]),
            risk_class=self.settings.risk_class(knkk["CTLPC"]),
            review_date=sap_date(knkk["NXTRV"]),
            source_version=fingerprint(area, *(knkk[f] for f in KNKK_FIELDS)),
        )

    def _profiles(self) -> list[_Dated]:
        knb1 = self._company_customers()
        knkk = self._credit_rows(knb1)
        found = []
        for kunnr, company_row in knb1.items():
            credit = knkk.get(kunnr)
            profile = self.profile(kunnr, company_row, credit)
            days = [sap_date(company_row["ERDAT"])]
            if credit is not None:
                days += [sap_date(credit["ERDAT"]), sap_date(credit["AEDAT"])]
            found.append(_Dated(profile.customer_id, _latest(days), profile, profile.source_version or ""))
        return found

    def _customers(self, first: date | None) -> list[_Dated]:
        knb1 = self._company_customers()
        kunnrs = sorted(knb1)
        kna1 = {
            r["KUNNR"]: r for r in rows_in(self.session, "KNA1", ("KUNNR", "NAME1", "STCD1", "ERDAT"), "KUNNR", kunnrs)
        }
        banks: dict[str, list[str]] = {}
        for r in rows_in(self.session, "KNBK", ("KUNNR", "BANKN"), "KUNNR", kunnrs):
            banks.setdefault(r["KUNNR"], []).append(r["BANKN"])
        knkk = self._credit_rows(knb1)
        changed: dict[str, date] = {}
        # change documents matter only to tell what changed since the cursor (a full load takes every customer)
        recent = [] if first is None else rows(self.session, "CDHDR", ("OBJECTID", "UDATE"),
                                               ["OBJECTCLAS = 'DEBI'", f"UDATE >= '{dats(first)}'"])  # fmt: skip
        for r in recent:
            day = sap_date(r["UDATE"])
            if day is not None and r["OBJECTID"] in knb1:
                changed[r["OBJECTID"]] = max(day, changed.get(r["OBJECTID"], day))
        found = []
        for kunnr in kunnrs:
            general, company_row, credit = kna1.get(kunnr), knb1[kunnr], knkk.get(kunnr)
            if general is None:
                continue
            parent = credit["KNKLI"] if credit is not None and credit["KNKLI"] not in ("", kunnr) else None
            customer = Customer(
                customer_id=alpha_out(kunnr),
                name=general["NAME1"],
                currency=self.settings.company(company_row["BUKRS"]).currency,
                parent_id=alpha_out(parent) if parent else None,
                payment_terms_days=self._terms(company_row["ZTERM"], kunnr),
                tax_id=general["STCD1"] or None,
                bank_accounts=tuple(banks.get(kunnr, ())),
            )
            days = [sap_date(general["ERDAT"]), sap_date(company_row["ERDAT"]), changed.get(kunnr)]
            if credit is not None:
                days.append(sap_date(credit["AEDAT"]))
            found.append(_Dated(customer.customer_id, _latest(days), customer, fingerprint(customer)))
        return found

    def _terms(self, zterm: str, kunnr: str) -> int | None:
        if not zterm or not self.settings.payment_terms:
            return None
        if zterm not in self.settings.payment_terms:
            raise ErpConfigError(
                f"customer {alpha_out(kunnr)} has payment terms {zterm!r}, which translations.payment_terms "
                "of the mapping does not list (add it with its net days)"
            )
        return self.settings.payment_terms[zterm]

    # --- receivables -------------------------------------------------------------------------------

    def _receivables(self, entity: Entity, first: date | None) -> list[_Dated]:
        """Line items of every customer in every mapped company code, or (incremental) of those with news.

        An incremental pull asks the secondary indexes which customers have a line entered (BSID/BSAD
        CPUDT) or cleared (BSAD AUGDT) since the cursor's day and calls the BAPIs for those only; a
        clearing entered today but dated earlier is found by the next full pull. A pull reads open items
        first: payments and write-offs of the same pull reuse its lines (for LINES_REUSE seconds) instead of
        calling the BAPIs again; what changed in between has today's day and is read by the next pull.
        """
        cached = self._lines
        if (entity is not Entity.OPEN_ITEMS and cached is not None and cached[0] == first
                and time.monotonic() - cached[1] < LINES_REUSE):  # fmt: skip
            lines = cached[2]
        else:
            lines = self._fetch_lines(first)
            self._lines = (first, time.monotonic(), lines)
        found_items, found_payments, found_writeoffs = documents(lines, self.settings)
        chosen = {Entity.OPEN_ITEMS: found_items, Entity.PAYMENTS: found_payments}.get(entity, found_writeoffs)
        return [_Dated(d.key, d.day, d.record, d.version) for d in chosen]

    def _fetch_lines(self, first: date | None) -> list[FiLine]:
        today = self._clock().astimezone(self.zone).date()
        codes = [c.code for c in self.settings.company_codes]
        pairs = {
            (r["BUKRS"], r["KUNNR"]) for r in rows(self.session, "KNB1", ("KUNNR", "BUKRS"), [in_list("BUKRS", codes)])
        }
        if first is not None:
            pairs &= self._customers_with_news(codes, first)
        lines: list[FiLine] = []
        for bukrs, kunnr in sorted(pairs):
            params = {"COMPANYCODE": bukrs, "CUSTOMER": kunnr}
            for function, extra in (
                ("BAPI_AR_ACC_GETOPENITEMS", {"KEYDATE": dats(today)}),
                (
                    "BAPI_AR_ACC_GETBALANCEDITEMS",
                    {"DATE_FROM": dats(self.settings.history_from), "DATE_TO": dats(today)},
                ),
            ):
                answer = self.session.call(function, **params, **extra)
                problems = failures(answer)
                if problems:
                    raise ErpConfigError(f"{function} for customer {alpha_out(kunnr)}: {problems[0]}")
                lines += [fi_line(row) for row in answer.get("LINEITEMS") or []]
        return lines

    def _customers_with_news(self, codes: list[str], first: date) -> set[tuple[str, str]]:
        day = f"'{dats(first)}'"
        found: set[tuple[str, str]] = set()
        for table, field in (("BSID", "CPUDT"), ("BSAD", "CPUDT"), ("BSAD", "AUGDT")):
            for r in rows(self.session, table, ("BUKRS", "KUNNR"), [in_list("BUKRS", codes), f"{field} >= {day}"]):
                found.add((r["BUKRS"], r["KUNNR"]))
        return found

    # --- orders ------------------------------------------------------------------------------------

    def _orders(self, first: date | None) -> list[_Dated]:
        """VBAK since settings.history_from, all reported as of today: a status change (VBUK, by a delivery or
        billing document) moves no date in VBAK, so orders are reconciled in full on every pull."""
        knb1 = self._company_customers()
        where = [f"ERDAT >= '{dats(self.settings.history_from)}'"]
        if self.settings.sales_organization:
            where.append(f"VKORG = '{self.settings.sales_organization}'")
        fields = ("VBELN", "KUNNR", "AUDAT", "ERDAT", "AEDAT", "NETWR", "WAERK")
        vbak = [r for r in rows(self.session, "VBAK", fields, where) if r["KUNNR"] in knb1]
        today = self._clock().astimezone(self.zone).date()
        status = {
            r["VBELN"]: r for r in rows_in(self.session, "VBUK", ("VBELN", "GBSTK", "ABSTK", "CMGST"), "VBELN",
                                           [r["VBELN"] for r in vbak])
        }  # fmt: skip
        found = []
        for r in vbak:
            s = status.get(r["VBELN"], {"GBSTK": "", "ABSTK": "", "CMGST": ""})
            order = Order(
                order_number=alpha_out(r["VBELN"]),
                customer_id=alpha_out(r["KUNNR"]),
                order_date=sap_date(r["AUDAT"]) or date.min,
                amount=Money(amount(r["NETWR"]), r["WAERK"]),
                status=self._order_status(s),
            )
            found.append(_Dated(order.order_number, today, order, fingerprint(order, s["CMGST"])))
        return found

    def _order_status(self, status: dict[str, str]) -> OrderStatus:
        if status["ABSTK"] == "C":
            return OrderStatus.CANCELLED
        if self.settings.order_statuses and status["GBSTK"] in self.settings.order_statuses:
            return self.settings.order_statuses[status["GBSTK"]]
        return OrderStatus.CLOSED if status["GBSTK"] == "C" else OrderStatus.OPEN


def _latest(days: list[date | None]) -> date:
    return max((d for d in days if d is not None), default=date(1900, 1, 1))


def _number(value: Any) -> int:
    return int(amount(value)) if value not in (None, "") else 0


def fi_line(row: dict[str, Any]) -> FiLine:
    """A BAPI3007_2 row (LINEITEMS) as a FiLine."""
    net, second, first = _number(row.get("NETTERMS")), _number(row.get("DSCT_DAYS2")), _number(row.get("DSCT_DAYS1"))
    percent = amount(row.get("DSCT_PCT1"))
    posted = sap_date(row["PSTNG_DATE"]) or date.min
    return FiLine(
        company_code=str(row["COMP_CODE"]),
        customer=alpha_out(str(row["CUSTOMER"])),
        fiscal_year=str(row["FISC_YEAR"]),
        document=alpha_out(str(row["DOC_NO"])),
        item=str(row["ITEM_NUM"]),
        doc_type=str(row["DOC_TYPE"]),
        debit=str(row["DB_CR_IND"]) == "S",
        amount=abs(amount(row["AMT_DOCCUR"])),
        currency=str(row["CURRENCY"]),
        posting_date=posted,
        document_date=sap_date(row["DOC_DATE"]) or posted,
        entry_date=sap_date(row.get("ENTRY_DATE")) or posted,
        baseline_date=sap_date(row.get("BLINE_DATE")),
        net_days=net or second or first,
        discount_days=first if percent else 0,
        discount_percent=percent if percent else Decimal(0),
        assignment=str(row.get("ALLOC_NMBR") or "").strip(),
        reference=str(row.get("REF_DOC_NO") or "").strip(),
        clearing_document=alpha_out(str(row.get("CLR_DOC_NO") or ""))
        if str(row.get("CLR_DOC_NO") or "").strip()
        else "",
        clearing_date=sap_date(row.get("CLEAR_DATE")),
        invoice_ref=alpha_out(str(row.get("INV_REF") or "")) if str(row.get("INV_REF") or "").strip() else "",
        invoice_ref_year=str(row.get("INV_YEAR") or "").strip(),
    )
