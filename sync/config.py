"""The configuration file, creditbridge.toml: the store, the ERP connections, the write-back policy.

Why pydantic-settings over a TOML file we parse ourselves: finance IT keeps one commented file
in version control, and operations override any value per machine with environment variables
(`CREDITBRIDGE_STORE_URL`, `CREDITBRIDGE_POLICY__INCREASE_APPROVAL_THRESHOLD`: prefix
`CREDITBRIDGE_`, `__` between nested keys). Precedence: values passed in code, then the
environment, then the file, then the defaults below. We read the TOML ourselves (not with
`TomlConfigSettingsSource`) so that every problem names the file, the line and the key:
`creditbridge.toml:12: connections[1].erp: must be one of … (hint)`.

Where the file is: `--config PATH`, else `$CREDITBRIDGE_CONFIG`, else ./creditbridge.toml.
Relative paths in it (a SQLite store, a mapping file, a ledger folder, a `file:` secret) are
relative to the file's folder, so a config works from any working directory.

Secrets never live here: `credentials` is a reference (`env:NAME`, `file:/path`, `store:NAME`)
resolved by `creditbridge.sync.secrets`; an option whose name looks like a password or token is
refused, and the store URL's password is masked in `repr`.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from creditbridge.mappings.issues import FileIssue

CONFIG_ENV = "CREDITBRIDGE_CONFIG"
ENV_PREFIX = "CREDITBRIDGE_"
ENV_NESTED_DELIMITER = "__"
DEFAULT_CONFIG_FILE = "creditbridge.toml"
DEFAULT_STORE_URL = "sqlite:///creditbridge.db"
MAX_CONFIG_BYTES = 1_000_000

ErpKind = Literal["files", "memory", "quickbooks", "sap", "oracle"]
CONNECTION_NAME = r"^[a-z0-9_-]{1,64}$"
SECRET_REFERENCE = re.compile(r"^(env|file|store):(.+)$")
SECRET_LOOKING_KEY = re.compile(r"(?i)(passw|passwd|pwd|secret|token|api[_-]?key|private[_-]?key|authorization)")
PATH_OPTIONS: dict[str, tuple[str, ...]] = {
    "files": ("folder",),
    "memory": ("state_path", "seed_ledger"),
    "oracle": ("simulator_path", "seed_ledger", "client_lib_dir"),
}
"""Options holding a path, per ERP: resolved against the config file's folder like `mapping`."""


ConfigIssue = FileIssue
"""One problem in the configuration (see `FileIssue`)."""


class ConfigError(Exception):
    """The configuration cannot be used as it is; the message says what to change, line by line."""

    def __init__(self, message: str, issues: Sequence[ConfigIssue] = ()) -> None:
        self.message = message
        self.issues: tuple[ConfigIssue, ...] = tuple(issues)
        super().__init__("\n".join(str(i) for i in self.issues) if self.issues else message)


SCHEDULE_OFF = "off"
"""A cron expression that turns a job off for one connection (where [schedule.jobs] turns it on)."""


def _cron(expression: str, info: ValidationInfo) -> str:
    """A cron expression cronsim accepts: 5 fields, or 6 (seconds first) with `seconds_field = true`."""
    from cronsim import CronSim, CronSimError

    text = " ".join(expression.split())
    if text == SCHEDULE_OFF:
        return text
    fields = len(text.split())
    with_seconds = bool(info.data.get("seconds_field")) if info.data else False
    wanted = 6 if with_seconds else 5
    if fields != wanted:
        form = "second minute hour day month weekday" if with_seconds else "minute hour day month weekday"
        raise ValueError(f"a cron expression has {wanted} fields ({form}), {text!r} has {fields}")
    try:
        CronSim(text, datetime(2026, 1, 1, tzinfo=UTC))
    except CronSimError as exc:
        raise ValueError(f"{text!r} is not a cron expression: {exc}") from None
    return text


def _job_name(name: str, info: ValidationInfo) -> str:
    from creditbridge.sync.scheduling.registry import JOBS

    extra = (info.data or {}).get("extra_jobs") or {}
    if name not in JOBS and name not in extra:
        known = ", ".join(sorted([*JOBS, *extra]))
        raise ValueError(f"unknown job {name!r} (jobs: {known}; your own go in [schedule.extra_jobs])")
    return name


