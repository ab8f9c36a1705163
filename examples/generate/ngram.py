"""A word-level n-gram language model, small enough to train in about a second at start-up.

It learns from text that ships with every Python: the reference documentation bundled for
``help()`` (``pydoc_data.topics``, ~450 KB of English prose about Python), falling back on the
docstrings of standard-library modules where a distribution leaves ``pydoc_data`` out. No
download, no weights on disk: :func:`train` counts which word follows each pair of words, and
:meth:`Model.generate` samples a continuation one word at a time, backing off to shorter
contexts (one word, then none) when a context was never seen.
"""

from __future__ import annotations

import importlib
import random
import re
from collections import Counter, defaultdict
from typing import Dict, Iterator, List, Sequence, Tuple

_TOKEN = re.compile(r"[A-Za-z]+(?:'[a-z]+)?|[0-9]+(?:\.[0-9]+)?|[.,;:!?()]")
_NO_SPACE_BEFORE = set(".,;:!?)")
_SENTENCE_END = set(".!?")


def tokenize(text: str) -> List[str]:
    """Words, numbers and plain punctuation; everything else (quotes, operators) is dropped."""
    return _TOKEN.findall(text)


def _prose(text: str) -> str:
    """The prose of a reST-ish document: lines that read like sentences (code samples,
    grammar rules and underlines are dropped); blank lines stay paragraph breaks."""
    keep = []
    for line in text.splitlines():
        stripped = line.strip()
        letters = sum(c.isalpha() or c in " ,.;:()'\"-" for c in stripped)
        if not stripped or stripped.startswith((">>>", "...")) or "::=" in stripped or letters < 0.9 * len(stripped):
            keep.append("")  # a paragraph break
        else:
            keep.append(stripped)
    return "\n".join(keep)


def bundled_corpus() -> str:
    """English text that ships with the interpreter."""
    texts: List[str] = []
    try:
        from pydoc_data.topics import topics

        texts = [_prose(t) for t in topics.values()]
    except ImportError:
        pass
    if sum(map(len, texts)) < 100_000:
        for name in ("abc", "argparse", "asyncio", "collections", "datetime", "decimal", "email", "functools",
                     "json", "logging", "os", "pathlib", "re", "socket", "subprocess", "threading", "typing",
                     "unittest", "urllib.request", "zipfile"):
            try:
                module = importlib.import_module(name)
            except ImportError:
                continue
            for obj in [module, *vars(module).values()]:
                doc = getattr(obj, "__doc__", None)
                if isinstance(doc, str):
                    texts.append(_prose(doc))
    return "\n\n".join(texts)


class Model:
    """Counts of the word after each one- and two-word context."""

    def __init__(self) -> None:
        self.after2: Dict[Tuple[str, str], Counter] = defaultdict(Counter)
        self.after1: Dict[str, Counter] = defaultdict(Counter)
        self.starts: Counter = Counter()  # first words of sentences
        self.tokens = 0

    def learn(self, tokens: Sequence[str]) -> None:
        prev2, prev1 = "", "."
        for tok in tokens:
            if prev1 in _SENTENCE_END:
                self.starts[tok] += 1
            self.after1[prev1][tok] += 1
            if prev2:
                self.after2[(prev2, prev1)][tok] += 1
            prev2, prev1 = prev1, tok
        self.tokens += len(tokens)

    def _next(self, prev2: str, prev1: str, rng: random.Random, temperature: float) -> str:
        options = self.after2.get((prev2, prev1)) or self.after1.get(prev1) or self.starts
        words = list(options)
        weights = [c ** (1.0 / temperature) for c in options.values()]
        return rng.choices(words, weights)[0]

    def generate(self, prompt: str, max_tokens: int, rng: random.Random, temperature: float = 1.0) -> Iterator[str]:
        """Yields up to ``max_tokens`` pieces of text continuing ``prompt``: each word with the
        space before it (none before punctuation), so joining them gives the text."""
        context = tokenize(prompt)
        prev2, prev1 = (["", "."] + context)[-2:]
        for _ in range(max_tokens):
            tok = self._next(prev2, prev1, rng, temperature)
            glue = "" if tok in _NO_SPACE_BEFORE or prev1 == "(" or (not prompt and prev2 == "") else " "
            yield glue + tok
            prev2, prev1 = prev1, tok
            prompt = prompt or " "


def train(text: str = "") -> Model:
    """A model of ``text`` (the bundled corpus by default)."""
    model = Model()
    for paragraph in (text or bundled_corpus()).split("\n\n"):
        tokens = tokenize(paragraph)
        if len(tokens) > 3:
            model.learn(tokens)
    return model
