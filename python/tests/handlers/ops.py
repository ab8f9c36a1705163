"""A test handler written with mlqd.handler: what it does is chosen by the payload's "op"."""

import os
import sys
import time

import mlqd
import mlqd.handler


def handle(job):
    if isinstance(job.payload, bytes):
        # binary payload: answer it reversed, with its own content type
        return mlqd.Result(job.payload[::-1], job.content_type)
    p = job.payload or {}
    op = p.get("op")
    if op == "job":
        return {"id": job.id, "queue": job.queue, "attempt": job.attempt, "content_type": job.content_type}
    if op == "progress":
        for i in range(1, 4):
            print(f"step {i} of 3 (print() must not break the protocol)")
            sys.stdout.write("raw stdout write\n")
            os.write(1, b"a C library writing to fd 1\n")
            job.progress(i * 30, f"step {i}")
            time.sleep(p.get("pause", 0.05))
        return {"steps": 3}
    if op == "raw":
        return bytes([0, 1, 2, 255])
    if op == "text":
        return mlqd.Result("plain text", "text/plain; charset=utf-8")
    if op == "fail":
        raise mlqd.Fail(p.get("message", "bad input"))
    if op == "retry":
        raise mlqd.Retry(p.get("message", "try again"))
    if op == "boom":
        raise ValueError(p.get("message", "boom"))
    if op == "nan":
        return float("nan")
    if op == "until_cancelled":
        with open(p["marker"] + ".started", "w"):
            pass
        deadline = time.monotonic() + 30
        while not job.cancelled and time.monotonic() < deadline:
            time.sleep(0.02)
        with open(p["marker"], "w") as f:
            f.write("cancelled" if job.cancelled else "timed out")
        return "stopped"
    if op == "emit":
        # emits `chunks` text chunks (or bytes with "binary"), reporting progress = chunks
        # emitted so far; with "fail_first": attempt 1 emits that many, then asks for a retry
        n = int(p.get("chunks", 5))
        if job.attempt == 1 and p.get("fail_first"):
            n = int(p["fail_first"])
        for i in range(n):
            if p.get("binary"):
                job.emit(bytes([i % 256, 0xFF]))
            else:
                job.emit(f"a{job.attempt}c{i} ")
            job.progress(i + 1)
            time.sleep(p.get("pause", 0))
        if job.attempt == 1 and p.get("fail_first"):
            raise mlqd.Retry("first attempt fails on purpose")
        return {"emitted": n, "attempt": job.attempt}
    return p.get("value")


if __name__ == "__main__":
    mlqd.handler.run(handle)
