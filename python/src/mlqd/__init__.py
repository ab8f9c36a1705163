"""mlqd for Python: a client of the mlqd HTTP API, and a helper to write exec handlers.

- :class:`Client` posts jobs and reads their status, results, events and streamed output::

      import mlqd
      client = mlqd.Client("http://127.0.0.1:8080")
      job = client.post("predict", {"text": "hello"})
      print(client.result(job, wait=30))

- :func:`mlqd.handler.run` turns one function into an ``mlqd worker --exec`` handler (see
  :mod:`mlqd.handler`).

Errors are :class:`mlqd.errors.MlqdError` subclasses carrying the API's ``code``.

The client (and httpx with it) is imported on first use, so a handler process that only
needs ``mlqd.handler`` runs on the standard library alone and starts faster.
"""

from typing import TYPE_CHECKING, Any

from . import errors
from ._types import Cancelled, Fail, NewAttempt, Result, Retry
from .errors import MlqdError

if TYPE_CHECKING:  # pragma: no cover
    from . import handler
    from .client import TERMINAL_STATES, Client
    from .stream import JobStream

__all__ = [
    "Client",
    "JobStream",
    "NewAttempt",
    "Result",
    "Retry",
    "Fail",
    "Cancelled",
    "MlqdError",
    "TERMINAL_STATES",
    "errors",
    "handler",
]

__version__ = "0.1.0"

_LAZY = {"Client": "client", "TERMINAL_STATES": "client", "JobStream": "stream", "handler": None, "client": None, "stream": None, "sse": None}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'mlqd' has no attribute {name!r}")
    import importlib

    module = importlib.import_module(f".{_LAZY[name] or name}", __name__)
    value = module if _LAZY[name] is None else getattr(module, name)
    globals()[name] = value
    return value
