"""mlqd_handler: write an mlqd `--exec` handler in Python as one decorated function.

Standard library only. mlqd starts your script once per concurrency slot and keeps it
running, so whatever you load at import time (a model, a tokenizer) is loaded once::

    import mlqd_handler as mlqd

    model = load_my_model()            # once per process

    @mlqd.handler
    def predict(payload, job):
        job.progress(50, "half way")   # visible in `mlqd status` and the HTTP API
        return {"label": model(payload["text"])}

    if __name__ == "__main__":
        mlqd.run()

and then ``mlqd worker --exec "python3 predict.py" --concurrency 2``.

What a handler gets and gives:

* ``payload`` is the decoded JSON for JSON jobs, else ``bytes`` (see ``job.content_type``).
* Return any JSON value; return ``bytes`` (``application/octet-stream``) or
  ``mlqd.Result(data, "image/png")`` for binary results.
* Raise ``mlqd.Fail("why", retry=False)`` for a permanent failure (the job goes straight to
  the dead-letter set); any other exception is a retryable failure.
* ``job.progress(percent, message=None)`` reports progress. It raises ``mlqd.Cancelled``
  once the job is cancelled (or handed back on shutdown), so a long loop that reports
  progress stops early on its own; ``job.cancelled`` tells without raising.
* ``@mlqd.handler(batch=True)`` gets lists: ``fn(payloads, jobs)`` returns one result per
  job (an ``Exception`` instance in the list fails just that job). With
  ``mlqd worker --batch-size N`` such a function gets up to N jobs at once.
* ``@mlqd.handler(queue="train")`` serves only jobs of that queue; a handler without a
  queue serves the rest.

``print()`` goes to stderr (mlqd logs it with the job id): stdout carries the protocol.
"""

import base64
import json
import queue as _queue
import sys
import threading
import traceback

__all__ = ["handler", "run", "Job", "Result", "Fail", "Cancelled"]

_JSON_TYPES = ("application/json",)


def _is_json(content_type):
    essence = (content_type or "").split(";")[0].strip().lower()
    return essence in _JSON_TYPES or (essence.startswith("application/") and essence.endswith("+json"))


class Fail(Exception):
    """Fails the job with this message; ``retry=False`` sends it straight to the dead set."""

    def __init__(self, message, retry=True):
        super().__init__(message)
        self.message = str(message)
        self.retry = retry


class Cancelled(Exception):
    """Raised by ``job.progress()`` once the job is cancelled or handed back."""


class Result:
    """A binary result with its content type."""

    def __init__(self, data, content_type="application/octet-stream"):
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError("mlqd.Result takes bytes")
        self.data = bytes(data)
        self.content_type = content_type


class _Channel:
    """The protocol side of stdout: one JSON line per write, safe across threads."""

    def __init__(self, out):
        self._out = out
        self._lock = threading.Lock()

    def send(self, obj):
        line = json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n"
        with self._lock:
            self._out.write(line)
            self._out.flush()


class Job:
    """One job as the handler sees it."""

    def __init__(self, msg, channel, cancelled):
        self.id = msg.get("id", "")
        self.queue = msg.get("queue", "")
        self.attempt = msg.get("attempt", 1)
        self.content_type = msg.get("content_type", "application/json")
        self._channel = channel
        self._cancelled = cancelled
        if "payload_b64" in msg:
            self.payload = base64.b64decode(msg["payload_b64"])
        else:
            self.payload = msg.get("payload")

    @property
    def cancelled(self):
        return self.id in self._cancelled

    def progress(self, percent, message=None):
        """Reports progress (0-100); raises Cancelled once the job is cancelled."""
        if self.cancelled:
            raise Cancelled(self.id)
        line = {"id": self.id, "progress": max(0, min(100, float(percent)))}
        if message is not None:
            line["message"] = str(message)[:1000]
        self._channel.send(line)


_handlers = {}  # queue name (or None for "any") -> (function, batch)


