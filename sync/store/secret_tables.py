"""Tables of the secrets vault: credentials kept in the store, encrypted (see sync/secrets.py).

One row per named secret (an ERP refresh token, a password): the Fernet token of its value,
never the value. The key that encrypts them is not in the database (it comes from
$CREDITBRIDGE_SECRET_KEY or a key file), so a copy of the database alone reveals nothing.
Rotating refresh tokens are written here, in their own transaction, before they are used.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

secrets = sa.Table(
    "secrets",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("ciphertext", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
