"""Benchmarks at scale, on sample companies from `creditbridge.sync.sample_company`.

Run from the repository root (the generated ledgers are cached in tests/bench/data/, gitignored):

    .venv/bin/python tests/bench/run.py --size 1m          # 1M invoices, ~800k payments
    .venv/bin/python tests/bench/run.py --size 10m         # 10M invoices
    .venv/bin/python tests/bench/run.py --invoices 250000 --customers 2500 --json out.json

Steps: generate (or reuse) the ledger; (a) `read_ledger` parse + validate; (b) import into SQLite
through `Store.import_ledger`; (c) `Store.load_columns`; (d) the full KPI set `compute_kpis` (median
of 5 warm runs); (e) aging alone; (f) `creditbridge kpis --ledger DIR --format json` as a subprocess
(wall time) and (g) its peak memory (ru_maxrss). A step whose module does not exist yet is reported
as skipped, so the harness runs at any stage of the project. Results print as a markdown table,
with the targets beside them and the machine they ran on.

Not a test: pytest does not collect tests/bench (norecursedirs).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib
import inspect
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
DATA_DIR = BENCH_DIR / "data"
AS_OF = date(2025, 6, 30)
SIZES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
STEPS = ("read", "import", "load", "kpis", "aging", "e2e")  # the ledger is always generated or reused
WARM_RUNS = 5
GB = 1024**3


@dataclass
class Row:
    """One line of the results table; `value` is the raw figure (seconds, rows/s or bytes)."""

    step: str
    result: str
    target: str = ""
    ok: bool | None = None
    value: float | None = None


@dataclass(frozen=True)
class Target:
    """A figure to meet: at most (or, for rates, at least) `limit`, at the sizes it was set for."""

    text: str
    limit: float
    at_least: bool = False
    sizes: tuple[int, ...] | None = None  # None: every size

    def judge(self, value: float, invoices: int) -> tuple[str, bool | None]:
        if self.sizes is not None and invoices not in self.sizes:
            return f"({self.text} at {_count(self.sizes[0])})", None
        return self.text, value >= self.limit if self.at_least else value <= self.limit


TARGETS = {
    "gen_1m": Target("≲ 15 s", 15.0, sizes=(1_000_000,)),
    "gen_10m": Target("a few minutes (≤ 300 s)", 300.0, sizes=(10_000_000,)),
    "import": Target("≥ 100k rows/s", 100_000.0, at_least=True),
    "kpis": Target("≤ 250 ms", 0.250, sizes=(1_000_000,)),
    "aging": Target("≤ 30 ms", 0.030, sizes=(1_000_000,)),
    "e2e": Target("≤ 5 s", 5.0, sizes=(1_000_000,)),
    "peak": Target("≤ 1.5 GB", 1.5 * GB, sizes=(1_000_000,)),
}


class Skipped(Exception):
    """A part of the project this step needs does not exist yet."""


def optional(module: str, attribute: str | None = None) -> Any:
    """The module (or one of its attributes), or Skipped naming what is missing."""
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise Skipped(f"{module} not available yet ({exc})") from None
    if attribute is None:
        return found
    if not hasattr(found, attribute):
        raise Skipped(f"{module}.{attribute} not available yet")
    return getattr(found, attribute)


def seconds(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - started


def median_warm(fn: Callable[[], Any], runs: int = WARM_RUNS) -> float:
    """Median wall time of `runs` calls after one warm-up call."""
    fn()
    return statistics.median(seconds(fn)[1] for _ in range(runs))


# --- the dataset ------------------------------------------------------------------------------


def _generator_fingerprint() -> str:
    """Hash of the generator's source: a cached ledger from another version is regenerated."""
    module = optional("creditbridge.sync.sample_company")
    return hashlib.sha256(Path(inspect.getsourcefile(module) or "").read_bytes()).hexdigest()[:16]


