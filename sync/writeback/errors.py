"""Write-back's exception tree, named for what the caller (a person at the CLI) can do about each.

Business outcomes of the ERP (a conflict, a refusal) are not exceptions: they are outbox statuses.
These are refusals of a request made to creditbridge itself.
"""

from __future__ import annotations


class WritebackError(Exception):
    """A write-back command was refused; nothing was changed."""


class NotFound(WritebackError):
    """No change request or outbox row with that id (check `approvals list` / `outbox list`)."""


class SelfApprovalRefused(WritebackError):
    """The approver is the requester: four eyes need a second person."""


class InvalidTransition(WritebackError):
    """The row is not in a status that allows this (it moved on, or is handled by a dispatcher)."""


class ChangeInFlight(WritebackError):
    """The customer has an outbox row still on its way to the ERP: push, retry or cancel it first."""


class UnknownCustomer(WritebackError):
    """The ERP has no credit profile for the customer."""


class MissingCurrency(WritebackError):
    """A limit is being set where there was none and no currency is known: name it (--currency)."""


class CannotWrite(WritebackError):
    """The connection's adapter cannot write credit profiles."""
