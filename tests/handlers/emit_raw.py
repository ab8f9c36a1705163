"""The JSON Lines protocol spoken without the helper: every job streams text, bytes that are
not UTF-8 and more text, with a progress line among them, then its result."""

import base64
import json
import sys


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    msg = json.loads(line)
    if "cancel" in msg:
        continue
    for job in msg["batch"] if "batch" in msg else [msg]:
        send({"id": job["id"], "stream": "h\u00e9llo "})
        send({"id": job["id"], "progress": 50})
        send({"id": job["id"], "stream_b64": base64.b64encode(b"\x00\xff").decode()})
        send({"id": job["id"], "stream": "w\u00f6rld"})
        send({"id": job["id"], "result": {"ok": True}})