CronExpression = Annotated[str, AfterValidator(_cron)]
JobName = Annotated[str, AfterValidator(_job_name)]


class ConnectionConfig(BaseModel):
    """One ERP company creditbridge reads from and writes back to."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=CONNECTION_NAME, description="The `source` of its records in the store.")
    erp: ErpKind
    mapping: Path | None = Field(default=None, description="YAML mapping file (relative to the config file).")
    schedule: CronExpression | None = Field(
        default=None, description="Cron expression: when the scheduler pulls this connection ([schedule] has the rest)."
    )
    options: dict[str, Any] = Field(default={}, description="ERP-specific settings (folder, realm_id, …).")
    credentials: str | None = Field(default=None, description='A reference: "env:NAME", "file:/path", "store:NAME".')

    @field_validator("credentials")
    @classmethod
    def _is_a_reference(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_REFERENCE.match(value):
            # Never echo the value: it may be the secret itself, pasted by mistake.
            raise ValueError('must be a reference to a secret: "env:NAME", "file:/path" or "store:NAME"')
        return value

    @field_validator("options")
    @classmethod
    def _no_secrets_in_options(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key in value:
            if SECRET_LOOKING_KEY.search(key):
                raise ValueError(f"option {key!r} looks like a secret; secrets go in `credentials` as a reference")
        return value


class WritebackPolicyConfig(BaseModel):
    """Which wanted changes go to the ERP straight away and which wait for a second person (four eyes)."""

    model_config = ConfigDict(extra="forbid")

    increase_approval_threshold: Decimal = Field(
        default=Decimal("0"), ge=0, description="Limit increases above this amount need a second person's approval."
    )
    hold_release_needs_approval: bool = True
    auto_apply_decreases: bool = True
    auto_apply_new_holds: bool = True


class HoldPolicyConfig(BaseModel):
    """When the credit review of `creditbridge run` puts customers on hold or releases them."""

    model_config = ConfigDict(extra="forbid")

    hold_when_over_limit: bool = True
    over_limit_tolerance_percent: Decimal = Field(default=Decimal("0"), ge=0)
    hold_when_past_due_days_over: int | None = Field(default=90, ge=0)
    min_past_due_amount: Decimal = Field(default=Decimal("0"), ge=0)
    release_when_clear: bool = True


class ReconcileConfig(BaseModel):
    """`creditbridge reconcile` on the store: how large a difference may be before the run fails (exit 1)."""

    model_config = ConfigDict(extra="forbid")

    tolerance: Decimal = Field(default=Decimal("0"), ge=0, description="Differences up to this are not reported.")
    bank_date_window_days: int = Field(default=3, ge=0, description="Payment date vs bank booking date.")


class CollectionsConfig(BaseModel):
    """[collections]: the dunning policy, reminder templates and the sender's letterhead."""

    model_config = ConfigDict(extra="forbid")

    policy: Path | None = Field(default=None, description="Dunning policy YAML (default: the built-in policy).")
    templates: Path | None = Field(default=None, description="Folder of templates overriding the built-in ones.")
    letters_dir: Path = Field(default=Path("letters"), description="Where PDF letters are written for printing.")
    company_name: str = "Our company"
    company_address: str = Field(default="", description="Letterhead address, lines separated by '|'.")
    from_address: str = Field(default="receivables@example.com", description="The From: of reminder e-mails.")
    reply_to: str | None = None
    phone: str | None = None
    collector: str | None = Field(default=None, description="The name signing the reminders.")


class SmtpConfig(BaseModel):
    """[smtp]: the mail server reminders are sent through (stdlib smtplib)."""

    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    credentials: str | None = Field(default=None, description="Password reference: env:NAME, file:/path, store:NAME.")
    timeout_seconds: float = Field(default=30, gt=0)

    @field_validator("credentials")
    @classmethod
    def _is_a_reference(cls, value: str | None) -> str | None:
        if value is not None and not SECRET_REFERENCE.match(value):
            raise ValueError("must be a reference (env:NAME, file:/path or store:NAME), never the password itself")
        return value


