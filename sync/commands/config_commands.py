"""Setting creditbridge up: `init`, `doctor`, `mappings check|schema`, `secrets set|list|delete|rotate|new-key`.

These are finance IT's commands. Each says exactly what is wrong and where (file:line, key,
connection) and exits non-zero when something is: 1 when a check found problems, 2 when the
command itself could not run as asked. Heavy imports (SQLAlchemy, the mappings) happen inside
the commands so that `creditbridge --help` stays fast.
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from creditbridge.sync.config import Config, ConnectionConfig

err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)

CHECKS_FAILED = 1
USAGE_ERROR = 2


class ErpChoice(StrEnum):
    quickbooks = "quickbooks"
    sap = "sap"
    oracle = "oracle"
    files = "files"
    memory = "memory"


class DoctorFormat(StrEnum):
    table = "table"
    json = "json"


ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", help="The configuration file. Default: $CREDITBRIDGE_CONFIG, else ./creditbridge.toml."),
]


def _fail(message: str, code: int = USAGE_ERROR) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    return typer.Exit(code)


def _load(config_file: Path | None) -> Config:
    from creditbridge.sync.config import ConfigError, load_config

    try:
        return load_config(config_file)
    except ConfigError as exc:
        raise _fail(str(exc)) from None


# init ------------------------------------------------------------------------------------------

_CONNECTION_BLOCKS: dict[str, str] = {
    "files": """\
[[connections]]
name = "ledger"                     # lowercase letters, digits, - and _: the source name in the store
erp = "files"                       # a folder of CSV exports (customers.csv, invoices.csv, payments.csv, ...)
mapping = "mappings/files.yaml"     # the mapping file (relative to this file)
# schedule = "0 6 * * *"            # cron: when the scheduler pulls this connection (here: 06:00 daily)

[connections.options]
folder = "ledger"                   # the ledger folder, relative to this file; drop your exports there
""",
    "memory": """\
[[connections]]
name = "memory"                     # lowercase letters, digits, - and _: the source name in the store
erp = "memory"                      # the in-memory ERP: a simulated ERP for trials and tests
mapping = "mappings/memory.yaml"    # the mapping file (relative to this file)

[connections.options]
state_path = "memory-erp.json"      # where the simulated ERP keeps its data between runs
""",
    "quickbooks": """\
[[connections]]
name = "quickbooks"                 # lowercase letters, digits, - and _: the source name in the store
erp = "quickbooks"                  # QuickBooks Online (install with: pip install 'creditbridge[quickbooks]')
mapping = "mappings/quickbooks.yaml"   # the mapping file (relative to this file)
# The refresh token, kept encrypted in the store; set it with: creditbridge secrets set quickbooks-refresh-token
credentials = "store:quickbooks-refresh-token"
# schedule = "*/30 * * * *"         # cron: when the scheduler pulls this connection (here: every 30 minutes)

[connections.options]
realm_id = "9130350000000000"       # the company id: QuickBooks > Settings > Additional info > Company ID
environment = "sandbox"             # sandbox or production
client_id = "ABcd..."               # your Intuit app's client id (its client secret goes in a secret, not here)
""",
    "sap": """\
[[connections]]
name = "sap"                        # lowercase letters, digits, - and _: the source name in the store
erp = "sap"                         # SAP ECC or S/4HANA (RFC needs SAP's NW RFC SDK; see README)
mapping = "mappings/sap.yaml"       # the mapping file (relative to this file)
credentials = "env:CREDITBRIDGE_SAP_PASSWORD"   # the RFC user's password, from the environment
# schedule = "0 * * * *"            # cron: when the scheduler pulls this connection (here: hourly)

[connections.options]
# ECC over RFC (mapping scope.system: ecc; needs pyrfc built against SAP's NW RFC SDK, see README):
ashost = "sap.example.com"          # application server (or mshost/msserv/sysid/group, or dest)
sysnr = "00"                        # system number
client = "100"                      # SAP client (MANDT)
user = "CREDITBRIDGE"               # a dedicated RFC user with only the rights creditbridge needs
# S/4HANA over OData (mapping scope.system: s4) instead:
# odata_url = "https://s4.example.com:44300"   # the Gateway host; services are under /sap/opu/odata/sap/
""",
    "oracle": """\
