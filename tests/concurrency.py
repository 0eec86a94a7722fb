"""Requests fired at the same moment from many threads, each with its own test client (and
so its own app context, session and database connection), like phones or staff behind
gunicorn's threads. The race tests of counters and writers share it."""

import threading
from collections import Counter
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def burst(app: Flask, n: int, send: Callable[[FlaskClient, int], object]) -> list:
    """Run ``send(client, i)`` for i in 0..n-1 at once; returns the responses in order."""
    barrier = threading.Barrier(n)
    responses: list = [None] * n

    def run(i: int) -> None:
        client = app.test_client()
        barrier.wait()
        responses[i] = send(client, i)

    # Daemon threads: a burst cut short by Ctrl-C must not keep the interpreter waiting.
    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in responses), "a request of the burst never answered"
    return responses


def tally(responses) -> Counter:
    """How many of each (status, error code) the burst got: ``{(401, "X"): 5, (201, None): 3}``."""
    return Counter((r.status_code, (r.get_json(silent=True) or {}).get("code")) for r in responses)