class ScheduleConfig(BaseModel):
    """When each job runs for each connection, and how runs are leased (in-process or on Celery workers)."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = Field(default="UTC", description="The IANA time zone cron expressions are read in.")
    seconds_field: bool = Field(
        default=False, description="Cron expressions take a leading seconds field (tests and demos only)."
    )
    extra_jobs: dict[str, str] = Field(
        default={}, description='Your own jobs: name = "package.module:function" (see README).'
    )
    jobs: dict[JobName, CronExpression] = Field(default={}, description="job = cron, for every connection.")
    connections: dict[str, dict[JobName, CronExpression]] = Field(
        default={}, description='Per connection: job = cron, or "off"; overrides [schedule.jobs].'
    )
    lease_seconds: float = Field(default=300.0, gt=0, description="How long a lease lasts without a heartbeat.")
    heartbeat_seconds: float | None = Field(default=None, gt=0, description="Renewal interval (lease_seconds / 3).")
    poll_seconds: float = Field(default=5.0, gt=0, description="How often the scheduler looks for due or stuck work.")
    catch_up_seconds: float = Field(default=3600.0, ge=0, description="A slot missed by up to this long still runs.")
    max_attempts: int = Field(default=3, ge=1, description="Tries of one run whose holder keeps dying.")
    stale_cursor_hours: float = Field(default=48.0, gt=0, description="status: a pull cursor older needs a person.")
    broker_url: str | None = Field(default=None, description="Celery broker: redis://… or amqp://…")
    queue: str = Field(default="creditbridge", pattern=r"^[A-Za-z0-9_.:-]{1,200}$")
    task_time_limit: float = Field(default=3600.0, gt=0, description="A Celery task is killed after this long.")
    visibility_timeout: float | None = Field(default=None, gt=0, description="Redis: 2 × task_time_limit.")
    requeue_after_seconds: float = Field(default=900.0, gt=0, description="Re-send a run still queued after this.")
    report_dir: Path = Field(default=Path("reports"), description="Where the report job writes (config-relative).")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone (like UTC or Europe/Berlin)") from None
        return value

    @field_validator("extra_jobs")
    @classmethod
    def _importable_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, target in value.items():
            if not re.match(r"^[a-z0-9_-]{1,64}$", name):
                raise ValueError(f"job name {name!r}: use 1 to 64 lowercase letters, digits, - or _")
            if not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", target):
                raise ValueError(f'extra job {name!r}: {target!r} must look like "package.module:function"')
        return value

    @model_validator(mode="after")
    def _heartbeat_within_lease(self) -> ScheduleConfig:
        if self.heartbeat_seconds is not None and self.heartbeat_seconds >= self.lease_seconds:
            raise ValueError(
                f"heartbeat_seconds ({self.heartbeat_seconds:g}) must be shorter than lease_seconds "
                f"({self.lease_seconds:g}), or a live holder's lease expires between two heartbeats"
            )
        return self

    @property
    def heartbeat(self) -> float:
        return self.heartbeat_seconds or self.lease_seconds / 3


class CashappPolicyConfig(BaseModel):
    """Cash application thresholds and tolerances of this installation (creditbridge.core.cashapp.MatchPolicy)."""

    model_config = ConfigDict(extra="forbid")

    auto_threshold: Decimal = Field(default=Decimal("0.90"), ge=0, le=1)
    suggest_threshold: Decimal = Field(default=Decimal("0.50"), ge=0, le=1)
    fee_tolerance: Decimal = Field(default=Decimal("50"), ge=0)
    fx_tolerance_percent: Decimal = Field(default=Decimal("1.5"), ge=0)
    overpayment_auto_limit: Decimal = Field(default=Decimal("250"), ge=0)
    oldest_first_on_equal_amounts: bool = False
    auto_unearned_discount: bool = False
    inbox: Path | None = Field(
        default=None, description="Folder of bank statement files the scheduled cashapp job matches (config-relative)."
    )

    def match_settings(self) -> dict[str, Any]:
        """The fields of core.cashapp.MatchPolicy (everything but where the files are)."""
        return self.model_dump(exclude={"inbox"})


_TOML_DATA: ContextVar[dict[str, Any] | None] = ContextVar("creditbridge_toml_data", default=None)


class Config(BaseSettings):
    """creditbridge.toml, with environment overrides; read it with `load_config`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter=ENV_NESTED_DELIMITER, extra="forbid", case_sensitive=False
    )

    store_url: str = Field(default=DEFAULT_STORE_URL, description="sqlite:///file.db or postgresql+psycopg://…")
    connections: list[ConnectionConfig] = []
    policy: WritebackPolicyConfig = WritebackPolicyConfig()
    holds: HoldPolicyConfig = HoldPolicyConfig()
    reconcile: ReconcileConfig = ReconcileConfig()
    collections: CollectionsConfig = CollectionsConfig()
    smtp: SmtpConfig = SmtpConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    cashapp: CashappPolicyConfig = CashappPolicyConfig()
    log_format: Literal["text", "json"] = "text"
    log_level: Literal["debug", "info", "warning", "error"] = "warning"
    secret_key_file: Path | None = Field(
        default=None, description="File with the key(s) encrypting stored secrets, if not $CREDITBRIDGE_SECRET_KEY."
    )

    _path: Path | None = PrivateAttr(default=None)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Code beats the environment, which beats the TOML file `load_config` is reading."""
        toml = InitSettingsSource(settings_cls, init_kwargs=_TOML_DATA.get() or {})
        return (init_settings, env_settings, toml)

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        seen: set[str] = set()
        for connection in self.connections:
            if connection.name in seen:
                raise ValueError(f"two connections are named {connection.name!r}; each needs its own name")
            seen.add(connection.name)
        for name in self.schedule.connections:
            if name not in seen:
                raise ValueError(f"[schedule.connections.{name}] names no connection (connections: {', '.join(seen)})")
        return self

    @property
    def path(self) -> Path | None:
        """The file this configuration was read from (None when built in code)."""
        return self._path

    @property
    def folder(self) -> Path:
        """The folder relative paths are resolved against: the config file's, else the working directory."""
        return self._path.parent if self._path is not None else Path.cwd()

    def connection(self, name: str) -> ConnectionConfig:
        """The connection called `name`; `ConfigError` listing the names there are if none is."""
        for connection in self.connections:
            if connection.name == name:
                return connection
        where = str(self._path) if self._path else "the configuration"
        names = ", ".join(c.name for c in self.connections)
        known = f"the connections are: {names}" if names else "it has no [[connections]] yet"
        raise ConfigError(f"there is no connection named {name!r} in {where}; {known}")

    def __repr_args__(self) -> Any:
        for key, value in super().__repr_args__():
            yield key, (_mask_url_password(value) if key == "store_url" and isinstance(value, str) else value)


