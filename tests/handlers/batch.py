"""Test handler with batch support: doubles "n", and appends each batch's size to
$MLQD_TEST_BATCHES."""

import os

import mlqd_handler as mlqd


@mlqd.handler(batch=True)
def double(payloads, jobs):
    with open(os.environ["MLQD_TEST_BATCHES"], "a") as f:
        f.write("%d\n" % len(payloads))
    return [{"n": p["n"] * 2, "batch": len(payloads)} for p in payloads]


if __name__ == "__main__":
    mlqd.run()
