"""Cash-application benchmark: generate → camt.053 → read_statement → match → score, beside a rule-only baseline.

    .venv/bin/python tests/bench/cashapp/run.py --profile medium --payments 20000 --invoices 1000000
    .venv/bin/python tests/bench/cashapp/run.py --profile hard --payments 5000 --invoices 200000 --seed 2

Prints per noise type: payments, auto precision (exact invoice set), straight-through, harmful
false applications, recall at ≥ 99% precision, and the baseline's straight-through and precision;
then the timings (statement parse, index build, matching; payments/s on one core). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import baseline
from generator import MEDIUM, generate
from scorer import Figures, Outcome, score

from creditbridge.adapters.statements import read_statement
from creditbridge.adapters.statements.camt_writer import write_camt053
from creditbridge.core.cashapp import CashMatcher

DATA = Path(__file__).resolve().parents[1] / "data" / "cashapp"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def machine_speed() -> float:
    """CPU-µs per item of a bare dict-building loop: a yardstick for how fast this machine runs Python now."""
    keys = [str(n) for n in range(200_000)]
    started = time.process_time()
    table = {}
    for key in keys:
        table[key] = key
    return (time.process_time() - started) / len(keys) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", choices=("easy", "medium", "hard"), default="medium")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--payments", type=int, default=20_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args()

    started = time.perf_counter()
    case = generate(args.profile, args.seed, args.payments, args.invoices, args.customers)
    generated = time.perf_counter() - started
    DATA.mkdir(parents=True, exist_ok=True)
    camt = DATA / f"{args.profile}-{args.seed}-{args.payments}.camt053.xml"
    write_camt053(camt, case.transactions, debits=max(1, len(case.transactions) // 100))
    started = time.perf_counter()
    statement = read_statement(camt)
    parsed = time.perf_counter() - started
    assert len(statement.transactions) == len(case.transactions), "the statement lost payments"

    started, cpu = time.perf_counter(), time.process_time()
    matcher = CashMatcher(case.customers, case.items)
    indexed, indexed_cpu = time.perf_counter() - started, time.process_time() - cpu
    started, cpu = time.perf_counter(), time.process_time()
    matches = matcher.match_all(list(statement.transactions))
    matched, matched_cpu = time.perf_counter() - started, time.process_time() - cpu
    outcomes = [Outcome(m.payment_id, str(m.decision), float(m.confidence), frozenset(i for i, _ in m.allocations))
                for m in matches]  # fmt: skip
    started = time.perf_counter()
    base = baseline(case.customers, case.items, statement.transactions)
    base_time = time.perf_counter() - started

    ours = score(outcomes, case.truth)
    theirs = score(base, case.truth)
    order = ["ALL", "clean", *MEDIUM.keys(), "unearned_discount"]
    print(f"\n## cash application, profile {args.profile}, seed {args.seed}: {len(case.transactions):,} payments, "
          f"{len(case.items):,} invoices ({sum(1 for i in case.items if i.open_amount.amount):,} open), "
          f"{len(case.customers):,} customers\n")  # fmt: skip
    print("| noise type | payments | auto precision | straight-through | harmful | recall @ ≥99% precision "
          "| baseline STP | baseline precision | baseline harmful |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = {}
    for tag in order:
        if tag not in ours:
            continue
        o: Figures = ours[tag]
        b: Figures = theirs[tag]
        rows[tag] = {"payments": o.payments, "auto_precision": o.precision, "stp": o.stp, "harmful": o.harmful_rate,
                     "recall_at_99": o.recall_at_99, "baseline_stp": b.stp, "baseline_precision": b.precision,
                     "baseline_harmful": b.harmful_rate}  # fmt: skip
        print(f"| {tag} | {o.payments:,} | {pct(o.precision)} | {pct(o.stp)} | {pct(o.harmful_rate)} | "
              f"{pct(o.recall_at_99)} | {pct(b.stp)} | {pct(b.precision)} | {pct(b.harmful_rate)} |")  # fmt: skip
    n = len(case.transactions)
    timings = {"generate_s": generated, "camt_parse_s": parsed, "index_build_s": indexed, "match_s": matched,
               "payments_per_s": n / matched, "payments_per_s_incl_index": n / (matched + indexed),
               "baseline_s": base_time, "index_build_cpu_s": indexed_cpu, "match_cpu_s": matched_cpu,
               "payments_per_cpu_s": n / matched_cpu}  # fmt: skip
    print(f"\ngenerate {generated:.1f} s; read_statement (camt.053, {camt.stat().st_size / 1e6:.1f} MB) {parsed:.2f} s; "
          f"index build {indexed:.2f} s; matching {matched:.2f} s = {n / matched:,.0f} payments/s on one core "
          f"({n / (matched + indexed):,.0f}/s incl. the index; index + matching {indexed + matched:.2f} s); "
          f"baseline {base_time:.2f} s")  # fmt: skip
    print(f"CPU time (this process; the machine is shared): index build {indexed_cpu:.2f} s, matching "
          f"{matched_cpu:.2f} s = {n / matched_cpu:,.0f} payments per CPU-second; index + matching "
          f"{indexed_cpu + matched_cpu:.2f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"yardstick: a bare dict-insert loop took {machine_speed():.2f} CPU-µs per item (≈ 0.05–0.1 on an idle core)")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    if args.json:
        args.json.write_text(json.dumps({"parameters": case.parameters, "rows": rows, "timings": timings}, indent=2))


if __name__ == "__main__":
    main()
