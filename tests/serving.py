"""An app served for real (uvicorn over TCP on 127.0.0.1, in a thread) for tests that need a
browser or a socket in front of it, and the seeded workbench most browser modules serve."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI
from sqlalchemy.orm import Session

from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from arrears.web.app import create_app
from tests.web_seed import NOW, Seeded, seed

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


@contextmanager
def seeded_workbench(
    template: Path,
    folder: Path,
    *,
    at: datetime,
    customers: int = 2,
    more: Callable[[Session, Seeded], None] | None = None,
    settings: Callable[[str], Settings] | None = None,
    **options: Any,
) -> Iterator[tuple[str, str, Seeded]]:
    """A copy of the migrated SQLite ``template`` in ``folder``, seeded as of ``NOW`` (``more``
    adds to it in the same session), served with the clock frozen at ``at`` until the end:
    yields the base URL, the store's URL and what was seeded."""
    path = folder / "arrears.db"
    shutil.copy(template, path)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    with clock.frozen(NOW), Session(engine) as session:
        seeded = seed(session, customers=customers)
        if more is not None:
            more(session, seeded)
        session.commit()
    engine.dispose()
    clock.freeze(at)
    app = create_app(settings(url) if settings else Settings(database_url=url, locale="en"))
    try:
        with served(app, **options) as base:
            yield base, url, seeded
    finally:
        clock.unfreeze()
        app.state.engine.dispose()
