"""The SSE decoder and JobStream's resume logic, on canned byte streams (no server).

The server is played by an httpx.MockTransport that answers each request with bytes written
here; a stream that "drops" raises a transport error part-way, as a reset connection does.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterator, List, Optional

import httpx
import pytest

import mlqd
from mlqd import errors
from mlqd.sse import Decoder, Event

# ---- the decoder ---------------------------------------------------------------------------


def feed_all(pieces: List[bytes], decoder: Optional[Decoder] = None) -> List[Event]:
    d = decoder or Decoder()
    out: List[Event] = []
    for p in pieces:
        out.extend(d.feed(p))
    return out + d.close()


def bytewise(data: bytes) -> List[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


STREAM = (
    b": keep-alive\n\n"
    b"event: chunk\nid: 1-0\ndata: {\"attempt\":1,\"seq\":0,\"text\":\"a\"}\n\n"
    b"data: line one\ndata:line two\ndata\n\n"
    b"event: end\r\ndata: {}\r\n\r\n"
)


@pytest.mark.parametrize("split", ["whole", "bytewise"])
def test_events_comments_and_multi_line_data(split: str) -> None:
    pieces = [STREAM] if split == "whole" else bytewise(STREAM)
    events = feed_all(pieces)
    assert events == [
        Event("chunk", '{"attempt":1,"seq":0,"text":"a"}', "1-0"),
        Event("message", "line one\nline two\n", "1-0"),  # `data` alone adds an empty line
        Event("end", "{}", "1-0"),
    ]


def test_line_ends_cr_lf_and_crlf_split_across_pieces() -> None:
    d = Decoder()
    assert d.feed(b"data: a\r") == []  # is an LF coming?
    assert d.feed(b"\ndata: b\r") == []
    assert d.feed(b"\r") == []  # the blank line's CR: an LF may still follow
    assert d.feed(b"data: c\n\rdata: d\n\n") == [Event("message", "a\nb"), Event("message", "c"), Event("message", "d")]
    assert d.feed(b"data: e\r") == []
    assert d.close() == []  # the stream ended inside an event: dropped


def test_ids_persist_and_resume_from_the_last_one() -> None:
    d = Decoder(last_event_id="1-4")
    events = d.feed(b"event: attempt\ndata: {\"attempt\":2}\n\nid: 2-0\ndata: x\n\nid\ndata: y\n\n")
    assert [e.id for e in events] == ["1-4", "2-0", ""]
    assert d.last_event_id == ""
    d = Decoder()
    d.feed(b"id: 3-1\n\n")  # an id alone sets the last id, dispatches nothing
    assert d.last_event_id == "3-1"
    d.feed(b"id: 3-\x002\ndata: z\n\n")  # an id with NUL is ignored
    assert d.last_event_id == "3-1"


def test_partial_event_does_not_move_the_last_id() -> None:
    d = Decoder()
    d.feed(b"id: 1-0\ndata: a\n\nid: 1-1\ndata: b")  # the second event never completes
    assert d.last_event_id == "1-0"


def test_retry_bom_unknown_fields_and_utf8() -> None:
    events = feed_all(bytewise("\ufeffretry: 250\nfoo: bar\ndata: h\u00e9llo \u2603\n\nretry: x\ndata: 2\n\n".encode()))
    assert events == [Event("message", "h\u00e9llo \u2603", None, 250), Event("message", "2")]


def test_long_lines_in_many_pieces() -> None:
    payload = "x" * 200_000
    data = f"data: {payload}\n\n".encode()
    events = feed_all([data[i : i + 1000] for i in range(0, len(data), 1000)])
    assert events == [Event("message", payload)]


# ---- JobStream against canned streams -----------------------------------------------------


def chunk(attempt: int, seq: int, text: Optional[str] = None, b64: Optional[str] = None) -> bytes:
    data: dict = {"attempt": attempt, "seq": seq}
    if b64 is not None:
        data["b64"] = b64
    else:
        data["text"] = text if text is not None else f"{attempt}.{seq} "
    return f"event: chunk\nid: {attempt}-{seq}\ndata: {json.dumps(data)}\n\n".encode()


def attempt(n: int) -> bytes:
    return f"event: attempt\ndata: {{\"attempt\":{n}}}\n\n".encode()


END = b'event: end\ndata: {"state":"succeeded","id":"q.X"}\n\n'


class Dropped(httpx.SyncByteStream):
    """Body bytes, then a reset connection (unless ``drop`` is False)."""

    def __init__(self, pieces: List[bytes], drop: bool = True) -> None:
        self.pieces, self.drop = pieces, drop

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.drop:
            raise httpx.ReadError("connection reset by peer")


class Server:
    """Plays the stream route: answer i is ``answers[i](request)``."""

    def __init__(self, *answers: Callable[[httpx.Request], httpx.Response]) -> None:
        self.answers = list(answers)
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert self.answers, f"unexpected request {request.url}"
        return self.answers.pop(0)(request)

    def client(self) -> mlqd.Client:
        return mlqd.Client("http://mlqd.test", transport=httpx.MockTransport(self))

    @property
    def last_ids(self) -> List[Optional[str]]:
        return [r.headers.get("last-event-id") for r in self.requests]


def sse(pieces: List[bytes], drop: bool = False) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _req: httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Dropped(pieces, drop))


def fast(stream: mlqd.JobStream) -> mlqd.JobStream:
    stream._retry_ms = 1  # tests need no reconnection pause
    return stream


def test_stream_yields_text_and_bytes_then_ends_with_status() -> None:
    server = Server(sse([b": hi\n\n", chunk(1, 0, "Hello"), chunk(1, 1, b64="AP8="), chunk(1, 2, ", world"), END]))
    s = server.client().stream("q.X")
    assert list(s) == ["Hello", b"\x00\xff", ", world"]
    assert s.status == {"state": "succeeded", "id": "q.X"}
    assert (s.last_event_id, s.reconnects, s.duplicates) == ("1-2", 0, 0)
    assert server.requests[0].url.path == "/v1/jobs/q.X/stream"
    assert server.requests[0].headers["accept"] == "text/event-stream"
    assert server.last_ids == [None]


def test_stream_resumes_after_a_dropped_connection_with_last_event_id() -> None:
    first = [chunk(1, i) for i in range(10)]
    rest = [chunk(1, i) for i in range(10, 20)]
    server = Server(sse(first, drop=True), sse(rest + [END]))
    s = fast(server.client().stream("q.X"))
    assert list(s) == [f"1.{i} " for i in range(20)]
    assert server.last_ids == [None, "1-9"]
    assert (s.reconnects, s.duplicates) == (1, 0)


def test_stream_resumes_after_a_clean_close_before_end_and_drops_repeats() -> None:
    # the server ends the stream early (say it restarts); the next answer repeats a chunk
    server = Server(sse([chunk(1, 0), chunk(1, 1)]), sse([chunk(1, 1), chunk(1, 2), END]))
    s = fast(server.client().stream("q.X"))
    assert list(s) == ["1.0 ", "1.1 ", "1.2 "]
    assert server.last_ids == [None, "1-1"]
    assert s.duplicates == 1


def test_stream_starts_after_a_given_last_event_id() -> None:
    server = Server(sse([chunk(1, 25), END]))
    s = server.client().stream("q.X", last_event_id="1-24")
    assert list(s) == ["1.25 "]
    assert server.last_ids == ["1-24"]
    with pytest.raises(ValueError):
        server.client().stream("q.X", last_event_id="24")


def test_a_new_attempt_is_marked_between_the_attempts_output() -> None:
    server = Server(sse([chunk(1, 0), chunk(1, 1), chunk(1, 2), attempt(2)] + [chunk(2, i) for i in range(2)] + [END]))
    s = server.client().stream("q.X")
    assert list(s) == ["1.0 ", "1.1 ", "1.2 ", mlqd.NewAttempt(2), "2.0 ", "2.1 "]
    assert s.attempt == 2
    server = Server(sse([chunk(1, 0), attempt(2), chunk(2, 0), attempt(3), chunk(3, 0), END]))
    assert server.client().stream("q.X").text() == "3.0 "  # only the final attempt's output


def test_no_marker_for_a_first_attempt_or_a_replayed_attempt_event() -> None:
    # attempt 1 announced, attempt 2 without an attempt event, then the attempt-2 event replayed
    # after a reconnect: one marker, in the right place
    server = Server(
        sse([attempt(1), chunk(1, 0), chunk(2, 0)], drop=True),
        sse([attempt(2), chunk(2, 1), END]),
    )
    s = fast(server.client().stream("q.X"))
    assert list(s) == ["1.0 ", mlqd.NewAttempt(2), "2.0 ", "2.1 "]
    assert server.last_ids == [None, "2-0"]
    # a late reader whose first event is attempt 2 (attempt 1 emitted nothing): no marker
    server = Server(sse([attempt(2), chunk(2, 0), END]))
    assert list(server.client().stream("q.X")) == ["2.0 "]


def test_trimmed_and_unknown_events_do_not_stop_the_stream() -> None:
    server = Server(sse([b'event: trimmed\ndata: {"attempt":1,"first_seq":5}\n\n', b"event: future\ndata: 1\n\n", chunk(1, 5), END]))
    s = server.client().stream("q.X")
    assert list(s) == ["1.5 "]
    assert s.trimmed == [{"attempt": 1, "first_seq": 5}]


def test_stream_errors_are_typed() -> None:
    body = json.dumps({"error": {"code": "not_found", "message": "no such job: q.X"}}).encode()
    server = Server(lambda _r: httpx.Response(404, content=body))
    with pytest.raises(errors.NotFound) as e:
        list(server.client().stream("q.X"))
    assert (e.value.code, e.value.status) == ("not_found", 404)
    bad = Server(sse([b'event: chunk\ndata: {"attempt":1}\n\n']))
    with pytest.raises(errors.MlqdError, match="seq"):
        list(bad.client().stream("q.X"))


def test_stream_gives_up_after_repeated_drops() -> None:
    server = Server(*[sse([], drop=True) for _ in range(3)])
    s = fast(server.client().stream("q.X", max_reconnects=2))
    with pytest.raises(errors.ConnectionFailed):
        list(s)
    assert len(server.requests) == 3


def test_a_503_while_reconnecting_is_retried() -> None:
    unavailable = json.dumps({"error": {"code": "redis_unavailable", "message": "try again"}}).encode()
    server = Server(
        sse([chunk(1, 0)], drop=True),
        lambda _r: httpx.Response(503, content=unavailable, headers={"retry-after": "1"}),
        sse([chunk(1, 1), END]),
    )
    s = fast(server.client().stream("q.X"))
    assert list(s) == ["1.0 ", "1.1 "]
    assert server.last_ids == [None, "1-0", "1-0"]


def test_closing_a_stream_early_stops_it() -> None:
    server = Server(sse([chunk(1, i) for i in range(5)] + [END]))
    with server.client().stream("q.X") as s:
        assert next(s) == "1.0 "
    with pytest.raises(StopIteration):
        next(s)


def test_events_iterator_on_canned_streams() -> None:
    st = lambda state, p=None: json.dumps({"state": state, "progress": p}).encode()  # noqa: E731
    server = Server(
        sse([b"event: state\ndata: " + st("active") + b"\n\n"], drop=True),
        sse([b"event: state\ndata: " + st("active") + b"\n\n",
             b"event: progress\ndata: " + st("active", {"percent": 50, "message": None}) + b"\n\n",
             b"event: state\ndata: " + st("succeeded") + b"\n\n"]),
    )
    seen: List[Any] = list(server.client().events("q.X"))
    assert [(k, d["state"]) for k, d in seen] == [("state", "active"), ("state", "active"), ("progress", "active"), ("state", "succeeded")]
