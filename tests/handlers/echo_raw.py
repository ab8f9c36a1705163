"""The JSON Lines protocol spoken without the helper: echo every job's payload."""

import json
import sys

for line in sys.stdin:
    msg = json.loads(line)
    if "cancel" in msg:
        continue
    jobs = msg["batch"] if "batch" in msg else [msg]
    if "batch" in msg:
        sys.stderr.write("got a batch of %d\n" % len(jobs))
        sys.stderr.flush()
    for job in jobs:
        if "payload" in job:
            out = {"id": job["id"], "result": job["payload"]}
        else:
            out = {"id": job["id"], "result_b64": job["payload_b64"], "content_type": job["content_type"]}
        sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