[[connections]]
name = "oracle"                     # lowercase letters, digits, - and _: the source name in the store
erp = "oracle"                      # Oracle E-Business Suite (install with: pip install 'creditbridge[oracle]')
mapping = "mappings/oracle.yaml"    # the mapping file (relative to this file)
credentials = "env:CREDITBRIDGE_ORACLE_PASSWORD"   # the database user's password, from the environment
# schedule = "0 * * * *"            # cron: when the scheduler pulls this connection (here: hourly)

[connections.options]
dsn = "ebs.example.com:1521/EBSPROD"   # host:port/service of the EBS database
user = "XXCB_USER"                  # a database user with the grants listed in adapters/oracle/install.sql
# thick = true                      # Oracle Database 11gR2 (EBS 12.1): needs Oracle Instant Client installed
# client_lib_dir = "/opt/oracle/instantclient_19_24"   # where it is, if not on the library path
db_timezone = "UTC"                 # the zone the database stamps LAST_UPDATE_DATE in, e.g. "America/Chicago"
commit_lag_seconds = 300            # re-read changes this far back: EBS stamps rows before it commits them
# pool_max = 4                      # sessions at most; arraysize = 1000 rows per round trip
""",
}

_NEXT_STEPS: dict[str, str] = {
    "files": "put your exports in {dir}ledger/ (see README, 'The ledger folder'), then run: creditbridge doctor",
    "memory": "run: creditbridge doctor",
    "quickbooks": "export CREDITBRIDGE_SECRET_KEY=$(creditbridge secrets new-key)   # keep it safe\n"
    "creditbridge secrets set quickbooks-refresh-token\ncreditbridge doctor",
    "sap": "edit the [connections.options] in creditbridge.toml, set CREDITBRIDGE_SAP_PASSWORD, then run: "
    "creditbridge doctor",
    "oracle": "edit the [connections.options] in creditbridge.toml, set CREDITBRIDGE_ORACLE_PASSWORD, then run: "
    "creditbridge doctor",
}


def config_template(erp: str) -> str:
    """A commented creditbridge.toml with one connection of `erp`."""
    return f"""\
# creditbridge configuration, written by `creditbridge init --erp {erp}`.
# Check it with:  creditbridge doctor
# Any value can be set from the environment instead: CREDITBRIDGE_ + the key in capitals, with __
# between nested keys, e.g. CREDITBRIDGE_STORE_URL or CREDITBRIDGE_POLICY__INCREASE_APPROVAL_THRESHOLD.
# Relative paths are relative to this file's folder. Never put a password or token in this file:
# `credentials` takes a reference ("env:NAME", "file:/path" or "store:NAME").

# Where creditbridge keeps its replica of the ERP, the outbox and the audit log.
# SQLite file (the default) or PostgreSQL: "postgresql+psycopg://creditbridge@dbhost/creditbridge"
# (give a PostgreSQL password through CREDITBRIDGE_STORE_URL, not here).
store_url = "sqlite:///creditbridge.db"

log_format = "text"                 # text (for people) or json (one JSON object per line, for collectors)
log_level = "warning"               # warning: problems only; info: every page and outbox step; debug; error

# The key that encrypts secrets kept in the store comes from CREDITBRIDGE_SECRET_KEY; or name a file
# holding it (one key per line, newest first), readable only by the creditbridge user:
# secret_key_file = "/etc/creditbridge/secret.key"

[policy]                            # which credit changes go to the ERP at once, and which wait for approval
increase_approval_threshold = 10000 # a limit increase above this amount needs a second person's approval
hold_release_needs_approval = true  # releasing a hold needs a second person's approval
auto_apply_decreases = true         # limit decreases go to the ERP without approval
auto_apply_new_holds = true         # new holds go to the ERP without approval

