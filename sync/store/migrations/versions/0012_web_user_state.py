"""Web workspace: a user can be disabled (cannot sign in) and their last sign-in is kept.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

Written out in full (not imported from web_tables.py) so this revision never changes after release.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("web_users") as batch:
        batch.add_column(sa.Column("disabled_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("last_sign_in_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_users") as batch:
        batch.drop_column("last_sign_in_at")
        batch.drop_column("disabled_at")
