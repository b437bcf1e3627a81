"""The pull job's exception tree, named for what the caller can do about each.

`PullFailed`: the ERP could not be read (after bounded retries, if `retriable`); pages committed
before the failure stay, the cursor of the unfinished sweep did not move, and a rerun resumes
on the page that failed. `PullConflict`: another pull of the same connection moved the state
meanwhile; run one pull per connection at a time. `PullConfigError`: the adapter cannot do what
was asked (an entity it does not declare) or sent something that breaks the port's contract.
Store failures surface as the store's own `StoreError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from creditbridge.sync.pull.job import PullSummary


class PullError(Exception):
    """The pull did not finish; what was committed before stays committed."""


class PullFailed(PullError):
    """Reading the ERP failed: `retriable` (unavailable, after retries) or not (auth, config)."""

    def __init__(self, message: str, *, entity: str, retriable: bool, summary: PullSummary | None = None) -> None:
        super().__init__(message)
        self.entity = entity
        self.retriable = retriable
        self.summary = summary


class PullConflict(PullError):
    """The stored pull state changed under this run: another pull of the connection is running."""


class PullConfigError(PullError):
    """The adapter lacks an entity that was asked for, or sent changes that break the port's contract."""
