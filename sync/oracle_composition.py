"""How a `[[connections]]` entry with erp = "oracle" becomes an `OracleErp` (called by composition.py).

The mapping says what to read and as whom (operating unit, responsibility, preferred currency,
whether orders are read); the connection's options say where the database is and how to talk to
it. `options.simulator = true` connects to the EBS simulator instead (a SQLite file at
`options.simulator_path`, seeded once from `options.seed_ledger`), which is what
`creditbridge demo --erp oracle` does.
"""

from __future__ import annotations

from datetime import timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from creditbridge.mappings import ErpMapping
from creditbridge.sync.config import Config, ConfigError, ConnectionConfig

SIMULATED_RESPONSIBILITY = (1318, 50559)
"""The simulator's user and responsibility when the mapping names none."""


def oracle_adapter(connection: ConnectionConfig, config: Config, mapping: ErpMapping | None, where: str) -> object:
    from creditbridge.adapters.oracle.erp import OracleErp
    from creditbridge.adapters.oracle.options import OracleOptions, Responsibility
    from creditbridge.mappings.schema import OracleMapping

    opts = connection.options
    simulated = _bool(opts, "simulator", where, default=False)
    if mapping is not None and not isinstance(mapping, OracleMapping):
        raise ConfigError(f"{where}: the mapping is not an Oracle mapping")
    if mapping is None and not simulated:
        raise ConfigError(f"{where}: an Oracle connection needs a mapping (org_id, responsibility): "
                          "creditbridge init --erp oracle writes one")  # fmt: skip
    scope = mapping.scope if mapping is not None else None
    responsibility = None
    if scope is not None and scope.user_id is not None and scope.responsibility_id is not None:
        responsibility = Responsibility(scope.user_id, scope.responsibility_id, scope.responsibility_application_id)
    elif simulated:
        responsibility = Responsibility(*SIMULATED_RESPONSIBILITY)
    options = OracleOptions(
        org_id=scope.org_id if scope is not None else _int(opts, "org_id", where, default=204),
        responsibility=responsibility,
        default_currency=(scope.default_currency if scope is not None else None) or "USD",
        preferred_currency=mapping.writeback.currency if mapping is not None else None,
        db_timezone=_zone(opts, where),
        commit_lag=timedelta(seconds=_int(opts, "commit_lag_seconds", where, default=300)),
        page_size=_int(opts, "page_size", where, default=1000),
        arraysize=_int(opts, "arraysize", where, default=1000),
        read_orders=mapping is None or mapping.fields.orders is not None,
    )
    receipt_method = mapping.writeback.receipt_method_id if mapping is not None else None
    return OracleErp(_sessions(connection, config, opts, simulated, options.org_id, where), options,
                     mapping=mapping, name=connection.name, receipt_method_id=receipt_method)  # fmt: skip


def _sessions(connection: ConnectionConfig, config: Config, opts: dict[str, Any], simulated: bool, org_id: int,
              where: str) -> Any:  # fmt: skip
    if simulated:
        from creditbridge.adapters.oracle.simulator import EbsSimulator
        from creditbridge.sync.composition import _path_option, _seed_ledger

        path = _path_option(connection, "simulator_path", where, required=True)
        assert path is not None
        simulator = EbsSimulator(path, org_id=org_id)
        seed = _path_option(connection, "seed_ledger", where, required=False)
        if seed is not None and simulator.is_empty():
            simulator.seed_ledger(_seed_ledger(seed, where))
        return simulator
    from creditbridge.adapters.oracle.connection import ConnectSettings, OraclePool
    from creditbridge.core.ports import ErpError
    from creditbridge.sync.composition import _password

    dsn, user = opts.get("dsn"), opts.get("user")
    if not isinstance(dsn, str) or not dsn or not isinstance(user, str) or not user:
        raise ConfigError(f'{where}: options.dsn ("host:port/service") and options.user are needed')
    password = _password(connection, config, where) if connection.credentials else None
    if password is None:
        raise ConfigError(f'{where}: credentials is missing (e.g. credentials = "env:CREDITBRIDGE_ORACLE_PASSWORD")')
    lib_dir = opts.get("client_lib_dir")
    settings = ConnectSettings(
        dsn=dsn, user=user, password=password,
        thick=_bool(opts, "thick", where, default=False),
        client_lib_dir=lib_dir if isinstance(lib_dir, str) and lib_dir else None,
        pool_min=_int(opts, "pool_min", where, default=1), pool_max=_int(opts, "pool_max", where, default=4),
    )  # fmt: skip
    try:
        return OraclePool(settings)
    except ImportError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    except ErpError as exc:
        raise ConfigError(f"{where}: cannot open a session pool on {dsn}: {exc}") from exc


def _bool(opts: dict[str, Any], key: str, where: str, *, default: bool) -> bool:
    value = opts.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: options.{key} must be true or false")
    return value


def _int(opts: dict[str, Any], key: str, where: str, *, default: int) -> int:
    value = opts.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}: options.{key} must be a whole number of at least 0")
    return value


def _zone(opts: dict[str, Any], where: str) -> tzinfo:
    name = opts.get("db_timezone", "UTC")
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"{where}: options.db_timezone {name!r} is not a time zone name, e.g. Europe/Berlin") from exc