def config_path(path: Path | None = None) -> Path:
    """Which file to read: `path`, else $CREDITBRIDGE_CONFIG, else ./creditbridge.toml."""
    if path is not None:
        return path
    from_env = os.environ.get(CONFIG_ENV)
    return Path(from_env) if from_env else Path(DEFAULT_CONFIG_FILE)


def load_config(path: Path | None = None) -> Config:
    """Read and check the configuration; `ConfigError` names file:line and the key of every problem."""
    file = config_path(path)
    shown = str(file)
    text = _read_text(file)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown} is not valid TOML", [_toml_syntax_issue(shown, exc)]) from None
    lines = toml_key_lines(text)
    token = _TOML_DATA.set(data)
    try:
        config = Config()
    except ValidationError as exc:
        issues = [_issue(shown, lines, error) for error in exc.errors(include_url=False)]
        issues.sort(key=lambda i: (i.line is None, i.line or 0))
        raise ConfigError(f"{shown} has {len(issues)} problem(s)", issues) from None
    except SettingsError as exc:
        raise ConfigError(f"{shown}: an environment variable cannot be read: {exc}") from None
    finally:
        _TOML_DATA.reset(token)
    return _resolved(config, file.resolve())


def _read_text(file: Path) -> str:
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{file}: no configuration file here (write one with `creditbridge init --erp files`, "
            f"or pass --config PATH, or set {CONFIG_ENV})"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the configuration: {exc.strerror or exc}") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{file}: {len(raw):,} bytes is too large for a configuration file")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        issue = ConfigIssue(str(file), line, "", "not UTF-8 text", "save it as UTF-8")
        raise ConfigError(f"{file} is not UTF-8", [issue]) from None


