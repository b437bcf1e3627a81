"""`ODataClient`: SAP Gateway (OData V2) over requests, with Gateway's rules handled at this boundary.

- Logon: Basic user/password on the first request; Gateway then sets a session cookie, which the
  requests session keeps (the CSRF token is bound to it). `sap-client` on every request.
- CSRF: writes carry the token fetched with `x-csrf-token: Fetch`; a 403 "CSRF token validation
  failed" (or `x-csrf-token: Required`) means the token or session expired: fetch anew, resend once.
- Paging: `$top`/`$skip` windows, each followed through its `__next` links (server-driven paging).
- Errors become the ErpError tree: 401 ErpAuthError; 403 (not CSRF) ErpConfigError; 5xx, 429 and
  network failures ErpUnavailable; a timeout of a write WriteOutcomeUnknown. A 400/404/412/428
  with its Gateway error text is a `GatewayError` the writer judges (REJECTED, CONFLICT).

requests is imported when a client is built, so a default install without it imports this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from creditbridge.adapters.sap.odata import wire
from creditbridge.core.ports import ErpAuthError, ErpConfigError, ErpUnavailable, WriteOutcomeUnknown

if TYPE_CHECKING:
    import requests

ROOT = "/sap/opu/odata/sap/"
TIMEOUT = (5, 60)
WINDOW = 5000


class GatewayError(Exception):
    """Gateway refused a request for a reason a person can read (400, 404, 412, 428…)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _csrf_failure(response: requests.Response) -> bool:
    return response.status_code == 403 and (
        response.headers.get("x-csrf-token", "").lower() == "required"
        or "CSRF token validation failed" in response.text
    )


class ODataClient:
    def __init__(
        self,
        base_url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        sap_client: str | None = None,
        http: requests.Session | None = None,
        window: int = WINDOW,
    ) -> None:
        try:
            import requests
        except ImportError as exc:
            raise ErpConfigError("S/4HANA over OData needs requests: pip install 'creditbridge[sap]'") from exc
        self._requests = requests
        self.base_url = base_url.rstrip("/")
        self.http = http or requests.Session()
        if user is not None:
            self.http.auth = (user, password or "")
        self.http.headers.update({"Accept": "application/json"})
        self.params = {"sap-client": sap_client} if sap_client else {}
        self.window = window
        self._csrf: dict[str, str] = {}
        self.calls = 0
        self.csrf_fetches = 0

    def url(self, service: str, path: str = "") -> str:
        return f"{self.base_url}{ROOT}{service}/{path}"

    # --- reading -----------------------------------------------------------------------------------

    def get(self, service: str, path: str, params: dict[str, str] | None = None) -> tuple[dict[str, Any], Any]:
        """(the JSON answer, the response headers) of a GET."""
        response = self._send("GET", self.url(service, path), params={**self.params, **(params or {})})
        return self._json(response), response.headers

    def collection(
        self, service: str, entity_set: str, params: dict[str, str] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a collection: $top/$skip windows, each followed through its __next links."""
        skip = 0
        while True:
            query = {**(params or {}), "$top": str(self.window), "$skip": str(skip), "$format": "json"}
            body, _ = self.get(service, entity_set, query)
            rows, next_link = wire.results(body)
            count = len(rows)
            yield from rows
            while next_link:
                response = self._send("GET", urljoin(self.url(service), next_link), params=self.params)
                rows, next_link = wire.results(self._json(response))
                count += len(rows)
                yield from rows
            if count < self.window:
                return
            skip += self.window

    # --- writing -----------------------------------------------------------------------------------

    def write(self, method: str, service: str, path: str, body: dict[str, Any], *, if_match: str | None = None) -> Any:
        """PATCH/POST with the service's CSRF token (fetched, and fetched again once if Gateway refuses it)."""
        for attempt in (1, 2):
            headers = {"x-csrf-token": self._token(service, refresh=attempt == 2), "Content-Type": "application/json"}
            if if_match is not None:
                headers["If-Match"] = if_match
            response = self._send(method, self.url(service, path), params=self.params, json=body, headers=headers)
            if not _csrf_failure(response):
                return response
        raise ErpConfigError("SAP Gateway refused the CSRF token twice: check that the user may change data")

    def _token(self, service: str, *, refresh: bool) -> str:
        if refresh or service not in self._csrf:
            self.csrf_fetches += 1
            response = self._send("GET", self.url(service), params=self.params, headers={"x-csrf-token": "Fetch"})
            token = response.headers.get("x-csrf-token")
            if not token:
                raise ErpConfigError(f"SAP Gateway sent no CSRF token for {service}")
            self._csrf[service] = token
        return self._csrf[service]

    # --- the boundary ------------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        self.calls += 1
        requests = self._requests
        try:
            response = self.http.request(method, url, timeout=TIMEOUT, **kwargs)
        except requests.ConnectionError as exc:
            sent = not isinstance(exc, requests.ConnectTimeout) and "Failed to establish" not in str(exc)
            if method != "GET" and sent:
                raise WriteOutcomeUnknown(
                    f"SAP dropped the connection during a {method}: the change may or may not be saved; read back"
                ) from exc
            raise ErpUnavailable(f"SAP could not be reached ({url}): {exc}") from exc
        except requests.Timeout as exc:
            if method != "GET":
                raise WriteOutcomeUnknown(
                    f"SAP did not answer a {method} in time: the change may or may not be saved"
                ) from exc
            raise ErpUnavailable(f"SAP did not answer in time ({url})") from exc
        status = response.status_code
        if status < 400 or _csrf_failure(response):
            return response
        message = self._message(response)
        if status == 401:
            raise ErpAuthError(f"SAP refused the logon: {message}; check user, password and sap-client")
        if status == 403:
            raise ErpConfigError(f"SAP refused access: {message}; the user lacks an authorisation")
        if status == 429 or status >= 500:
            retry = response.headers.get("Retry-After")
            raise ErpUnavailable(
                f"SAP answered {status}: {message}", retry_after=float(retry) if retry and retry.isdigit() else None
            )
        raise GatewayError(status, message)

    @staticmethod
    def _message(response: requests.Response) -> str:
        try:
            text = wire.error_message(response.json())
        except ValueError:
            text = None
        return text or response.text[:200] or response.reason or str(response.status_code)

    @staticmethod
    def _json(response: requests.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError as exc:
            raise ErpUnavailable(f"SAP answered something that is not JSON ({response.status_code})") from exc
        if not isinstance(body, dict):
            raise ErpUnavailable("SAP answered JSON that is not an object")
        return body
