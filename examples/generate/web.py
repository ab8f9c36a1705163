"""A browser page that shows a generation word by word: Flask relays the job's stream as SSE.

    pip install flask ./python
    MLQD_URL=http://127.0.0.1:8080 flask --app examples/generate/web.py run   # http://127.0.0.1:5000
"""

import json
import os

from flask import Flask, Response, request

import mlqd

app = Flask(__name__)
client = mlqd.Client(os.environ.get("MLQD_URL", "http://127.0.0.1:8080"), token=os.environ.get("MLQD_TOKEN"))


@app.get("/generate")
def generate():
    job = client.post("generate", {"prompt": request.args.get("prompt", ""), "max_tokens": 80})

    def events():
        yield f"event: job\ndata: {json.dumps(job)}\n\n"
        with client.stream(job) as stream:
            for piece in stream:
                if isinstance(piece, mlqd.NewAttempt):  # a retry starts over: clear the page
                    yield "event: reset\ndata: {}\n\n"
                else:
                    yield f"data: {json.dumps(piece)}\n\n"
        yield f"event: done\ndata: {json.dumps(stream.status)}\n\n"

    return Response(events(), mimetype="text/event-stream", headers={"X-Accel-Buffering": "no"})


PAGE = """<!doctype html><meta charset="utf-8"><title>mlqd generate</title>
<form id="f"><input id="p" value="The object" size="50"> <button>Generate</button></form><p id="out"></p>
<script>
f.onsubmit = (e) => {
  e.preventDefault(); out.textContent = "";
  const es = new EventSource("/generate?prompt=" + encodeURIComponent(p.value));
  es.onmessage = (m) => { out.textContent += JSON.parse(m.data); };
  es.addEventListener("reset", () => { out.textContent = ""; });
  es.addEventListener("done", () => es.close());
};
</script>"""


@app.get("/")
def index():
    return PAGE
