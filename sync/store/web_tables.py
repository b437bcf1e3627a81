"""Tables of the web workspace: local users and their sessions.

`web_users`: one row per person; `password_hash` is an argon2id hash (never the password);
`role` one of creditbridge.sync.web.roles.ROLES; `disabled_at` set: the user cannot sign in;
`last_sign_in_at` the last good sign-in (NULL: never, or before revision 0012).
`web_sessions`: one row per signed-in browser; the cookie carries a random token and the table
only its sha256, so a copy of the store does not let anyone sign in; `csrf` is the token every
form of that session must post back.
Times are naive UTC.
"""

from __future__ import annotations

import sqlalchemy as sa

from creditbridge.sync.store.schema import metadata

web_users = sa.Table(
    "web_users",
    metadata,
    sa.Column("username", sa.String(128), primary_key=True),
    sa.Column("password_hash", sa.String(255), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("disabled_at", sa.DateTime, nullable=True),
    sa.Column("last_sign_in_at", sa.DateTime, nullable=True),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("username", sa.String(128), sa.ForeignKey("web_users.username"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
    sa.Index(None, "username"),
)
