"""An incremental Server-Sent Events decoder (the WHATWG "event stream" format).

Bytes go in as they arrive, in pieces of any size (a line, or even a CRLF, may be split
across pieces); whole events come out. :class:`Decoder` keeps what the format says a client
keeps between events: the last event id (which a reconnect sends back as ``Last-Event-ID``)
and the reconnection delay a ``retry:`` field asks for.

>>> d = Decoder()
>>> d.feed(b"event: chunk\\nid: 1-0\\ndata: {\\"seq\\": 0}\\n\\n: keep-alive\\n\\n")
[Event(event='chunk', data='{"seq": 0}', id='1-0', retry=None)]
>>> d.last_event_id
'1-0'
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional

__all__ = ["Event", "Decoder"]

_EOL = re.compile(rb"\r\n?|\n")


@dataclass(frozen=True)
class Event:
    """One dispatched event.

    Attributes:
        event: the ``event:`` field, ``"message"`` when none was given.
        data: the ``data:`` lines joined with ``"\\n"``.
        id: the last event id in force when this event was dispatched (it carries over from
            earlier events that set one), or None.
        retry: the reconnection delay in milliseconds set by this event's ``retry:`` field.
    """

    event: str
    data: str
    id: Optional[str] = None
    retry: Optional[int] = None


class Decoder:
    """Turns an event stream's bytes into :class:`Event` objects, piece by piece."""

    def __init__(self, last_event_id: Optional[str] = None) -> None:
        self._buf = bytearray()
        self._data: List[str] = []
        self._event = ""
        self._retry: Optional[int] = None
        self._seen_field = False
        #: The id of the last event that set one (what a reconnect sends as Last-Event-ID).
        self.last_event_id: Optional[str] = last_event_id
        self._pending_id: Optional[str] = last_event_id
        #: The latest ``retry:`` value in milliseconds, or None.
        self.retry: Optional[int] = None
        self._bom_checked = False
        # bytes of the buffer known to hold no line end (a long line may come in many pieces)
        self._scanned = 0

    def feed(self, chunk: bytes) -> List[Event]:
        """Adds bytes; returns the events they complete (possibly none)."""
        self._buf += chunk
        if not self._bom_checked:
            if len(self._buf) < 3 and b"\xef\xbb\xbf".startswith(bytes(self._buf)):
                return []  # could still be a byte-order mark; wait for more
            if self._buf.startswith(b"\xef\xbb\xbf"):
                del self._buf[:3]
            self._bom_checked = True
        events: List[Event] = []
        buf = self._buf
        pos = 0
        while True:
            m = _EOL.search(buf, max(pos, self._scanned))
            if m is None:
                self._scanned = len(buf)
                break
            if m.group() == b"\r" and m.end() == len(buf):
                self._scanned = m.start()  # a CR at the end: wait to see whether LF follows
                break
            self._line(bytes(buf[pos : m.start()]), events)
            pos = m.end()
            self._scanned = pos
        del buf[:pos]
        self._scanned -= pos
        return events

    def close(self) -> List[Event]:
        """Ends the stream. A partly received event is dropped, as the format says; a lone CR
        left at the end still ends its line."""
        events: List[Event] = []
        if self._buf.endswith(b"\r"):
            self._line(bytes(self._buf[:-1]), events)
        self._buf.clear()
        self._scanned = 0
        self._reset()
        return events

    def _line(self, raw: bytes, events: List[Event]) -> None:
        if not raw:
            self._dispatch(events)
            return
        line = raw.decode("utf-8", "replace")
        if line.startswith(":"):
            return  # a comment (servers send them as keep-alives)
        name, sep, value = line.partition(":")
        if sep and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._seen_field = True
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._pending_id = value
        elif name == "retry":
            if value.isdigit():
                self._retry = int(value)
                self.retry = self._retry
        # other field names are ignored, as the format says

    def _dispatch(self, events: List[Event]) -> None:
        self.last_event_id = self._pending_id
        if self._seen_field:
            events.append(
                Event(
                    event=self._event or "message",
                    data="\n".join(self._data),
                    id=self.last_event_id,
                    retry=self._retry,
                )
            )
        self._reset()

    def _reset(self) -> None:
        self._data = []
        self._event = ""
        self._retry = None
        self._seen_field = False
