"""The collections commands' settings: the config file's [collections] and [smtp], and the store URL.

Why optional: a collector trying `collections plan` on a store needs no config file at all (the
built-in policy and templates, the store from --store or the environment); `send` then needs a
[smtp] section only to reach a real mail server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import typer

from creditbridge.sync.config import (
    CollectionsConfig,
    Config,
    ConfigError,
    SmtpConfig,
    config_path,
    load_config,
)
from creditbridge.sync.settings import store_url_from_env


@dataclass(frozen=True, slots=True)
class CollectionsSettings:
    store_url: str
    collections: CollectionsConfig
    smtp: SmtpConfig
    secret_key_file: Path | None = None

    @property
    def policy(self) -> Path | None:
        return self.collections.policy


def settings_from_config(config: Config) -> CollectionsSettings:
    """The collections settings of a loaded configuration (for the scheduler and the CLI)."""
    return CollectionsSettings(config.store_url, config.collections, config.smtp, config.secret_key_file)


def collections_settings(
    config_file: Path | None, store: str | None, fail: Callable[..., typer.Exit]
) -> CollectionsSettings:
    """--store beats the config's store_url, which beats $CREDITBRIDGE_STORE_URL and the default."""
    file = config_path(config_file)
    if config_file is None and not file.exists():
        return CollectionsSettings(store or store_url_from_env(), CollectionsConfig(), SmtpConfig())
    try:
        config = load_config(config_file)
    except ConfigError as exc:
        details = "\n".join(str(i) for i in exc.issues)
        raise fail(exc.message + (f"\n{details}" if details else "")) from None
    settings = settings_from_config(config)
    return settings if store is None else dataclasses.replace(settings, store_url=store)