def dataset(invoices: int, customers: int, seed: int, regenerate: bool) -> tuple[Path, dict[str, Any], float | None]:
    """The cached ledger folder, its summary, and the generation time if it was generated now."""
    generate = optional("creditbridge.sync.sample_company", "generate_sample_company")
    name = f"ledger-{invoices}-c{customers}-s{seed}-{AS_OF.isoformat()}"
    folder, stamp = DATA_DIR / name, DATA_DIR / f"{name}.json"
    fingerprint = _generator_fingerprint()
    if not regenerate and stamp.exists() and folder.is_dir():
        cached = json.loads(stamp.read_text())
        if cached.get("generator") == fingerprint:
            return folder, cached, None
    stamp.unlink(missing_ok=True)
    shutil.rmtree(folder, ignore_errors=True)

    def progress(stage: str, done: int, total: int) -> None:
        print(f"\r  generating {stage}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    summary, took = seconds(
        lambda: generate(folder, customers=customers, invoices=invoices, as_of=AS_OF, seed=seed, progress=progress)
    )
    print(file=sys.stderr)
    described = {k: v for k, v in asdict(summary).items() if k != "folder"}
    described |= {
        "generator": fingerprint,
        "seconds": round(took, 2),
        "bytes": sum(f.stat().st_size for f in folder.glob("*.csv")),
    }
    stamp.write_text(json.dumps(described, indent=2))
    return folder, described, took


# --- the steps --------------------------------------------------------------------------------


