"""A running cycle's heartbeat: how the next start tells a live run from one that died with its
process (kill -9, a power cut, an out-of-memory kill), which cannot write its own end.

The run beats at the start of each stage (from its own thread) and every
``cycle_heartbeat_seconds`` from a daemon thread while a stage works; each beat is its own short
transaction, part of the cycle's boundary like the sync's commit. A beat that finds the run no
longer running (``arrears cycle abandon``, or a start that took it for dead) makes the next stage
raise ``RunAbandoned``, so an abandoned run stops instead of racing the run that replaced it.

On SQLite the daemon thread stays quiet while the run holds a store transaction (the promises and
sync stages, ``hold()``): SQLite has one writer, and a beat committed between a transaction's
first read and its first write would make that write fail. The stage's own beat still comes at
its start, and no other start can mark the run failed while the stage holds the write lock.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from sqlalchemy.engine import Engine

from arrears.engine import repository
from arrears.kit.clock import clock
from arrears.kit.db import UnitOfWork
from arrears.kit.errors import Conflict

logger = logging.getLogger(__name__)

# TEST HOOK, not a setting: ``ARREARS_TEST_KILL_AT_STAGE=compute arrears cycle run ...`` sends the
# process SIGKILL right after the beat that enters that stage, the way an operator's kill -9 or
# the kernel's OOM killer would; tests/integration/test_cycle_heartbeat.py uses it. Unset in
# production, it does nothing.
KILL_AT_STAGE_ENV = "ARREARS_TEST_KILL_AT_STAGE"


class RunAbandoned(Conflict):
    """The run's record was ended by someone else while it worked (``cycle abandon``, or a start
    that found its heartbeat stopped); the run stops and its work is rolled back."""


class Heartbeat:
    """Keeps run ``run_id``'s heartbeat fresh; a context manager around the run's stages."""

    def __init__(self, store: Engine, run_id: int, *, every: float) -> None:
        self.store = store
        self.run_id = run_id
        self.every = every
        # SQLite: at most one of (a beat, the run's own store transaction) at a time.
        self._exclusive = store.dialect.name == "sqlite"
        self._quiet = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, name=f"cycle-heartbeat-{run_id}", daemon=True
        )

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        # A beat in flight finishes quickly; never wait on it for long (the thread is a daemon).
        self._thread.join(timeout=30)

    def stage(self, stage: str) -> None:
        """Beat on entering ``stage``; ``RunAbandoned`` if the run was ended meanwhile."""
        with self._quiet:
            alive = self._write(stage)
        if not alive:
            raise RunAbandoned(
                f"cycle run {self.run_id} was abandoned while it ran; stopped before {stage}"
            )
        if os.environ.get(KILL_AT_STAGE_ENV) == stage:
            os.kill(os.getpid(), signal.SIGKILL)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Around a store transaction of the run: on SQLite no beat commits inside it."""
        if not self._exclusive:
            yield
            return
        with self._quiet:
            yield

    def _write(self, stage: str | None) -> bool:
        with UnitOfWork(self.store) as uow:
            alive = repository.beat(uow.session, self.run_id, now=clock.now(), stage=stage)
            uow.commit()
        return alive

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if not self._quiet.acquire(blocking=False):
                continue  # the run is in a store transaction (SQLite); its stage beat counts
            try:
                if not self._write(None):
                    return  # ended or abandoned: nothing left to keep alive
            except Exception:  # noqa: BLE001 - a busy store; the next beat tries again
                logger.warning("cycle run %s: heartbeat not written", self.run_id, exc_info=True)
            finally:
                self._quiet.release()
