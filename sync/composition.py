"""The composition root: the one place that turns configuration into concrete objects.

Jobs, the CLI and the HTTP service ask here for the store and for each connection's adapter
and mapping; nothing else in the shell names an adapter class. Adapters are imported inside the
functions, so an installation without an ERP's extra (python-quickbooks, oracledb) still runs
every other command, and `creditbridge --help` stays fast.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from creditbridge.core.model import Ledger
from creditbridge.core.ports import Entity
from creditbridge.sync.config import Config, ConfigError, ConnectionConfig

if TYPE_CHECKING:
    from creditbridge.mappings import ErpMapping
    from creditbridge.sync.store import Store

AVAILABLE_ERPS = ("files", "memory", "quickbooks", "sap", "oracle")
"""ERPs whose adapter is part of this version; the others are configured but cannot run yet."""


def open_store(config: Config) -> Store:
    """The store of `config`, connected and migrated to this version (`StoreError` if it cannot be)."""
    from creditbridge.sync.store import Store

    return Store.open(config.store_url)


def adapter_for(connection: ConnectionConfig, config: Config) -> object:
    """The adapter of `connection`: an object with `erp_name`, `capabilities` and the ports it has.

    Raises `ConfigError` naming the connection and the option when the configuration asks for
    something this version cannot build.
    """
    where = f"connection {connection.name!r}" + (f" in {config.path}" if config.path else "")
    if connection.erp == "memory":
        from creditbridge.adapters.memory import InMemoryErp

        state_path = _path_option(connection, "state_path", where, required=False)
        page_size = connection.options.get("page_size", 100)
        if not isinstance(page_size, int) or page_size < 1:
            raise ConfigError(f"{where}: options.page_size must be a whole number of at least 1")
        erp = InMemoryErp(state_path=state_path, name=connection.name, page_size=page_size)
        seed = _path_option(connection, "seed_ledger", where, required=False)
        if seed is not None and not erp.records(Entity.CUSTOMERS):
            erp.seed(_seed_ledger(seed, where))
        return erp
    if connection.erp == "files":
        from creditbridge.adapters.files.erp import LedgerFolderErp
        from creditbridge.core.ports import ErpConfigError

        folder = _path_option(connection, "folder", where, required=True)
        assert folder is not None
        try:
            return LedgerFolderErp(folder, name=connection.name)
        except ErpConfigError as exc:
            raise ConfigError(f"{where}: {exc} (options.folder must be an existing folder)") from exc
    if connection.erp == "quickbooks":
        return _quickbooks_adapter(connection, config, where)
    if connection.erp == "sap":
        return _sap_adapter(connection, config, where)
    if connection.erp == "oracle":
        from creditbridge.sync.oracle_composition import oracle_adapter

        return oracle_adapter(connection, config, mapping_for(connection), where)
    raise ConfigError(
        f"{where}: the {connection.erp} adapter is not part of this version of creditbridge yet "
        f'(available: {", ".join(AVAILABLE_ERPS)}); export to a ledger folder and use erp = "files" meanwhile'
    )


def _quickbooks_adapter(connection: ConnectionConfig, config: Config, where: str) -> object:
    """QuickBooks Online: credentials from the vault (`store:NAME`), rotated tokens written back there."""
    try:
        from creditbridge.adapters.quickbooks.connect import build_erp
        from creditbridge.adapters.quickbooks.credentials import Credentials
    except ImportError as exc:
        raise ConfigError(
            f"{where}: install the QuickBooks extra: pip install 'creditbridge[quickbooks]' ({exc})"
        ) from exc
    from pydantic import SecretStr

    from creditbridge.sync.secrets import SecretError, SecretVault

    reference = connection.credentials or ""
    if not reference.startswith("store:"):
        raise ConfigError(
            f'{where}: credentials must be "store:{connection.name}"; '
            f"run `creditbridge connect quickbooks --connection {connection.name}` to fill it"
        )
    secret_name = reference[len("store:") :]
    vault = SecretVault(_secrets_store(config.store_url), key_file=config.secret_key_file)

    def load() -> Credentials:
        try:
            return Credentials.from_json(vault.get(secret_name).get_secret_value())
        except (ValueError, SecretError) as exc:
            raise ConfigError(
                f"{where}: {exc}; link the company with "
                f"`creditbridge connect quickbooks --connection {connection.name}`"
            ) from exc

    def save(credentials: Credentials) -> None:
        vault.put(secret_name, SecretStr(credentials.to_json()))

    mapping = mapping_for(connection)
    options = connection.options
    kwargs: dict[str, object] = {}
    if mapping is not None:
        from creditbridge.mappings.schema import QuickBooksMapping

        if isinstance(mapping, QuickBooksMapping):
            kwargs["mechanism"] = mapping.writeback.mechanism
            if mapping.writeback.custom_field_id:
                kwargs["custom_field_id"] = mapping.writeback.custom_field_id
            kwargs["include_inactive"] = mapping.scope.include_inactive
            if mapping.scope.default_currency:
                kwargs["default_currency"] = mapping.scope.default_currency
            terms = mapping.translations.payment_terms if mapping.translations else None
            if terms:
                kwargs["terms"] = dict(terms)
    kwargs.setdefault("custom_field_id", options.get("custom_field_id"))
    if kwargs.get("mechanism") == "custom_field" and not kwargs["custom_field_id"]:
        raise ConfigError(f"{where}: writeback mechanism custom_field needs the mapping's writeback.custom_field_id")
    return build_erp(
        load,
        save,
        name=connection.name,
        environment=str(options.get("environment", "production")),
        base_url=options.get("base_url"),
        page_size=int(options.get("page_size", 1000)),
        **kwargs,  # type: ignore[arg-type]
    )


RFC_PARAMS = ("ashost", "sysnr", "client", "user", "lang", "mshost", "msserv", "sysid", "group", "dest", "saprouter",
              "snc_qop", "snc_myname", "snc_partnername", "snc_lib", "trace")  # fmt: skip
"""pyrfc's connection parameters that may stand in options (the password comes from `credentials`)."""


