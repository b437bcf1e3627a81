"""pyrfc's exception tree, mirrored, so the adapter and the fake backend speak it without pyrfc.

Same names, attributes and meaning as `pyrfc._exception`: an `ABAPApplicationError` is a
classic function-module exception (`key` = 'NOT_FOUND'…); `ABAPRuntimeError` an ABAP message or
short dump; `CommunicationError` / `LogonError` the network and the logon. Business errors of a
BAPI are none of these: they come back in its RETURN table while the call succeeds (returns.py).
"""

from __future__ import annotations


class RFCError(Exception):
    """Any RFC failure."""


class RFCLibError(RFCError):
    """A failure the RFC library reports, with SAP's message fields."""

    def __init__(
        self,
        message: str,
        code: int | None = None,
        key: str | None = None,
        msg_class: str | None = None,
        msg_type: str | None = None,
        msg_number: str | None = None,
        msg_v1: str | None = None,
        msg_v2: str | None = None,
        msg_v3: str | None = None,
        msg_v4: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message, self.code, self.key = message, code, key
        self.msg_class, self.msg_type, self.msg_number = msg_class, msg_type, msg_number
        self.msg_v1, self.msg_v2, self.msg_v3, self.msg_v4 = msg_v1, msg_v2, msg_v3, msg_v4

    def __str__(self) -> str:
        return f"{self.key}: {self.message}" if self.key else self.message


class ABAPApplicationError(RFCLibError):
    """The function module raised a classic exception (RFC_ABAP_EXCEPTION)."""


class ABAPRuntimeError(RFCLibError):
    """An ABAP runtime error or an A/X message in the called function (the ABAP session is gone)."""


class LogonError(RFCLibError):
    """The logon was refused (user, password, client, lock)."""


class CommunicationError(RFCLibError):
    """The network or the SAP gateway failed; the ABAP session (and its open LUW) is lost."""


class ExternalApplicationError(RFCLibError):
    pass


class ExternalAuthorizationError(RFCLibError):
    """The user lacks the authorisation (S_RFC or the function's own checks)."""


class ExternalRuntimeError(RFCLibError):
    pass


class RFCTypeError(RFCError):
    """A parameter did not fit its ABAP type (e.g. too many decimals for a packed field)."""


MIRRORED: dict[str, type[RFCError]] = {
    cls.__name__: cls
    for cls in (
        RFCError,
        RFCLibError,
        ABAPApplicationError,
        ABAPRuntimeError,
        LogonError,
        CommunicationError,
        ExternalApplicationError,
        ExternalAuthorizationError,
        ExternalRuntimeError,
        RFCTypeError,
    )
}
"""Our class for each pyrfc exception class name (pyrfc_connection.py translates by name)."""
