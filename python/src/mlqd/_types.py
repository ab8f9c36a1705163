"""Values shared by the client and the handler helper."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

__all__ = ["Result", "Retry", "Fail", "Cancelled", "NewAttempt"]


class Result:
    """Bytes (or text) with a content type: a job result that is not a JSON value.

    A handler returns ``mlqd.Result(png_bytes, "image/png")`` to store an image;
    ``Client.result(id, decode=False)`` answers one for any job.
    """

    __slots__ = ("data", "content_type")

    def __init__(self, data: Union[bytes, bytearray, memoryview, str], content_type: str = "application/octet-stream") -> None:
        if isinstance(data, str):
            self.data: Union[bytes, str] = data
        elif isinstance(data, (bytes, bytearray, memoryview)):
            self.data = bytes(data)
        else:
            raise TypeError(f"mlqd.Result takes bytes or str, not {type(data).__name__}")
        if not isinstance(content_type, str) or not content_type.strip():
            raise ValueError("mlqd.Result needs a content type, like 'image/png'")
        self.content_type = content_type

    def as_bytes(self) -> bytes:
        """The data as bytes (text is UTF-8)."""
        return self.data.encode("utf-8") if isinstance(self.data, str) else self.data

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Result) and (self.as_bytes(), self.content_type) == (other.as_bytes(), other.content_type)

    def __repr__(self) -> str:
        return f"Result({len(self.as_bytes())} bytes, {self.content_type!r})"


class Retry(Exception):
    """Raised by a handler: this attempt failed, try again later (with backoff), while the
    job has retries left. Any other exception a handler raises means the same."""


class Fail(Exception):
    """Raised by a handler: the job fails for good (bad input); it goes straight to the
    dead-letter set without using its retries."""


class Cancelled(Exception):
    """Raised by ``job.progress()`` and ``job.emit()`` once the job was cancelled (or handed
    back because the worker stops), so a loop that reports as it goes stops by itself."""


@dataclass(frozen=True)
class NewAttempt:
    """Yielded by :meth:`mlqd.Client.stream` when a new attempt of the job starts (a retry, or
    another worker after one was lost): every chunk yielded before it belongs to an earlier
    attempt and is superseded; the chunks after it are the new attempt's output."""

    attempt: int
