"""Test handler: a poison pill. A job whose payload says {"poison": true} kills the worker
process that runs this handler (SIGKILL to the parent, as the kernel's OOM killer would);
every other job is echoed."""

import os
import signal

import mlqd.handler


def run(job):
    if isinstance(job.payload, dict) and job.payload.get("poison"):
        os.kill(os.getppid(), signal.SIGKILL)
    return job.payload


if __name__ == "__main__":
    mlqd.handler.run(run)
