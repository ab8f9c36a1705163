"""mlqd.handler: handlers run by a real `mlqd worker --exec`, and the protocol lines a handler
writes, read straight from its stdout."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

from conftest import HANDLERS, Mlqd, eventually

OPS = HANDLERS / "ops.py"
BATCH = HANDLERS / "batch.py"


def test_handler_progress_result_and_print_through_a_real_worker(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops")
    job = client.post("ops", {"op": "progress", "pause": 0.3})
    seen = eventually(
        lambda: (lambda st: st["progress"] if st["state"] == "active" and st["progress"] else None)(client.status(job)),
        what="progress while the job runs",
    )
    assert seen["message"].startswith("step ")
    assert client.result(job, wait=30) == {"steps": 3}  # print() did not break the protocol
    info = client.call("ops", {"op": "job"}, wait=30)
    assert info["queue"] == "ops" and info["attempt"] == 1
    assert info["id"].startswith("ops.") and info["content_type"].startswith("application/json")


def test_handler_binary_payloads_and_results(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops")
    job = client.post("ops", b"\x00\x01\xfe\xff", content_type="image/png")
    res = client.result(job, wait=30, decode=False)
    assert (res.data, res.content_type) == (b"\xff\xfe\x01\x00", "image/png")
    res = client.result(client.post("ops", {"op": "raw"}), wait=30, decode=False)
    assert (res.data, res.content_type) == (bytes([0, 1, 2, 255]), "application/octet-stream")
    res = client.result(client.post("ops", {"op": "text"}), wait=30, decode=False)
    assert (res.data, res.content_type) == (b"plain text", "text/plain; charset=utf-8")


def test_fail_is_permanent_retry_and_exceptions_are_retried(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops", "--retry-backoff", "50ms", "--breaker-threshold", "0")
    fail = client.post("ops", {"op": "fail", "message": "no such label"}, max_retries=3)
    retry = client.post("ops", {"op": "retry", "message": "model busy"}, max_retries=1)
    boom = client.post("ops", {"op": "boom", "message": "division by zebra"}, max_retries=1)
    nan = client.post("ops", {"op": "nan"}, max_retries=3)
    st = client.wait(fail, timeout=30)
    assert (st["state"], st["attempts"], st["error"]) == ("dead", 1, "no such label")
    st = client.wait(retry, timeout=30)
    assert (st["state"], st["attempts"]) == ("dead", 2)
    assert st["error"].startswith("model busy"), st["error"]
    st = client.wait(boom, timeout=30)
    assert (st["state"], st["attempts"]) == ("dead", 2)
    assert st["error"].startswith("ValueError: division by zebra"), st["error"]
    st = client.wait(nan, timeout=30)
    assert (st["state"], st["attempts"]) == ("dead", 1)
    assert "not JSON-serialisable" in st["error"]


def test_cancelled_flag_flips_while_the_handler_runs(mlqd_env: Mlqd, tmp_path: Path) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops", "--cancel-grace", "20s")
    marker = tmp_path / "marker"
    job = client.post("ops", {"op": "until_cancelled", "marker": str(marker)})
    started = Path(str(marker) + ".started")
    eventually(lambda: started.exists() or None, what="the handler to start the job")
    client.cancel(job)
    assert eventually(lambda: marker.exists() or None, timeout=15, what="the handler to see the cancel")
    assert marker.read_text() == "cancelled"
    assert client.status(job)["state"] == "cancelled"
    # the same process goes on serving
    assert client.call("ops", {"op": "echo", "value": 5}, wait=30) == 5


def test_batch_handler_through_a_real_worker(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    # posted before the worker starts, so they are waiting together and come as one batch
    ids = client.post_batch("batch", [{"x": 1}, {"x": 2}, {"x": "three"}, {"x": 4}], max_retries=0)
    mlqd_env.exec_worker(BATCH, "--queue", "batch", "--batch-size", "4", "--batch-wait", "200ms")
    good = [client.result(i, wait=30) for i in (ids[0], ids[1], ids[3])]
    assert [g["x2"] for g in good] == [2, 4, 8]
    assert max(g["batch_size"] for g in good) > 1, good
    st = client.wait(ids[2], timeout=30)
    assert st["state"] == "dead" and st["error"] == "x must be an integer, got 'three'"


def test_handler_emit_through_a_real_worker(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops")
    job = client.post("ops", {"op": "emit", "chunks": 5}, max_retries=0)
    assert client.result(job, wait=30) == {"emitted": 5, "attempt": 1}
    assert client.stream(job).text() == "".join(f"a1c{i} " for i in range(5))


def test_batch_handler_emit_through_a_real_worker(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    ids = client.post_batch("batch", [{"x": 1, "emit": True}, {"x": 2, "emit": True}], max_retries=0)
    mlqd_env.exec_worker(BATCH, "--queue", "batch", "--batch-size", "2", "--batch-wait", "200ms")
    for i, x in zip(ids, (1, 2)):
        assert client.result(i, wait=30)["x2"] == 2 * x
        assert list(client.stream(i)) == [f"doubling {x}"]


# ---- the protocol itself, read from the handler's stdout (no worker) ---------------------------


class Handler:
    """A handler script run by hand: we write mlqd's lines, read its answers."""

    def __init__(self, script: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def send(self, obj: Dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(obj).encode() + b"\n")
        self.proc.stdin.flush()

    def read(self) -> Dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the handler closed stdout"
        return json.loads(line)

    def until_final(self, job_id: str) -> List[Dict[str, Any]]:
        lines = []
        while True:
            line = self.read()
            assert line["id"] == job_id, line
            lines.append(line)
            if {"result", "result_b64", "error"} & line.keys():
                return lines

    def close(self) -> str:
        out, err = self.proc.communicate(timeout=10)  # closes stdin: the handler's EOF
        assert out == b"", f"unexpected stdout after the last answer: {out!r}"
        assert self.proc.returncode == 0, err
        return err.decode()


@pytest.fixture
def handler() -> Any:
    h = Handler(OPS)
    yield h
    if h.proc.poll() is None:
        h.proc.kill()
        h.proc.wait()


def job(job_id: str, payload: Any, attempt: int = 1) -> Dict[str, Any]:
    return {"id": job_id, "queue": "ops", "attempt": attempt, "content_type": "application/json", "payload": payload}


def test_emit_writes_stream_lines_in_order(handler: Handler) -> None:
    handler.send(job("ops.A", {"op": "emit", "chunks": 3}))
    lines = handler.until_final("ops.A")
    assert lines == [
        {"id": "ops.A", "stream": "a1c0 "}, {"id": "ops.A", "progress": 1.0},
        {"id": "ops.A", "stream": "a1c1 "}, {"id": "ops.A", "progress": 2.0},
        {"id": "ops.A", "stream": "a1c2 "}, {"id": "ops.A", "progress": 3.0},
        {"id": "ops.A", "result": {"emitted": 3, "attempt": 1}},
    ]
    handler.send(job("ops.B", {"op": "emit", "chunks": 2, "binary": True}))
    lines = handler.until_final("ops.B")
    chunks = [base64.b64decode(x["stream_b64"]) for x in lines if "stream_b64" in x]
    assert chunks == [b"\x00\xff", b"\x01\xff"]
    assert not any("stream" in x for x in lines)
    handler.close()


def test_prints_go_to_stderr_and_stdout_carries_only_protocol_lines(handler: Handler) -> None:
    handler.send(job("ops.P", {"op": "progress", "pause": 0}))
    lines = handler.until_final("ops.P")
    assert [x.get("message") for x in lines[:-1]] == ["step 1", "step 2", "step 3"]
    assert lines[-1] == {"id": "ops.P", "result": {"steps": 3}}
    err = handler.close()  # fails if anything else reached stdout
    assert "step 2 of 3" in err and "a C library writing to fd 1" in err


def test_cancel_line_is_seen_while_the_job_runs(handler: Handler, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    handler.send(job("ops.C", {"op": "until_cancelled", "marker": str(marker)}))
    started = Path(str(marker) + ".started")
    eventually(lambda: started.exists() or None, what="the handler to start the job")
    handler.send({"cancel": "ops.C"})
    assert handler.until_final("ops.C") == [{"id": "ops.C", "result": "stopped"}]
    assert marker.read_text() == "cancelled"
    handler.close()


def test_batch_lines_and_errors_without_a_batch_handler(handler: Handler) -> None:
    handler.send({"batch": [job("ops.1", {"op": "echo", "value": [1]}), job("ops.2", {"op": "fail"}),
                            job("ops.3", {"op": "boom"}), job("ops.4", {"op": "retry", "message": "later"})]})
    assert handler.read() == {"id": "ops.1", "result": [1]}
    assert handler.read() == {"id": "ops.2", "error": "bad input", "retry": False}
    assert handler.read() == {"id": "ops.3", "error": "ValueError: boom", "retry": True}
    assert handler.read() == {"id": "ops.4", "error": "later", "retry": True}
    handler.send({"id": "ops.5", "queue": "ops", "attempt": 2, "content_type": "image/png",
                  "payload_b64": base64.b64encode(b"abc").decode()})
    assert handler.read() == {"id": "ops.5", "result_b64": base64.b64encode(b"cba").decode(), "content_type": "image/png"}
    err = handler.close()
    assert "Traceback" in err and "ValueError: boom" in err  # the traceback reaches the log


def test_batch_handler_gets_the_jobs_together() -> None:
    h = Handler(BATCH)
    try:
        h.send({"batch": [job("b.1", {"x": 1}), job("b.2", {"x": None}), job("b.3", {"x": 3, "emit": True})]})
        got = [h.read() for _ in range(6)]
    finally:
        err = h.close()
    assert got == [
        {"id": "b.1", "progress": 100.0, "message": "scored"},
        {"id": "b.3", "progress": 100.0, "message": "scored"},
        {"id": "b.3", "stream": "doubling 3"},
        {"id": "b.1", "result": {"x2": 2, "batch_size": 3, "index": 0}},
        {"id": "b.2", "error": "x must be an integer, got None", "retry": False},
        {"id": "b.3", "result": {"x2": 6, "batch_size": 3, "index": 2}},
    ]
    assert "scored a batch of 3" in err



def test_a_job_cancelled_before_it_starts_is_not_run(handler: Handler, tmp_path: Path) -> None:
    # G keeps the handler busy while E arrives and is cancelled; E is then answered unrun
    busy, marker = tmp_path / "g", tmp_path / "e"
    handler.send(job("ops.G", {"op": "until_cancelled", "marker": str(busy)}))
    eventually(lambda: Path(str(busy) + ".started").exists() or None, what="G to start")
    handler.send(job("ops.E", {"op": "until_cancelled", "marker": str(marker)}))
    handler.send({"cancel": "ops.E"})
    handler.send({"cancel": "ops.G"})
    assert handler.until_final("ops.G") == [{"id": "ops.G", "result": "stopped"}]
    assert handler.until_final("ops.E") == [{"id": "ops.E", "error": "cancelled", "retry": True}]
    assert not Path(str(marker) + ".started").exists()
    handler.close()
