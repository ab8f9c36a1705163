"""Client.stream against a real serve + worker: late readers, Last-Event-ID, a connection the
test cuts mid-stream, attempts."""

from __future__ import annotations

import socket
import threading
from typing import List, Tuple

import pytest

import mlqd
from conftest import HANDLERS, Mlqd, eventually

OPS = HANDLERS / "ops.py"
FIFTY = [f"a1c{i} " for i in range(50)]


class Cutter:
    """A TCP relay on a free loopback port in front of ``mlqd serve``; ``cut()`` drops every
    connection through it at once, like a network failure, and new connections pass again."""

    def __init__(self, url: str) -> None:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.upstream = (host, int(port))
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        self.pairs: List[Tuple[socket.socket, socket.socket]] = []
        self.accepted = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                down, _ = self.server.accept()
            except OSError:
                return
            up = socket.create_connection(self.upstream)
            with self.lock:
                self.pairs.append((down, up))
                self.accepted += 1
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self.lock:
            pairs, self.pairs = self.pairs, []
        for down, up in pairs:
            for s in (down, up):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

    def close(self) -> None:
        self.server.close()
        self.cut()


@pytest.fixture
def fifty(mlqd_env: Mlqd) -> Tuple[mlqd.Client, str, str]:
    """A serve and a worker; a job emitting 50 chunks with small pauses, and the serve's URL."""
    url = mlqd_env.serve()
    client = mlqd_env.client(url)
    mlqd_env.exec_worker(OPS, "--queue", "ops")
    job = client.post("ops", {"op": "emit", "chunks": 50, "pause": 0.04}, max_retries=0)
    return client, job, url


def test_cutter_drops_a_real_event_stream_and_events_resume(mlqd_env: Mlqd) -> None:
    """The relay works, and Client.events reopens a stream the network dropped."""
    url = mlqd_env.serve()
    mlqd_env.worker("--queue", "slow", "--builtin", "sleep")
    cutter = Cutter(url)
    try:
        client = mlqd_env.client(cutter.url)
        job = client.post("slow", {"ms": 1500})
        seen = []
        before = 0
        for kind, data in client.events(job):
            seen.append(data["state"])
            if len(seen) == 2:
                before = cutter.accepted
                cutter.cut()
        assert seen[-1] == "succeeded"
        assert cutter.accepted > before, "the stream was reopened through the relay"
    finally:
        cutter.close()


def test_late_reader_gets_every_chunk_in_order(mlqd_env: Mlqd, fifty: Tuple[mlqd.Client, str, str]) -> None:
    client, job, _ = fifty

    def tenth() -> object:
        st = client.status(job)
        assert st["state"] in ("pending", "active"), f"the job ended early: {st['error']}"
        return (st["progress"] or {}).get("percent", 0) >= 10 or None

    eventually(tenth, what="the 10th chunk")
    s = client.stream(job)
    assert list(s) == FIFTY
    assert s.status is not None and s.status["state"] == "succeeded"
    assert (s.duplicates, s.last_event_id) == (0, "1-49")


def test_last_event_id_resumes_right_after_that_chunk(fifty: Tuple[mlqd.Client, str, str]) -> None:
    client, job, _ = fifty
    client.wait(job, timeout=60)
    s = client.stream(job, last_event_id="1-24")
    assert list(s) == FIFTY[25:]
    assert s.duplicates == 0
    assert list(client.stream(job)) == FIFTY  # a reader after the end replays everything


def test_stream_survives_a_dropped_connection(mlqd_env: Mlqd, fifty: Tuple[mlqd.Client, str, str]) -> None:
    _, job, url = fifty
    cutter = Cutter(url)
    try:
        client = mlqd_env.client(cutter.url)
        got: List[mlqd.stream.Piece] = []
        s = client.stream(job)
        for piece in s:
            got.append(piece)
            if len(got) == 10:
                cutter.cut()  # mid-stream: the job is still emitting
        assert got == FIFTY
        assert s.reconnects >= 1 and s.duplicates == 0
        assert s.status is not None and s.status["state"] == "succeeded"
    finally:
        cutter.close()


def test_a_retried_job_marks_its_new_attempt(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops", "--retry-backoff", "50ms")
    job = client.post("ops", {"op": "emit", "fail_first": 3, "chunks": 5}, max_retries=2)
    assert client.wait(job, timeout=60)["state"] == "succeeded"
    s = client.stream(job)
    assert list(s) == ["a1c0 ", "a1c1 ", "a1c2 ", mlqd.NewAttempt(2)] + [f"a2c{i} " for i in range(5)]
    assert client.stream(job).text() == "".join(f"a2c{i} " for i in range(5))


def test_binary_chunks_come_back_as_bytes(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(OPS, "--queue", "ops")
    job = client.post("ops", {"op": "emit", "chunks": 3, "binary": True}, max_retries=0)
    assert list(client.stream(job)) == [b"\x00\xff", b"\x01\xff", b"\x02\xff"]
