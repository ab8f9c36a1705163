"""A text generator served by `mlqd worker --exec`, streaming each word as it is produced.

The model is a word-level n-gram model (``ngram.py``) trained when mlqd starts this process
(about a second, once per concurrency slot) on the reference documentation that ships with
Python: nothing is downloaded. Each generated word goes out through ``job.emit`` the moment
it is sampled, with a short pause between words so the streaming is visible; the job's
result is the whole text (``text/plain``), the same bytes as the stream's chunks joined.

Payload: ``{"prompt": "The object", "max_tokens": 60}``, and optionally ``"seed"`` (an int,
for a repeatable text), ``"temperature"`` (0.1 to 5, default 1: higher is wilder) and
``"pause"`` (seconds between words, 0 to 1, default 0.05).

Run from the repository root::

    mlqd worker --queue generate --exec "python3 examples/generate/handler.py"
"""

import random
import sys
import time

import mlqd
import mlqd.handler
import ngram

MODEL = ngram.train()
print(f"generate: n-gram model trained on {MODEL.tokens} words of Python's own documentation", file=sys.stderr)


def number(payload, name, default, low, high, kind=float):
    value = payload.get(name, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not isinstance(value, int)):
        raise mlqd.Fail(f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}")
    if not low <= value <= high:
        raise mlqd.Fail(f"{name} must be {low} to {high}, got {value!r}")
    return kind(value)


def generate(job):
    p = job.payload
    if not isinstance(p, dict) or not isinstance(p.get("prompt", ""), str):
        raise mlqd.Fail('expected {"prompt": "some text", "max_tokens": 60}')
    prompt = p.get("prompt", "")[:2000]
    max_tokens = number(p, "max_tokens", 60, 1, 2000, int)
    temperature = number(p, "temperature", 1.0, 0.1, 5.0)
    pause = number(p, "pause", 0.05, 0.0, 1.0)
    seed = p.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise mlqd.Fail(f"seed must be an integer, got {seed!r}")
    rng = random.Random(seed)
    words = []
    for i, word in enumerate(MODEL.generate(prompt, max_tokens, rng, temperature)):
        job.emit(word)  # raises mlqd.Cancelled once the job is cancelled: generation stops
        words.append(word)
        if (i + 1) % 10 == 0:
            job.progress(100 * (i + 1) / max_tokens, f"{i + 1}/{max_tokens} words")
        if pause:
            time.sleep(pause)
    return mlqd.Result("".join(words), "text/plain; charset=utf-8")


if __name__ == "__main__":
    mlqd.handler.run(generate)
