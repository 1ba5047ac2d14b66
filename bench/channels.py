"""Outbound pipeline benchmark: a collector's SMS from template to the spool file, per message.

Side by side in one process, on a migrated SQLite store with one case (``bench/workflow.py``'s
seed): **arrears** = ``workbench.messages.queue_message`` (the case's figures, the template in the
debtor's language, compliance asked and recorded, the row and its audit event) then one relay
pass (compliance asked again, the spool line written and fsynced, the state moved); **baseline** =
the same template rendered with the same figures, the row inserted and the same spool line
written and fsynced, nothing asked. Rounds interleave A B A B; each round sends ``--batch``
messages and commits per message (queue) and per pass (relay), as the CLI and the API do.
Prints the median ms per message of each, the ratio (median and spread over rounds) and peak
memory.

    python bench/channels.py [--rounds 5] [--batch 50]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from arrears.channels import templates
from arrears.channels.models import OutboxMessage
from arrears.channels.transports import SpoolTransport
from arrears.kit.clock import clock
from arrears.kit.db import make_engine
from arrears.migrations import runner
from arrears.portfolio.models import Cardholder
from arrears.workbench import messages
from arrears.workbench.script import case_context
from bench.workflow import NOW, seed


def arrears_round(engine: object, wo_id: int, batch: int, spool: Path) -> float:
    start = time.perf_counter()
    with Session(engine) as session:  # type: ignore[arg-type]
        for _ in range(batch):
            messages.queue_message(
                session=session,
                work_order_id=wo_id,
                channel="sms",
                template="payment_reminder",
                note=None,
                actor="u:lee",
            )
            session.commit()
        run = messages.relay(
            session=session, actor="system", transports={"sms": SpoolTransport(spool)}
        )
        session.commit()
    assert run.sent == batch, run
    return (time.perf_counter() - start) / batch


def baseline_round(engine: object, wo_id: int, batch: int, spool: Path, n: int) -> float:
    start = time.perf_counter()
    with Session(engine) as session:  # type: ignore[arg-type]
        from arrears.cases.models import WorkOrder

        wo = session.get(WorkOrder, wo_id)
        assert wo is not None
        holder = session.get(Cardholder, wo.cardholder_id)
        assert holder is not None
        for i in range(batch):
            context = case_context(session=session, work_order=wo, holder=holder, locale="zh-CN")
            context.update(note="", opt_out=templates.opt_out_text("sms", "zh-CN"))
            body = templates.render(
                "payment_reminder", channel="sms", locale="zh-CN", context=context
            ).body
            key = f"baseline:{n}:{i}"
            session.add(
                OutboxMessage(
                    dedupe_key=key,
                    kind="collector",
                    work_order_id=wo.id,
                    cardholder_id=holder.id,
                    channel="sms",
                    address="+8613800138000",
                    template="payment_reminder",
                    locale="zh-CN",
                    body=body,
                    fields={},
                    send_on=date(2026, 3, 31),
                    status="sent",
                    compliance={},
                    created_at=NOW,
                )
            )
            session.commit()
            spool.mkdir(parents=True, exist_ok=True)
            with (spool / "baseline.jsonl").open("ab") as f:
                f.write((json.dumps({"dedupe_key": key, "body": body}) + "\n").encode())
                f.flush()
                os.fsync(f.fileno())
    return (time.perf_counter() - start) / batch


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="arrears-bench-channels-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    runner.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as s:
        wo_id = seed(s, 10)
    a: list[float] = []
    b: list[float] = []
    tracemalloc.start()
    with clock.frozen(NOW):
        for n in range(args.rounds):
            a.append(arrears_round(engine, wo_id, args.batch, folder / "spool"))
            b.append(baseline_round(engine, wo_id, args.batch, folder / "spool", n))
    peak = tracemalloc.get_traced_memory()[1]
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    print(f"rounds {args.rounds} x {args.batch} SMS, SQLite, A B interleaved")
    ms_a, ms_b = statistics.median(a) * 1e3, statistics.median(b) * 1e3
    print(f"arrears  (queue + relay, compliance twice): median {ms_a:.2f} ms/message")
    print(f"baseline (render + insert + spool write):   median {ms_b:.2f} ms/message")
    print(
        f"ratio median {statistics.median(ratios):.2f}x "
        f"(spread {min(ratios):.2f}-{max(ratios):.2f})"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak / 2**20:.1f} MiB Python (tracemalloc), {rss:.0f} MiB RSS")


if __name__ == "__main__":
    main()
