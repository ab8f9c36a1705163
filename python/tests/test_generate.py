"""examples/generate: the n-gram model, its handler (protocol read by hand, and through a real
worker), and the Flask relay."""

from __future__ import annotations

import base64
import importlib
import json
import random
import sys
from typing import Any, Iterator, List

import pytest

from conftest import REPO, Mlqd
from test_handler import Handler, job

GENERATE = REPO / "examples" / "generate"


@pytest.fixture(scope="module")
def ngram() -> Any:
    sys.path.insert(0, str(GENERATE))
    try:
        yield importlib.import_module("ngram")
    finally:
        sys.path.remove(str(GENERATE))


def test_model_trains_on_bundled_text_and_continues_a_prompt(ngram: Any) -> None:
    model = ngram.train()
    assert model.tokens > 20_000, "the corpus that ships with Python was found"
    words = list(model.generate("The object", 40, random.Random(7)))
    assert len(words) == 40
    assert words == list(model.generate("The object", 40, random.Random(7)))  # seeded: repeatable
    assert words != list(model.generate("The object", 40, random.Random(8)))
    # the first word is one the corpus has after "The object"
    assert words[0].strip() in model.after2[("The", "object")]
    # every word is one the corpus has after its two-word context (or the backed-off one)
    prev2, prev1 = "The", "object"
    for w in words:
        tok = w.strip()
        assert tok in (model.after2.get((prev2, prev1)) or model.after1.get(prev1) or model.starts), (prev2, prev1, tok)
        prev2, prev1 = prev1, tok
    text = "".join(words)
    assert text.startswith(" ") and "  " not in text


def test_model_on_given_text(ngram: Any) -> None:
    model = ngram.train("the cat sat on the mat. the cat ran. the dog sat on the cat.")
    out = "".join(model.generate("the dog", 4, random.Random(0)))
    assert out == " sat on the cat" or out == " sat on the mat", out


def test_generate_handler_emits_each_word_and_returns_the_text() -> None:
    h = Handler(GENERATE / "handler.py")
    try:
        h.send(job("generate.A", {"prompt": "The object", "max_tokens": 25, "seed": 3, "pause": 0}))
        lines = h.until_final("generate.A")
        h.send(job("generate.B", {"prompt": 7}))
        bad = h.until_final("generate.B")
        h.send(job("generate.C", {"max_tokens": 0}))
        bad += h.until_final("generate.C")
    finally:
        err = h.close()
    chunks = [x["stream"] for x in lines if "stream" in x]
    assert len(chunks) == 25
    final = lines[-1]
    assert final["content_type"] == "text/plain; charset=utf-8"
    assert base64.b64decode(final["result_b64"]).decode() == "".join(chunks)
    assert [x["progress"] for x in lines if "progress" in x] == [40.0, 80.0]
    assert bad[0]["retry"] is False and "prompt" in bad[0]["error"]
    assert bad[1] == {"id": "generate.C", "error": "max_tokens must be 1 to 2000, got 0", "retry": False}
    assert "n-gram model trained on" in err


def test_generate_streams_through_a_real_worker(mlqd_env: Mlqd) -> None:
    client = mlqd_env.up()
    mlqd_env.exec_worker(GENERATE / "handler.py", "--queue", "generate")
    job_id = client.post("generate", {"prompt": "A class", "max_tokens": 30, "pause": 0.01}, max_retries=0)
    pieces = list(client.stream(job_id))
    assert len(pieces) == 30 and all(isinstance(p, str) for p in pieces)
    assert client.result(job_id) == "".join(str(p) for p in pieces).encode()


def test_flask_relay_sends_the_words_to_a_browser(mlqd_env: Mlqd, monkeypatch: pytest.MonkeyPatch) -> None:
    url = mlqd_env.serve()
    mlqd_env.exec_worker(GENERATE / "handler.py", "--queue", "generate")
    monkeypatch.setenv("MLQD_URL", url)
    monkeypatch.syspath_prepend(str(GENERATE))
    sys.modules.pop("web", None)
    web = importlib.import_module("web")
    res = web.app.test_client().get("/generate?prompt=The+object")
    assert res.status_code == 200 and res.mimetype == "text/event-stream"
    events = list(parse(res.get_data(as_text=True)))
    assert events[0][0] == "job" and events[-1][0] == "done"
    words = [json.loads(d) for kind, d in events if kind == "message"]
    assert len(words) == 80
    job_id = json.loads(events[0][1])
    assert mlqd_env.client(url).result(job_id) == "".join(words).encode()
    assert json.loads(events[-1][1])["state"] == "succeeded"
    assert "EventSource" in web.app.test_client().get("/").get_data(as_text=True)


def parse(body: str) -> Iterator[List[str]]:
    from mlqd.sse import Decoder

    for ev in Decoder().feed(body.encode()):
        yield [ev.event, ev.data]
