"""``mlqd.Client``: the HTTP API of ``mlqd serve`` as Python methods.

One client is one pool of HTTP connections (httpx); it is safe to share between threads.
Any ``serve`` process answers for any job, so a load balancer in front of several is fine.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import time
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union
from urllib.parse import quote

import httpx

from . import errors
from ._types import Result
from ._util import JSON, Duration, duration_seconds, duration_text, is_json_type, rfc3339
from .sse import Decoder, Event
from .stream import JobStream

__all__ = ["Client", "TERMINAL_STATES"]

#: States a job never leaves.
TERMINAL_STATES = frozenset({"succeeded", "dead", "cancelled"})

#: Longest single long-poll the client asks for; longer waits are made of several.
_POLL_SLICE = 25.0

#: Payloads: JSON values, or bytes/str with a content type.
Payload = Any


class _DeadlinePassed(Exception):
    """Internal: a wait's deadline passed while reading an event stream."""


def _job_path(job_id: str, tail: str = "") -> str:
    if not isinstance(job_id, str) or not job_id:
        raise ValueError("a job id is a non-empty string, as post() returned it")
    return f"/v1/jobs/{quote(job_id, safe='')}{tail}"


def _queue_path(queue: str, tail: str = "") -> str:
    if not isinstance(queue, str) or not queue:
        raise ValueError("a queue name is a non-empty string")
    return f"/v1/queues/{quote(queue, safe='')}{tail}"


def _json_body(value: Any) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as e:
        raise TypeError(f"payload is not JSON-serialisable: {e}") from None


def encode_payload(payload: Payload, content_type: Optional[str]) -> Tuple[bytes, str]:
    """The bytes and content type a payload travels as.

    - ``bytes`` (or ``bytearray``/``memoryview``) go as they are and need a ``content_type``;
    - a ``str`` with a non-JSON ``content_type`` (``"text/plain"``) goes as UTF-8 text;
    - anything else (dict, list, str, number, bool, None) is encoded as JSON.
    """
    if isinstance(payload, (bytes, bytearray, memoryview)):
        if not content_type:
            raise ValueError("a bytes payload needs a content_type (like 'image/png' or 'application/octet-stream')")
        return bytes(payload), content_type
    if content_type and not is_json_type(content_type):
        if isinstance(payload, str):
            return payload.encode("utf-8"), content_type
        raise TypeError(
            f"content_type {content_type!r} is not JSON: send bytes or str, not {type(payload).__name__}"
        )
    return _json_body(payload), content_type or JSON


def _decode_result(body: bytes, content_type: str) -> Any:
    if is_json_type(content_type):
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return body
    return body


def _options(
    *,
    priority: Optional[int],
    delay: Optional[Duration],
    run_at: Union[str, _dt.datetime, None],
    max_retries: Optional[int],
    max_stalls: Optional[int],
    timeout: Optional[Duration],
    callback: Optional[str],
    result_ttl: Optional[Duration],
) -> Dict[str, str]:
    q: Dict[str, str] = {}
    for name, value in (("priority", priority), ("max_retries", max_retries), ("max_stalls", max_stalls)):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            q[name] = str(value)
    if delay is not None:
        q["delay"] = duration_text(delay, "delay")
    if run_at is not None:
        q["run_at"] = rfc3339(run_at)
    if timeout is not None:
        q["timeout"] = duration_text(timeout, "timeout")
    if callback is not None:
        q["callback"] = str(callback)
    if result_ttl is not None:
        q["result_ttl"] = duration_text(result_ttl, "result_ttl")
    return q


