"""The matching cascade of cash-application.md §6: cheap and certain first, one explanation or ask.

Per payment: identify the payer (S1); resolve the references it gives, exact then fuzzy inside the
customer family, accepted only when the customer or the amount corroborates them (S2); else match
the amount 1:1, with each invoice's own discount terms (S3); else a unique exact-cents subset of
the family's oldest open items by due date or invoice number, or a unique run of consecutive
invoices, leaving out those other payments of the statement name (S4); explain what is left
(S5: discount, bank fee, FX, short pay, over-payment, possible duplicate); score the explanation
with evidence and decide by the tenant's thresholds (S6). Everything here is pure: records in, `CashMatch` records out.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from itertools import islice

from creditbridge.core.cashapp.index import OpenItemIndex, discount_units, number_order
from creditbridge.core.cashapp.learning import MatchMemory
from creditbridge.core.cashapp.payers import PayerDirectory, PayerMatch, normalise_account, normalise_name
from creditbridge.core.cashapp.policy import MatchPolicy
from creditbridge.core.cashapp.references import MIN_KEY_DIGITS, line_keys, one_edit_away, text_keys
from creditbridge.core.cashapp.results import CashMatch, Decision, Residual
from creditbridge.core.cashapp.subsets import MAX_ITEMS, subset_solutions
from creditbridge.core.model import BankTransaction, Customer, DocType, MatchProposal, OpenItem, Reason
from creditbridge.core.money import Money, from_units, minor_digits, to_units

Progress = Callable[[int, int], None]
OLDEST_FIRST_LIMIT = 500
SCATTERED_AUTO_MAX = 3
MAX_PASSES = 2
RUN_MAX = 6
RUN_WINDOW = 150
"""How many of a family's invoices (document order, settled ones included) the run search looks at."""
MEMOS_NETTED = 3
"""A remittance that leaves invoices out may leave out a credit memo it nets too: the family's newest few are tried."""
AROUND_MARGIN = 2
AROUND_SPAN = 200
"""Invoices a remittance left out are looked for among those numbered between (and just around) the ones it names."""
"""Passes over a statement: each retries what is not applied yet against what the earlier ones left open."""
"""A subset that is not a contiguous run of due dates is applied automatically only up to this many items."""
"""How far "all open items up to date X" walks a family's open items, oldest first."""


@dataclass(slots=True)
class _Plan:
    """One explanation of a payment: items with the units applied to each, and its score."""

    stage: str
    score: float
    applied: list[tuple[str, int]]
    unapplied: int
    residual: Residual = Residual.NONE
    write_off: int = 0
    reasons: list[Reason] = field(default_factory=list)


