"""Intuit's webhook signature: base64(HMAC-SHA256(raw body, verifier token)) in `intuit-signature`.

Why our own and not python-quickbooks' `QuickBooks.validate_webhook_signature`: that one is a
method of the API client (it needs a client object), decodes the body as text and compares
with `==`, which leaks timing; here the raw bytes are signed and compared in constant time.
The tests use python-quickbooks' function as the oracle.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE_HEADER = "intuit-signature"


def webhook_signature(body: bytes, verifier_token: str) -> str:
    """The `intuit-signature` Intuit sends with `body` for an app whose verifier token is `verifier_token`."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(body: bytes, signature: str | None, verifier_token: str) -> bool:
    """Whether `signature` (the header, possibly missing) signs `body`; compared in constant time."""
    if not signature:
        return False
    expected = webhook_signature(body, verifier_token)
    return hmac.compare_digest(expected.encode("ascii"), signature.strip().encode("ascii", "replace"))
