"""Test handler with batch support: doubles "n", and appends each batch's size to
$MLQD_TEST_BATCHES."""

import os

import mlqd.handler


def double(jobs):
    with open(os.environ["MLQD_TEST_BATCHES"], "a") as f:
        f.write("%d\n" % len(jobs))
    return [{"n": j.payload["n"] * 2, "batch": len(jobs)} for j in jobs]


if __name__ == "__main__":
    mlqd.handler.run(double, batch=True)
