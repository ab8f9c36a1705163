"""Typed errors for everything the mlqd HTTP API can answer.

Every error answer of the API is ``{"error": {"code", "message"}}`` with one HTTP status.
:func:`from_response` turns it into an instance of the most specific class below, which
keeps the API's ``code``, ``message`` and ``status``, so callers can catch a family
(``except mlqd.errors.NotFound``) or look at the exact code (``e.code == "no_route"``).

Codes (see the README's "HTTP API" section): ``invalid`` (400), ``unauthorized`` (401),
``not_found``/``no_route`` (404), ``method_not_allowed`` (405), ``conflict``/``job_dead``/
``job_cancelled`` (409), ``payload_too_large`` (413), ``unsupported_media_type`` (415),
``schema_violation`` (422), ``queue_full`` (429), ``internal`` (500),
``redis_unavailable``/``redis_out_of_memory``/``outcome_unknown``/``shutting_down`` (503).
The client adds ``not_finished`` and ``wait_timeout`` (the job is still running) and
``connection_failed`` (no answer from the server at all).
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Type

__all__ = [
    "MlqdError",
    "Invalid",
    "Unauthorized",
    "NotFound",
    "MethodNotAllowed",
    "Conflict",
    "JobFailed",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "SchemaViolation",
    "QueueFull",
    "Internal",
    "Unavailable",
    "ConnectionFailed",
    "NotFinished",
    "WaitTimeout",
    "from_response",
]


class MlqdError(Exception):
    """An error answer of the mlqd API (or a failure to get one).

    Attributes:
        code: the API's stable, machine-readable code (``"not_found"``, ``"queue_full"``…).
        message: the API's message, for people.
        status: the HTTP status, or None when no answer came (:class:`ConnectionFailed`) or
            the error was decided by the client (:class:`NotFinished`).
        details: extra entries the API gave (a schema violation's failing fields).
        retry_after: seconds the server asked to wait before trying again (429, 503), or None.
        job_id: the job the answer named in ``X-Mlqd-Job-Id``, or None.
    """

    def __init__(
        self,
        code: str,
        message: str,
        status: Optional[int] = None,
        *,
        details: Optional[List[Dict[str, Any]]] = None,
        retry_after: Optional[float] = None,
        job_id: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or []
        self.retry_after = retry_after
        self.job_id = job_id

    def __str__(self) -> str:
        where = f"{self.status} " if self.status is not None else ""
        return f"{self.message} ({where}{self.code})"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, status={self.status!r})"


class Invalid(MlqdError):
    """400: the request was malformed (queue name, option, id, JSON)."""


class Unauthorized(MlqdError):
    """401: the bearer token is missing or wrong."""


class NotFound(MlqdError):
    """404: no such job (``not_found``) or no such route (``no_route``)."""


class MethodNotAllowed(MlqdError):
    """405: the route exists but not with this method."""


class Conflict(MlqdError):
    """409: the operation does not apply in the job's state (e.g. cancel a succeeded job)."""


class JobFailed(Conflict):
    """409: the job ended without a result: ``state`` is ``"dead"`` or ``"cancelled"``.

    ``status`` holds the job's status JSON when the answer carried it (``post(wait=…)``).
    """

    def __init__(self, code: str, message: str, status: Optional[int] = None, **kw: Any) -> None:
        self.job_status: Optional[Dict[str, Any]] = kw.pop("job_status", None)
        super().__init__(code, message, status, **kw)

    @property
    def state(self) -> str:
        """``"dead"`` or ``"cancelled"``."""
        if self.job_status and isinstance(self.job_status.get("state"), str):
            return str(self.job_status["state"])
        return "cancelled" if self.code == "job_cancelled" else "dead"


class PayloadTooLarge(MlqdError):
    """413: the body is over the server's ``--max-body``."""


class UnsupportedMediaType(MlqdError):
    """415: the body's content type does not fit (e.g. non-JSON for a queue with a schema)."""


class SchemaViolation(MlqdError):
    """422: the payload does not match the queue's JSON Schema; ``details`` lists the fields."""


class QueueFull(MlqdError):
    """429: the queue holds as many waiting jobs as ``--max-pending`` allows.

    Nothing was stored; try again after ``retry_after`` seconds.
    """


class Internal(MlqdError):
    """500: a server-side bug; the server's log has the details."""


class Unavailable(MlqdError):
    """503: the server cannot reach Redis (``redis_unavailable``), Redis is out of memory
    (``redis_out_of_memory``), the server is shutting down (``shutting_down``), or a submit's
    outcome is unknown (``outcome_unknown``: ``job_id`` names the job that may exist; posting
    again with the same idempotency key is safe). Worth retrying after ``retry_after``."""


class ConnectionFailed(Unavailable):
    """No answer from the server at all (refused, reset, timed out); ``status`` is None."""


class NotFinished(MlqdError):
    """The job has no result yet; ``state`` is the state it was in (``pending``…)."""

    def __init__(self, code: str, message: str, status: Optional[int] = None, **kw: Any) -> None:
        self.state: Optional[str] = kw.pop("state", None)
        super().__init__(code, message, status, **kw)


class WaitTimeout(NotFinished):
    """A wait ran out of time before the job finished (the job goes on)."""


_BY_CODE: Mapping[str, Type[MlqdError]] = {
    "invalid": Invalid,
    "unauthorized": Unauthorized,
    "not_found": NotFound,
    "no_route": NotFound,
    "method_not_allowed": MethodNotAllowed,
    "conflict": Conflict,
    "job_dead": JobFailed,
    "job_cancelled": JobFailed,
    "not_finished": NotFinished,
    "wait_timeout": WaitTimeout,
    "payload_too_large": PayloadTooLarge,
    "unsupported_media_type": UnsupportedMediaType,
    "schema_violation": SchemaViolation,
    "queue_full": QueueFull,
    "internal": Internal,
    "redis_unavailable": Unavailable,
    "redis_out_of_memory": Unavailable,
    "outcome_unknown": Unavailable,
    "shutting_down": Unavailable,
    "connection_failed": ConnectionFailed,
}

_BY_STATUS: Mapping[int, Type[MlqdError]] = {
    400: Invalid,
    401: Unauthorized,
    404: NotFound,
    405: MethodNotAllowed,
    409: Conflict,
    413: PayloadTooLarge,
    415: UnsupportedMediaType,
    422: SchemaViolation,
    429: QueueFull,
    500: Internal,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}


def error_class(code: str, status: Optional[int]) -> Type[MlqdError]:
    """The class for an API code (codes this version does not know fall back on the status)."""
    cls = _BY_CODE.get(code)
    if cls is None and status is not None:
        cls = _BY_STATUS.get(status)
    return cls or MlqdError


def _retry_after(value: Optional[str]) -> Optional[float]:
    if value is None:
        return None
    try:
        secs = float(value.strip())
    except ValueError:
        return None  # an HTTP date: rare enough to ignore
    return secs if secs >= 0 else None


def from_parts(
    status: Optional[int],
    body: bytes,
    headers: Optional[Mapping[str, str]] = None,
) -> MlqdError:
    """An error from an answer's status, body and headers (``{"error": {...}}`` or not)."""
    headers = headers or {}
    code: Optional[str] = None
    message: Optional[str] = None
    details: List[Dict[str, Any]] = []
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        err = parsed["error"]
        code = err.get("code") if isinstance(err.get("code"), str) else None
        message = err.get("message") if isinstance(err.get("message"), str) else None
        if isinstance(err.get("details"), list):
            details = [d for d in err["details"] if isinstance(d, dict)]
    if code is None:
        code = f"http_{status}" if status is not None else "unknown"
    if message is None:
        text = body[:300].decode("utf-8", "replace").strip()
        message = text or f"HTTP {status}"
    cls = error_class(code, status)
    return cls(
        code,
        message,
        status,
        details=details,
        retry_after=_retry_after(headers.get("retry-after")),
        job_id=headers.get("x-mlqd-job-id"),
    )


def from_response(response: Any) -> MlqdError:
    """The error an ``httpx.Response`` (already read) stands for."""
    return from_parts(response.status_code, response.content, response.headers)
