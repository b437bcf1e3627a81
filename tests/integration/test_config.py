"""creditbridge.toml, secrets, the composition root and logs, as operations meet them.

Config problems name file:line and the key; secrets resolve from env:, file: and store: (the
store ones encrypted with rotating keys); and a sentinel secret never shows up in a log line, an
exception, a repr or the database.
"""

from __future__ import annotations

import io
import json
import logging
import os
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import get_args

import pytest
import sqlalchemy as sa
from pydantic import SecretStr

from creditbridge.sync import logs
from creditbridge.sync.composition import AVAILABLE_ERPS, adapter_for, mapping_for, open_store
from creditbridge.sync.config import (
    Config,
    ConfigError,
    ConnectionConfig,
    ErpKind,
    load_config,
    toml_key_lines,
)
from creditbridge.sync.secrets import SecretError, SecretVault, generate_key, resolve_secret, secret_keys
from creditbridge.sync.store import Store, migrate, schema

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "ledger_kpi"
TEMPLATES = Path(__file__).resolve().parents[2] / "mappings" / "templates"
SENTINEL = "SENTINEL-7f3a9c-do-not-log"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No CREDITBRIDGE_* variable of the machine running the tests leaks into them."""
    for name in list(os.environ):
        if name.upper().startswith("CREDITBRIDGE_"):
            monkeypatch.delenv(name)


def write_config(folder: Path, text: str, name: str = "creditbridge.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path | None = None) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value).splitlines()


# --- where the config comes from -------------------------------------------------------------------


def test_config_is_found_by_option_then_environment_then_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    here = write_config(tmp_path, 'log_format = "json"\n')
    other = write_config(tmp_path, 'log_level = "debug"\n', "other.toml")
    monkeypatch.chdir(tmp_path)
    assert load_config().path == here
    monkeypatch.setenv("CREDITBRIDGE_CONFIG", str(other))
    assert load_config().path == other and load_config().log_level == "debug"
    assert load_config(here).path == here


def test_no_config_file_says_how_to_make_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert errors_of() == [
        "creditbridge.toml: no configuration file here (write one with `creditbridge init --erp files`, "
        "or pass --config PATH, or set CREDITBRIDGE_CONFIG)"
    ]


def test_relative_paths_are_relative_to_the_config_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    path = write_config(
        config_dir,
        """
        store_url = "sqlite:///data/creditbridge.db"
        secret_key_file = "secret.key"

        [[connections]]
        name = "ledger"
        erp = "files"
        mapping = "mappings/files.yaml"
        credentials = "file:token.txt"
        options = { folder = "exports", other = "kept" }

        [[connections]]
        name = "sim"
        erp = "memory"
        options = { state_path = "/var/lib/sim.json" }
        """,
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    assert config.store_url == f"sqlite:///{config_dir}/data/creditbridge.db"
    assert config.secret_key_file == config_dir / "secret.key"
    ledger = config.connection("ledger")
    assert ledger.mapping == config_dir / "mappings" / "files.yaml"
    assert ledger.options == {"folder": str(config_dir / "exports"), "other": "kept"}
    assert ledger.credentials == f"file:{config_dir}/token.txt"
    assert config.connection("sim").options == {"state_path": "/var/lib/sim.json"}


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_config(
        tmp_path,
        """
        store_url = "sqlite:///from-file.db"
        [policy]
        increase_approval_threshold = 10000.50
        hold_release_needs_approval = true
        """,
    )
    monkeypatch.setenv("CREDITBRIDGE_STORE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("CREDITBRIDGE_POLICY__HOLD_RELEASE_NEEDS_APPROVAL", "false")
    config = load_config(path)
    assert config.store_url == "sqlite:///from-env.db"  # as given: relative to where the command runs
    assert config.policy.hold_release_needs_approval is False
    assert config.policy.increase_approval_threshold == Decimal("10000.50")


def test_defaults_are_a_sqlite_store_next_to_the_config_and_a_four_eyes_policy(tmp_path: Path):
    config = load_config(write_config(tmp_path, "# nothing set\n"))
    assert config.store_url == f"sqlite:///{tmp_path}/creditbridge.db"
    assert config.connections == [] and config.log_format == "text"
    assert config.policy.increase_approval_threshold == Decimal("0")
    assert config.policy.hold_release_needs_approval is True


# --- what is wrong, where ------------------------------------------------------------------------


def test_every_problem_is_named_with_file_line_and_key(tmp_path: Path):
    path = write_config(
        tmp_path,
        """
        # creditbridge
        store_url = "sqlite:///cb.db"
        log_fromat = "json"

        [policy]
        increase_approval_threshold = -5

        [[connections]]
        name = "qbo"
        erp = "quickbooks"
        credentials = "hunter2-pasted-by-mistake"

        [connections.options]
        realm_id = "123"
        client_secret = "shh"

        [[connections]]
        name = "Ledger Folder"
        erp = "filez"
        """,
    )
    f = str(path)
    assert errors_of(path) == [
        f"{f}:3: log_fromat: unknown key 'log_fromat' (did you mean 'log_format'?)",
        f"{f}:6: policy.increase_approval_threshold: must be greater than or equal to 0",
        f'{f}:11: connections[0].credentials: must be a reference to a secret: "env:NAME", "file:/path" or '
        '"store:NAME"',
        f"{f}:15: connections[0].options.client_secret: option 'client_secret' looks like a secret; secrets go in "
        "`credentials` as a reference",
        f"{f}:18: connections[1].name: must be 1 to 64 lowercase letters, digits, - or _",
        f"{f}:19: connections[1].erp: must be 'files', 'memory', 'quickbooks', 'sap' or 'oracle' (did you mean "
        "'files'?)",
    ]
    assert "hunter2" not in "\n".join(errors_of(path))


def test_toml_syntax_error_names_the_line(tmp_path: Path):
    path = write_config(tmp_path, 'store_url = "sqlite:///x.db"\nlog_format = json\n')
    assert errors_of(path) == [f'{path}:2: TOML syntax: Invalid value (text values need quotes: name = "value")']


def test_a_missing_key_points_at_its_table(tmp_path: Path):
    path = write_config(tmp_path, '[[connections]]\nname = "a"\n\n[[connections]]\nname = "b"\nerp = "files"\n')
    assert errors_of(path) == [f"{path}:1: connections[0].erp: erp is missing (add `erp = ...` to connections[0])"]


def test_two_connections_with_one_name_are_refused(tmp_path: Path):
    path = write_config(
        tmp_path, '[[connections]]\nname = "a"\nerp = "files"\n[[connections]]\nname = "a"\nerp = "memory"\n'
    )
    assert errors_of(path) == [f"{path}: two connections are named 'a'; each needs its own name"]


def test_a_bad_value_from_the_environment_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = write_config(tmp_path, 'log_format = "text"\n')
    monkeypatch.setenv("CREDITBRIDGE_LOG_FORMAT", "xml")
    assert errors_of(path) == [
        f"{path}: log_format: must be 'text' or 'json' (set by the environment variable CREDITBRIDGE_LOG_FORMAT)"
    ]


def test_asking_for_an_unknown_connection_lists_the_ones_there_are(tmp_path: Path):
    path = write_config(
        tmp_path, '[[connections]]\nname = "us"\nerp = "files"\n[[connections]]\nname = "eu"\nerp = "files"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path).connection("uk")
    assert str(caught.value) == f"there is no connection named 'uk' in {path}; the connections are: us, eu"


def test_key_lines_follow_arrays_of_tables_and_dotted_keys():
    text = 'a = 1\n[[c]]\nname = "x"\n[c.options]\nfolder = "f"\n[[c]]\nname = """multi\nline = 3\n"""\nerp.kind = 2\n'
    lines = toml_key_lines(text)
    assert lines[("a",)] == 1 and lines[("c", 0)] == 2 and lines[("c", 0, "options", "folder")] == 5
    assert lines[("c", 1, "name")] == 7 and ("c", 1, "line") not in lines and lines[("c", 1, "erp", "kind")] == 10


def test_repr_never_shows_the_store_password():
    config = Config(store_url="postgresql+psycopg://cb:Pa55word@db/creditbridge")
    assert "Pa55word" not in repr(config) and "cb:***@db" in repr(config)


# --- secrets ---------------------------------------------------------------------------------------


def test_secrets_resolve_from_the_environment_and_from_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QBO_TOKEN", SENTINEL)
    token_file = tmp_path / "token"
    token_file.write_text(SENTINEL + "\n")
    from_env = resolve_secret("env:QBO_TOKEN", None)
    from_file = resolve_secret(f"file:{token_file}", None)
    assert from_env.get_secret_value() == from_file.get_secret_value() == SENTINEL
    assert SENTINEL not in repr(from_env) and SENTINEL not in str(from_file)


def test_a_missing_secret_says_where_it_looked(tmp_path: Path):
    with pytest.raises(SecretError, match="the environment variable NOT_SET_ANYWHERE is not set"):
        resolve_secret("env:NOT_SET_ANYWHERE", None)
    with pytest.raises(SecretError, match=r"cannot read the secret file .*nope"):
        resolve_secret(f"file:{tmp_path / 'nope'}", None)
    with pytest.raises(SecretError, match="not a secret reference"):
        resolve_secret("vault:x", None)


def test_stored_secrets_are_encrypted_and_need_the_key(store_url: str, monkeypatch: pytest.MonkeyPatch):
    key = generate_key()
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", key)
    with Store.open(store_url) as store:
        SecretVault(store).put("qbo-refresh", SecretStr(SENTINEL))
        assert [info.name for info in SecretVault(store).names()] == ["qbo-refresh"]
    assert resolve_secret("store:qbo-refresh", store_url).get_secret_value() == SENTINEL
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", generate_key())
    with pytest.raises(SecretError, match="cannot be decrypted with the configured key"):
        resolve_secret("store:qbo-refresh", store_url)
    monkeypatch.delenv("CREDITBRIDGE_SECRET_KEY")
    with pytest.raises(SecretError, match="no key to encrypt or decrypt stored secrets"):
        resolve_secret("store:qbo-refresh", store_url)
    with pytest.raises(SecretError, match=r"no secret named 'other' in the store \(stored: qbo-refresh\)"):
        resolve_secret("store:other", store_url)


def test_keys_rotate_without_losing_a_secret(store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    old, new = generate_key(), generate_key()
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", old)
    with Store.open(store_url) as store:
        SecretVault(store).put("sap-password", SecretStr(SENTINEL))
        monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", f"{new},{old}")  # new key first; the old one still reads
        assert SecretVault(store).get("sap-password").get_secret_value() == SENTINEL
        assert SecretVault(store).rotate() == 1
    key_file = tmp_path / "secret.key"
    key_file.write_text(f"# rotated\n{new}\n")
    monkeypatch.delenv("CREDITBRIDGE_SECRET_KEY")  # the key file of the config is the fallback
    assert resolve_secret("store:sap-password", store_url, key_file=key_file).get_secret_value() == SENTINEL


def test_a_malformed_key_is_refused_without_being_shown(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", "not-a-key-" + SENTINEL)
    with pytest.raises(SecretError) as caught:
        secret_keys()
    assert "key 1 in $CREDITBRIDGE_SECRET_KEY is not a vault key" in str(caught.value)
    assert SENTINEL not in str(caught.value)


def dump_tables(store_url: str) -> str:
    """Every row of every table of the store, as text."""
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return "\n".join(
                repr(row) for table in schema.metadata.sorted_tables for row in conn.execute(sa.select(table))
            )
    finally:
        engine.dispose()


def test_a_sentinel_secret_never_reaches_logs_errors_reprs_or_the_database(
    store_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    buffer = io.StringIO()
    logs.configure_logging("json", "debug", buffer)
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", generate_key())
    monkeypatch.setenv("QBO_CLIENT_SECRET", SENTINEL + "-env")
    with Store.open(store_url) as store:
        SecretVault(store).put("qbo-refresh", SecretStr(SENTINEL))
    stored = resolve_secret("store:qbo-refresh", store_url)
    from_env = resolve_secret("env:QBO_CLIENT_SECRET", None)
    log = logs.get_logger("creditbridge.test")
    errors: list[str] = []
    with logs.job_run("pull", connection="qbo"):
        log.info("token refreshed", refresh_token=stored.get_secret_value(), secret=from_env)
        log.info("connecting", headers={"Authorization": f"Bearer {stored.get_secret_value()}"})
        logging.getLogger("requests").warning("POST /oauth2 body: refresh_token=%s", stored.get_secret_value())
        log.info("plain text that quotes it anyway: " + from_env.get_secret_value())
        try:
            raise RuntimeError(f"the ERP said no to {stored.get_secret_value()}")
        except RuntimeError as exc:
            log.exception("call failed")
            errors.append(str(logs.redact(exc)))
    monkeypatch.setenv("CREDITBRIDGE_SECRET_KEY", generate_key())
    with pytest.raises(SecretError) as caught:
        resolve_secret("store:qbo-refresh", store_url)
    errors.append(str(caught.value))
    output = buffer.getvalue()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert len({line["run_id"] for line in lines if "run_id" in line}) == 1
    assert SENTINEL not in output, output
    assert all(SENTINEL not in e for e in errors)
    assert SENTINEL not in repr(stored) + repr(from_env) + repr(Config())
    assert SENTINEL not in dump_tables(store_url)


# --- logs ------------------------------------------------------------------------------------------


def test_every_line_of_a_job_carries_its_run_id_and_job():
    buffer = io.StringIO()
    logs.configure_logging("json", "info", buffer)
    run_id = logs.new_run_id()
    logs.bind_run(run_id, job="plan", connection="ledger")
    logs.get_logger("x").info("planned", changes=3)
    logging.getLogger("sqlalchemy").warning("from a library")
    logs.clear_run()
    logs.get_logger("x").info("after the job")
    first, second, third = (json.loads(line) for line in buffer.getvalue().splitlines())
    assert (first["run_id"], first["job"], first["connection"], first["changes"]) == (run_id, "plan", "ledger", 3)
    assert second["run_id"] == run_id and second["logger"] == "sqlalchemy"
    assert "run_id" not in third and len(run_id) == 32


def test_text_logs_for_people_hide_secret_looking_values_but_keep_page_tokens():
    buffer = io.StringIO()
    logs.configure_logging("text", "info", buffer)
    logs.get_logger("pull").info("page", page_token="p-17", password="pw", url="postgresql://cb:pw2@db/x")
    line = buffer.getvalue()
    assert "page_token=p-17" in line and "password=***" in line and "cb:***@db" in line
    assert "pw2" not in line


# --- composition root ------------------------------------------------------------------------------


def test_open_store_gives_a_store_at_the_newest_schema(tmp_path: Path):
    config = load_config(write_config(tmp_path, 'store_url = "sqlite:///cb.db"\n'))
    with open_store(config) as store:
        assert migrate.current_revision(store.engine) == migrate.head_revision()
        assert "secrets" in sa.inspect(store.engine).get_table_names()
    assert (tmp_path / "cb.db").exists()


def test_a_files_connection_becomes_a_ledger_folder_adapter(tmp_path: Path):
    config = Config(connections=[ConnectionConfig(name="ledger", erp="files", options={"folder": str(FIXTURE)})])
    adapter = adapter_for(config.connection("ledger"), config)
    assert type(adapter).__name__ == "LedgerFolderErp" and adapter.erp_name == "ledger"  # type: ignore[attr-defined]


def test_a_memory_connection_becomes_an_in_memory_erp_keeping_its_state(tmp_path: Path):
    state = tmp_path / "sim.json"
    connection = ConnectionConfig(name="sim", erp="memory", options={"state_path": str(state)})
    adapter = adapter_for(connection, Config(connections=[connection]))
    assert type(adapter).__name__ == "InMemoryErp"
    assert adapter.erp_name == "sim" and adapter.state_path == state  # type: ignore[attr-defined]


def test_every_erp_a_config_accepts_has_an_adapter():
    assert set(get_args(ErpKind)) == set(AVAILABLE_ERPS), "a config may name an ERP that `run` cannot build"


def test_a_files_connection_without_a_folder_says_which_option_is_missing(tmp_path: Path):
    path = write_config(tmp_path, '[[connections]]\nname = "ledger"\nerp = "files"\n')
    config = load_config(path)
    with pytest.raises(ConfigError) as caught:
        adapter_for(config.connection("ledger"), config)
    assert str(caught.value).startswith(f"connection 'ledger' in {path}: options.folder is missing")
    config = Config(connections=[ConnectionConfig(name="l", erp="files", options={"folder": str(tmp_path / "none")})])
    with pytest.raises(ConfigError, match=r"options\.folder must be an existing folder"):
        adapter_for(config.connection("l"), config)


def test_a_mapping_for_another_erp_is_refused(tmp_path: Path):
    connection = ConnectionConfig(name="ledger", erp="files", mapping=TEMPLATES / "sap.yaml")
    with pytest.raises(ConfigError, match=r"is erp = 'files', but its mapping .*sap\.yaml is for erp: sap"):
        mapping_for(connection)
    same = ConnectionConfig(name="ledger", erp="files", mapping=TEMPLATES / "files.yaml")
    mapping = mapping_for(same)
    assert mapping is not None and mapping.erp == "files"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_creditbridge_handler", False)]:
        root.removeHandler(handler)


def test_an_sap_connection_builds_the_s4_adapter_or_says_how_to_get_pyrfc_for_ecc(tmp_path: Path):
    from creditbridge.adapters.sap.odata.erp import S4Erp

    template = (TEMPLATES / "sap.yaml").read_text()
    s4 = tmp_path / "s4.yaml"
    s4.write_text(template.replace("system: ecc", "system: s4").replace("mechanism: rfc_function", "mechanism: odata")
                  .replace("credit_control_area: \"1000\"       # KKBER", "credit_segment: \"1000\"       # KKBER"))  # fmt: skip
    options = {"odata_url": "https://s4.example.com", "user": "CREDITBRIDGE", "client": "100"}
    connection = ConnectionConfig(name="s4", erp="sap", mapping=s4, options=options)
    adapter = adapter_for(connection, Config(connections=[connection]))
    assert isinstance(adapter, S4Erp) and adapter.client.params == {"sap-client": "100"}

    ecc = ConnectionConfig(name="ecc", erp="sap", mapping=TEMPLATES / "sap.yaml", options={"ashost": "ecc", "sysnr": "00"})
    with pytest.raises(ConfigError, match=r"connection 'ecc': SAP over RFC needs pyrfc.*SAPNWRFC_HOME"):
        adapter_for(ecc, Config(connections=[ecc]))