def _sap_adapter(connection: ConnectionConfig, config: Config, where: str) -> object:
    """SAP: ECC over RFC (pyrfc, options.ashost…) or S/4HANA over OData (options.odata_url), per the mapping."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from creditbridge.adapters.sap.settings import settings_from_mapping
    from creditbridge.core.ports import ErpConfigError
    from creditbridge.mappings.schema import SapMapping

    mapping = mapping_for(connection)
    if not isinstance(mapping, SapMapping):
        raise ConfigError(f'{where}: SAP needs a mapping file (add mapping = "mappings/sap.yaml"; '
                          "`creditbridge init --erp sap` writes a template)")  # fmt: skip
    settings = settings_from_mapping(mapping)
    try:
        zone = ZoneInfo(mapping.scope.system_timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        zone_name = mapping.scope.system_timezone
        raise ConfigError(f"{where}: scope.system_timezone {zone_name!r} is not a time zone (IANA name)") from exc
    options = connection.options
    password = _password(connection, config, where)
    page_size = int(options.get("page_size", 500))
    if mapping.scope.system == "s4":
        from creditbridge.adapters.sap.odata.client import ODataClient
        from creditbridge.adapters.sap.odata.erp import S4Erp

        url = options.get("odata_url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ConfigError(f'{where}: options.odata_url is missing (the Gateway host, e.g. "https://s4.example.com")')
        try:
            client = ODataClient(url, user=options.get("user"), password=password,
                                 sap_client=str(options["client"]) if "client" in options else None)  # fmt: skip
        except ErpConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from exc
        return S4Erp(client, settings, name=connection.name, page_size=page_size, zone=zone)
    from creditbridge.adapters.sap.rfc.erp import EccErp
    from creditbridge.adapters.sap.rfc.pyrfc_connection import pyrfc_connector

    params = {key: str(options[key]) for key in RFC_PARAMS if key in options}
    if not ({"ashost", "mshost", "dest"} & set(params)):
        raise ConfigError(f"{where}: options.ashost (or mshost, or dest) is missing: where the ECC system is")
    if password is not None:
        params["passwd"] = password
    try:
        connector = pyrfc_connector(params)
    except ErpConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return EccErp(connector, settings, name=connection.name, page_size=page_size, zone=zone)


def _password(connection: ConnectionConfig, config: Config, where: str) -> str | None:
    """The secret the connection's `credentials` reference names (None without one), for SAP and Oracle."""
    if connection.credentials is None:
        return None
    from creditbridge.sync.secrets import SecretError, resolve_secret

    try:
        secret = resolve_secret(connection.credentials, config.store_url, key_file=config.secret_key_file)
    except SecretError as exc:
        raise ConfigError(f"{where}: {exc}") from exc
    return secret.get_secret_value()


@functools.cache
def _secrets_store(url: str) -> Store:
    """One store per URL and process for adapters' rotating credentials (an adapter lives as long as a job)."""
    from creditbridge.sync.store import Store

    return Store.open(url)


def _seed_ledger(folder: Path, where: str) -> Ledger:
    """The ledger folder a simulated ERP starts from (read once, when its state is still empty)."""
    from creditbridge.adapters.files import LedgerError, read_ledger

    try:
        return read_ledger(folder).to_ledger()
    except LedgerError as exc:
        raise ConfigError(f"{where}: options.seed_ledger {folder} has errors:\n{exc}") from exc
    except FileNotFoundError as exc:
        raise ConfigError(f"{where}: options.seed_ledger {folder} does not exist") from exc


def mapping_for(connection: ConnectionConfig) -> ErpMapping | None:
    """The connection's mapping file, loaded and checked (None if it names none).

    Raises `MappingError` with every problem of the file, or `ConfigError` if the file is for
    another ERP than the connection.
    """
    if connection.mapping is None:
        return None
    from creditbridge.mappings import load_mapping

    mapping = load_mapping(connection.mapping)
    if mapping.erp != connection.erp:
        raise ConfigError(
            f"connection {connection.name!r} is erp = {connection.erp!r}, but its mapping {connection.mapping} "
            f"is for erp: {mapping.erp}"
        )
    return mapping


def _path_option(connection: ConnectionConfig, key: str, where: str, *, required: bool) -> Path | None:
    value = connection.options.get(key)
    if value is None or value == "":
        if required:
            raise ConfigError(f'{where}: options.{key} is missing (add `options = {{ {key} = "..." }}`)')
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: options.{key} must be a path in quotes")
    return Path(value)
