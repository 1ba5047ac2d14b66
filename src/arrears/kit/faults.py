"""A test hook: make the process kill itself (SIGKILL) at a named point, to prove crash recovery.

``ARREARS_TEST_CRASH_AT=after_store_commit arrears import portfolio DIR`` dies exactly there, as a
power cut or ``kill -9`` would: no ``finally``, no rollback, no flush. The kill -9 tests
(tests/integration/test_import_crash.py) run the CLI as a subprocess with it. Never set it in
production; unset (the default) it does nothing.
"""

from __future__ import annotations

import os
import signal

CRASH_AT = "ARREARS_TEST_CRASH_AT"

# Every point the code offers, in the order an import passes them (docs/data-formats.md).
IMPORT_POINTS = (
    "after_batch_open",
    "before_store_commit",
    "after_store_commit",
    "before_warehouse_commit",
    "after_warehouse_commit",
)


# Points the outbox relay offers (tests/integration/test_outbox_crash.py): right after the
# gateway took a message, before the relay's transaction records it.
OUTBOX_POINTS = ("outbox_after_hand_over",)

_passes: dict[str, int] = {}


def crash_point(name: str) -> None:
    """Die here, at once, if ``ARREARS_TEST_CRASH_AT`` names this point; ``name:N`` dies the Nth
    time the point is passed (mid-way through a batch)."""
    wanted = os.environ.get(CRASH_AT)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _passes[name] = _passes.get(name, 0) + 1
    if _passes[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
