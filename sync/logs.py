"""Logging: structlog, as text for people or JSON lines for collectors, with secrets taken out.

Why one place: every job binds a `run_id` (and its name) so the lines of one run can be found
together across the CLI, the scheduler and Celery workers; and every line, ours or a library's
(SQLAlchemy, Alembic, HTTP clients, through the standard `logging` module), passes the same
redaction before it is written. Redaction, not discipline, is what keeps secrets out of logs:
- a `SecretStr`/`SecretBytes` value is masked wherever it sits (nested dicts and lists too);
- a value whose key looks like a secret (password, token, secret, authorization, api key, …) is
  masked;
- text is scrubbed of `password=…`, `token: …`, `Bearer …` and URL passwords (`://user:pw@`);
- every secret `creditbridge.sync.secrets` has resolved in this process is registered here and
  masked wherever its value shows up in a line, including exception tracebacks.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import uuid
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, Literal, TextIO

import structlog
from pydantic import SecretBytes, SecretStr
from structlog.typing import EventDict, Processor, WrappedLogger

MASK = "***"
LogFormat = Literal["text", "json"]

_SECRET_KEY = re.compile(
    r"(?i)(passw|passwd|pwd|secret|token|authorization|api[_-]?key|private[_-]?key|cookie|fernet|signature)"
)
_NOT_SECRET_KEYS = frozenset({"page_token", "next_page_token", "sync_token", "synctoken"})
"""Keys that contain 'token' but hold no secret: pagination cursors and QuickBooks record versions."""

_SECRET_IN_TEXT = re.compile(
    r"(?i)\b(password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token|api[_-]?key)"
    r"(\"?\s*[=:]\s*\"?)([^\s\"'&,;}]+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}")
_URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s/]+@")
_MIN_REGISTERED_LENGTH = 4

_registered: tuple[str, ...] = ()  # longest first; replaced whole (copy on write), so readers need no lock
_registering = threading.Lock()
_HANDLER_MARK = "_creditbridge_handler"


def register_secret(value: str | SecretStr) -> None:
    """Mask `value` wherever it appears in a log line from now on (in this process)."""
    global _registered
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if len(text) < _MIN_REGISTERED_LENGTH:
        return
    with _registering:
        if text not in _registered:
            _registered = tuple(sorted({*_registered, text}, key=len, reverse=True))


def scrub_text(text: str) -> str:
    """`text` with secret-looking values and every registered secret masked."""
    for secret in _registered:
        if secret in text:
            text = text.replace(secret, MASK)
    text = _SECRET_IN_TEXT.sub(lambda m: f"{m[1]}{m[2]}{MASK}", text)
    text = _BEARER.sub(lambda m: f"{m[1]} {MASK}", text)
    return _URL_PASSWORD.sub(lambda m: f"{m[1]}{MASK}@", text)


def is_secret_key(key: str) -> bool:
    """Does a field called `key` hold a secret? (`refresh_token` yes, `page_token` no)."""
    return key.lower() not in _NOT_SECRET_KEYS and bool(_SECRET_KEY.search(key))


def redact(value: Any, key: str | None = None) -> Any:
    """`value` with secrets masked (see the module docstring); containers are copied, not changed."""
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if key is not None and is_secret_key(key) and value not in (None, "", False):
        return MASK
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"))
    if isinstance(value, MutableMapping | dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [redact(v) for v in value]
    if isinstance(value, BaseException):
        return scrub_text(f"{type(value).__name__}: {value}")
    return value


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: every value of the line through `redact`."""
    return {key: redact(value, key) for key, value in event_dict.items()}


def configure_logging(format: LogFormat = "text", level: str | int = "info", stream: TextIO | None = None) -> None:
    """Send structlog and standard-library logging to `stream` (stderr) as text or JSON lines.

    Safe to call again (the CLI does, once it has read the config): the previous set-up is replaced.
    """
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    renderer: Processor = (
        structlog.processors.JSONRenderer(default=str)
        if format == "json"
        else structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # the traceback becomes text, so it is scrubbed too
            redact_secrets,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A logger whose lines carry the bound run id and job."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


def new_run_id() -> str:
    """A fresh run id: 32 hex characters (uuid4)."""
    return uuid.uuid4().hex


def bind_run(run_id: str, job: str | None = None, **values: Any) -> None:
    """Stamp every following log line of this thread/task with `run_id` (and `job`, and `values`)."""
    structlog.contextvars.bind_contextvars(run_id=run_id, **({"job": job} if job else {}), **values)


def clear_run() -> None:
    """Stop stamping lines with the run (at the end of a job)."""
    structlog.contextvars.unbind_contextvars("run_id", "job")


@contextmanager
def job_run(job: str, run_id: str | None = None, **values: Any) -> Iterator[str]:
    """`with job_run("pull", connection="qb") as run_id:` binds a new run id for the block."""
    chosen = run_id or new_run_id()
    with structlog.contextvars.bound_contextvars(run_id=chosen, job=job, **values):
        yield chosen