[holds]                             # the credit review of `creditbridge run`: who goes on hold, who comes off
hold_when_over_limit = true         # hold when open AR + open orders exceed the credit limit ...
over_limit_tolerance_percent = 0    # ... by more than this percentage
hold_when_past_due_days_over = 90   # hold when an invoice is more than this many days past due ...
min_past_due_amount = 0             # ... and more than this amount is past due
release_when_clear = true           # ask to release a hold once no rule applies (releases follow [policy])

[reconcile]                         # creditbridge reconcile: exit 1 when a difference is larger than ...
tolerance = 0                       # ... this amount (smaller ones are counted, not listed)
bank_date_window_days = 3           # a bank line matches a payment dated this many days either side

[schedule]                          # creditbridge schedule (or Celery workers) runs these; see README, Scheduling
timezone = "UTC"                    # cron expressions are read in this time zone (e.g. "Europe/Berlin")
lease_seconds = 300                 # a job's lease; a holder that died frees it after this long
# broker_url = "redis://127.0.0.1:6379/0"   # for creditbridge worker / schedule --celery (or amqp://...)

[schedule.jobs]                     # job = cron expression, for every connection ("off" in
# pull = "*/15 * * * *"             # [schedule.connections.NAME] turns one off for a connection)
# run = "0 6 * * 1-5"               # pull, review holds, push, on weekdays at 06:00
# report = "0 7 * * MON"            # the AR report, Mondays at 07:00

{_CONNECTION_BLOCKS[erp]}"""


def init_command(
    erp: Annotated[ErpChoice, typer.Option("--erp", help="quickbooks, sap, oracle, files or memory.")],
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the files.")] = Path("."),
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Write a commented creditbridge.toml and mappings/<erp>.yaml to start from."""
    from creditbridge.mappings import template_text

    files = {
        directory / "creditbridge.toml": config_template(erp.value),
        directory / "mappings" / f"{erp.value}.yaml": template_text(erp.value),
    }
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        raise _fail(f"{', '.join(existing)} already exist(s); nothing was written (use --force to overwrite)")
    try:
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            err.print(f"wrote {path}", highlight=False)
        if erp is ErpChoice.files:
            (directory / "ledger").mkdir(exist_ok=True)
    except OSError as exc:
        raise _fail(f"cannot write {exc.filename}: {exc.strerror}") from None
    prefix = "" if directory == Path(".") else f"{directory}/"
    steps = _NEXT_STEPS[erp.value].format(dir=prefix)
    if directory != Path("."):
        steps = f"cd {directory}\n{steps}"
    err.print(f"next:\n{escape(steps)}", highlight=False)


# doctor ----------------------------------------------------------------------------------------

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True, slots=True)
class Check:
    """One finding of `doctor`: what was checked, how it went, and what to do if it did not."""

    check: str
    status: Status
    detail: str
    hint: str | None = None


def run_checks(config_file: Path | None) -> tuple[str | None, list[Check]]:
    """Every check of `doctor`, in order; the config file's path (None if it could not be read)."""
    from creditbridge.sync.config import ConfigError, config_path, load_config

    try:
        config = load_config(config_file)
    except ConfigError as exc:
        return str(config_path(config_file)), [Check("config", "fail", str(exc))]
    checks = [Check("config", "ok", f"{config.path}: {len(config.connections)} connection(s)")]
    if not config.connections:
        checks.append(
            Check("connections", "warn", "no [[connections]] in the config", "add one; see `creditbridge init`")
        )
    store_ok = _check_store(config, checks)
    _check_secret_key(config, checks)
    for connection in config.connections:
        _check_mapping(connection, checks)
        _check_credentials(connection, config, checks, store_ok)
        _check_adapter(connection, config, checks)
    return str(config.path), checks


