"""Test handler: echoes its payload, or misbehaves the way the payload's "do" asks.

Each start appends a line to $MLQD_TEST_STARTS (when set), so a test can count start-ups.
"""

import os
import signal
import sys
import time

import mlqd
import mlqd.handler

if os.environ.get("MLQD_TEST_STARTS"):
    with open(os.environ["MLQD_TEST_STARTS"], "a") as f:
        f.write("%d %s\n" % (os.getpid(), os.environ.get("MLQD_SLOT", "?")))

# the protocol stream, to write broken lines on purpose (taken before mlqd.handler.run sends
# fd 1 to stderr)
raw = os.fdopen(os.dup(1), "w")


def run(job):
    payload = job.payload
    do = payload.get("do") if isinstance(payload, dict) else None
    if do is None:
        print("echoing job %s" % job.id)
        return payload
    if do == "crash":
        print("about to crash on purpose", file=sys.stderr, flush=True)
        os._exit(3)
    if do == "garbage":
        raw.write("this is not json\n")
        raw.flush()
        time.sleep(60)
    if do == "unknown_id":
        raw.write('{"id":"other.01ARZ3NDEKTSV4RRFFQ69G5FAV","result":1}\n')
        raw.flush()
        time.sleep(60)
    if do == "huge":
        return "x" * payload["bytes"]
    if do == "hang":
        if payload.get("ignore_term"):
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        time.sleep(3600)
    if do == "fail":
        message = payload.get("message", "failed on purpose")
        raise mlqd.Retry(message) if payload.get("retry", True) else mlqd.Fail(message)
    if do == "binary":
        return mlqd.Result(bytes(range(256)) * 4, "image/png")
    if do == "progress":
        steps, pause = payload.get("steps", 10), payload.get("ms", 50) / 1000.0
        for i in range(steps):
            job.progress(100 * i // steps, "step %d of %d" % (i + 1, steps))
            time.sleep(pause)
        return {"steps": steps}
    if do == "ignore_cancel":
        time.sleep(payload.get("ms", 60000) / 1000.0)
        return {"finished": True}
    raise mlqd.Fail("unknown do %r" % do)


if __name__ == "__main__":
    mlqd.handler.run(run)
