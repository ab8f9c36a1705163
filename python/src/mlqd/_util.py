"""Small conversions shared by the client and the handler: durations, content types, times."""

from __future__ import annotations

import datetime as _dt
import math
import re
from typing import Union

#: A duration as the API takes it: seconds (``2``, ``0.5``), a ``timedelta``, or mlqd's own
#: notation (``"500ms"``, ``"2s"``, ``"5m"``, ``"1h"``, ``"1m30s"``).
Duration = Union[int, float, _dt.timedelta, str]

_DURATION = re.compile(r"^\s*(?:\d+|(?:\d+(?:\.\d+)?(?:us|µs|ms|s|sec|m|min|h|d))+)\s*$")

JSON = "application/json"


def duration_text(value: Duration, name: str = "duration") -> str:
    """The API's text for a duration; ``ValueError`` for a negative, infinite or malformed one.

    >>> duration_text(1.5), duration_text(_dt.timedelta(minutes=2)), duration_text("500ms")
    ('1500ms', '120000ms', '500ms')
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be seconds, a timedelta or a string like '500ms', not a bool")
    if isinstance(value, _dt.timedelta):
        secs = value.total_seconds()
    elif isinstance(value, (int, float)):
        secs = float(value)
    elif isinstance(value, str):
        if not _DURATION.match(value):
            raise ValueError(f"{name} {value!r} is not a duration; write it like 500ms, 2s, 5m or 1h")
        return value.strip()
    else:
        raise TypeError(f"{name} must be seconds, a timedelta or a string like '500ms', not {type(value).__name__}")
    if not math.isfinite(secs) or secs < 0:
        raise ValueError(f"{name} must be a finite, non-negative duration, not {value!r}")
    return f"{round(secs * 1000)}ms"


def duration_seconds(value: Duration, name: str = "duration") -> float:
    """A duration in seconds (for the client's own deadlines)."""
    text = duration_text(value, name)
    if text.isdigit():
        return float(text)
    scale = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
    total = 0.0
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)(us|µs|ms|sec|s|min|m|h|d)", text):
        total += float(number) * scale[unit]
    return total


def rfc3339(value: Union[str, _dt.datetime]) -> str:
    """An instant as RFC 3339 text (a naive datetime is taken as UTC)."""
    if isinstance(value, str):
        return value
    if not isinstance(value, _dt.datetime):
        raise TypeError(f"run_at must be a datetime or an RFC 3339 string, not {type(value).__name__}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_json_type(content_type: str | None) -> bool:
    """True for ``application/json`` and ``application/…+json`` (parameters ignored), as mlqd
    itself decides which payloads and results are JSON."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return essence == JSON or (
        essence.startswith("application/") and essence.endswith("+json")
    )