def _check_store(config: Config, checks: list[Check]) -> bool:
    from creditbridge.sync.store import Store, StoreError, migrate
    from creditbridge.sync.store.engine import create_store_engine, display_url

    shown = display_url(config.store_url)
    head = migrate.head_revision()
    try:
        engine = create_store_engine(config.store_url)
        try:
            before = migrate.current_revision(engine)
        finally:
            engine.dispose()
        if before != head:
            Store.open(config.store_url).close()  # migrates, as every command does on first use
    except StoreError as exc:
        checks.append(Check("store", "fail", str(exc), "check store_url, the server and the file's permissions"))
        return False
    except Exception as exc:  # a driver error before our own errors wrap it
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        checks.append(Check("store", "fail", f"cannot open the store at {shown}: {reason}",
                            "check store_url, the server and the file's permissions"))  # fmt: skip
        return False
    if before == head:
        checks.append(Check("store", "ok", f"{shown}: reachable, schema at revision {head} (the newest)"))
    else:
        checks.append(Check("store", "ok", f"{shown}: reachable, schema migrated from {before or 'empty'} to {head}"))
    return True


def _check_secret_key(config: Config, checks: list[Check]) -> None:
    if not any((c.credentials or "").startswith("store:") for c in config.connections):
        return
    from creditbridge.sync.secrets import SecretError, secret_keys

    try:
        keys = secret_keys(config.secret_key_file)
    except SecretError as exc:
        checks.append(Check("secret key", "fail", str(exc)))
        return
    count = len(keys._fernets)
    checks.append(Check("secret key", "ok", f"{count} vault key(s) configured"))


def _check_mapping(connection: ConnectionConfig, checks: list[Check]) -> None:
    from creditbridge.mappings import MappingError
    from creditbridge.sync.composition import mapping_for
    from creditbridge.sync.config import ConfigError

    name = f"mapping {connection.name}"
    if connection.mapping is None:
        if connection.erp in ("files", "memory"):
            checks.append(Check(name, "ok", "none: the records are read as they are"))
        else:
            hint = f'add mapping = "mappings/{connection.erp}.yaml"; `creditbridge init` writes a template'
            checks.append(Check(name, "fail", f"a {connection.erp} connection needs a mapping file", hint))
        return
    try:
        mapping = mapping_for(connection)
    except MappingError as exc:
        count = len(exc.issues)
        checks.append(
            Check(name, "fail", str(exc), f"{count} problem(s); fix them and run `creditbridge mappings check`")
        )
        return
    except ConfigError as exc:
        checks.append(Check(name, "fail", str(exc)))
        return
    assert mapping is not None
    checks.append(Check(name, "ok", f"{connection.mapping}: valid (erp {mapping.erp}, write-back "
                                    f"{mapping.writeback.mechanism})"))  # fmt: skip


def _check_credentials(connection: ConnectionConfig, config: Config, checks: list[Check], store_ok: bool) -> None:
    from creditbridge.sync.secrets import SecretError, resolve_secret

    name = f"credentials {connection.name}"
    reference = connection.credentials
    if reference is None:
        if connection.erp not in ("files", "memory"):
            checks.append(
                Check(name, "warn", "no credentials reference", 'add credentials = "env:NAME" or "store:NAME"')
            )
        return
    if reference.startswith("store:") and not store_ok:
        checks.append(Check(name, "skip", f"{reference}: the store cannot be opened"))
        return
    try:
        resolve_secret(reference, config.store_url, key_file=config.secret_key_file)
    except SecretError as exc:
        checks.append(Check(name, "fail", str(exc)))
        return
    checks.append(Check(name, "ok", f"{reference}: found"))


