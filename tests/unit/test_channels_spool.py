"""The spool transport is the record of what the relay handed the gateway."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from arrears.channels.transports import Outgoing, SpoolTransport
from arrears.kit.clock import clock

TEN = datetime(2026, 2, 16, 2, tzinfo=UTC)


def _message(n: int) -> Outgoing:
    return Outgoing(
        id=n, dedupe_key=f"k{n}", channel="sms", to="+8613800138000", locale="zh-CN", body="好"
    )


def test_a_line_cut_short_by_a_crash_neither_counts_nor_swallows_the_next(tmp_path: Path) -> None:
    with clock.frozen(TEN):
        first = SpoolTransport(tmp_path)
        first.send(_message(1))
        path = tmp_path / "sms-20260216.jsonl"
        with path.open("a", encoding="utf-8") as spool:
            spool.write('{"id": 2, "dedupe_key": "k2", "chan')  # killed mid-write
        restarted = SpoolTransport(tmp_path)
        assert restarted.handed(_message(1)) == "sms-20260216.jsonl#k1"
        assert restarted.handed(_message(2)) is None  # never fully handed: hand it again
        restarted.send(_message(2))
        assert restarted.handed(_message(2)) == "sms-20260216.jsonl#k2"
        assert SpoolTransport(tmp_path).handed(_message(2)) == "sms-20260216.jsonl#k2"
    lines = path.read_text("utf-8").splitlines()
    assert [json.loads(line)["dedupe_key"] for line in (lines[0], lines[2])] == ["k1", "k2"]


def test_yesterdays_utc_file_is_read_too(tmp_path: Path) -> None:
    """A Shanghai day starts at 16:00 UTC the day before."""
    with clock.frozen(datetime(2026, 2, 15, 23, tzinfo=UTC)):
        SpoolTransport(tmp_path).send(_message(1))
    with clock.frozen(datetime(2026, 2, 16, 3, tzinfo=UTC)):
        assert SpoolTransport(tmp_path).handed(_message(1)) == "sms-20260215.jsonl#k1"
