"""``JobStream``: a job's streamed output (tokens, log lines, partial results), as an iterator.

The server side is ``GET /v1/jobs/{id}/stream``, Server-Sent Events:

- ``event: chunk``, ``id: <attempt>-<seq>``, ``data: {"attempt":A,"seq":S,"text":"…"}`` (or
  ``"b64":"…"`` for bytes that are not UTF-8); ``seq`` counts from 0 within an attempt;
- ``event: attempt``, ``data: {"attempt":A}`` when a new attempt starts (a retry, or a worker
  was lost): the earlier attempt's output is superseded;
- ``event: trimmed`` when older chunks were dropped to keep the job under the server's
  ``--max-stream``; its data is kept in :attr:`JobStream.trimmed`;
- ``event: end``, ``data:`` the job's final status, then the server closes the stream.

How a caller tells attempts apart: the iterator yields an :class:`mlqd.NewAttempt` marker,
in order, between the last chunk of one attempt and the first of the next. A caller that
shows output live clears what it showed when it sees one; :meth:`JobStream.text` does that
for you and returns only the final attempt's output::

    for piece in client.stream(job_id):
        if isinstance(piece, mlqd.NewAttempt):
            screen.clear()              # attempt piece.attempt starts over
        else:
            screen.write(piece)         # str, or bytes for binary chunks
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any, Dict, Generator, Iterator, List, Optional, Tuple, Union

import httpx

from . import errors
from ._types import NewAttempt
from .sse import Event

if TYPE_CHECKING:  # pragma: no cover
    from .client import Client

__all__ = ["JobStream", "Piece", "parse_event_id"]

#: What iterating a JobStream yields.
Piece = Union[str, bytes, NewAttempt]


def parse_event_id(value: Optional[str]) -> Optional[Tuple[int, int]]:
    """``"2-17"`` → ``(2, 17)``; None for None or an id of another shape."""
    if not value:
        return None
    attempt, sep, seq = value.partition("-")
    if not sep or not attempt.isdigit() or not seq.isdigit():
        return None
    return int(attempt), int(seq)


def _bad(message: str) -> errors.MlqdError:
    return errors.MlqdError("bad_stream", message)


class JobStream(Iterator[Piece]):
    """Iterator over one job's stream; get one from :meth:`mlqd.Client.stream`.

    Yields ``str`` for text chunks, ``bytes`` for binary ones, and :class:`mlqd.NewAttempt`
    when a new attempt starts. Ends after the server's ``end`` event. Use it as a context
    manager, or call :meth:`close`, to drop the connection early.

    Attributes:
        job_id: the job followed.
        attempt: the attempt whose output is being yielded (0 before the first chunk).
        last_event_id: ``"<attempt>-<seq>"`` of the last chunk received: pass it as
            ``Client.stream(id, last_event_id=…)`` to pick up from there in another process.
        status: the job's final status once the stream ended, else None.
        trimmed: the data of every ``trimmed`` event (output lost to ``--max-stream``).
        reconnects: how often a dropped connection was resumed.
        duplicates: chunks the server sent again and this client dropped (0 when the
            server keeps its promise of no repeats).
    """

    def __init__(self, client: "Client", job_id: str, *, last_event_id: Optional[str] = None, max_reconnects: int = 5) -> None:
        from .client import _job_path

        self.job_id = job_id
        self.last_event_id = last_event_id
        self._last = parse_event_id(last_event_id)
        if last_event_id is not None and self._last is None:
            raise ValueError(f"last_event_id {last_event_id!r} is not of the form '<attempt>-<seq>'")
        self.attempt = self._last[0] if self._last else 0
        self.status: Optional[Dict[str, Any]] = None
        self.trimmed: List[Any] = []
        self.reconnects = 0
        self.duplicates = 0
        self.max_reconnects = max_reconnects
        self._client = client
        self._path = _job_path(job_id, "/stream")
        self._retry_ms: Optional[int] = None
        self._gen = self._run()

    def __iter__(self) -> "JobStream":
        return self

    def __next__(self) -> Piece:
        return next(self._gen)

    def close(self) -> None:
        """Drops the connection; the iterator ends."""
        self._gen.close()

    def __enter__(self) -> "JobStream":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def text(self) -> str:
        """Reads the stream to its end; returns the final attempt's output as text (an
        earlier attempt's partial output is dropped when a new one starts; binary chunks are
        decoded as UTF-8)."""
        parts: List[bytes] = []
        for piece in self:
            if isinstance(piece, NewAttempt):
                parts.clear()
            elif isinstance(piece, str):
                parts.append(piece.encode("utf-8"))
            else:
                parts.append(piece)
        return b"".join(parts).decode("utf-8", "replace")

    # ---- the loop -------------------------------------------------------------------------

    def _run(self) -> Generator[Piece, None, None]:
        failures = 0
        while True:
            try:
                with self._client._event_stream(self._path, last_event_id=self.last_event_id) as events:
                    for ev in events:
                        failures = 0
                        if ev.retry is not None:
                            self._retry_ms = ev.retry
                        yield from self._on_event(ev)
                        if self.status is not None:
                            return
            except (httpx.TransportError, errors.Unavailable) as e:
                failure: Optional[BaseException] = e
            else:
                failure = None  # the server closed the stream before `end`
            failures += 1
            if failures > self.max_reconnects:
                if isinstance(failure, errors.MlqdError):
                    raise failure
                raise errors.ConnectionFailed(
                    "connection_failed",
                    f"lost the output stream of {self.job_id} {failures} times in a row"
                    + (f": {failure}" if failure else ""),
                )
            self.reconnects += 1
            delay = self._retry_ms / 1000 if self._retry_ms is not None else 0.1 * 2 ** (failures - 1)
            time.sleep(min(delay, 5.0))

    def _on_event(self, ev: Event) -> List[Piece]:
        if ev.event == "chunk":
            return self._on_chunk(ev)
        if ev.event == "attempt":
            data = self._data(ev)
            attempt = data.get("attempt")
            if not isinstance(attempt, int) or isinstance(attempt, bool):
                raise _bad(f"an attempt event without an attempt number: {ev.data[:200]!r}")
            return self._enter(attempt)
        if ev.event == "end":
            data = self._data(ev)
            self.status = data
            return []
        if ev.event == "trimmed":
            with contextlib.suppress(ValueError):
                self.trimmed.append(json.loads(ev.data))
                return []
            self.trimmed.append(ev.data)
            return []
        if ev.event == "error":
            raise errors.from_parts(None, ev.data.encode("utf-8"))
        return []  # events this version does not know

    def _data(self, ev: Event) -> Dict[str, Any]:
        try:
            data = json.loads(ev.data)
        except ValueError:
            raise _bad(f"a {ev.event} event whose data is not JSON: {ev.data[:200]!r}") from None
        if not isinstance(data, dict):
            raise _bad(f"a {ev.event} event whose data is not an object: {ev.data[:200]!r}")
        return data

    def _enter(self, attempt: int) -> List[Piece]:
        """Moves to ``attempt``; a marker when it supersedes output of an earlier one."""
        if attempt <= self.attempt:
            return []
        marker: List[Piece] = [NewAttempt(attempt)] if self.attempt >= 1 else []
        self.attempt = attempt
        return marker

    def _on_chunk(self, ev: Event) -> List[Piece]:
        data = self._data(ev)
        attempt, seq = data.get("attempt"), data.get("seq")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (attempt, seq)):
            raise _bad(f"a chunk without attempt and seq numbers: {ev.data[:200]!r}")
        assert isinstance(attempt, int) and isinstance(seq, int)
        key = (attempt, seq)
        if (self._last is not None and key <= self._last) or attempt < self.attempt:
            self.duplicates += 1
            return []
        piece: Piece
        if isinstance(data.get("text"), str):
            piece = data["text"]
        elif isinstance(data.get("b64"), str):
            try:
                piece = base64.b64decode(data["b64"], validate=True)
            except (binascii.Error, ValueError):
                raise _bad(f"chunk {attempt}-{seq} has invalid base64") from None
        else:
            raise _bad(f"chunk {attempt}-{seq} has neither text nor b64")
        out = self._enter(attempt)
        out.append(piece)
        self._last = key
        # the chunk's own numbers, not the SSE id in force (that may be an older event's)
        self.last_event_id = f"{attempt}-{seq}"
        return out
