"""Fixtures: a private redis-server on a free loopback port (one per session), and per test a
fresh key namespace with real ``mlqd serve`` and ``mlqd worker`` processes on it.

The binary is ``$MLQD_BIN``, else ``$CARGO_TARGET_DIR/debug/mlqd``, else the repository's
``target/debug/mlqd`` (``cargo test`` or ``cargo build`` makes it).
"""

from __future__ import annotations

import os
import queue
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, TypeVar

import pytest

import mlqd

REPO = Path(__file__).resolve().parents[2]
HANDLERS = Path(__file__).resolve().parent / "handlers"

T = TypeVar("T")


def mlqd_bin() -> Path:
    if os.environ.get("MLQD_BIN"):
        return Path(os.environ["MLQD_BIN"])
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    if not target.is_absolute():
        target = REPO / target
    return target / "debug" / "mlqd"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def eventually(fn: Callable[[], Optional[T]], timeout: float = 20.0, what: str = "condition") -> T:
    """Polls ``fn`` until it returns something other than None (bounded in time)."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value is not None:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def _stop(proc: subprocess.Popen, grace: float = 10.0) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


class RedisServer:
    """A private, throwaway redis-server."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is not installed (scripts/ensure-redis.sh installs it)")
        self.dir = workdir
        for _ in range(20):
            self.port = free_port()
            self.proc = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--dir", str(workdir), "--logfile", str(workdir / "redis.log")],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
            if self._ready():
                return
            _stop(self.proc, 1)
        raise RuntimeError("could not start redis-server on a free port")

    def _ready(self) -> bool:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}"

    def stop(self) -> None:
        _stop(self.proc, 5)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


class Mlqd:
    """mlqd processes of one test, on one namespace of the session's Redis."""

    def __init__(self, redis: RedisServer, workdir: Path) -> None:
        self.bin = mlqd_bin()
        if not self.bin.exists():
            raise RuntimeError(f"no mlqd binary at {self.bin}: run `cargo build` (or set MLQD_BIN)")
        self.redis = redis
        self.namespace = "py" + uuid.uuid4().hex[:10]
        self.dir = workdir
        self.procs: List[subprocess.Popen] = []
        self.logs: List[Path] = []
        self.clients: List[mlqd.Client] = []

    def env(self) -> Dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLQD_")}
        env.update(MLQD_REDIS_URL=self.redis.url, MLQD_NAMESPACE=self.namespace, MLQD_LOG_LEVEL=os.environ.get("TEST_MLQD_LOG_LEVEL", "warn"))
        return env

    def _spawn(self, args: List[str], name: str, stdout: Any) -> subprocess.Popen:
        log = self.dir / f"{name}-{len(self.procs)}.log"
        self.logs.append(log)
        proc = subprocess.Popen(
            [str(self.bin), *args], env=self.env(), stdin=subprocess.DEVNULL,
            stdout=stdout, stderr=open(log, "wb"), start_new_session=True,
        )
        self.procs.append(proc)
        return proc

    def serve(self, *args: str) -> str:
        """Starts ``mlqd serve`` on a free port; returns its base URL."""
        proc = self._spawn(["serve", "--listen", "127.0.0.1:0", *args], "serve", subprocess.PIPE)
        lines: "queue.Queue[bytes]" = queue.Queue()
        assert proc.stdout is not None
        out = proc.stdout

        def pump() -> None:
            for line in out:
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        try:
            line = lines.get(timeout=20).decode().strip()
        except queue.Empty:
            raise AssertionError(f"mlqd serve did not say where it listens; log: {self.tail(self.logs[-1])}") from None
        prefix = "mlqd serve listening on "
        assert line.startswith(prefix), line
        return line[len(prefix):]

    def worker(self, *args: str) -> subprocess.Popen:
        """Starts ``mlqd worker`` with the given arguments (plus a short drain)."""
        return self._spawn(["worker", "--drain-timeout", "1s", *args], "worker", subprocess.DEVNULL)

    def exec_worker(self, handler: "str | Path", *args: str) -> subprocess.Popen:
        """A worker running ``python handler`` (this interpreter, so the installed mlqd)."""
        cmd = f"{shlex.quote(sys.executable)} {shlex.quote(str(handler))}"
        return self.worker("--exec", cmd, *args)

    def client(self, url: str, **kw: Any) -> mlqd.Client:
        c = mlqd.Client(url, **kw)
        self.clients.append(c)
        return c

    def up(self, *worker_args: str, serve_args: tuple = ()) -> mlqd.Client:
        """serve, plus a worker when arguments are given; a client of the serve."""
        url = self.serve(*serve_args)
        if worker_args:
            self.worker(*worker_args)
        return self.client(url)

    @staticmethod
    def tail(path: Path, n: int = 4000) -> str:
        try:
            return path.read_bytes()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> None:
        for c in self.clients:
            c.close()
        for proc in reversed(self.procs):
            _stop(proc)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[Any]:
    outcome: Any = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def mlqd_env(redis_server: RedisServer, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Mlqd]:
    env = Mlqd(redis_server, tmp_path)
    yield env
    env.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        for log in env.logs:
            print(f"--- {log.name} ---\n{env.tail(log)}")

