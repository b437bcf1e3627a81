"""The dependency rule of DESIGN.md: core imports nothing of the package and no I/O libraries."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN_IN_CORE = ("creditbridge.adapters", "creditbridge.sync", "creditbridge.mappings",
                     "sqlalchemy", "pydantic", "requests", "polars", "duckdb", "quickbooks", "oracledb", "pyrfc")  # fmt: skip
FORBIDDEN_OUTSIDE_SYNC = ("creditbridge.sync",)
BARE = ("core", "adapters", "sync", "mappings")


def imports_of(folder: str) -> list[tuple[Path, str]]:
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.module))
    return found


def offending(folder: str, prefixes: tuple[str, ...]) -> list[str]:
    return [f"{p.relative_to(ROOT)}: {m}" for p, m in imports_of(folder)
            if any(m == pre or m.startswith(pre + ".") for pre in prefixes)]  # fmt: skip


def test_core_stays_free_of_io_and_the_other_layers():
    assert offending("core", FORBIDDEN_IN_CORE) == []


def test_adapters_and_mappings_do_not_reach_into_the_shell():
    assert offending("adapters", FORBIDDEN_OUTSIDE_SYNC) == []
    assert offending("mappings", FORBIDDEN_OUTSIDE_SYNC) == []


def test_everything_imports_through_the_creditbridge_namespace():
    for folder in ("core", "adapters", "sync", "mappings", "tests"):
        assert offending(folder, BARE) == []