class Bench:
    """Runs the steps in order; each one records rows and leaves what later steps need."""

    def __init__(self, folder: Path, summary: dict[str, Any], invoices: int, steps: set[str], keep_db: bool):
        self.folder, self.summary, self.invoices, self.steps, self.keep_db = folder, summary, invoices, steps, keep_db
        self.rows: list[Row] = []
        self.tables: Any = None
        self.columns: Any = None
        self.columns_from = ""

    def add(self, step: str, result: str, target: str | None = None, value: float | None = None) -> Row:
        row = Row(step, result, value=value)
        if target is not None and value is not None:
            row.target, row.ok = TARGETS[target].judge(value, self.invoices)
        self.rows.append(row)
        return row

    def attempt(self, key: str, label: str, fn: Callable[[], None]) -> None:
        if key not in self.steps:
            return
        print(f"  {label} …", file=sys.stderr, flush=True)
        try:
            fn()
        except Skipped as exc:
            self.add(label, f"skipped: {exc}")
        except Exception as exc:  # a benchmark reports a failing step and goes on with the others
            self.add(label, f"failed: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300])

    def run(self) -> list[Row]:
        self.attempt("read", "(a) read_ledger: parse + validate", self.read)
        self.attempt("import", "(b) import into SQLite (Store.import_ledger)", self.store_steps)
        self.attempt("kpis", "(d) compute_kpis, full set, period 90 d", self.kpis)
        self.attempt("aging", "(e) aging alone", self.aging)
        self.attempt("e2e", "(f) creditbridge kpis --format json (subprocess)", self.end_to_end)
        return self.rows

    def read(self) -> None:
        read_ledger = optional("creditbridge.adapters.files", "read_ledger")
        self.tables, took = seconds(lambda: read_ledger(self.folder))
        warnings = len(self.tables.warnings)
        self.add(
            "(a) read_ledger: parse + validate",
            f"{took:.2f} s ({_rate(self._file_rows(), took)} rows/s{f', {warnings} warnings' if warnings else ''})",
            value=took,
        )
        if hasattr(self.tables, "to_columns"):
            self.columns, took = seconds(self.tables.to_columns)
            self.columns_from = "read_ledger().to_columns()"
            self.add("    tables → numpy columns (to_columns)", f"{took:.2f} s", value=took)

    def store_steps(self) -> None:
        if self.tables is None:
            raise Skipped("needs the tables of (a)")
        store_class = optional("creditbridge.sync.store", "Store")
        with tempfile.TemporaryDirectory(dir=DATA_DIR, prefix="store-") as tmp:
            database = Path(tmp) / "bench.db"
            with store_class.open(f"sqlite:///{database}") as store:
                _, took = seconds(lambda: store.import_ledger(self.tables, source="bench"))
                rows = self._table_rows()
                imported = self.add(
                    "(b) import into SQLite (Store.import_ledger)",
                    f"{took:.2f} s, {rows:,} rows = {_rate(rows, took)} rows/s",
                    "import",
                    rows / took,
                )
                self.attempt("load", "(c) Store.load_columns", lambda: self.load(store))
            imported.result += f"; database {sum(f.stat().st_size for f in Path(tmp).iterdir()) / GB:.2f} GB"
            if self.keep_db:
                shutil.copy(database, DATA_DIR / f"{self.folder.name}.db")

    def load(self, store: Any) -> None:
        if not hasattr(store, "load_columns"):
            raise Skipped("Store.load_columns not available yet")
        self.columns, took = seconds(lambda: store.load_columns(source="bench"))
        self.columns_from = "Store.load_columns()"
        self.add("(c) Store.load_columns", f"{took:.2f} s", value=took)

    def kpis(self) -> None:
        compute_kpis = optional("creditbridge.core.kpis", "compute_kpis")
        columns = self._columns()
        took = median_warm(lambda: compute_kpis(columns, AS_OF, period_days=90))
        self.add(
            "(d) compute_kpis, full set, period 90 d",
            f"{took * 1000:.0f} ms (median of {WARM_RUNS} warm; columns from {self.columns_from})",
            "kpis",
            took,
        )

    def aging(self) -> None:
        engine_module = optional("creditbridge.core.kpis.engine")
        columns = self._columns()
        if hasattr(engine_module, "aging_totals"):
            took = median_warm(lambda: engine_module.aging_totals(columns, AS_OF))
            self.add(
                "(e) aging alone (engine.aging_totals)",
                f"{took * 1000:.1f} ms (median of {WARM_RUNS} warm)",
                "aging",
                took,
            )
            return
        engine_class = optional("creditbridge.core.kpis.engine", "KpiEngine")
        if not hasattr(engine_class, "aging_totals"):
            raise Skipped("no aging_totals in creditbridge.core.kpis.engine yet")
        engine, prepare = seconds(lambda: engine_class(columns))
        took = median_warm(lambda: engine.aging_totals(AS_OF))
        self.add(
            "(e) aging alone (KpiEngine.aging_totals, engine prepared)",
            f"{took * 1000:.1f} ms (median of {WARM_RUNS} warm)",
            "aging",
            took,
        )
        self.add("    KpiEngine(columns): prepare once", f"{prepare * 1000:.0f} ms", value=prepare)

    def end_to_end(self) -> None:
        program = shutil.which("creditbridge", path=str(Path(sys.executable).parent)) or shutil.which("creditbridge")
        if program is None:
            raise Skipped("the creditbridge command is not installed")
        optional("creditbridge.sync.cli", "main")
        command = [program, "kpis", "--ledger", str(self.folder), "--as-of", AS_OF.isoformat(), "--format", "json"]
        runs = 3 if self.invoices <= 2_000_000 else 1
        walls, peaks = [], []
        for _ in range(runs):
            wall, peak = _run_measured(command)
            walls.append(wall)
            peaks.append(peak)
        wall, peak = statistics.median(walls), max(peaks)
        self.add("(f) creditbridge kpis --format json (subprocess)", f"{wall:.2f} s (median of {runs})", "e2e", wall)
        self.add("(g) peak memory of (f) (ru_maxrss)", f"{peak / GB:.2f} GB", "peak", peak)
        startup = statistics.median(
            _run_measured([sys.executable, "-c", "import creditbridge.sync.cli"], parse_json=False)[0] for _ in range(3)
        )
        self.add("    of which Python start + importing the CLI", f"{startup:.2f} s", value=startup)

    def _columns(self) -> Any:
        if self.columns is None:
            raise Skipped("needs columns from (a) or (c)")
        return self.columns

    def _file_rows(self) -> int:
        s = self.summary
        return int(s["customers"] + s["invoices"] + s["payments"] + s["orders"] + s["writeoffs"])

    def _table_rows(self) -> int:
        names = ("customers", "invoices", "payments", "applications", "orders", "writeoffs")
        return sum(getattr(self.tables, name).height for name in names if hasattr(self.tables, name))


def _run_measured(command: list[str], parse_json: bool = True) -> tuple[float, int]:
    """Wall seconds and peak resident bytes of one child process; its JSON output must parse."""
    with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            stderr.seek(0)
            raise RuntimeError(f"exit {child.returncode}: {stderr.read().decode(errors='replace')[-300:]}")
        if parse_json:
            stdout.seek(0)
            json.loads(stdout.read())
    return wall, usage.ru_maxrss * 1024  # Linux reports kilobytes


# --- reporting --------------------------------------------------------------------------------


def _count(n: int | float) -> str:
    for unit, size in (("M", 1_000_000), ("k", 1_000)):
        if n >= size:
            return f"{n / size:g}{unit}"
    return f"{n:g}"


def _rate(rows: int, took: float) -> str:
    return f"{rows / took / 1000:,.0f}k" if took > 0 else "∞"


def machine() -> dict[str, str]:
    cpu = ram = "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        ram = f"{kb * 1024 / GB:.1f} GB"
    except (OSError, StopIteration):
        pass
    versions = []
    for package in ("numpy", "polars", "sqlalchemy"):
        with contextlib.suppress(ImportError):
            versions.append(f"{package} {importlib.import_module(package).__version__}")
    return {
        "load": " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "nproc": str(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()),
        "cpu": cpu,
        "ram": ram,
        "python": f"{platform.python_version()} ({', '.join(versions)})",
        "os": platform.platform(),
    }


def markdown(title: str, host: dict[str, str], summary: dict[str, Any], rows: list[Row]) -> str:
    lines = [
        f"### {title}",
        "",
        f"Machine: {host['nproc']} CPUs (nproc), {host['cpu']}, {host['ram']} RAM; Python {host['python']}; "
        f"{host['os']}; load average at start {host['load']}",
        f"Ledger: {summary['customers']:,} customers, {summary['invoices']:,} invoices "
        f"({summary['credit_memos']:,} CM, {summary['debit_memos']:,} DM), {summary['payments']:,} payments "
        f"({summary['applications']:,} applications), {summary['writeoffs']:,} write-offs, "
        f"{summary['orders']:,} orders; {summary['bytes'] / 1e6:,.0f} MB of CSV; as of {AS_OF.isoformat()}",
        "",
        "| Step | Result | Target | Met |",
        "|---|---|---|---|",
    ]
    marks = {True: "yes", False: "**no**", None: ""}
    lines += [f"| {r.step} | {r.result} | {r.target} | {marks[r.ok]} |" for r in rows]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--size", choices=sorted(SIZES, key=SIZES.__getitem__), help="1m (default) or 10m, …")
    size.add_argument("--invoices", type=int, help="any invoice count")
    parser.add_argument("--customers", type=int, help="default: one per 100 invoices")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", help=f"comma-separated steps to run, of {','.join(STEPS)}")
    parser.add_argument("--skip", default="", help="comma-separated steps to leave out")
    parser.add_argument("--regenerate", action="store_true", help="generate the ledger even if it is cached")
    parser.add_argument("--keep-db", action="store_true", help="keep the SQLite file in tests/bench/data/")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    invoices = args.invoices or SIZES[args.size or "1m"]
    customers = args.customers or max(invoices // 100, 10)
    steps = set(args.only.split(",") if args.only else STEPS) - set(filter(None, args.skip.split(",")))
    if unknown := steps - set(STEPS):
        parser.error(f"unknown steps {sorted(unknown)}; steps are {','.join(STEPS)}")
    DATA_DIR.mkdir(parents=True, exist_ok=True)

    host = machine()
    print(f"ledger of {invoices:,} invoices, {customers:,} customers (seed {args.seed}) …", file=sys.stderr)
    try:
        folder, summary, generated = dataset(invoices, customers, args.seed, args.regenerate)
    except Skipped as exc:
        print(f"cannot benchmark: {exc}", file=sys.stderr)
        return 1
    rows: list[Row] = []
    target = "gen_10m" if invoices == 10_000_000 else "gen_1m"
    if generated is None:
        rows.append(
            Row(
                "generate sample company",
                f"cached in {folder.relative_to(BENCH_DIR.parent.parent)} (generated in {summary['seconds']:.1f} s)",
                value=summary["seconds"],
            )
        )
    else:
        rows.append(Row("generate sample company", f"{generated:.1f} s", value=generated))
    if rows[0].value is not None:
        rows[0].target, rows[0].ok = TARGETS[target].judge(rows[0].value, invoices)

    rows += Bench(folder, summary, invoices, steps, args.keep_db).run()
    report = markdown(f"creditbridge benchmarks, {_count(invoices)} invoices", host, summary, rows)
    print(report)
    if args.json:
        args.json.write_text(
            json.dumps(
                {"machine": host, "ledger": summary, "as_of": AS_OF.isoformat(), "rows": [asdict(r) for r in rows]},
                indent=2,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