def _resolved(config: Config, file: Path) -> Config:
    """Relative paths made relative to the config file's folder."""
    folder = file.parent
    updates: dict[str, Any] = {"connections": [_resolved_connection(c, folder) for c in config.connections]}
    if not _from_env("store_url"):
        updates["store_url"] = resolve_sqlite_url(config.store_url, folder)
    if config.secret_key_file is not None and not config.secret_key_file.is_absolute():
        updates["secret_key_file"] = folder / config.secret_key_file
    collections = config.collections
    paths = {
        key: folder / value
        for key in ("policy", "templates", "letters_dir")
        if isinstance(value := getattr(collections, key), Path) and not value.is_absolute()
    }
    if paths:
        updates["collections"] = collections.model_copy(update=paths)
    inbox = config.cashapp.inbox
    if inbox is not None and not inbox.is_absolute():
        updates["cashapp"] = config.cashapp.model_copy(update={"inbox": folder / inbox})
    resolved = config.model_copy(update=updates)
    resolved._path = file
    return resolved


def _resolved_connection(connection: ConnectionConfig, folder: Path) -> ConnectionConfig:
    updates: dict[str, Any] = {}
    if connection.mapping is not None and not connection.mapping.is_absolute():
        updates["mapping"] = folder / connection.mapping
    options = dict(connection.options)
    for key in PATH_OPTIONS.get(connection.erp, ()):
        value = options.get(key)
        if isinstance(value, str) and value and not Path(value).is_absolute():
            options[key] = str(folder / value)
    if options != connection.options:
        updates["options"] = options
    reference = connection.credentials
    if reference and reference.startswith("file:") and not Path(reference[5:]).is_absolute():
        updates["credentials"] = f"file:{folder / reference[5:]}"
    return connection.model_copy(update=updates) if updates else connection


def resolve_sqlite_url(url: str, folder: Path) -> str:
    """A relative `sqlite:///file.db` made relative to `folder`; other URLs unchanged."""
    prefix = "sqlite:///"
    if not url.startswith(prefix):
        return url
    database, sep, query = url[len(prefix) :].partition("?")
    if not database or database == ":memory:" or database.startswith(("file:", "/")) or Path(database).is_absolute():
        return url
    return f"{prefix}{(folder / database).as_posix()}{sep}{query}"


