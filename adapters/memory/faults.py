"""Faults a test can arm on the in-memory ERP, to play the failures a real ERP has.

The two timeouts differ in what the ERP did before the answer was lost; only a read-back tells
them apart, which is exactly what the write-back shell must do after `WriteOutcomeUnknown`.
"""

from __future__ import annotations

from enum import StrEnum


class Fault(StrEnum):
    UNAVAILABLE = "unavailable"  # raise ErpUnavailable before doing anything
    TIMEOUT_BEFORE_APPLY = "timeout_before_apply"  # raise WriteOutcomeUnknown, nothing applied
    TIMEOUT_AFTER_APPLY = "timeout_after_apply"  # apply the write, then raise WriteOutcomeUnknown (the lost response)
    REJECT = "reject"  # return REJECTED (a read raises ErpConfigError: the ERP refused it)


OPERATIONS = frozenset({"read_changes", "read_credit_profile", "write_credit_profile"})
"""The operations a fault can be armed on."""
