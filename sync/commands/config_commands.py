"""CLI commands of this area; `register(app)` adds them to the `creditbridge` command."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to `app` (filled in by the feature that owns the module)."""