def _mask_url_password(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def _from_env(*keys: str) -> str | None:
    """The environment variable that sets the setting at `keys`, if one does."""
    wanted = (ENV_PREFIX + ENV_NESTED_DELIMITER.join(keys)).upper()
    return next((name for name in os.environ if name.upper() == wanted), None)


# Where each key is in the TOML text ------------------------------------------------------------

_ARRAY_HEADER = re.compile(r"^\[\[\s*([^\]]+?)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\[\s*([^\]]+?)\s*\]")
_BARE_OR_QUOTED = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_KEY = re.compile(rf"^({_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*)\s*=")

Key = tuple[str | int, ...]


def toml_key_lines(text: str) -> dict[Key, int]:
    """The line of each key and table in TOML `text`, by path (`("connections", 1, "erp")`).

    A line scanner, not a parser: it runs only on text tomllib has accepted, and understands
    table headers, arrays of tables, dotted keys and multi-line strings, which is all a
    configuration file needs to point a message at the right line.
    """
    lines: dict[Key, int] = {}
    table: Key = ()
    arrays: dict[Key, int] = {}  # array-of-tables path -> index of its last element
    in_string: str | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_string is not None:
            if in_string in line:
                in_string = None
            continue
        if not line or line.startswith("#"):
            continue
        if match := _ARRAY_HEADER.match(line):
            path = _with_indexes(_split_key(match[1]), arrays)
            arrays[path] = arrays.get(path, -1) + 1
            table = (*path, arrays[path])
            lines.setdefault(path, number)
            lines[table] = number
            continue
        if match := _TABLE_HEADER.match(line):
            table = _with_indexes(_split_key(match[1]), arrays)
            lines.setdefault(table, number)
            continue
        if match := _KEY.match(line):
            key = (*table, *_split_key(match[1]))
            for end in range(len(table) + 1, len(key) + 1):
                lines.setdefault(key[:end], number)
            rest = line[match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return lines


def _split_key(text: str) -> tuple[str, ...]:
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)', text)
    return tuple(next(p for p in part if p) if any(part) else "" for part in parts)


def _with_indexes(path: tuple[str, ...], arrays: dict[Key, int]) -> Key:
    """`connections.options` inside the 2nd [[connections]] is ("connections", 1, "options")."""
    result: Key = ()
    for index, part in enumerate(path):
        result = (*result, part)
        if index < len(path) - 1 and result in arrays:
            result = (*result, arrays[result])
    return result


def _toml_syntax_issue(file: str, exc: tomllib.TOMLDecodeError) -> ConfigIssue:
    message = str(exc)
    found = re.search(r"\(at line (\d+), column (\d+)\)", message)
    line = int(found[1]) if found else None
    problem = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
    hints = {
        "Cannot overwrite a value": "the key is set twice; keep one",
        "Invalid value": 'text values need quotes: name = "value"',
        "Expected '=' after a key": "each line is key = value; put text values in quotes",
    }
    hint = next((h for start, h in hints.items() if problem.startswith(start)), None)
    return ConfigIssue(file, line, "", f"TOML syntax: {problem}", hint)


_SECTIONS: dict[str, type[BaseModel]] = {
    "connections": ConnectionConfig,
    "policy": WritebackPolicyConfig,
    "holds": HoldPolicyConfig,
    "reconcile": ReconcileConfig,
    "collections": CollectionsConfig,
    "smtp": SmtpConfig,
    "schedule": ScheduleConfig,
    "cashapp": CashappPolicyConfig,
}


def _issue(file: str, lines: dict[Key, int], error: Any) -> ConfigIssue:
    loc: Key = tuple(error["loc"])
    kind: str = error["type"]
    env = _from_env(*(p for p in loc if isinstance(p, str))) if loc else None
    message = str(error["msg"]).replace("Value error, ", "").replace("Input should be", "must be")
    if named := re.match(r"option '([^']+)'", message):  # point at the option's own line
        loc = (*loc, named[1])
    line = None if env else _line_of(lines, loc)
    hint: str | None = None
    last = loc[-1] if loc else ""
    if kind == "extra_forbidden":
        allowed = _allowed(loc[:-1])
        close = difflib.get_close_matches(str(last), allowed, n=1, cutoff=0.6)
        message = f"unknown key {last!r}"
        hint = f"did you mean {close[0]!r}?" if close else (f"allowed here: {', '.join(allowed)}" if allowed else None)
    elif kind == "missing":
        message = f"{last} is missing"
        hint = f"add `{last} = ...`" + (f" to {_dotted(loc[:-1])}" if len(loc) > 1 else "")
    elif kind == "string_pattern_mismatch" and last == "name":
        message = "must be 1 to 64 lowercase letters, digits, - or _"
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(error.get("ctx", {}).get("expected", "")))
        close = difflib.get_close_matches(str(error.get("input")), choices, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else None
    if env:
        hint = f"set by the environment variable {env}" + (f"; {hint}" if hint else "")
    return ConfigIssue(file, line, _dotted(loc), message, hint)


def _allowed(loc: Key) -> list[str]:
    names = [p for p in loc if isinstance(p, str)]
    model: type[BaseModel] = _SECTIONS[names[0]] if names and names[0] in _SECTIONS else Config
    return list(model.model_fields) if len(names) <= 1 else []


def _line_of(lines: dict[Key, int], loc: Key) -> int | None:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _dotted(loc: Key) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text
