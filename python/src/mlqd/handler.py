"""``mlqd.handler``: write an ``mlqd worker --exec`` handler as one Python function.

mlqd starts your script once per concurrency slot and keeps it running, so whatever you load
at import time (a model, a tokenizer) is loaded once::

    import mlqd
    import mlqd.handler

    model = load_my_model()                       # once per process

    def predict(job):
        job.progress(10, "tokenizing")            # visible in `mlqd status` and the HTTP API
        for token in model.generate(job.payload["prompt"]):
            job.emit(token)                       # streamed to readers of the job's output
        return {"label": model.label}             # the job's result

    if __name__ == "__main__":
        mlqd.handler.run(predict)

then ``mlqd worker --queue predict --exec "python3 predict.py" --concurrency 2``.

What ``fn(job)`` gets (a :class:`Job`): ``job.id``, ``job.queue``, ``job.attempt`` (1 for the
first start), ``job.payload`` (the decoded JSON, or ``bytes`` for a non-JSON payload),
``job.content_type``, ``job.progress(percent, message=None)``, ``job.emit(text_or_bytes)``,
and ``job.cancelled``, which turns True as soon as mlqd says the job was cancelled (or is
being handed back because the worker stops): stdin is read on a thread of its own, so the
flag flips while ``fn`` runs. ``progress()`` and ``emit()`` raise :class:`mlqd.Cancelled`
once it is set, so a loop that reports as it goes stops by itself.

What ``fn`` gives back:

- any JSON value: the result, stored as JSON;
- ``bytes``: stored as ``application/octet-stream``; ``mlqd.Result(data, "image/png")`` for
  bytes (or text) of another type;
- ``raise mlqd.Fail("why")``: the job fails for good (bad input), straight to the
  dead-letter set; ``raise mlqd.Retry("why")``: this attempt failed, retry with backoff. Any
  other exception is a retryable failure too, its text the job's error (and its traceback
  goes to the worker's log).

``run(fn, batch=True)``: ``fn`` gets a list of jobs (up to the worker's ``--batch-size``) and
returns a list with one result per job, in order; an exception instance in the list fails
just that job, an exception raised fails them all.

``print()`` is safe: while the handler runs, everything written to stdout (by Python or by a
C library) goes to stderr, which mlqd logs with the job id. Protocol lines go to the
original stdout, one whole line at a time, from any thread.
"""

from __future__ import annotations

import base64
import json
import os
import queue as _queue
import sys
import threading
import traceback
from typing import IO, Any, Callable, Dict, List, Optional, Sequence, Union

from ._types import Cancelled, Fail, Result, Retry
from ._util import JSON

__all__ = ["run", "Job", "Result", "Retry", "Fail", "Cancelled"]

_MAX_MESSAGE = 1000


class _Channel:
    """The protocol side of stdout: one JSON line per send, whole, flushed, thread-safe."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._lock = threading.Lock()

    def send(self, obj: Dict[str, Any]) -> None:
        # ensure_ascii: any str (even one with lone surrogates) becomes a valid line
        line = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("ascii") + b"\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


class Job:
    """One job as a handler sees it."""

    def __init__(self, msg: Dict[str, Any], channel: _Channel) -> None:
        self.id: str = str(msg["id"])
        self.queue: str = str(msg.get("queue", ""))
        self.attempt: int = int(msg.get("attempt", 1))
        self.content_type: str = str(msg.get("content_type", JSON))
        self.payload: Any
        if "payload_b64" in msg:
            self.payload = base64.b64decode(msg["payload_b64"])
        else:
            self.payload = msg.get("payload")
        self._channel = channel
        self._cancel = threading.Event()

    def __repr__(self) -> str:
        return f"Job({self.id!r}, attempt={self.attempt})"

    @property
    def cancelled(self) -> bool:
        """True once mlqd said the job is cancelled (or handed back): stop, return anything."""
        return self._cancel.is_set()

    def _check(self) -> None:
        if self._cancel.is_set():
            raise Cancelled(self.id)

    def progress(self, percent: float, message: Optional[str] = None) -> None:
        """Reports progress: ``percent`` 0..100 (clamped) and a short message (at most 1000
        characters are kept). Raises :class:`mlqd.Cancelled` once the job is cancelled."""
        self._check()
        if isinstance(percent, bool) or not isinstance(percent, (int, float)):
            raise TypeError(f"percent must be a number, not {type(percent).__name__}")
        if percent != percent:  # NaN
            raise ValueError("percent must be a number, not NaN")
        line: Dict[str, Any] = {"id": self.id, "progress": max(0.0, min(100.0, float(percent)))}
        if message is not None:
            line["message"] = str(message)[:_MAX_MESSAGE]
        self._channel.send(line)

    def emit(self, chunk: Union[str, bytes, bytearray, memoryview]) -> None:
        """Appends a chunk to the job's output stream (readers get it at once, in order):
        ``str`` travels as text, bytes as base64. Empty chunks are skipped. Raises
        :class:`mlqd.Cancelled` once the job is cancelled."""
        self._check()
        if isinstance(chunk, str):
            if chunk:
                self._channel.send({"id": self.id, "stream": chunk})
        elif isinstance(chunk, (bytes, bytearray, memoryview)):
            data = bytes(chunk)
            if data:
                self._channel.send({"id": self.id, "stream_b64": base64.b64encode(data).decode("ascii")})
        else:
            raise TypeError(f"emit takes str or bytes, not {type(chunk).__name__}")


def _error_line(job_id: str, value: BaseException) -> Dict[str, Any]:
    if isinstance(value, Fail):
        return {"id": job_id, "error": str(value) or "failed", "retry": False}
    if isinstance(value, Cancelled):
        return {"id": job_id, "error": "cancelled", "retry": True}
    if isinstance(value, Retry):
        return {"id": job_id, "error": str(value) or "retry", "retry": True}
    text = "".join(traceback.format_exception_only(type(value), value)).strip()
    return {"id": job_id, "error": text or type(value).__name__, "retry": True}


def _final_line(job_id: str, value: Any) -> Dict[str, Any]:
    """The final protocol line for a job's return value (or exception)."""
    if isinstance(value, BaseException):
        return _error_line(job_id, value)
    if isinstance(value, Result):
        return {
            "id": job_id,
            "result_b64": base64.b64encode(value.as_bytes()).decode("ascii"),
            "content_type": value.content_type,
        }
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {
            "id": job_id,
            "result_b64": base64.b64encode(bytes(value)).decode("ascii"),
            "content_type": "application/octet-stream",
        }
    return {"id": job_id, "result": value}