def handler(fn=None, *, batch=False, queue=None):
    """Registers a handler function: ``@handler`` or ``@handler(batch=True, queue="q")``."""

    def register(f):
        _handlers[queue] = (f, batch)
        return f

    if fn is not None:
        return register(fn)
    return register


def _final(job_id, value):
    """The final protocol line for one job's return value (or exception)."""
    if isinstance(value, Fail):
        return {"id": job_id, "error": value.message, "retry": value.retry}
    if isinstance(value, Cancelled):
        return {"id": job_id, "error": "cancelled", "retry": True}
    if isinstance(value, BaseException):
        text = "".join(traceback.format_exception_only(type(value), value)).strip()
        return {"id": job_id, "error": text or type(value).__name__, "retry": True}
    if isinstance(value, Result):
        return {
            "id": job_id,
            "result_b64": base64.b64encode(value.data).decode("ascii"),
            "content_type": value.content_type,
        }
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {
            "id": job_id,
            "result_b64": base64.b64encode(bytes(value)).decode("ascii"),
            "content_type": "application/octet-stream",
        }
    return {"id": job_id, "result": value}


def _send_final(channel, job_id, value):
    try:
        line = _final(job_id, value)
        channel.send(line)
    except (TypeError, ValueError) as e:
        # not JSON-serialisable (or NaN): fail the job, clearly, instead of the process
        channel.send({"id": job_id, "error": "result is not JSON-serialisable: %s" % e, "retry": False})


def _pick(queue_name):
    found = _handlers.get(queue_name) or _handlers.get(None)
    if found is None:
        raise Fail("no handler for queue %r in this process" % queue_name, retry=False)
    return found


def _run_group(jobs, channel):
    """Runs the jobs of one queue, through its handler."""
    try:
        fn, batch = _pick(jobs[0].queue)
    except Fail as e:
        for job in jobs:
            _send_final(channel, job.id, e)
        return
    if batch:
        try:
            results = fn([j.payload for j in jobs], jobs)
            results = list(results)
            if len(results) != len(jobs):
                raise Fail("batch handler returned %d results for %d jobs" % (len(results), len(jobs)))
        except BaseException as e:  # noqa: BLE001 - every failure becomes the jobs' error
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            results = [e] * len(jobs)
        for job, value in zip(jobs, results):
            _send_final(channel, job.id, value)
        return
    for job in jobs:
        try:
            value = fn(job.payload, job)
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            value = e
        _send_final(channel, job.id, value)


def _reader(stdin, work, cancelled):
    """Reads mlqd's lines: jobs go to the main thread, cancels are noted at once."""
    for raw in stdin:
        raw = raw.strip()
        if not raw:
            continue
        try:
            msg = json.loads(raw)
        except ValueError:
            print("mlqd_handler: ignoring a line that is not JSON", file=sys.stderr)
            continue
        if "cancel" in msg:
            cancelled.add(msg["cancel"])
        else:
            work.put(msg)
    work.put(None)


def run():
    """Serves jobs until mlqd closes stdin. Call it last, under ``if __name__ == "__main__"``."""
    if not _handlers:
        raise SystemExit("mlqd_handler.run(): no @handler function registered")
    out = sys.stdout
    sys.stdout = sys.stderr  # print() from the model must not break the protocol
    channel = _Channel(out)
    cancelled = set()
    work = _queue.Queue()
    threading.Thread(target=_reader, args=(sys.stdin, work, cancelled), daemon=True).start()
    while True:
        msg = work.get()
        if msg is None:
            return
        items = msg["batch"] if "batch" in msg else [msg]
        jobs = [Job(m, channel, cancelled) for m in items]
        # one call per queue, in arrival order
        groups = {}
        for job in jobs:
            groups.setdefault(job.queue, []).append(job)
        for group in groups.values():
            _run_group(group, channel)
        for job in jobs:
            cancelled.discard(job.id)
