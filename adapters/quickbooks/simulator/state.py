"""The company's books as QuickBooks Online keeps them: entities, SyncTokens, tombstones, derived balances.

Money rules (as QBO applies them):
- Invoice.Balance = TotalAmt - sum of Payment line amounts linked to the invoice.
- CreditMemo.RemainingCredit (= Balance) = TotalAmt - sum of Payment line amounts linked to the memo.
- Payment.UnappliedAmt = TotalAmt - sum(lines linked to invoices) + sum(lines linked to credit memos);
  so a $0 Payment with one invoice line and one credit-memo line of equal amounts applies the credit.
- Any of these going below zero is over-application: business validation fault 6000, nothing is saved.
- Customer.Balance = its open invoices - remaining credits - unapplied payments; BalanceWithJobs adds
  the sub-customers. Derived fields are recomputed after every write and cannot be written.
Every write stamps MetaData.LastUpdatedTime from the simulator clock and increments SyncToken; an
update must carry the current SyncToken (else 5010). Invoices and credit memos whose balance changes
because of a payment are re-stamped too, so change data capture reports them.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from creditbridge.adapters.quickbooks.simulator import faults
from creditbridge.adapters.quickbooks.simulator.clock import SimClock, parse_instant, qbo_timestamp

NAME_LISTS = ("Customer", "Term", "Item")
TRANSACTIONS = ("Invoice", "CreditMemo", "Payment", "Estimate")
ENTITIES = NAME_LISTS + TRANSACTIONS
ENTITY_BY_PATH = {name.lower(): name for name in ENTITIES}

READ_ONLY = frozenset({"Id", "SyncToken", "MetaData", "domain", "sparse", "status"})
DERIVED: dict[str, frozenset[str]] = {
    "Customer": frozenset({"Balance", "BalanceWithJobs", "FullyQualifiedName", "Level", "Job"}),
    "Invoice": frozenset({"Balance", "TotalAmt", "HomeBalance"}),
    "CreditMemo": frozenset({"Balance", "RemainingCredit", "TotalAmt"}),
    "Payment": frozenset({"UnappliedAmt"}),
    "Estimate": frozenset({"TotalAmt"}),
    "Term": frozenset(),
    "Item": frozenset(),
}
# Desktop-only (QBW) Customer fields: QuickBooks Online has no such field, they are dropped.
QBW_ONLY_CUSTOMER_FIELDS = frozenset({"CreditLimit", "OverDueBalance", "TotalRevenue", "AcctNum", "SalesRepRef",
                                      "PriceLevelRef"})
NOTES_MAX = 2000
ZERO = Decimal("0")
_MONEY_INPUTS = ("Line", "TotalAmt", "CustomerRef", "ParentRef")  # fields whose change moves a derived balance

CUSTOM_FIELD_DEFINITIONS = (
    {"DefinitionId": "1001", "Name": "Credit Limit", "Type": "NumberType"},
    {"DefinitionId": "1002", "Name": "Credit Hold", "Type": "StringType"},
)


def id_order(entity_id: str) -> tuple[int, int, str]:
    """Numeric Ids in number order, then given (non-numeric) Ids of a loaded ledger by text."""
    return (0, int(entity_id), "") if entity_id.isdigit() else (1, 0, entity_id)


def money(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


class CompanyState:
    """All objects of one realm; not thread-safe on its own (the simulator holds a lock around it)."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self.tombstones: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITIES}
        self._next_id: dict[str, int] = defaultdict(lambda: 1)
        self._next_doc_number = 1001
        self.revision = 0  # bumped by every change of state (tells a replayed/failed write from an applied one)
        # balance reductions that no Payment explains (a loaded ledger's write-offs), by (entity, Id)
        self.adjustments: dict[tuple[str, str], Decimal] = {}

    # -- ids, stamps -------------------------------------------------------------------------------

    def new_id(self, entity: str) -> str:
        value = self._next_id[entity]
        self._next_id[entity] = value + 1
        return str(value)

    def next_doc_number(self) -> str:
        value = self._next_doc_number
        self._next_doc_number += 1
        return str(value)

    @staticmethod
    def _stamp(obj: dict[str, Any], moment: datetime, *, created: bool) -> None:
        text = qbo_timestamp(moment)
        meta = dict(obj.get("MetaData") or {})
        if created or "CreateTime" not in meta:
            meta["CreateTime"] = text
        meta["LastUpdatedTime"] = text
        obj["MetaData"] = meta

    # -- reads -------------------------------------------------------------------------------------

    def get(self, entity: str, entity_id: str) -> dict[str, Any]:
        obj = self.objects[entity].get(entity_id)
        if obj is None:
            raise faults.QboFault(400, "610", "Object Not Found",
                                  f"Object Not Found : Something you're trying to use has been made inactive. "
                                  f"Check the fields with accounts, customers, items, vendors or employees. "
                                  f"({entity} {entity_id})")
        return obj

    def changed_since(self, entity: str, since: datetime) -> list[dict[str, Any]]:
        """Current objects and tombstones last changed at or after `since`, oldest change first."""
        rows = [o for o in self.objects[entity].values()
                if parse_instant(o["MetaData"]["LastUpdatedTime"]) >= since]
        rows += [t for t in self.tombstones[entity].values()
                 if parse_instant(t["MetaData"]["LastUpdatedTime"]) >= since]
        rows.sort(key=lambda o: (parse_instant(o["MetaData"]["LastUpdatedTime"]), id_order(str(o["Id"]))))
        return rows

    # -- writes ------------------------------------------------------------------------------------

    def create(self, entity: str, body: dict[str, Any], *, custom_fields: bool) -> dict[str, Any]:
        obj = {k: v for k, v in body.items() if k not in READ_ONLY and k not in DERIVED[entity]}
        obj = self._validate(entity, obj, None, custom_fields=custom_fields)
        obj.update({"domain": "QBO", "sparse": False, "Id": self.new_id(entity), "SyncToken": "0"})
        self._stamp(obj, self.clock.write_time(), created=True)
        self._commit(entity, obj, None)
        return obj

    def update(self, entity: str, body: dict[str, Any], *, custom_fields: bool) -> dict[str, Any]:
        entity_id = str(body.get("Id", ""))
        if "SyncToken" not in body:
            raise faults.required_param("SyncToken")
        old = self.get(entity, entity_id)
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise faults.stale_object()
        writable = {k: v for k, v in body.items() if k not in READ_ONLY and k not in DERIVED[entity]}
        if body.get("sparse") is True:
            new = {**copy.deepcopy(old), **writable}
        else:  # full update: omitted writable fields become null (absent), QBO defaults apply
            kept = {k: v for k, v in old.items() if k in READ_ONLY or k in DERIVED[entity]}
            new = {**kept, **writable}
            if entity in NAME_LISTS and "Active" not in new:
                new["Active"] = True
            if entity == "Customer" and not custom_fields and "CustomField" in old:
                new["CustomField"] = old["CustomField"]  # invisible without the include: not nulled
        new = self._validate(entity, new, old, custom_fields=custom_fields)
        new["SyncToken"] = str(int(old["SyncToken"]) + 1)
        new["sparse"] = False
        self._stamp(new, self.clock.write_time(), created=False)
        self._commit(entity, new, old)
        return new

    def delete(self, entity: str, body: dict[str, Any]) -> dict[str, Any]:
        if entity not in TRANSACTIONS:
            raise faults.unsupported(f"Operation Delete is not supported for {entity}: make it inactive instead.")
        entity_id = str(body.get("Id", ""))
        if "SyncToken" not in body:
            raise faults.required_param("SyncToken")
        old = self.get(entity, entity_id)
        if str(body["SyncToken"]) != old["SyncToken"]:
            raise faults.stale_object()
        self.remove(entity, entity_id)
        return {"status": "Deleted", "domain": "QBO", "Id": entity_id}

    def remove(self, entity: str, entity_id: str) -> None:
        """Delete a transaction, leave a CDC tombstone and recompute balances."""
        old = self.objects[entity].pop(entity_id)
        self.revision += 1
        try:
            self._apply_derived(skip=None)
        except faults.QboFault:
            self.objects[entity][entity_id] = old
            raise
        tomb: dict[str, Any] = {"domain": "QBO", "status": "Deleted", "Id": entity_id}
        self._stamp(tomb, self.clock.write_time(), created=False)
        tomb["MetaData"] = {"LastUpdatedTime": tomb["MetaData"]["LastUpdatedTime"]}
        self.tombstones[entity][entity_id] = tomb

    def human_edit(self, entity: str, entity_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Someone edits in the QuickBooks UI: no validation beyond derived fields, SyncToken bumps."""
        old = self.get(entity, entity_id)
        return self.update(entity, {**fields, "Id": entity_id, "SyncToken": old["SyncToken"], "sparse": True},
                           custom_fields=True)

    def insert_seeded(self, entity: str, obj: dict[str, Any]) -> None:
        """Seed data with given timestamps; balances are derived once seeding is done."""
        self.objects[entity][obj["Id"]] = obj

    # -- validation --------------------------------------------------------------------------------

    def _customer_ref(self, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        ref = obj.get("CustomerRef")
        if not isinstance(ref, dict) or "value" not in ref:
            raise faults.required_param("CustomerRef")
        customer = self.objects["Customer"].get(str(ref["value"]))
        if customer is None:
            raise faults.invalid_reference(f"Customer {ref['value']} does not exist")
        unchanged = old is not None and old.get("CustomerRef", {}).get("value") == customer["Id"]
        if not customer.get("Active", True) and not unchanged:
            raise faults.not_found("Customer", str(ref["value"]))
        obj["CustomerRef"] = {"value": customer["Id"], "name": customer["DisplayName"]}

    def _validate(self, entity: str, obj: dict[str, Any], old: dict[str, Any] | None, *,
                  custom_fields: bool) -> dict[str, Any]:
        if entity == "Customer":
            return self._validate_customer(obj, old, custom_fields=custom_fields)
        if entity in ("Invoice", "CreditMemo", "Estimate"):
            self._customer_ref(obj, old)
            lines = obj.get("Line")
            if not lines:
                raise faults.required_param("Line")
            detail = [ln for ln in lines if ln.get("DetailType") != "SubTotalLineDetail"]
            total = sum((money(ln.get("Amount", 0)) for ln in detail), ZERO)
            obj["Line"] = [*detail, {"DetailType": "SubTotalLineDetail", "Amount": total, "SubTotalLineDetail": {}}]
            obj["TotalAmt"] = total
            obj.setdefault("TxnDate", self.clock.now().date().isoformat())
            obj.setdefault("DocNumber", self.next_doc_number())
            if entity == "Invoice":
                obj.setdefault("DueDate", self._due_date(obj))
                obj.setdefault("LinkedTxn", [])
            if entity == "Estimate":
                obj.setdefault("TxnStatus", "Pending")
        elif entity == "Payment":
            self._customer_ref(obj, old)
            if "TotalAmt" not in obj:
                raise faults.required_param("TotalAmt")
            obj["TotalAmt"] = money(obj["TotalAmt"])
            obj.setdefault("TxnDate", self.clock.now().date().isoformat())
            obj.setdefault("DepositToAccountRef", {"value": "4"})
            obj.setdefault("ProcessPayment", False)
            obj.setdefault("Line", [])
            for line in obj["Line"]:
                line["Amount"] = money(line.get("Amount", 0))
                for link in line.get("LinkedTxn", []):
                    kind, txn_id = link.get("TxnType"), str(link.get("TxnId"))
                    if kind not in ("Invoice", "CreditMemo") or txn_id not in self.objects[kind]:
                        raise faults.invalid_reference(f"{kind} {txn_id} linked from the payment does not exist")
        return obj

    def _due_date(self, invoice: dict[str, Any]) -> str:
        term_ref = invoice.get("SalesTermRef") or self.objects["Customer"][invoice["CustomerRef"]["value"]].get(
            "SalesTermRef")
        days = 30
        if isinstance(term_ref, dict) and str(term_ref.get("value")) in self.objects["Term"]:
            days = int(self.objects["Term"][str(term_ref["value"])].get("DueDays", 30))
        return (datetime.fromisoformat(invoice["TxnDate"]) + timedelta(days=days)).date().isoformat()

    def _validate_customer(self, obj: dict[str, Any], old: dict[str, Any] | None, *,
                           custom_fields: bool) -> dict[str, Any]:
        for name in QBW_ONLY_CUSTOMER_FIELDS:
            obj.pop(name, None)
        if not obj.get("DisplayName"):
            parts = [obj.get("GivenName"), obj.get("FamilyName")]
            obj["DisplayName"] = obj.get("CompanyName") or " ".join(p for p in parts if p)
            if not obj["DisplayName"]:
                raise faults.required_param("DisplayName")
        name = str(obj["DisplayName"]).strip().lower()
        for other in self.objects["Customer"].values():
            if other["DisplayName"].strip().lower() == name and (old is None or other["Id"] != old["Id"]):
                raise faults.duplicate_name(obj["DisplayName"])
        notes = obj.get("Notes")
        if notes is not None and len(str(notes)) > NOTES_MAX:
            raise faults.string_too_long("Notes", NOTES_MAX, len(str(notes)))
        obj.setdefault("Active", True)
        obj.setdefault("BillWithParent", False)
        obj.setdefault("Taxable", False)
        parent_ref = obj.get("ParentRef")
        if isinstance(parent_ref, dict) and parent_ref.get("value"):
            parent = self.objects["Customer"].get(str(parent_ref["value"]))
            if parent is None:
                raise faults.invalid_reference(f"Customer {parent_ref['value']} (ParentRef) does not exist")
            obj["ParentRef"] = {"value": parent["Id"]}
            obj["Job"] = True
            obj["Level"] = int(parent.get("Level", 0)) + 1
            obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{obj['DisplayName']}"
        else:
            obj.pop("ParentRef", None)
            obj.pop("Level", None)
            obj["Job"] = False
            obj["FullyQualifiedName"] = obj["DisplayName"]
        if "CustomField" in obj:
            if not custom_fields:  # without include=enhancedAllCustomFields QBO ignores them
                if old is not None and "CustomField" in old:
                    obj["CustomField"] = old["CustomField"]
                else:
                    obj.pop("CustomField")
            else:
                obj["CustomField"] = self._merge_custom_fields(obj["CustomField"], (old or {}).get("CustomField", []))
        return obj

    @staticmethod
    def _merge_custom_fields(incoming: list[dict[str, Any]], existing: list[dict[str, Any]]) -> list[dict[str, Any]]:
        known = {d["DefinitionId"]: d for d in CUSTOM_FIELD_DEFINITIONS}
        merged = {f["DefinitionId"]: f for f in existing}
        for field in incoming:
            definition = known.get(str(field.get("DefinitionId")))
            if definition is None:
                raise faults.invalid_reference(f"CustomField DefinitionId {field.get('DefinitionId')} does not exist")
            value = field.get("StringValue", field.get("NumberValue"))
            entry: dict[str, Any] = {"DefinitionId": definition["DefinitionId"], "Name": definition["Name"],
                     "Type": definition["Type"]}
            if value is not None:
                entry["NumberValue" if definition["Type"] == "NumberType" else "StringValue"] = (
                    money(value) if definition["Type"] == "NumberType" else str(value))
            merged[definition["DefinitionId"]] = entry
        return [merged[k] for k in sorted(merged)]

    # -- derived balances --------------------------------------------------------------------------

    def _commit(self, entity: str, new: dict[str, Any], old: dict[str, Any] | None) -> None:
        self.revision += 1
        self.objects[entity][new["Id"]] = new
        if old is not None and entity != "Payment" and all(new.get(k) == old.get(k) for k in _MONEY_INPUTS):
            for name in DERIVED[entity] & old.keys():  # nothing that balances depend on changed
                new[name] = old[name]
            return
        try:
            self._apply_derived(skip=(entity, new["Id"]))
        except faults.QboFault:
            if old is None:
                del self.objects[entity][new["Id"]]
            else:
                self.objects[entity][new["Id"]] = old
            raise

    def derive_all(self) -> None:
        """Compute derived balances without stamping (used once after seeding)."""
        for (entity, entity_id), changes in self._derived_changes().items():
            self.objects[entity][entity_id].update(changes)

    def _apply_derived(self, skip: tuple[str, str] | None) -> None:
        changes = self._derived_changes()
        moment: datetime | None = None
        for (entity, entity_id), fields in changes.items():
            obj = self.objects[entity][entity_id]
            obj.update(fields)
            bump = entity in ("Invoice", "CreditMemo") and (entity, entity_id) != skip and "Balance" in fields
            if bump:
                moment = moment or self.clock.write_time()
                obj["SyncToken"] = str(int(obj["SyncToken"]) + 1)
                self._stamp(obj, moment, created=False)

    def _derived_changes(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every derived field whose value differs from the stored one; raises 6000 on over-application."""
        applied: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        links: dict[str, list[dict[str, str]]] = defaultdict(list)
        wanted: dict[tuple[str, str], dict[str, Any]] = {}
        for pay in self.objects["Payment"].values():
            net = money(pay.get("TotalAmt", 0))
            for line in pay.get("Line", []):
                amount = money(line.get("Amount", 0))
                for link in line.get("LinkedTxn", []):
                    key = (str(link.get("TxnType")), str(link.get("TxnId")))
                    applied[key] += amount
                    if key[0] == "Invoice":
                        net -= amount
                        links[key[1]].append({"TxnId": pay["Id"], "TxnType": "Payment"})
                    elif key[0] == "CreditMemo":
                        net += amount
            if net < 0:
                raise faults.business_validation(
                    f"Payment {pay.get('Id', '(new)')}: the amounts applied exceed the payment amount by {-net}.")
            wanted[("Payment", pay["Id"])] = {"UnappliedAmt": net}
        by_customer: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for inv in self.objects["Invoice"].values():
            balance = (money(inv["TotalAmt"]) - applied[("Invoice", inv["Id"])]
                       - self.adjustments.get(("Invoice", inv["Id"]), ZERO))
            if balance < 0:
                raise faults.business_validation(
                    f"Invoice {inv.get('DocNumber', inv['Id'])} would be over-paid: open balance "
                    f"{balance + applied[('Invoice', inv['Id'])]} is less than the {applied[('Invoice', inv['Id'])]} "
                    f"applied.")
            others = [lk for lk in inv.get("LinkedTxn", []) if lk.get("TxnType") != "Payment"]
            wanted[("Invoice", inv["Id"])] = {"Balance": balance, "LinkedTxn": others + links[inv["Id"]]}
            by_customer[inv["CustomerRef"]["value"]] += balance
        for memo in self.objects["CreditMemo"].values():
            remaining = (money(memo["TotalAmt"]) - applied[("CreditMemo", memo["Id"])]
                         - self.adjustments.get(("CreditMemo", memo["Id"]), ZERO))
            if remaining < 0:
                raise faults.business_validation(f"Credit memo {memo.get('DocNumber', memo['Id'])} is over-applied.")
            wanted[("CreditMemo", memo["Id"])] = {"Balance": remaining, "RemainingCredit": remaining}
            by_customer[memo["CustomerRef"]["value"]] -= remaining
        for pay in self.objects["Payment"].values():
            by_customer[pay["CustomerRef"]["value"]] -= wanted[("Payment", pay["Id"])]["UnappliedAmt"]
        customers = self.objects["Customer"]
        with_jobs: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for cust_id in customers:
            amount = by_customer[cust_id]
            node: str | None = cust_id
            while node is not None and node in customers:  # add to self and every ancestor
                with_jobs[node] += amount
                parent = customers[node].get("ParentRef")
                node = str(parent["value"]) if isinstance(parent, dict) else None
        for cust_id in customers:
            wanted[("Customer", cust_id)] = {"Balance": by_customer[cust_id], "BalanceWithJobs": with_jobs[cust_id]}
        changes: dict[tuple[str, str], dict[str, Any]] = {}
        for (entity, entity_id), fields in wanted.items():
            obj = self.objects[entity][entity_id]
            diff = {k: v for k, v in fields.items() if obj.get(k) != v or k not in obj}
            if diff:
                changes[(entity, entity_id)] = diff
        return changes
