"""Setting creditbridge up from the command line, as finance IT does: init, doctor, mappings, secrets.

A real process with a clean environment, real files and a real SQLite store; what is asserted is
what the person at the terminal sees (and the exit code a script would test).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
CLI = str(Path(sys.executable).parent / "creditbridge")
SENTINEL = "SENTINEL-e2e-4b1d-never-print"
ERPS = ("files", "memory", "quickbooks", "sap", "oracle")


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith("CREDITBRIDGE_")}
    clean["COLUMNS"] = "200"  # wide tables: a detail is not folded across lines
    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, cwd=cwd, env={**clean, **(env or {})}, input=stdin, timeout=300
    )


def doctor_json(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = run("doctor", "--format", "json", *args, cwd=cwd, env=env)
    return result.returncode, json.loads(result.stdout)


def statuses(report: dict) -> dict[str, str]:
    return {check["check"]: check["status"] for check in report["checks"]}


def test_init_for_a_ledger_folder_then_doctor_says_all_is_in_order(tmp_path: Path):
    init = run("init", "--erp", "files", "--dir", "site", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert "wrote site/creditbridge.toml" in init.stderr and "wrote site/mappings/files.yaml" in init.stderr
    site = tmp_path / "site"
    for name in ("customers.csv", "invoices.csv", "payments.csv"):
        shutil.copy(FIXTURE / name, site / "ledger" / name)
    code, report = doctor_json(cwd=site)
    assert code == 0 and report["ok"] is True
    assert statuses(report) == {"config": "ok", "store": "ok", "mapping ledger": "ok", "connection ledger": "ok"}
    assert "3 customer(s)" in next(c["detail"] for c in report["checks"] if c["check"] == "connection ledger")
    table = run("doctor", cwd=site)
    assert table.returncode == 0 and "everything checked is in order" in table.stderr
    assert run("mappings", "check", "mappings/files.yaml", cwd=site).returncode == 0


@pytest.mark.parametrize("erp", ERPS)
def test_init_writes_a_config_and_a_mapping_that_pass_their_checks(tmp_path: Path, erp: str):
    assert run("init", "--erp", erp, cwd=tmp_path).returncode == 0
    check = run("mappings", "check", f"mappings/{erp}.yaml", cwd=tmp_path)
    assert check.returncode == 0, check.stdout
    assert check.stdout.startswith(f"mappings/{erp}.yaml: ok (erp {erp}")
    code, report = doctor_json(
        cwd=tmp_path, env={"CREDITBRIDGE_SAP_PASSWORD": "x", "CREDITBRIDGE_ORACLE_PASSWORD": "y"}
    )
    found = statuses(report)
    connection = "ledger" if erp == "files" else erp
    assert found["config"] == "ok" and found["store"] == "ok" and found[f"mapping {connection}"] == "ok"
    if erp in ("files", "memory"):
        assert code == 0 and report["ok"] is True
    else:  # configured correctly; QuickBooks still needs linking, SAP pyrfc, Oracle its database
        assert code == 1 and found[f"connection {erp}"] == "fail"
        detail = next(c["detail"] for c in report["checks"] if c["check"] == f"connection {erp}")
        if erp == "quickbooks":
            assert "creditbridge connect quickbooks --connection quickbooks" in detail
        elif erp == "sap":  # the template connects ECC over RFC, which needs pyrfc and SAP's NW RFC SDK
            assert "SAP over RFC needs pyrfc" in detail and "SAPNWRFC_HOME" in detail
        else:  # oracle: the template's ebs.example.com does not resolve
            assert "cannot read customers: ErpUnavailable: Oracle DPY-6005: cannot connect" in detail


def test_init_never_overwrites_without_force(tmp_path: Path):
    run("init", "--erp", "memory", cwd=tmp_path)
    config = tmp_path / "creditbridge.toml"
    config.write_text(config.read_text() + "# my edits\n")
    again = run("init", "--erp", "memory", cwd=tmp_path)
    assert again.returncode == 2
    assert "creditbridge.toml, mappings/memory.yaml already exist(s); nothing was written" in again.stderr
    assert config.read_text().endswith("# my edits\n")
    assert run("init", "--erp", "memory", "--force", cwd=tmp_path).returncode == 0
    assert not config.read_text().endswith("# my edits\n")


def test_doctor_names_the_line_of_a_broken_config_and_exits_1(tmp_path: Path):
    (tmp_path / "creditbridge.toml").write_text(
        'store_url = "sqlite:///cb.db"\n\n[[connections]]\nname = "a"\nerp = "sapp"\n'
    )
    code, report = doctor_json(cwd=tmp_path)
    assert code == 1 and report["ok"] is False
    [check] = report["checks"]
    assert check["status"] == "fail"
    assert check["detail"] == (
        "creditbridge.toml:5: connections[0].erp: must be 'files', 'memory', 'quickbooks', 'sap' or 'oracle' "
        "(did you mean 'sap'?)"
    )
    table = run("doctor", "--config", "creditbridge.toml", cwd=tmp_path)
    assert table.returncode == 1 and "creditbridge.toml:5: connections[0].erp" in table.stdout
    assert "1 problem(s) found" in table.stderr and "Traceback" not in table.stderr


def test_doctor_lists_every_problem_of_a_connection_mapping(tmp_path: Path):
    run("init", "--erp", "memory", cwd=tmp_path)
    mapping = tmp_path / "mappings" / "memory.yaml"
    text = (
        mapping.read_text()
        .replace("    name: name ", "    nmae: name ")
        .replace("mechanism: direct", "mechanism: inactive")
    )
    mapping.write_text(text)
    code, report = doctor_json(cwd=tmp_path)
    detail = next(c for c in report["checks"] if c["check"] == "mapping memory")
    assert code == 1 and detail["status"] == "fail"
    lines = detail["detail"].splitlines()
    assert len(lines) == 3 and all(line.startswith(f"{mapping}:") for line in lines)
    assert "fields.customers.nmae: unknown key 'nmae' (did you mean 'name'?" in detail["detail"]
    assert "writeback.mechanism: must be 'direct'" in detail["detail"]


def test_mappings_check_prints_every_problem_as_file_line_and_exits_1(tmp_path: Path):
    bad = tmp_path / "sap.yaml"
    bad.write_text(
        "erp: sap\nscope:\n  system: ecc\n  company_code: 1000\nfields:\n  customers:\n    customer_id: KNA1.KUNNR\n"
        "    name: KNA1.NAME1\ntranslations:\n  payment_terms:\n    0001: 0\nwriteback:\n  mechanism: rfc_function\n"
    )
    good = Path(__file__).resolve().parents[2] / "mappings" / "templates" / "oracle.yaml"
    result = run("mappings", "check", str(good), "sap.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{good}: ok (erp oracle, write-back profile_amounts_api)",
        "sap.yaml:4: scope.company_code: must be text (put the value in quotes; unquoted digits and dates are read as "
        "numbers and dates)",
        "sap.yaml:11: translations.payment_terms.0001: the code 0001 must be text (write it in quotes: '0001'; "
        "unquoted digits are read as a number and lose leading zeros)",
        "sap.yaml:12: writeback.credit_control_area: the credit control area is missing (set "
        "writeback.credit_control_area or scope.credit_control_area (KKBER, 4 characters))",
        "sap.yaml:12: writeback.function_module: rfc_function needs function_module (SAP has no released BAPI "
        "that writes KNKK: name your RFC-enabled wrapper, e.g. Z_CREDITBRIDGE_SET_CREDIT)",
    ]
    assert "4 problem(s) in 2 file(s)" in result.stderr


def test_mappings_schema_is_json_schema_for_editors():
    result = run("mappings", "schema")
    schema = json.loads(result.stdout)
    assert result.returncode == 0 and schema["$schema"].startswith("https://json-schema.org/")
    assert set(schema["discriminator"]["mapping"]) == set(ERPS)


def dump(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


def test_a_stored_secret_is_never_printed_logged_or_kept_in_clear(tmp_path: Path):
    run("init", "--erp", "quickbooks", cwd=tmp_path)
    no_key = run("secrets", "set", "quickbooks-refresh-token", cwd=tmp_path, stdin=SENTINEL + "\n")
    assert no_key.returncode == 2 and "set CREDITBRIDGE_SECRET_KEY" in no_key.stderr
    key = run("secrets", "new-key").stdout.strip()
    env = {"CREDITBRIDGE_SECRET_KEY": key}
    stored = run("secrets", "set", "quickbooks-refresh-token", cwd=tmp_path, env=env, stdin=SENTINEL + "\n")
    assert stored.returncode == 0, stored.stderr
    listed = run("secrets", "list", cwd=tmp_path)  # names need no key
    assert listed.stdout.startswith("quickbooks-refresh-token\tset ")
    _, report = doctor_json(cwd=tmp_path, env=env)
    assert statuses(report)["credentials quickbooks"] == "ok"
    wrong_key = run("doctor", "--format", "json", cwd=tmp_path, env={"CREDITBRIDGE_SECRET_KEY": key[::-1]})
    seen = "".join(
        r.stdout + r.stderr
        for r in (stored, listed, wrong_key, run("secrets", "list", "--format", "json", cwd=tmp_path))
    )
    assert SENTINEL not in seen + json.dumps(report)
    assert SENTINEL not in dump(tmp_path / "creditbridge.db")


def test_an_unreachable_store_fails_doctor_without_showing_its_password(tmp_path: Path):
    run("init", "--erp", "memory", cwd=tmp_path)
    env = {"CREDITBRIDGE_STORE_URL": "postgresql+psycopg://cb:Pa55-w0rd@127.0.0.1:1/none"}
    result = run("doctor", "--format", "json", cwd=tmp_path, env=env)
    report = json.loads(result.stdout)
    assert result.returncode == 1 and statuses(report)["store"] == "fail"
    assert "Pa55-w0rd" not in result.stdout + result.stderr
    assert "cb:***@127.0.0.1:1/none" in next(c["detail"] for c in report["checks"] if c["check"] == "store")