def _check_adapter(connection: ConnectionConfig, config: Config, checks: list[Check]) -> None:
    from creditbridge.core.ports import Capability, ChangeReader, Entity, ErpError
    from creditbridge.sync.composition import adapter_for
    from creditbridge.sync.config import ConfigError

    name = f"connection {connection.name}"
    try:
        adapter = adapter_for(connection, config)
    except ConfigError as exc:
        checks.append(Check(name, "fail", exc.message))
        return
    except Exception as exc:
        checks.append(Check(name, "fail", f"the {connection.erp} adapter cannot be built: {type(exc).__name__}: {exc}"))
        return
    capabilities: frozenset[Capability] = getattr(adapter, "capabilities", frozenset())
    if connection.erp == "memory" and not connection.options.get("state_path"):
        checks.append(Check(name, "warn", "no options.state_path: the in-memory ERP starts empty on every run",
                            'add state_path = "memory-erp.json" under [connections.options]'))  # fmt: skip
        return
    if Capability.READ_CUSTOMERS not in capabilities or not isinstance(adapter, ChangeReader):
        where = connection.options.get("folder") or connection.erp
        checks.append(Check(name, "warn", f"{where}: reachable, but there are no customers to read yet",
                            "put customers.csv, invoices.csv and payments.csv in the folder (see README)"))  # fmt: skip
        return
    try:
        page = adapter.read_changes(Entity.CUSTOMERS, None)
    except (ErpError, OSError, ValueError) as exc:
        checks.append(Check(name, "fail", f"cannot read customers: {type(exc).__name__}: {exc}"))
        return
    more = "+" if page.next_page_token else ""
    checks.append(Check(name, "ok", f"reachable: {len(page.changes)}{more} customer(s) read"))


def doctor_command(
    config_file: ConfigOption = None,
    output_format: Annotated[DoctorFormat, typer.Option("--format", help="table or json.")] = DoctorFormat.table,
) -> None:
    """Check the configuration, mappings, store, secrets and each connection; exit 1 on any problem."""
    path, checks = run_checks(config_file)
    failed = [c for c in checks if c.status == "fail"]
    if output_format is DoctorFormat.json:
        document = {"config": path, "ok": not failed, "checks": [asdict(c) for c in checks]}
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
    else:
        table = Table(show_header=True, header_style="bold", show_lines=False)
        for column in ("check", "status", "detail"):
            table.add_column(column, overflow="fold")
        style = {"ok": "green", "warn": "yellow", "fail": "bold red", "skip": "dim"}
        for c in checks:
            detail = escape(c.detail) + (f"\n[dim]{escape(c.hint)}[/]" if c.hint else "")
            table.add_row(escape(c.check), f"[{style[c.status]}]{c.status}[/]", detail)
        out.print(table)
        summary = f"{len(failed)} problem(s) found" if failed else "everything checked is in order"
        err.print(f"[bold red]{summary}[/]" if failed else f"[green]{summary}[/]", highlight=False)
    if failed:
        raise typer.Exit(CHECKS_FAILED)


# mappings --------------------------------------------------------------------------------------

mappings_app = typer.Typer(help="Check mapping files and print their JSON Schema.", no_args_is_help=True)


@mappings_app.command("check")
def mappings_check_command(
    files: Annotated[list[Path], typer.Argument(help="Mapping files (YAML) to check.")],
) -> None:
    """Check mapping files; print every problem as FILE:LINE: field: message (hint); exit 1 if any."""
    from creditbridge.mappings import check_mapping, load_mapping

    problems = 0
    for file in files:
        issues = check_mapping(file)
        problems += len(issues)
        for issue in issues:
            out.print(escape(str(issue)), highlight=False)
        if not issues:
            mapping = load_mapping(file)
            out.print(f"{escape(str(file))}: ok (erp {mapping.erp}, write-back {mapping.writeback.mechanism})",
                      highlight=False)  # fmt: skip
    if problems:
        err.print(f"[bold red]{problems} problem(s)[/] in {len(files)} file(s)", highlight=False)
        raise typer.Exit(CHECKS_FAILED)


@mappings_app.command("schema")
def mappings_schema_command() -> None:
    """Print the JSON Schema of mapping files (for editors: `# yaml-language-server: $schema=...`)."""
    from creditbridge.mappings import mapping_json_schema_text

    sys.stdout.write(mapping_json_schema_text())


