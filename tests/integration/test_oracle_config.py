"""An erp = "oracle" connection as a user configures it: what is built, and what a mistake says."""

from __future__ import annotations

from pathlib import Path

import pytest

from creditbridge.adapters.oracle.erp import OracleErp
from creditbridge.adapters.oracle.simulator import EbsSimulator
from creditbridge.core.ports import Capability, Entity
from creditbridge.mappings import template_text
from creditbridge.sync.composition import adapter_for
from creditbridge.sync.config import ConfigError, load_config
from tests.contract.conftest import FIXTURE


def site(tmp_path: Path, options: str, *, credentials: str = "", mapping: str | None = None) -> Path:
    (tmp_path / "mappings").mkdir(exist_ok=True)
    (tmp_path / "mappings" / "oracle.yaml").write_text(mapping if mapping is not None else template_text("oracle"))
    config = tmp_path / "creditbridge.toml"
    config.write_text(f"""store_url = "sqlite:///cb.db"
[[connections]]
name = "ebs"
erp = "oracle"
mapping = "mappings/oracle.yaml"
{credentials}
[connections.options]
{options}
""")
    return config


def build(config_path: Path) -> object:
    config = load_config(config_path)
    return adapter_for(config.connection("ebs"), config)


def test_a_simulator_connection_is_seeded_once_and_reads_the_mappings_operating_unit(tmp_path: Path):
    mapping = template_text("oracle")  # without its risk code table: the fixture's codes are B and C
    start, end = mapping.index("  risk_classes:"), mapping.index("  order_statuses:")
    path = site(tmp_path, f'simulator = true\nsimulator_path = "ebs.db"\nseed_ledger = "{FIXTURE}"',
                mapping=mapping[:start] + mapping[end:])  # fmt: skip
    erp = build(path)
    assert isinstance(erp, OracleErp) and erp.erp_name == "ebs" and erp.options.org_id == 204
    assert erp.options.preferred_currency == "USD" and Capability.READ_ORDERS in erp.capabilities
    assert {c.key for c in erp.read_changes(Entity.CUSTOMERS, None).changes} == {"A", "B", "C"}
    EbsSimulator(tmp_path / "ebs.db").human_edit_profile("A", on_hold=True)
    again = build(path)  # the file is not seeded again: the person's edit is still there
    assert again.read_credit_profile("A").on_hold is True  # type: ignore[attr-defined]


def test_a_database_connection_needs_its_dsn_and_user(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"options\.dsn .* and options\.user are needed"):
        build(site(tmp_path, 'user = "XXCB_USER"', credentials='credentials = "env:CB_TEST_ORACLE_PASSWORD"'))


def test_a_missing_password_says_which_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("CB_TEST_ORACLE_PASSWORD", raising=False)
    path = site(tmp_path, 'dsn = "db:1521/EBS"\nuser = "XXCB_USER"',
                credentials='credentials = "env:CB_TEST_ORACLE_PASSWORD"')  # fmt: skip
    with pytest.raises(ConfigError, match="CB_TEST_ORACLE_PASSWORD is not set"):
        build(path)


def test_a_wrong_time_zone_is_named(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"options\.db_timezone 'Mars/Olympus' is not a time zone name"):
        build(site(tmp_path, 'simulator = true\nsimulator_path = "ebs.db"\ndb_timezone = "Mars/Olympus"'))


def test_a_database_connection_builds_a_pool_without_connecting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CB_TEST_ORACLE_PASSWORD", "secret")
    path = site(tmp_path, 'dsn = "ebs.invalid:1521/EBS"\nuser = "XXCB_USER"\nthick = false',
                credentials='credentials = "env:CB_TEST_ORACLE_PASSWORD"')  # fmt: skip
    erp = build(path)
    assert isinstance(erp, OracleErp) and type(erp.sessions).__name__ == "OraclePool"
    assert erp.options.responsibility is not None and erp.options.responsibility.user_id == 1318
