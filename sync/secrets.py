"""Secrets: resolving a connection's `credentials` reference, and the encrypted vault in the store.

A reference says where a secret is, never what it is:
- `env:NAME`   the environment variable NAME (containers, systemd `Environment=`, CI);
- `file:/path` the whole file, without its final newline (Docker/Kubernetes secrets, a 0600 file);
- `store:NAME` the vault: the `secrets` table of the store, encrypted with Fernet. Use it for
  what must be writable at runtime, such as QuickBooks' rotating refresh tokens.

The vault's key is never in the database: it comes from $CREDITBRIDGE_SECRET_KEY, else from
the `secret_key_file` of creditbridge.toml. Several keys (comma-separated, or one per line in
the file), newest first, make a `MultiFernet`: values encrypted under an older key still
decrypt, and `rotate` re-encrypts everything under the newest. Make a key with
`creditbridge secrets new-key`.

Every value resolved here comes back as `SecretStr` (its repr is `**********`) and is registered
with the log redaction (`creditbridge.sync.logs.register_secret`), so it cannot reach a log
line; no error message in this module contains a secret or a key.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

from creditbridge.sync.config import ConfigError
from creditbridge.sync.logs import register_secret

if TYPE_CHECKING:
    from creditbridge.sync.store import Store

SECRET_KEY_ENV = "CREDITBRIDGE_SECRET_KEY"
SECRET_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
MAX_SECRET_FILE_BYTES = 64_000


class SecretError(ConfigError):
    """A secret cannot be found, read or decrypted; the message says where to look (never the value)."""


@dataclass(frozen=True, slots=True)
class SecretInfo:
    """What may be shown about a stored secret: its name and when it was set."""

    name: str
    created_at: datetime
    updated_at: datetime


def generate_key() -> str:
    """A new random vault key (Fernet: 32 bytes, url-safe base64)."""
    return Fernet.generate_key().decode("ascii")


def secret_keys(key_file: Path | None = None) -> MultiFernet:
    """The vault's keys, newest first: $CREDITBRIDGE_SECRET_KEY, else the lines of `key_file`."""
    text = os.environ.get(SECRET_KEY_ENV, "").strip()
    where = f"${SECRET_KEY_ENV}"
    if not text and key_file is not None:
        where = str(key_file)
        try:
            text = key_file.read_text("utf-8")
        except OSError as exc:
            raise SecretError(f"cannot read the secret key file {key_file}: {exc.strerror or exc}") from None
    candidates = [k.strip() for k in re.split(r"[,\s]+", _without_comments(text)) if k.strip()]
    if not candidates:
        raise SecretError(
            f"no key to encrypt or decrypt stored secrets: set {SECRET_KEY_ENV} (make one with "
            "`creditbridge secrets new-key`) or secret_key_file in creditbridge.toml"
        )
    fernets = []
    for number, key in enumerate(candidates, 1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise SecretError(
                f"key {number} in {where} is not a vault key (44 characters of url-safe base64); "
                "make one with `creditbridge secrets new-key`"
            ) from None
    return MultiFernet(fernets)


def _without_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def resolve_secret(reference: str, store_url: str | None, *, key_file: Path | None = None) -> SecretStr:
    """The secret `reference` points at (`env:NAME`, `file:/path`, `store:NAME`), as a SecretStr.

    `store_url` is needed for `store:` references (the vault is in the store), `key_file` when
    the vault key is not in $CREDITBRIDGE_SECRET_KEY. Raises `SecretError` saying what is missing.
    """
    scheme, _, target = reference.partition(":")
    if scheme == "env" and target:
        value = os.environ.get(target)
        if not value:
            raise SecretError(f"the environment variable {target} is not set (credentials = {reference!r})")
    elif scheme == "file" and target:
        value = _read_secret_file(Path(target), reference)
    elif scheme == "store" and target:
        if store_url is None:
            raise SecretError(f"{reference!r} is kept in the store, but no store URL was given")
        from creditbridge.sync.store import Store

        with Store.open(store_url) as store:
            return SecretVault(store, key_file=key_file).get(target)
    else:
        raise SecretError(f'{reference!r} is not a secret reference: use "env:NAME", "file:/path" or "store:NAME"')
    register_secret(value)
    return SecretStr(value)


def _read_secret_file(path: Path, reference: str) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SecretError(f"cannot read the secret file {path} ({reference!r}): {exc.strerror or exc}") from None
    if len(raw) > MAX_SECRET_FILE_BYTES:
        raise SecretError(f"the secret file {path} is {len(raw):,} bytes; is it the right file?")
    value = raw.decode("utf-8", "strict").rstrip("\r\n")
    if not value:
        raise SecretError(f"the secret file {path} is empty")
    return value


class SecretVault:
    """The encrypted `secrets` table of a store. Names and dates are plain; values are Fernet tokens."""

    def __init__(self, store: Store | sa.Engine, *, key_file: Path | None = None, keys: MultiFernet | None = None):
        self._engine = store if isinstance(store, sa.Engine) else store.engine
        self._key_file = key_file
        self._keys = keys

    def _fernet(self) -> MultiFernet:
        if self._keys is None:
            self._keys = secret_keys(self._key_file)
        return self._keys

    def get(self, name: str) -> SecretStr:
        """The secret called `name`; `SecretError` if there is none or the key does not open it."""
        from creditbridge.sync.store.secret_tables import secrets

        with self._engine.connect() as conn:
            token = conn.execute(sa.select(secrets.c.ciphertext).where(secrets.c.name == name)).scalar_one_or_none()
        if token is None:
            known = ", ".join(info.name for info in self.names()) or "none yet"
            raise SecretError(
                f"no secret named {name!r} in the store (stored: {known}); "
                f"set it with `creditbridge secrets set {name}`"
            )
        try:
            value = self._fernet().decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretError(
                f"the stored secret {name!r} cannot be decrypted with the configured key(s): it was stored "
                f"under another key. Put that key after the new one in {SECRET_KEY_ENV} (comma-separated), "
                "then run `creditbridge secrets rotate`"
            ) from None
        register_secret(value)
        return SecretStr(value)

    def put(self, name: str, value: SecretStr) -> None:
        """Store (or replace) the secret `name`, encrypted under the newest key, in one transaction."""
        from creditbridge.sync.store.secret_tables import secrets

        if not SECRET_NAME.match(name):
            raise SecretError(f"{name!r} is not a secret name: 1 to 64 letters, digits, '.', '-' or '_'")
        plain = value.get_secret_value()
        if not plain:
            raise SecretError(f"the secret {name!r} is empty; nothing was stored")
        register_secret(plain)
        token = self._fernet().encrypt(plain.encode("utf-8")).decode("ascii")
        now = _utcnow()
        with self._engine.begin() as conn:
            updated = conn.execute(
                sa.update(secrets).where(secrets.c.name == name).values(ciphertext=token, updated_at=now)
            ).rowcount
            if not updated:
                conn.execute(sa.insert(secrets).values(name=name, ciphertext=token, created_at=now, updated_at=now))

    def delete(self, name: str) -> bool:
        """Remove the secret `name`; False if there was none."""
        from creditbridge.sync.store.secret_tables import secrets

        with self._engine.begin() as conn:
            return bool(conn.execute(sa.delete(secrets).where(secrets.c.name == name)).rowcount)

    def names(self) -> list[SecretInfo]:
        """The stored secrets' names and dates, by name (no key needed, no value shown)."""
        from creditbridge.sync.store.secret_tables import secrets

        query = sa.select(secrets.c.name, secrets.c.created_at, secrets.c.updated_at).order_by(secrets.c.name)
        with self._engine.connect() as conn:
            return [SecretInfo(row.name, row.created_at, row.updated_at) for row in conn.execute(query)]

    def rotate(self) -> int:
        """Re-encrypt every secret under the newest key (after adding a key in front); returns how many."""
        from creditbridge.sync.store.secret_tables import secrets

        fernet = self._fernet()
        with self._engine.begin() as conn:
            rows = conn.execute(sa.select(secrets.c.name, secrets.c.ciphertext)).all()
            for row in rows:
                try:
                    token = fernet.rotate(row.ciphertext.encode("ascii")).decode("ascii")
                except InvalidToken:
                    raise SecretError(
                        f"the stored secret {row.name!r} cannot be decrypted with any configured key; nothing was "
                        "rotated (add the key it was stored under to the list)"
                    ) from None
                conn.execute(sa.update(secrets).where(secrets.c.name == row.name).values(ciphertext=token))
        return len(rows)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