# secrets ---------------------------------------------------------------------------------------

secrets_app = typer.Typer(help="Secrets kept encrypted in the store (key: $CREDITBRIDGE_SECRET_KEY).",
                          no_args_is_help=True)  # fmt: skip


def _read_secret_value(name: str) -> str:
    """The value from a hidden prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        value: str = typer.prompt(f"value of {name}", hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@secrets_app.command("set")
def secrets_set_command(
    name: Annotated[str, typer.Argument(help='The secret\'s name, as in credentials = "store:NAME".')],
    config_file: ConfigOption = None,
) -> None:
    """Store a secret, encrypted (asks for the value without showing it, or reads it from stdin)."""
    from pydantic import SecretStr

    from creditbridge.sync.secrets import SecretError, SecretVault
    from creditbridge.sync.store import Store, StoreError

    config = _load(config_file)
    value = SecretStr(_read_secret_value(name))
    try:
        with Store.open(config.store_url) as store:
            SecretVault(store, key_file=config.secret_key_file).put(name, value)
            shown = store.url
    except (SecretError, StoreError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"stored secret {escape(name)} in {escape(shown)} (encrypted)", highlight=False)


@secrets_app.command("list")
def secrets_list_command(
    config_file: ConfigOption = None,
    output_format: Annotated[DoctorFormat, typer.Option("--format", help="table or json.")] = DoctorFormat.table,
) -> None:
    """The names of the stored secrets and when they were set (never their values)."""
    from creditbridge.sync.secrets import SecretVault
    from creditbridge.sync.store import Store, StoreError

    config = _load(config_file)
    try:
        with Store.open(config.store_url) as store:
            infos = SecretVault(store).names()
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if output_format is DoctorFormat.json:
        rows = [{"name": i.name, "created_at": i.created_at.isoformat(), "updated_at": i.updated_at.isoformat()}
                for i in infos]  # fmt: skip
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    if not infos:
        err.print("no secrets stored")
        return
    for info in infos:
        sys.stdout.write(f"{info.name}\tset {info.updated_at:%Y-%m-%d %H:%M} UTC\n")


@secrets_app.command("delete")
def secrets_delete_command(name: Annotated[str, typer.Argument()], config_file: ConfigOption = None) -> None:
    """Remove a stored secret."""
    from creditbridge.sync.secrets import SecretVault
    from creditbridge.sync.store import Store, StoreError

    config = _load(config_file)
    try:
        with Store.open(config.store_url) as store:
            removed = SecretVault(store).delete(name)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    if not removed:
        raise _fail(f"there is no stored secret named {name!r}")
    err.print(f"deleted secret {escape(name)}", highlight=False)


@secrets_app.command("rotate")
def secrets_rotate_command(config_file: ConfigOption = None) -> None:
    """Re-encrypt every stored secret under the newest key (the first in $CREDITBRIDGE_SECRET_KEY)."""
    from creditbridge.sync.secrets import SecretError, SecretVault
    from creditbridge.sync.store import Store, StoreError

    config = _load(config_file)
    try:
        with Store.open(config.store_url) as store:
            count = SecretVault(store, key_file=config.secret_key_file).rotate()
    except (SecretError, StoreError) as exc:
        raise _fail(str(exc)) from None
    err.print(f"re-encrypted {count} secret(s) under the newest key; older keys can now be removed", highlight=False)


@secrets_app.command("new-key")
def secrets_new_key_command() -> None:
    """Print a new random vault key (put it in CREDITBRIDGE_SECRET_KEY; keep a copy somewhere safe)."""
    from creditbridge.sync.secrets import generate_key

    sys.stdout.write(generate_key() + "\n")


def register(app: typer.Typer) -> None:
    """Add `init`, `doctor`, `mappings …` and `secrets …` to the `creditbridge` command."""
    app.command("init")(init_command)
    app.command("doctor")(doctor_command)
    app.add_typer(mappings_app, name="mappings")
    app.add_typer(secrets_app, name="secrets")
