"""mlqd for Python: a client of the mlqd HTTP API, and a helper to write exec handlers.

- :class:`Client` posts jobs and reads their status, results, events and streamed output::

      import mlqd
      client = mlqd.Client("http://127.0.0.1:8080")
      job = client.post("predict", {"text": "hello"})
      print(client.result(job, wait=30))

- :func:`mlqd.handler.run` turns one function into an ``mlqd worker --exec`` handler (see
  :mod:`mlqd.handler`).

Errors are :class:`mlqd.errors.MlqdError` subclasses carrying the API's ``code``.
"""

from . import errors, handler
from ._types import Cancelled, Fail, NewAttempt, Result, Retry
from .client import TERMINAL_STATES, Client
from .errors import MlqdError
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