@dataclass(slots=True)
class _Ref:
    keys: tuple[str, ...]
    units: int | None  # the remittance line's amount, when it states one
    structured: bool


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the index is built and a statement matched.

    Why: a full collection walks every tracked object, and a ledger of 1M open items is several
    million of them (about 2 s per collection on our 2-core box); a 20k-payment run triggered
    enough collections to cost a third of its time, and it makes no reference cycles to collect
    (measured: a collection afterwards finds nothing). Reference counting still frees everything.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class CashMatcher:
    """Matches bank transactions against a ledger's open items; one instance per run."""

    def __init__(
        self,
        customers: Iterable[Customer],
        items: Iterable[OpenItem],
        memory: MatchMemory | None = None,
        policy: MatchPolicy | None = None,
    ) -> None:
        customer_list = list(customers)
        self.memory = memory or MatchMemory()
        self.policy = policy or MatchPolicy()
        with without_cycle_collection():
            self.index = OpenItemIndex(customer_list, items)
            self.payers = PayerDirectory(customer_list, self.memory.accounts, self.memory.names)
        self._fee = to_units(self.policy.fee_tolerance)
        self._overpay = to_units(self.policy.overpayment_auto_limit)
        # FX tolerance as an exact fraction of the open total (amounts are integer units: no float on money)
        self._fx_num, self._fx_den = (self.policy.fx_tolerance_percent / 100).as_integer_ratio()
        # Confidence scores (not money) are floats while they are combined, Decimal in every result.
        self._auto = float(self.policy.auto_threshold)
        self._suggest = float(self.policy.suggest_threshold)
        self._claims: dict[str, str] = {}
        """Open item → the payment of this statement whose remittance names it exactly ("" when several do)."""
        self._payment = ""
        self._refs: dict[int, list[_Ref]] = {}
        self._key_hits: dict[str, list[str]] = {}

    def match_all(self, transactions: Sequence[BankTransaction], progress: Progress | None = None) -> list[CashMatch]:
        """Match a statement in two passes: what is left after the certain matches is tried again.

        A payment without remittance is matched against its customer's oldest open items; an
        invoice that another payment of the same statement pays is in its way until that payment
        is applied — so the second pass sees the open items the first pass left, and invoices
        another payment's remittance names are left out of the search from the start (`_claim`).
        """
        results = []
        total = len(transactions)
        step = max(1, total // 100)
        with without_cycle_collection():
            self._claim(transactions)
            for number, transaction in enumerate(transactions, 1):
                results.append(self.match(transaction))
                if progress is not None and (number % step == 0 or number == total):
                    progress(number, total)
            waiting = [n for n, result in enumerate(results) if result.decision is not Decision.AUTO]
            for _ in range(MAX_PASSES - 1):
                still = []
                for position in waiting:
                    again = self.match(results[position].transaction)
                    if again.decision is Decision.AUTO:
                        results[position] = again
                    else:
                        still.append(position)
                if len(still) == len(waiting):
                    break
                waiting = still
            self._claims, self._refs, self._key_hits = {}, {}, {}
        return results

    def _claim(self, transactions: Sequence[BankTransaction]) -> None:
        """Note which open items each payment's remittance names exactly, before any is matched.

        Why: a payment without remittance (or one that left invoices out) is matched against its
        customer's open items; an invoice another payment of the same statement names is that
        payment's, even while that one waits for a person, and would make a wrong set look right or
        the right set look ambiguous.
        """
        claims = self._claims
        open_keys = self._open_keys
        for transaction in transactions:
            refs = self._refs[id(transaction)] = self._references(transaction)
            for ref in refs:
                for key in ref.keys:
                    hits = open_keys(key)
                    if hits:
                        if len(hits) == 1:
                            payment = transaction.transaction_id
                            claims[hits[0]] = payment if claims.get(hits[0], payment) == payment else ""
                        break

    def _open_keys(self, key: str) -> list[str]:
        """Open items a reference key names (remembered for the run: a statement's keys are looked up twice)."""
        hits = self._key_hits.get(key)
        if hits is None:
            hits = self._key_hits[key] = self.index.open_keys.get(key)
        return hits

    def _claimed(self, item_id: str) -> bool:
        """Another payment of this statement names the item in its remittance."""
        owner = self._claims.get(item_id)
        return owner is not None and owner != self._payment

    # ------------------------------------------------------------------ one payment

    def match(self, tx: BankTransaction) -> CashMatch:
        units = to_units(tx.amount.amount)
        currency = tx.amount.currency
        payer = self._identify(tx)
        self._payment = tx.transaction_id
        refs = self._refs.get(id(tx))
        if refs is None:
            refs = self._references(tx)
        family = self.index.family_of(payer.customer_id) if payer else None
        plans: list[_Plan] = []
        duplicate: _Plan | None = None
        if refs:
            anchors, closed, ref_family = self._resolve(refs, family, currency)
            if anchors:
                plans += self._anchored_plans(tx, units, currency, anchors, payer, family, ref_family)
            elif closed:
                duplicate = self._duplicate(units, closed)
            if family is not None and not self._decisive(plans):
                family_of = self.index.family_of
                items = self.index.items
                own = [(i, r) for i, r in anchors if family_of(items[i].customer_id) == family]
                anchored_refs = {id(r) for _, r in own}
                loose = [r for r in refs if id(r) not in anchored_refs]
                fuzzy = self._fuzzy_anchors(loose, family, currency, {i for i, _ in anchors})
                if fuzzy:
                    plans += self._anchored_plans(tx, units, currency, own + fuzzy, payer, family, family, fuzzy=True)
        if family is not None and not self._decisive(plans):
            plans += self._amount_plans(tx, units, currency, family, payer, lump=not refs)
        if duplicate is not None and not self._decisive(plans):
            plans.append(duplicate)
        return self._decide(tx, units, currency, payer, family, plans)

    def _decisive(self, plans: list[_Plan]) -> bool:
        return any(p.score >= self._auto for p in plans)

    # ------------------------------------------------------------------ S1: payer

    def _identify(self, tx: BankTransaction) -> PayerMatch | None:
        payer = self.payers.identify(tx.payer_name, tx.payer_account)
        rejected = self.memory.rejected
        if payer is not None and rejected:
            keys = {normalise_account(tx.payer_account or ""), normalise_name(tx.payer_name or "")}
            if any((k, payer.customer_id) in rejected for k in keys):
                payer = None
        if payer is None and self.memory.reference_tokens and tx.remittance_text:
            habits = self.memory.reference_tokens
            for token in tx.remittance_text.upper().replace(",", " ").split():
                customer = habits.get(token)
                if customer is not None and customer in self.index.customers:
                    return PayerMatch(customer, "reference_habit", 0.95, token)
        return payer

    # ------------------------------------------------------------------ S2: references

    def _references(self, tx: BankTransaction) -> list[_Ref]:
        refs = [
            _Ref(line_keys(line.document_number), to_units(line.amount.amount) if line.amount else None, True)
            for line in tx.remittance_lines
            if line.document_number
        ]
        if tx.remittance_text:
            known = {k for r in refs for k in r.keys}
            refs += [_Ref((k,), None, False) for k in text_keys(tx.remittance_text) if k not in known]
        return [r for r in refs if r.keys]

    def _resolve(
        self, refs: list[_Ref], family: str | None, currency: str
    ) -> tuple[list[tuple[str, _Ref]], list[str], str | None]:
        """Open items the references name exactly (preferring the payer's family), closed ones, their family."""
        index = self.index
        anchors: list[tuple[str, _Ref]] = []
        closed: list[str] = []
        taken: set[str] = set()
        for ref in refs:
            hits: list[str] = []
            for key in ref.keys:
                hits = [i for i in self._open_keys(key) if index.items[i].amount.currency == currency]
                if not hits and (ref.structured or family is not None):
                    hits = index.po_keys.get(key)
                    if not ref.structured:  # a PO number in free text counts only inside the payer's family
                        hits = [i for i in hits if index.family_of(index.items[i].customer_id) == family]
                if hits:
                    break
            if not hits:
                for key in ref.keys:
                    closed += index.closed_keys.get(key)
                continue
            if family is not None and len(hits) > 1:
                hits = [i for i in hits if index.family_of(index.items[i].customer_id) == family] or hits
            if len(hits) == 1 and hits[0] not in taken:
                taken.add(hits[0])
                anchors.append((hits[0], ref))
        families = {index.family_of(index.items[i].customer_id) for i, _ in anchors}
        if family is not None and family in families and len(families) > 1:
            # the payer is known: references to other customers' invoices are noise (a typo landing elsewhere)
            anchors = [(i, r) for i, r in anchors if index.family_of(index.items[i].customer_id) == family]
            families = {family}
        ref_family = next(iter(families)) if len(families) == 1 else None
        return anchors, closed, ref_family

    def _fuzzy_anchors(self, refs: list[_Ref], family: str, currency: str, exclude: set[str]) -> list[tuple[str, _Ref]]:
        """References one edit away from exactly one of the family's open items (never outside the family)."""
        index = self.index
        keys = index.family_keys(family, currency)
        found: list[tuple[str, _Ref]] = []
        for ref in refs:
            key = ref.keys[0]
            if len(key) < MIN_KEY_DIGITS + 1 or not key.isdigit():
                continue
            items = keys.find(one_edit_away(key))
            if len(items) == 1:
                item_id = items.pop()
                if item_id not in exclude and index.units(item_id) != 0:
                    exclude.add(item_id)
                    found.append((item_id, ref))
        return found

    def _anchored_plans(
        self,
        tx: BankTransaction,
        units: int,
        currency: str,
        anchors: list[tuple[str, _Ref]],
        payer: PayerMatch | None,
        family: str | None,
        ref_family: str | None,
        fuzzy: bool = False,
    ) -> list[_Plan]:
        index = self.index
        ids = [i for i, _ in anchors]
        open_units = [index.units(i) for i in ids]
        total = sum(open_units)
        names = ", ".join(ids)
        if payer is not None and family is not None and ref_family == family:
            corroborated, base = "customer", 0.99
        elif payer is None and ref_family is not None:
            corroborated, base = "reference", 0.965
        elif payer is not None and ref_family is not None:
            corroborated, base = "third_party", 0.91
        else:
            corroborated, base = "none", 0.9
        if fuzzy:
            base -= 0.03
        if payer is not None and payer.how in ("fuzzy_name", "truncated_name") and corroborated == "customer":
            base -= 0.005
        stage = "fuzzy_reference" if fuzzy else "reference"
        evidence = Reason(
            stage,
            f"{'fuzzy ' if fuzzy else ''}reference to {names}"
            + (
                f"; payer {payer.how.replace('_', ' ')} → {payer.customer_id}"
                if payer
                else "; payer from the reference"
            )
            + ("; paid for another customer (third-party payer)" if corroborated == "third_party" else ""),
            (("corroborated_by", corroborated), ("invoices", names)),
        )
        diff = units - total
        # remittance lines that state amounts and add up to the payment: take them as the payer's allocation
        stated = [r.units for _, r in anchors]
        if all(s is not None for s in stated) and sum(s for s in stated if s is not None) == units and diff != 0:
            applied = [(i, s) for i, s in zip(ids, stated, strict=True) if s is not None]
            if all(0 < s <= o or (o < 0 and s == o) for (_, s), o in zip(applied, open_units, strict=True)):
                short = total - units
                plan = _Plan(f"{stage}_remittance", base - 0.02, applied, 0, Residual.SHORT_PAY, 0, [evidence])
                explained = self._explain_short(tx, ids, open_units, short, plan)
                plan.reasons.append(Reason("remittance_amounts", f"remittance states the amounts; {explained}"))
                return [plan]
        if diff == 0:
            return [
                _Plan(
                    stage,
                    base,
                    list(zip(ids, open_units, strict=True)),
                    0,
                    reasons=[evidence, Reason("amount", "amount equals the open amounts")],
                )
            ]
        fam = family if family is not None else ref_family
        if fam is not None:
            # the rest may be invoices (or, when short, credit memos) the remittance left out: anchored subset
            if diff < 0:
                memos = index.family_credit_memos(fam, currency)
                candidates = (i for i in memos if i.item_id not in ids and index.remaining.get(i.item_id, 0) != 0)
                windows = [list(islice(candidates, MAX_ITEMS))]
            else:
                named = set(ids)
                due = self._window(index.open_in_family(fam, currency), named)
                windows = [due, self._by_number(due, fam, currency, named)]
            solutions = self._window_subsets(windows, diff)
            if diff > 0 and not solutions:
                solutions = self._window_subsets(self._around_windows(fam, currency, ids), diff)
            if len(solutions) == 1:
                extra = solutions[0][0]
                many = len(extra) > SCATTERED_AUTO_MAX
                if corroborated == "customer":
                    score = base - 0.01 if not many else 0.88
                elif corroborated == "reference" and len(ids) >= 2 and not many:
                    # no payer, but several references to one customer and the rest fits exactly
                    score = base - 0.03
                else:
                    score = min(base, 0.75)
                return [
                    _Plan(
                        "anchored_subset",
                        score,
                        list(zip(ids, open_units, strict=True)) + extra,
                        0,
                        reasons=[
                            evidence,
                            Reason(
                                "anchored_subset",
                                f"the rest is exactly {', '.join(e[0] for e in extra)} (the only such set)",
                            ),
                        ],
                    )
                ]
            if diff > 0 and not solutions:
                remaining = index.remaining
                rest = [
                    i
                    for i in index.family_amounts(fam, currency).get(diff, ())
                    if remaining[i] == diff and i not in ids and not self._claimed(i)
                ]
                if len(rest) == 1:
                    return [
                        _Plan(
                            "anchored_subset",
                            base - 0.02 if corroborated == "customer" else min(base, 0.75),
                            [*zip(ids, open_units, strict=True), (rest[0], diff)],
                            0,
                            reasons=[
                                evidence,
                                Reason("anchored_subset", f"the rest is exactly {rest[0]}'s open amount"),
                            ],
                        )
                    ]
        if diff < 0:
            return [self._short_plan(tx, units, ids, open_units, -diff, stage, base, evidence, corroborated)]
        applied = list(zip(ids, open_units, strict=True))
        if corroborated in ("none", "third_party") and fuzzy:
            return []
        if corroborated != "customer":  # an amount that does not fit needs the payer to vouch for the reference
            base = min(base, 0.75)
        if total > 0 and diff * self._fx_den <= total * self._fx_num and diff <= self._overpay:
            return [
                _Plan(
                    stage,
                    base - 0.03 if len(ids) == 1 else min(base - 0.03, 0.88),
                    applied,
                    diff,
                    Residual.OVERPAYMENT,
                    0,
                    [
                        evidence,
                        Reason(
                            "overpayment", f"{_fmt(diff)} more than the open amounts: on account (FX or over-payment)"
                        ),
                    ],
                )
            ]
        score = base - 0.05 if diff <= self._overpay else min(base, 0.8)
        return [
            _Plan(
                stage,
                score,
                applied,
                diff,
                Residual.OVERPAYMENT,
                0,
                [evidence, Reason("overpayment", f"{_fmt(diff)} more than the open amounts: left on account")],
            )
        ]

    def _short_plan(
        self,
        tx: BankTransaction,
        units: int,
        ids: list[str],
        open_units: list[int],
        short: int,
        stage: str,
        base: float,
        evidence: Reason,
        corroborated: str,
    ) -> _Plan:
        """Fewer cents than the invoices: discount, fee, FX (written off) or a short pay (left open)."""
        applied = list(zip(ids, open_units, strict=True))
        plan = _Plan(stage, base, applied, 0, reasons=[evidence])
        self._explain_short(tx, ids, open_units, short, plan)
        kind = plan.residual
        # the payment's cents go to the invoices oldest first; what is missing is on the last one(s)
        rest = units
        applied = []
        for item_id, open_ in zip(ids, open_units, strict=True):
            take = min(open_, rest) if open_ > 0 else open_
            if take == 0:
                continue
            applied.append((item_id, take))
            rest -= take
        plan.applied = applied
        if kind in (Residual.UNEARNED_DISCOUNT,):
            plan.score = min(plan.score, 0.85) if not self.policy.auto_unearned_discount else plan.score - 0.03
        elif kind is Residual.SHORT_PAY:
            if len(ids) > 1:
                plan.score = min(plan.score, 0.8)
            elif corroborated != "customer" or stage == "fuzzy_reference":
                plan.score = min(plan.score, 0.7)
            else:
                plan.score -= 0.05
        elif kind in (Residual.BANK_FEE, Residual.FX):
            plan.score -= 0.02 if corroborated != "none" else 0.1
        else:
            plan.score -= 0.01
        return plan

    def _explain_short(
        self, tx: BankTransaction, ids: list[str], open_units: list[int], short: int, plan: _Plan
    ) -> str:
        if short <= 0:
            plan.residual = Residual.NONE if short == 0 else Residual.OVERPAYMENT
            return "no shortfall"
        discounts = [self._discount(tx, self.index.items[i], o) for i, o in zip(ids, open_units, strict=True)]
        total_discount = sum(d for d, _ in discounts)
        if total_discount == short or (len(ids) <= 6 and self._discount_subset(discounts, short)):
            unearned = [i for i, (d, earned) in zip(ids, discounts, strict=True) if d and not earned]
            plan.residual = Residual.UNEARNED_DISCOUNT if unearned else Residual.DISCOUNT
            plan.write_off = short
            text = f"early-payment discount {_fmt(short)} per the invoice terms"
            if unearned:
                text += f", taken after the discount window on {', '.join(unearned)} (unearned)"
            plan.reasons.append(Reason(str(plan.residual), text))
            return text
        total = sum(open_units)
        if short <= self._fee:
            plan.residual = Residual.BANK_FEE
            plan.write_off = short
            text = f"{_fmt(short)} short: bank fee within the {self.policy.fee_tolerance} tolerance"
        elif total > 0 and short * self._fx_den <= total * self._fx_num:
            plan.residual = Residual.FX
            plan.write_off = short
            text = f"{_fmt(short)} short: FX difference within {self.policy.fx_tolerance_percent}%"
        else:
            plan.residual = Residual.SHORT_PAY
            text = f"short pay: {_fmt(short)} left open as a deduction"
        plan.reasons.append(Reason(str(plan.residual), text, (("difference", _fmt(short)),)))
        return text

    @staticmethod
    def _discount_subset(discounts: list[tuple[int, bool]], short: int) -> bool:
        values = [d for d, _ in discounts if d]
        return len(subset_solutions(values, short, limit=1)) == 1 if values else False

    def _discount(self, tx: BankTransaction, item: OpenItem, open_units: int) -> tuple[int, bool]:
        """(discount units on this item by its own terms, earned by the payment date)."""
        if not item.discount_percent or open_units <= 0:
            return 0, False
        window = item.invoice_date + timedelta(days=item.discount_days or 0)
        paid_on = tx.value_date or tx.booked_on
        return discount_units(item, open_units), paid_on <= window

    def _duplicate(self, units: int, closed: list[str]) -> _Plan | None:
        index = self.index
        same = [i for i in closed if to_units(index.items[i].amount.amount) == units]
        if not same:
            return None
        return _Plan(
            "duplicate",
            0.0,
            [],
            units,
            Residual.DUPLICATE,
            0,
            [
                Reason(
                    "possible_duplicate",
                    f"the reference names {same[0]}, already paid, for this same amount: possible duplicate, review",
                )
            ],
        )

    # ------------------------------------------------------------------ S3/S4: amounts

    def _amount_plans(
        self, tx: BankTransaction, units: int, currency: str, family: str, payer: PayerMatch | None, lump: bool = True
    ) -> list[_Plan]:
        index = self.index
        strength = payer.score if payer else 0.9
        who = Reason(
            "payer", f"payer {payer.how.replace('_', ' ')} → {payer.customer_id}" if payer else "payer from references"
        )
        base = 0.96 if strength >= 0.95 else 0.93 if strength >= 0.9 else 0.9
        remaining = index.remaining
        same = [
            i
            for i in index.family_amounts(family, currency).get(units, ())
            if remaining[i] == units and not self._claimed(i)
        ]
        if len(same) == 1:
            return [
                _Plan(
                    "amount",
                    base,
                    [(same[0], units)],
                    0,
                    reasons=[who, Reason("amount", f"the only open item of {_fmt(units)}: {same[0]}")],
                )
            ]
        if len(same) > 1:
            oldest = same[0] if len(same) == 1 else min(same, key=lambda i: (index.items[i].due_date, i))
            score = base - 0.04 if self.policy.oldest_first_on_equal_amounts else 0.75
            return [
                _Plan(
                    "amount_oldest",
                    score,
                    [(oldest, units)],
                    0,
                    reasons=[
                        who,
                        Reason("ambiguous_amount", f"{len(same)} open items of {_fmt(units)}; the oldest is {oldest}"),
                    ],
                )
            ]
        window = []
        for item in index.open_in_family(family, currency):
            if self._claimed(item.item_id):
                continue
            window.append(item)
            if len(window) >= MAX_ITEMS:
                break
        plans: list[_Plan] = []
        # 1:1 with the invoice's own discount terms
        discounted = []
        for item_id in index.family_discount_nets(family, currency).get(units, ()):
            item = index.items[item_id]
            open_ = remaining.get(item_id, 0)
            discount, earned = self._discount(tx, item, open_)
            if discount and open_ - discount == units and not self._claimed(item_id):
                discounted.append((item, discount, earned))
        if len(discounted) == 1:
            item, discount, earned = discounted[0]
            score = base - 0.02 if earned else (0.85 if not self.policy.auto_unearned_discount else base - 0.05)
            residual = Residual.DISCOUNT if earned else Residual.UNEARNED_DISCOUNT
            return [
                _Plan(
                    "amount_discount",
                    score,
                    [(item.item_id, units)],
                    0,
                    residual,
                    discount,
                    [
                        who,
                        Reason(
                            str(residual),
                            f"{item.item_id} less its {item.discount_percent}% discount"
                            + ("" if earned else " (taken after the discount window)"),
                        ),
                    ],
                )
            ]
        by_number = self._by_number(window, family, currency, ())
        solutions = self._window_subsets((window, by_number), units)
        if len(solutions) == 1:
            applied, contiguous = solutions[0]
            # a contiguous run of due dates is a habit; a scattered set of many items is too often luck
            score = base - 0.02 if contiguous else base - 0.04 if len(applied) <= SCATTERED_AUTO_MAX else 0.88
            return [
                _Plan(
                    "subset",
                    score,
                    applied,
                    0,
                    reasons=[
                        who,
                        Reason(
                            "subset",
                            f"{len(applied)} open items add up exactly "
                            f"({'oldest first' if contiguous else 'the only such set'})",
                        ),
                    ],
                )
            ]
        if len(solutions) > 1:
            applied = solutions[0][0]
            plans.append(
                _Plan(
                    "subset_ambiguous",
                    0.6,
                    applied,
                    0,
                    reasons=[who, Reason("ambiguous_subset", "several sets of open items add up to the amount")],
                )
            )
        if not solutions:
            # a window shorter than MAX_ITEMS held every open item: a run would have been found as a subset
            run = self._unique_run(family, currency, units) if lump and len(window) == MAX_ITEMS else None
            if run is not None:
                return [
                    _Plan(
                        "subset_run",
                        base - 0.04,
                        run,
                        0,
                        reasons=[
                            who,
                            Reason(
                                "subset_run",
                                f"{len(run)} open items numbered in a row add up exactly (the only such run; "
                                "invoices other payments name skipped)",
                            ),
                        ],
                    )
                ]
            # the oldest items, each less its own early-payment discount where it has terms
            gross = net = 0
            unearned = False
            for count, item in enumerate(window, 1):
                open_ = remaining[item.item_id]
                discount, earned = self._discount(tx, item, open_)
                gross += open_
                net += open_ - discount
                unearned = unearned or (discount > 0 and not earned)
                if net == units and net != gross:
                    applied = [(i.item_id, remaining[i.item_id]) for i in window[:count]]
                    residual = Residual.UNEARNED_DISCOUNT if unearned else Residual.DISCOUNT
                    score = base - 0.03 if not unearned or self.policy.auto_unearned_discount else 0.85
                    return [
                        _Plan("subset_discount", score, _net_of(applied, units), 0, residual, gross - net, [who, Reason(
                            str(residual), f"the {count} oldest open items less their early-payment discounts")])
                    ]  # fmt: skip
                if net > units:
                    break
        # oldest-first beyond the window: "clear past due" / the whole balance
        running = 0
        taken: list[tuple[str, int]] = []
        claims, payment = self._claims, self._payment
        for item in islice(index.open_in_family(family, currency), OLDEST_FIRST_LIMIT):
            item_id = item.item_id
            if claims.get(item_id, payment) != payment:
                continue
            running += remaining[item_id]
            taken.append((item_id, remaining[item_id]))
            if running == units and len(taken) > MAX_ITEMS:
                plans.append(
                    _Plan(
                        "oldest_first",
                        base - 0.05,
                        list(taken),
                        0,
                        reasons=[who, Reason("oldest_first", f"the {len(taken)} oldest open items add up exactly")],
                    )
                )
                break
            if running > units and item.doc_type is not DocType.CREDIT_MEMO and len(taken) > MAX_ITEMS:
                break
        if not plans:
            # 1:1 less a bank fee: one open item a little above the payment
            near = [i for i in window if 0 < remaining[i.item_id] - units <= self._fee]
            if len(near) == 1:
                item = near[0]
                short = remaining[item.item_id] - units
                plans.append(
                    _Plan(
                        "amount_fee",
                        0.8,
                        [(item.item_id, units)],
                        0,
                        Residual.BANK_FEE,
                        short,
                        [who, Reason("bank_fee", f"{item.item_id} less {_fmt(short)} (bank fee?)")],
                    )
                )
        return plans

    def _unique_run(self, family: str, currency: str, units: int) -> list[tuple[str, int]] | None:
        """The only run of consecutive open invoices (document order, the first `RUN_WINDOW`) summing to `units`.

        Why: a payer without remittance often clears one batch of its invoices — consecutive numbers,
        not always the very oldest (older ones wait on a dispute, or another payment of the day pays
        them). Invoices another payment of the statement names are skipped, not counted as breaks.
        Runs of 2 to `RUN_MAX` items; none when a second run fits too.
        """
        remaining = self.index.remaining
        claims = self._claims
        payment = self._payment
        starts: dict[int, int] = {0: 0}
        taken: list[tuple[str, int]] = []
        prefix = count = 0
        found: tuple[int, int] | None = None
        items, first = self.index.by_number(family, currency)
        for position in range(first, min(len(items), first + RUN_WINDOW)):
            item_id = items[position].item_id
            open_ = remaining.get(item_id, 0)
            if open_ <= 0 or claims.get(item_id, payment) != payment:
                continue
            prefix += open_
            taken.append((item_id, open_))
            count += 1
            start = starts.get(prefix - units)
            if start is not None and 2 <= count - start <= RUN_MAX:
                if found is not None:
                    return None
                found = (start, count)
            starts[prefix] = count
        return taken[found[0] : found[1]] if found is not None else None

    def _around_windows(self, family: str, currency: str, ids: list[str]) -> list[list[OpenItem]]:
        """Where a remittance's left-out invoices are when not among the oldest: numbered between the named ones.

        With the family's newest credit memos too: a remittance that leaves out invoices may leave out
        the credit memo it nets as well.
        """
        index = self.index
        named = set(ids)
        around = self._window(index.around_by_number(family, currency, ids, AROUND_MARGIN, AROUND_SPAN), named)
        windows = [around]
        memos = [
            i
            for i in index.family_credit_memos(family, currency)
            if i.item_id not in named and index.remaining.get(i.item_id, 0) != 0
        ][-MEMOS_NETTED:]
        if memos:
            windows.append(memos + around[: MAX_ITEMS - len(memos)])
        return windows

    def _by_number(self, due: list[OpenItem], family: str, currency: str, exclude: Collection[str]) -> list[OpenItem]:
        """The document-order window beside the due-date one `due` (its own items re-ordered when it holds them all)."""
        if len(due) < MAX_ITEMS:
            return sorted(due, key=number_order)
        return self._window(self.index.open_by_number(family, currency), exclude)

    def _window(self, items: Iterable[OpenItem], exclude: Collection[str]) -> list[OpenItem]:
        """The first `MAX_ITEMS` of `items` that no other payment of the statement names, less `exclude`."""
        window = []
        claims, payment = self._claims, self._payment
        for item in items:
            item_id = item.item_id
            if item_id in exclude or claims.get(item_id, payment) != payment:
                continue
            window.append(item)
            if len(window) >= MAX_ITEMS:
                break
        return window

    def _window_subsets(
        self, windows: Iterable[list[OpenItem]], units: int
    ) -> list[tuple[list[tuple[str, int]], bool]]:
        """Distinct exact subsets of `units` over each window (up to two per window): (applications, contiguous).

        The windows are the oldest open items in due-date order and in document-number order; a set
        found in both counts once, and is a contiguous run if it is one in either order.
        """
        remaining = self.index.remaining
        orders: dict[frozenset[str], list[list[str]]] = {}
        for window in windows:
            ids = [i.item_id for i in window]
            orders.setdefault(frozenset(ids), []).append(ids)
        found: dict[frozenset[str], tuple[list[tuple[str, int]], bool]] = {}
        for listed in orders.values():  # the same items in another order have the same sets: searched once
            first = listed[0]
            values = [remaining[i] for i in first]
            for chosen in subset_solutions(values, units):
                applied = [(first[k], values[k]) for k in chosen]
                key = frozenset(i for i, _ in applied)
                contiguous = any(_contiguous(order, key) for order in listed)
                seen = found.get(key)
                found[key] = (applied, contiguous or (seen is not None and seen[1]))
        return list(found.values())

    # ------------------------------------------------------------------ S6: decide

    def _decide(
        self,
        tx: BankTransaction,
        units: int,
        currency: str,
        payer: PayerMatch | None,
        family: str | None,
        plans: list[_Plan],
    ) -> CashMatch:
        plans.sort(key=lambda p: -p.score)
        best = plans[0] if plans else None
        if (
            best is not None
            and len(plans) > 1
            and plans[1].score >= self._suggest
            and {i for i, _ in plans[1].applied} != {i for i, _ in best.applied}
            and not _outweighs(best, plans[1])
        ):
            best.score = min(best.score, max(self._suggest, plans[1].score - 0.05), self._auto - 0.01)
            best.reasons.append(Reason("competing", f"another explanation scores {plans[1].score:.2f}"))
        score = round(best.score, 3) if best is not None else 0.0
        if best is None or not best.applied or score < self._suggest:
            reasons: list[Reason] = []
            if best is not None and best.residual is Residual.DUPLICATE:
                reasons = best.reasons
            elif payer is None:
                reasons = [Reason("unidentified", "payer not identified and no reference to an open invoice")]
            else:
                reasons = [
                    Reason(
                        "no_match",
                        f"payer {payer.how.replace('_', ' ')} → {payer.customer_id}; no open items explain the amount",
                    )
                ]
            customer = payer.customer_id if payer else None
            alternatives = tuple(self._proposal(tx, p, currency, customer) for p in plans if p.applied)
            return CashMatch(
                tx,
                Decision.UNAPPLIED,
                Decimal(str(score)),
                customer,
                (),
                tx.amount,
                best.residual if best and best.residual is Residual.DUPLICATE else Residual.UNEXPLAINED,
                None,
                best.stage if best else "none",
                tuple(reasons),
                alternatives,
            )
        decision = Decision.AUTO if score >= self._auto else Decision.SUGGEST
        customer = self.index.items[best.applied[0][0]].customer_id
        if decision is Decision.AUTO:
            for item_id, applied in best.applied:
                self.index.consume(item_id, applied)
        allocations = tuple((i, _money(u, currency)) for i, u in best.applied)
        alternatives = tuple(self._proposal(tx, p, currency, customer) for p in plans[1:4] if p.applied)
        return CashMatch(
            tx,
            decision,
            Decimal(str(score)),
            customer,
            allocations,
            _money(best.unapplied, currency),
            best.residual,
            _money(best.write_off, currency) if best.write_off else None,
            best.stage,
            tuple(best.reasons),
            alternatives,
        )

    @staticmethod
    def _proposal(tx: BankTransaction, plan: _Plan, currency: str, customer: str | None) -> MatchProposal:
        return MatchProposal(
            tx.transaction_id,
            customer,
            tuple((i, _money(u, currency)) for i, u in plan.applied),
            Decimal(str(round(plan.score, 3))),
            tuple(plan.reasons),
        )


def _contiguous(order: list[str], chosen: frozenset[str]) -> bool:
    """The chosen items stand next to each other in `order`."""
    positions = [n for n, item_id in enumerate(order) if item_id in chosen]
    return positions[-1] - positions[0] + 1 == len(positions)


def _net_of(applied: list[tuple[str, int]], units: int) -> list[tuple[str, int]]:
    """Applications of `units` over items in order: each in full, the last one what is left."""
    result = []
    rest = units
    for item_id, open_ in applied:
        take = min(open_, rest) if open_ > 0 else open_
        if take:
            result.append((item_id, take))
            rest -= take
    return result


def _outweighs(best: _Plan, other: _Plan) -> bool:
    """An explanation that fits the amount is not put in doubt by one that does not.

    An exact 1:1 amount match, a reference one typo away whose amount fits, or the referenced invoices
    completed by fuzzy or left-out ones, beat a reference whose amount does not fit.

    A mistyped reference often lands on another real invoice of the same customer (numbers are
    dense); an open item of exactly the paid amount is rarely a coincidence.
    """
    if other.residual not in (Residual.SHORT_PAY, Residual.OVERPAYMENT, Residual.UNEXPLAINED):
        return False
    if best.residual not in (Residual.NONE, Residual.DISCOUNT, Residual.BANK_FEE, Residual.FX):
        return False
    if best.stage in ("amount", "amount_discount", "fuzzy_reference"):
        return True
    # the same references, completed (a fuzzy one, one the remittance left out) so that the amount fits
    return {i for i, _ in other.applied} <= {i for i, _ in best.applied}


def _fmt(units: int) -> str:
    return f"{from_units(units):.2f}"


def _money(units: int, currency: str) -> Money:
    """Units as Money at the currency's own precision (exact: matching works in whole minor units)."""
    amount = from_units(units)
    quantum = Decimal(1).scaleb(-minor_digits(currency))
    if amount == amount.quantize(quantum):
        amount = amount.quantize(quantum)
    return Money(amount, currency)
