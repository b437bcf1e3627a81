"""Every statement the Oracle adapter sends is constant text with bind variables, never built from values.

Why a scan: one f-string in a WHERE clause is an injection hole and defeats Oracle's cursor
sharing; reading the code once is not enough, so every `execute` of the adapter is checked to
take a constant of adapters/oracle/sql.py, and sql.py to hold only literal text.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from creditbridge.adapters.oracle import sql

ADAPTER = Path(__file__).resolve().parents[2] / "adapters" / "oracle"
ADAPTER_MODULES = sorted(p for p in ADAPTER.glob("*.py") if p.name != "__init__.py")
_LITERAL = re.compile(r"'([^']*)'")
ALLOWED_LITERALS = {"A", "APP", "Y", "N", "INV", "DM", "CM", "CB", "CASH", "S", "AR", "TCA_V2_API"}
"""Fixed EBS codes a statement may spell out; every value from outside arrives as a bind."""


@pytest.mark.parametrize("module", ADAPTER_MODULES, ids=lambda p: p.name)
def test_every_execute_takes_a_constant_statement_of_the_sql_module(module: Path):
    tree = ast.parse(module.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "execute":
            statement = node.args[0]
            is_constant = isinstance(statement, ast.Attribute) and getattr(statement.value, "id", None) == "sql"
            passed_through = isinstance(statement, ast.Name)  # the writer's _call(…, block, …) takes sql.X
            assert is_constant or passed_through, f"{module.name}:{node.lineno}: execute() of a statement built here"
        name = node.func.attr if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) else None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
        if isinstance(node, ast.Call) and name in ("_call", "call_api") and not isinstance(node.args[2], ast.Name):
            block = node.args[2]
            assert isinstance(block, ast.Attribute) and getattr(block.value, "id", None) == "sql", (
                f"{module.name}:{node.lineno}: a PL/SQL block built here"
            )


def test_the_sql_module_holds_literal_text_only():
    tree = ast.parse((ADAPTER / "sql.py").read_text())
    for node in ast.walk(tree):
        assert not isinstance(node, ast.JoinedStr), f"sql.py:{node.lineno}: an f-string"
        if isinstance(node, ast.BinOp):
            assert isinstance(node.op, ast.Add), f"sql.py:{node.lineno}: {type(node.op).__name__} on text"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in ("format", "replace", "join"), f"sql.py:{node.lineno}: .{node.func.attr}()"


@pytest.mark.parametrize("name", sorted(sql.ALL_STATEMENTS))
def test_statements_compare_with_binds_not_quoted_values(name: str):
    statement = sql.ALL_STATEMENTS[name]
    assert set(_LITERAL.findall(statement)) <= ALLOWED_LITERALS, name
    assert "%s" not in statement and "{" not in statement and "?" not in statement, name


def test_the_statements_are_the_ones_the_adapter_runs():
    assert {"CUSTOMERS", "CREDIT_PROFILES", "OPEN_ITEMS", "PAYMENTS", "ORDERS", "UPDATE_PROFILE_AMOUNT",
            "CREATE_PROFILE_AMOUNT", "UPDATE_CREDIT_HOLD", "APPS_INITIALIZE", "RECORD_KEY", "CREATE_CASH",
            "APPLY_CASH"} <= set(sql.ALL_STATEMENTS)  # fmt: skip
    for name in ("UPDATE_PROFILE_AMOUNT", "CREATE_PROFILE_AMOUNT", "UPDATE_CREDIT_HOLD"):
        block = sql.ALL_STATEMENTS[name]
        assert "HZ_CUSTOMER_PROFILE_V2PUB." in block and "UPDATE HZ_" not in block.upper(), name
        assert "FND_MSG_PUB.GET" in block and ":return_status" in block, name
    assert "FND_API.G_MISS_NUM" in sql.UPDATE_PROFILE_AMOUNT
