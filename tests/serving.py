"""An app served for real (uvicorn over TCP on 127.0.0.1, in a thread) for tests that need a
browser or a socket in front of it; the fixtures keep their own seeding, clock and disposal."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

START_TIMEOUT = 20  # seconds; a server that has not started by then fails the test


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(app: FastAPI, **options: Any) -> Iterator[str]:
    """Serve ``app`` (``options`` go to ``uvicorn.Config``) and yield its base URL; on exit the
    server is told to stop and its thread joined, before the caller's own teardown."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if time.monotonic() > deadline:
                pytest.fail("the test server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