def _log_exception(job: Job, e: BaseException) -> None:
    if isinstance(e, (Fail, Retry, Cancelled)):
        return
    print(f"mlqd.handler: job {job.id} raised:", file=sys.stderr)
    traceback.print_exception(type(e), e, e.__traceback__, file=sys.stderr)


def _send_final(channel: _Channel, job_id: str, value: Any) -> None:
    try:
        channel.send(_final_line(job_id, value))  # encodes whole before it writes anything
    except (TypeError, ValueError) as e:
        # not JSON-serialisable (or NaN): the same input would do it again, so fail for good
        channel.send({"id": job_id, "error": f"result is not JSON-serialisable: {e}", "retry": False})


class _Loop:
    """Reads mlqd's lines on a thread; runs the jobs on the calling thread."""

    def __init__(self, fn: Callable[..., Any], batch: bool, stdin: IO[bytes], channel: _Channel) -> None:
        self.fn = fn
        self.batch = batch
        self.stdin = stdin
        self.channel = channel
        self.work: "_queue.Queue[Optional[List[Job]]]" = _queue.Queue()
        self.running: Dict[str, Job] = {}
        self.lock = threading.Lock()

    def read(self) -> None:
        try:
            for raw in self.stdin:
                raw = raw.strip()
                if raw:
                    self._take(raw)
        finally:
            self.work.put(None)

    def _take(self, raw: bytes) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            print("mlqd.handler: ignoring a line from mlqd that is not JSON", file=sys.stderr)
            return
        if not isinstance(msg, dict):
            return
        if "cancel" in msg:
            with self.lock:
                job = self.running.get(str(msg["cancel"]))
            if job is not None:
                job._cancel.set()
            return
        items = msg["batch"] if isinstance(msg.get("batch"), list) else [msg]
        jobs = []
        for item in items:
            try:
                jobs.append(Job(item, self.channel))
            except (KeyError, TypeError, ValueError) as e:
                print(f"mlqd.handler: ignoring a job line it cannot read ({e!r})", file=sys.stderr)
        with self.lock:
            for job in jobs:
                self.running[job.id] = job
        if jobs:
            self.work.put(jobs)

    def serve(self) -> None:
        threading.Thread(target=self.read, name="mlqd-stdin", daemon=True).start()
        while True:
            jobs = self.work.get()
            if jobs is None:
                return
            try:
                self._run(jobs)
            finally:
                with self.lock:
                    for job in jobs:
                        self.running.pop(job.id, None)

    def _run(self, jobs: List[Job]) -> None:
        live = []
        for job in jobs:
            if job.cancelled:
                _send_final(self.channel, job.id, Cancelled(job.id))
            else:
                live.append(job)
        if not live:
            return
        if not self.batch:
            for job in live:
                try:
                    value = self.fn(job)
                except Exception as e:  # noqa: BLE001 - every failure becomes the job's error
                    _log_exception(job, e)
                    value = e
                _send_final(self.channel, job.id, value)
            return
        try:
            results: Sequence[Any] = list(self.fn(live))
            if len(results) != len(live):
                raise Retry(f"the batch handler returned {len(results)} results for {len(live)} jobs")
        except Exception as e:  # noqa: BLE001
            _log_exception(live[0], e)
            results = [e] * len(live)
        for job, value in zip(live, results):
            _send_final(self.channel, job.id, value)


def run(fn: Callable[..., Any], *, batch: bool = False) -> None:
    """Serves jobs from mlqd until it closes stdin (the worker stops); then returns.

    Args:
        fn: ``fn(job) -> result``, or with ``batch=True`` ``fn(jobs) -> [result, …]``.
        batch: hand ``fn`` every job of a request at once (see the worker's
            ``--batch-size``); without it a batch is run one job at a time.

    Call it last, under ``if __name__ == "__main__":``.
    """
    if not callable(fn):
        raise TypeError("mlqd.handler.run needs a function")
    sys.stdout.flush()
    try:
        proto_fd = os.dup(1)
    except OSError as e:  # pragma: no cover - no stdout at all
        raise SystemExit(f"mlqd.handler: no stdout to talk to mlqd on: {e}") from None
    # From here on fd 1 is stderr: print() and C libraries writing to stdout cannot break
    # the protocol, which has the original stdout to itself.
    os.dup2(2, 1)
    saved = sys.stdout
    sys.stdout = sys.stderr
    try:
        with os.fdopen(proto_fd, "wb") as out:
            _Loop(fn, batch, sys.stdin.buffer, _Channel(out)).serve()
    finally:
        sys.stdout = saved
