"""Who may do what in the web workspace: one table of role -> allowed actions.

The server checks every page, every form post and every API call against this table
(`web.auth.require`, `web.auth.require_api`; an API token has one of these roles too);
hiding a button is never the protection. An action not in the table is allowed to nobody.
"""

from __future__ import annotations

from typing import Final

ROLES: Final = ("viewer", "collector", "analyst", "approver", "admin")

_EVERYONE = frozenset(ROLES)

ALLOWED: Final[dict[str, frozenset[str]]] = {
    "dashboard.view": _EVERYONE,
    "customers.view": _EVERYONE,
    "customers.export": frozenset({"collector", "analyst", "approver", "admin"}),
    "customers.note": frozenset({"collector", "analyst", "approver", "admin"}),
    "approvals.view": frozenset({"analyst", "approver", "admin"}),
    "approvals.export": frozenset({"analyst", "approver", "admin"}),
    "approvals.decide": frozenset({"approver", "admin"}),
    "limits.request": frozenset({"analyst", "approver", "admin"}),
    "cashapp.view": _EVERYONE,
    "cashapp.decide": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.view": _EVERYONE,
    "collections.export": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.call": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.promise": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.dispute": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.resolve": frozenset({"collector", "analyst", "approver", "admin"}),
    "collections.task": frozenset({"collector", "analyst", "approver", "admin"}),
    # Conflicts are write-back's business, like approvals: analysts (who request changes) see them; deciding one
    # sets what the ERP keeps, or requests our value again, so it is for those who may approve changes.
    "conflicts.view": frozenset({"analyst", "approver", "admin"}),
    "conflicts.export": frozenset({"analyst", "approver", "admin"}),
    "conflicts.resolve": frozenset({"approver", "admin"}),
    "credit.apply": frozenset({"analyst", "approver", "admin"}),
    "credit.decisions.view": frozenset({"collector", "analyst", "approver", "admin"}),
    "users.manage": frozenset({"admin"}),
    "session.end": _EVERYONE,
    "credit.check": _EVERYONE,  # POST /credit/check and /api/v1/credit/check: an ERP's order entry, by API token
}
"""Action -> the roles allowed to do it."""


def allowed(role: str, action: str) -> bool:
    return role in ALLOWED.get(action, frozenset())


def actions_of(role: str) -> tuple[str, ...]:
    return tuple(action for action, roles in ALLOWED.items() if role in roles)