class Client:
    """A client of one mlqd HTTP API.

    Args:
        base_url: where ``mlqd serve`` listens, e.g. ``"http://127.0.0.1:8080"`` (a path prefix
            is kept, for a server behind a proxy).
        token: the bearer token, when ``serve`` runs with ``--token``.
        timeout: seconds to wait for a connection and for each answer (waits and streams add
            the time they were asked to wait).
        stream_read_timeout: seconds an event stream may stay silent before it counts as
            dropped (the server sends a keep-alive every 15 s).
        transport: an httpx transport to use instead of the network (tests, proxies).

    Every method raises an :class:`mlqd.errors.MlqdError` subclass for an error answer
    (carrying the API's ``code``) and :class:`mlqd.errors.ConnectionFailed` when the server
    does not answer. Use it as a context manager, or call :meth:`close`, to free connections.
    """

    def __init__(
        self,
        base_url: str,
        token: Optional[str] = None,
        *,
        timeout: float = 10.0,
        stream_read_timeout: float = 60.0,
        transport: Optional[httpx.BaseTransport] = None,
    ) -> None:
        headers = {"user-agent": "mlqd-python"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.timeout = float(timeout)
        self.stream_read_timeout = float(stream_read_timeout)
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            timeout=self.timeout,
            transport=transport,
            follow_redirects=False,
        )

    # ---- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        """Closes the client's connections."""
        self._http.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"mlqd.Client({self.base_url!r})"

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Optional[Mapping[str, str]] = None,
        content: Optional[bytes] = None,
        headers: Optional[Mapping[str, str]] = None,
        extra_time: float = 0.0,
        ok: Sequence[int] = (200, 201),
    ) -> httpx.Response:
        timeout = httpx.Timeout(self.timeout, read=self.timeout + extra_time)
        try:
            res = self._http.request(method, path, params=params, content=content, headers=headers, timeout=timeout)
        except httpx.TransportError as e:
            raise errors.ConnectionFailed("connection_failed", f"no answer from {self.base_url}: {e}") from e
        if res.status_code not in ok:
            raise errors.from_response(res)
        return res

    def _json(self, method: str, path: str, **kw: Any) -> Any:
        res = self._request(method, path, **kw)
        try:
            return res.json()
        except ValueError:
            raise errors.MlqdError("bad_answer", f"{method} {path} answered {res.status_code} with a body that is not JSON", res.status_code) from None

    @contextlib.contextmanager
    def _event_stream(
        self, path: str, *, last_event_id: Optional[str] = None, deadline: Optional[float] = None
    ) -> Iterator[Iterator[Event]]:
        """One connection to an event-stream route: a context manager giving its events.

        Error answers raise typed errors at once; a dropped connection raises
        ``httpx.TransportError`` from the iterator; a clean end of the stream ends it.
        With ``deadline`` (a ``time.monotonic()`` value), ``_DeadlinePassed`` ends it in time.
        """
        read = self.stream_read_timeout
        if deadline is not None:
            read = max(0.01, min(read, deadline - time.monotonic() + 0.05))
        headers = {"accept": "text/event-stream", "cache-control": "no-cache"}
        if last_event_id is not None:
            headers["last-event-id"] = last_event_id
        request = self._http.build_request(
            "GET", path, headers=headers, timeout=httpx.Timeout(self.timeout, read=read)
        )
        try:
            res = self._http.send(request, stream=True)
        except httpx.TransportError as e:
            if deadline is not None and time.monotonic() >= deadline:
                raise _DeadlinePassed() from None
            raise
        try:
            if res.status_code != 200:
                res.read()
                raise errors.from_response(res)

            def events() -> Iterator[Event]:
                decoder = Decoder(last_event_id)
                try:
                    for piece in res.iter_bytes():
                        for ev in decoder.feed(piece):
                            yield ev
                        if deadline is not None and time.monotonic() >= deadline:
                            raise _DeadlinePassed()
                except httpx.TimeoutException:
                    if deadline is not None and time.monotonic() >= deadline:
                        raise _DeadlinePassed() from None
                    raise
                for ev in decoder.close():
                    yield ev

            yield events()
        finally:
            res.close()

    # ---- jobs -------------------------------------------------------------------------------

    def post(
        self,
        queue: str,
        payload: Payload = None,
        *,
        content_type: Optional[str] = None,
        priority: Optional[int] = None,
        delay: Optional[Duration] = None,
        run_at: Union[str, _dt.datetime, None] = None,
        max_retries: Optional[int] = None,
        max_stalls: Optional[int] = None,
        timeout: Optional[Duration] = None,
        idempotency_key: Optional[str] = None,
        callback: Optional[str] = None,
        result_ttl: Optional[Duration] = None,
        wait: Optional[Duration] = None,
    ) -> str:
        """Posts a job to ``queue``; returns its id.

        Args:
            payload: a JSON value (dict, list, str, number, bool, None), or ``bytes`` with a
                ``content_type``, or a ``str`` with a non-JSON ``content_type``.
            content_type: the payload's type; JSON when not given.
            priority: -100..100, higher runs first (default 0).
            delay / run_at: start no earlier than this from now / this instant (a ``datetime``,
                naive means UTC, or RFC 3339 text).
            max_retries: retries after the first failure (default 3).
            max_stalls: lost workers tolerated before the job is dead (default 3).
            timeout: execution limit per attempt.
            idempotency_key: posting again with the same key (within 24 h) returns the first
                job's id and stores nothing.
            callback: a URL that gets the status JSON once the job is terminal.
            result_ttl: how long the result is kept (default 24 h).
            wait: block until the job is terminal or this much time passed (at most the
                server's ``--max-wait``, 5 min by default); the id is returned either way.

        Durations are seconds (``2``, ``0.5``), ``timedelta`` or mlqd text (``"500ms"``).
        Raises :class:`~mlqd.errors.QueueFull` (429) when the queue is at ``--max-pending``.
        """
        body, ctype = encode_payload(payload, content_type)
        params = _options(
            priority=priority, delay=delay, run_at=run_at, max_retries=max_retries,
            max_stalls=max_stalls, timeout=timeout, callback=callback, result_ttl=result_ttl,
        )
        extra = 0.0
        if wait is not None:
            params["wait"] = duration_text(wait, "wait")
            extra = duration_seconds(wait)
        headers = {"content-type": ctype}
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        res = self._request(
            "POST", _queue_path(queue, "/jobs"), params=params, content=body, headers=headers,
            extra_time=extra, ok=(200, 201, 202, 409),
        )
        job_id = res.headers.get("x-mlqd-job-id")
        if not job_id:
            raise errors.MlqdError("bad_answer", f"the submit answer ({res.status_code}) names no job", res.status_code)
        return str(job_id)

    def call(
        self,
        queue: str,
        payload: Payload = None,
        *,
        wait: Duration = 30,
        content_type: Optional[str] = None,
        decode: bool = True,
        **options: Any,
    ) -> Any:
        """Posts a job and answers its result in the same request (``POST …/jobs?wait=``).

        Returns what :meth:`result` would. Raises :class:`~mlqd.errors.JobFailed` when the job
        ends dead or cancelled (``e.job_status`` is its status), and
        :class:`~mlqd.errors.WaitTimeout` (with ``e.job_id``) when it is still running after
        ``wait``: the job goes on, read it later with :meth:`result` or :meth:`wait`. The other
        keyword arguments are :meth:`post`'s.
        """
        body, ctype = encode_payload(payload, content_type)
        key = options.pop("idempotency_key", None)
        params = _options(**{k: options.pop(k, None) for k in (
            "priority", "delay", "run_at", "max_retries", "max_stalls", "timeout", "callback", "result_ttl")})
        if options:
            raise TypeError(f"call() got unexpected keyword arguments: {', '.join(sorted(options))}")
        params["wait"] = duration_text(wait, "wait")
        headers = {"content-type": ctype}
        if key is not None:
            headers["idempotency-key"] = key
        res = self._request(
            "POST", _queue_path(queue, "/jobs"), params=params, content=body, headers=headers,
            extra_time=duration_seconds(wait), ok=(200, 201, 202, 409),
        )
        job_id = res.headers.get("x-mlqd-job-id")
        if res.status_code == 409:
            st = res.json()
            state = st.get("state", "dead")
            raise errors.JobFailed(
                "job_cancelled" if state == "cancelled" else "job_dead",
                f"job {job_id} is {state}" + (f": {st['error']}" if st.get("error") else ""),
                409, job_id=job_id, job_status=st,
            )
        if res.status_code != 200:
            state = None
            with contextlib.suppress(ValueError, AttributeError):
                state = res.json().get("state")
            raise errors.WaitTimeout(
                "wait_timeout", f"job {job_id} is not finished after waiting {params['wait']}",
                None, job_id=job_id, state=state,
            )
        ctype = res.headers.get("content-type", "application/octet-stream")
        return _decode_result(res.content, ctype) if decode else Result(res.content, ctype)

    def post_batch(
        self,
        queue: str,
        payloads: Sequence[Any],
        *,
        priority: Optional[int] = None,
        delay: Optional[Duration] = None,
        run_at: Union[str, _dt.datetime, None] = None,
        max_retries: Optional[int] = None,
        max_stalls: Optional[int] = None,
        timeout: Optional[Duration] = None,
        idempotency_key: Optional[str] = None,
        callback: Optional[str] = None,
        result_ttl: Optional[Duration] = None,
    ) -> List[str]:
        """Posts 1 to 1000 JSON payloads to ``queue`` at once (all are stored, or none);
        returns their ids in order. The options apply to every job; with ``idempotency_key``
        K, job i gets the key ``K:i``."""
        if isinstance(payloads, (str, bytes, bytearray)) or not isinstance(payloads, Sequence):
            raise TypeError("post_batch takes a list of JSON payloads")
        params = _options(
            priority=priority, delay=delay, run_at=run_at, max_retries=max_retries,
            max_stalls=max_stalls, timeout=timeout, callback=callback, result_ttl=result_ttl,
        )
        headers = {"content-type": JSON}
        if idempotency_key is not None:
            headers["idempotency-key"] = idempotency_key
        answer = self._json(
            "POST", _queue_path(queue, "/jobs:batch"), params=params,
            content=_json_body(list(payloads)), headers=headers,
        )
        return [str(item["id"]) for item in answer]

    def status(self, job_id: str) -> Dict[str, Any]:
        """The job's status JSON: ``id``, ``queue``, ``state``, ``attempts``, ``progress``
        (``{"percent","message"}`` or None), ``error``, ``history``, times… (as
        ``mlqd status --json`` prints it). Raises :class:`~mlqd.errors.NotFound`."""
        return dict(self._json("GET", _job_path(job_id)))

    def result(self, job_id: str, wait: Optional[Duration] = None, *, decode: bool = True) -> Any:
        """The job's result.

        JSON results (content type ``application/json``) come back decoded; any other result
        as ``bytes``. With ``decode=False`` the answer is an :class:`mlqd.Result` holding the
        bytes and their content type.

        Args:
            wait: block up to this long for the job to finish (any length: the client makes
                it of several long-polls).

        Raises:
            NotFinished: the job has not finished (``e.state`` says where it is); with
                ``wait``, :class:`~mlqd.errors.WaitTimeout` (a NotFinished) after the wait.
            JobFailed: the job is dead or cancelled (``e.state``).
            NotFound: no such job (or its record expired).
        """
        path = _job_path(job_id, "/result")
        deadline = None if wait is None else time.monotonic() + duration_seconds(wait, "wait")
        while True:
            params: Dict[str, str] = {}
            extra = 0.0
            if deadline is not None:
                left = deadline - time.monotonic()
                if left >= 0.001:
                    extra = min(left, _POLL_SLICE)
                    params["wait"] = f"{int(extra * 1000)}ms"
            res = self._request("GET", path, params=params, extra_time=extra, ok=(200, 202))
            if res.status_code == 200:
                ctype = res.headers.get("content-type", "application/octet-stream")
                return _decode_result(res.content, ctype) if decode else Result(res.content, ctype)
            if deadline is None or time.monotonic() >= deadline:
                state = None
                with contextlib.suppress(ValueError, AttributeError):
                    state = res.json().get("state")
                cls = errors.NotFinished if deadline is None else errors.WaitTimeout
                code = "not_finished" if deadline is None else "wait_timeout"
                raise cls(code, f"job {job_id} is {state or 'not finished'}, no result yet", None, job_id=job_id, state=state)

    def wait(self, job_id: str, timeout: Optional[Duration] = None) -> Dict[str, Any]:
        """Blocks until the job is terminal (succeeded, dead or cancelled); returns its final
        status. Follows the job's event stream, so it returns as soon as the job ends.

        Raises :class:`~mlqd.errors.WaitTimeout` (``e.state`` is the last state seen) when
        ``timeout`` passes first, :class:`~mlqd.errors.NotFound` for an unknown job. A dropped
        connection is reopened (a few times in a row at most).
        """
        deadline = None if timeout is None else time.monotonic() + duration_seconds(timeout, "timeout")
        last: Optional[Dict[str, Any]] = None
        failures = 0
        while True:
            try:
                with self._event_stream(_job_path(job_id, "/events"), deadline=deadline) as events:
                    for ev in events:
                        failures = 0
                        if ev.event == "error":
                            raise _stream_error(ev.data)
                        if ev.event in ("state", "progress"):
                            st = json.loads(ev.data)
                            last = st
                            if st.get("state") in TERMINAL_STATES:
                                return dict(st)
                failure: Optional[BaseException] = None  # the server ended the stream early
            except _DeadlinePassed:
                failure = None
            except (httpx.TransportError, errors.Unavailable) as e:
                failure = e
            if deadline is None or time.monotonic() < deadline:
                failures += 1
                if failures > 5:
                    if isinstance(failure, errors.MlqdError):
                        raise failure
                    raise errors.ConnectionFailed(
                        "connection_failed", f"lost the event stream of {job_id} {failures} times in a row: {failure}"
                    )
                time.sleep(min(0.1 * 2**failures, 2.0))
            if deadline is not None and time.monotonic() >= deadline:
                state = last.get("state") if last else None
                raise errors.WaitTimeout(
                    "wait_timeout", f"job {job_id} is still {state or 'not finished'} after the wait",
                    None, job_id=job_id, state=state,
                )

    def cancel(self, job_id: str) -> Dict[str, Any]:
        """Cancels a job that has not finished (a running job's handler is told, then stopped
        after the worker's ``--cancel-grace``). Returns ``{"id","state","previous_state"}``;
        cancelling a cancelled job again is fine. Raises :class:`~mlqd.errors.Conflict` when
        the job already succeeded or died."""
        return dict(self._json("DELETE", _job_path(job_id)))

    def events(self, job_id: str) -> Iterator[Tuple[str, Any]]:
        """Follows a job: yields ``(event, data)`` pairs from ``GET /v1/jobs/{id}/events``.

        ``event`` is ``"state"`` (first the current state, then every change) or
        ``"progress"``; ``data`` is the status JSON as a dict. The iteration ends after the
        job's terminal state. A dropped connection is reopened (its first event is the state
        as it is then). Break out of the loop (or close the generator) to stop early.
        """
        failures = 0
        while True:
            try:
                with self._event_stream(_job_path(job_id, "/events")) as events:
                    for ev in events:
                        failures = 0
                        if ev.event == "error":
                            raise _stream_error(ev.data)
                        try:
                            data: Any = json.loads(ev.data)
                        except ValueError:
                            data = ev.data
                        yield ev.event, data
                        if isinstance(data, dict) and data.get("state") in TERMINAL_STATES:
                            return
                failure: Optional[BaseException] = None  # the server ended the stream early
            except (httpx.TransportError, errors.Unavailable) as e:
                failure = e
            failures += 1
            if failures > 5:
                if isinstance(failure, errors.MlqdError):
                    raise failure
                raise errors.ConnectionFailed(
                    "connection_failed", f"lost the event stream of {job_id} {failures} times in a row: {failure}"
                )
            time.sleep(min(0.1 * 2**failures, 2.0))

    def stream(self, job_id: str, *, last_event_id: Optional[str] = None, max_reconnects: int = 5) -> JobStream:
        """Follows the job's streamed output (``GET /v1/jobs/{id}/stream``): see
        :class:`mlqd.JobStream`. Iterating yields each chunk as ``str`` (text) or ``bytes``
        (binary), from the first retained one, in order, and :class:`mlqd.NewAttempt` when a
        new attempt starts (the output before it is superseded). It ends when the job is
        terminal (``.status`` then holds the final status). A dropped connection is resumed
        with ``Last-Event-ID`` (no chunk lost or repeated), up to ``max_reconnects`` times in
        a row; ``last_event_id`` (``"<attempt>-<seq>"``) starts right after that chunk."""
        return JobStream(self, job_id, last_event_id=last_event_id, max_reconnects=max_reconnects)

    # ---- queues, dead letters, workers ------------------------------------------------------

    def queues(self) -> List[Dict[str, Any]]:
        """Every queue that has seen a job: counts per state, totals, paused."""
        return list(self._json("GET", "/v1/queues"))

    def queue(self, queue: str) -> Dict[str, Any]:
        """One queue's counts per state, totals and ``paused``; NotFound if it never had a job."""
        return dict(self._json("GET", _queue_path(queue)))

    def pause(self, queue: str) -> Dict[str, Any]:
        """Stops handing out the queue's jobs (running ones finish; posting still works)."""
        return dict(self._json("POST", _queue_path(queue, "/pause")))

    def resume(self, queue: str) -> Dict[str, Any]:
        """Hands out the queue's jobs again."""
        return dict(self._json("POST", _queue_path(queue, "/resume")))

    def dlq_list(self, queue: str, *, limit: int = 100, offset: int = 0) -> Dict[str, Any]:
        """One page of the queue's dead-letter set, newest first:
        ``{"queue","total","offset","limit","jobs":[status…]}``."""
        return dict(self._json("GET", _queue_path(queue, "/dead"), params={"limit": str(limit), "offset": str(offset)}))

    def dlq_requeue(self, queue: str, ids: Optional[Sequence[str]] = None, *, all: bool = False) -> List[str]:
        """Puts dead jobs back in the queue with a fresh retry budget: the given ``ids`` (all of
        them dead, or none is requeued: NotFound), or every one with ``all=True``. Returns the
        requeued ids."""
        if all == (ids is not None):
            raise ValueError("give either ids or all=True")
        body: Dict[str, Any] = {"all": True} if all else {"ids": list(ids or [])}
        answer = self._json("POST", _queue_path(queue, "/dead/requeue"), content=_json_body(body), headers={"content-type": JSON})
        return [str(i) for i in answer["requeued"]]

    def dlq_purge(self, queue: str) -> int:
        """Deletes the queue's dead jobs; returns how many."""
        return int(self._json("DELETE", _queue_path(queue, "/dead"))["purged"])

    def workers(self) -> List[Dict[str, Any]]:
        """The live workers (as ``mlqd workers --json``)."""
        return list(self._json("GET", "/v1/workers"))


def _stream_error(data: str) -> errors.MlqdError:
    """The error an ``event: error`` of a stream carries."""
    return errors.from_parts(None, data.encode("utf-8"))
