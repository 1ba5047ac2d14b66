"""Legal cases on the real stores (SQLite and PostgreSQL): stages through the CLI as a team
lead, the hold each stage places on the work order through the case state machine, costs and
who bears them against the fee profile, documents, the queue; refusals write nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from arrears.cases.models import WorkOrder
from arrears.legal.models import LegalCase, LegalCost
from tests.integration.test_workforce_store import make_work_orders

LEAD = ("--as", "lead")


def wo(session: Session, wo_id: int) -> tuple[str, str | None]:
    session.expire_all()
    found = session.get(WorkOrder, wo_id)
    assert found is not None
    return found.status, found.hold_reason


def test_a_legal_case_from_review_to_closing(session: Session, cli: Any, tmp_path: Path) -> None:
    (case,) = make_work_orders(session, ["legal"], bucket="M6")
    session.commit()
    assert cli("users", "add", "ops", "admin").exit_code == 0
    assert cli("users", "add", "lead", "team_lead", "--as", "ops").exit_code == 0
    # An admin does not work legal cases.
    assert cli("legal", "open", str(case), "--as", "ops").exit_code != 0
    res = cli("legal", "open", str(case), *LEAD, "--json")
    assert res.exit_code == 0, res.stderr
    legal_id = str(json.loads(res.stdout)["id"])
    assert cli("legal", "open", str(case), *LEAD).exit_code == 1  # one per work order
    assert wo(session, case) == ("open", None)  # the review does not hold the case

    # Illegal move and filing without a reference: refused, nothing written.
    bad = cli("legal", "move", legal_id, "judgment", *LEAD)
    assert bad.exit_code == 1
    assert "may move to: filed, closed" in bad.stderr
    missing = cli("legal", "move", legal_id, "filed", "--court", "Pudong Court", *LEAD)
    assert missing.exit_code == 2
    assert session.scalar(sa.select(LegalCase.stage)) == "pre_litigation_review"

    res = cli(
        "legal",
        "move",
        legal_id,
        "filed",
        "--court",
        "Pudong Court",
        "--reference",
        "(2026)沪0115民初1号",
        *LEAD,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    assert wo(session, case) == ("on_hold", "litigation")
    assert (
        cli("legal", "move", legal_id, "hearing", "--hearing-on", "2027-01-15", *LEAD).exit_code
        == 0
    )
    assert cli("legal", "move", legal_id, "judgment", *LEAD).exit_code == 0

    # Costs: the customer's court fee reaches the balance under cn-card, the bank's lawyer does not.
    res = cli(
        "legal",
        "cost",
        legal_id,
        "--kind",
        "court_fee",
        "--amount",
        "350.00",
        "--borne-by",
        "customer",
        *LEAD,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    res = cli(
        "legal",
        "cost",
        legal_id,
        "--kind",
        "lawyer_fee",
        "--amount",
        "2000.00",
        "--borne-by",
        "bank",
        *LEAD,
        "--json",
    )
    assert Decimal(json.loads(res.stdout)["on_balance"]) == Decimal("350.00")
    assert (
        cli(
            "legal",
            "cost",
            legal_id,
            "--kind",
            "bribe",
            "--amount",
            "1",
            "--borne-by",
            "bank",
            *LEAD,
        ).exit_code
        == 2
    )
    assert (
        cli(
            "legal",
            "cost",
            legal_id,
            "--kind",
            "other",
            "--amount",
            "-1",
            "--borne-by",
            "bank",
            *LEAD,
        ).exit_code
        == 2
    )
    assert session.scalar(sa.select(sa.func.count()).select_from(LegalCost)) == 2

    letter = tmp_path / "notice.pdf"
    letter.write_bytes(b"%PDF-1.4 demand letter")
    res = cli(
        "legal",
        "document",
        legal_id,
        "--kind",
        "cn-card",
        "--title",
        "demand letter",
        "--file",
        str(letter),
        *LEAD,
        "--json",
    )
    assert res.exit_code == 0, res.stderr
    assert len(json.loads(res.stdout)["sha256"]) == 64

    queue = json.loads(cli("legal", "queue", *LEAD, "--json").stdout)
    assert [(q["id"], q["stage"], q["costs"]) for q in queue] == [
        (int(legal_id), "judgment", "2350.00")
    ]

    assert cli("legal", "move", legal_id, "enforcement", *LEAD).exit_code == 0
    assert cli("legal", "move", legal_id, "closed", *LEAD).exit_code == 2  # needs an outcome
    assert (
        cli("legal", "move", legal_id, "closed", "--outcome", "judgment satisfied", *LEAD).exit_code
        == 0
    )
    assert wo(session, case) == ("in_progress", None)  # the hold is lifted
    assert json.loads(cli("legal", "queue", *LEAD, "--json").stdout) == []
    assert cli("legal", "move", legal_id, "filed", *LEAD).exit_code == 1  # closed is final


def _paths(stage: str = "pre_litigation_review", hearings: int = 0) -> list[list[str]]:
    """Every way through the machine to closed (at most one adjourned hearing)."""
    from arrears.legal.stages import TRANSITIONS

    if stage == "closed":
        return [[]]
    out = []
    for nxt in sorted(TRANSITIONS[stage]):
        again = hearings + (nxt == "hearing")
        if again > 2:
            continue
        out += [[nxt, *rest] for rest in _paths(nxt, again)]
    return out


def test_every_path_places_the_stage_s_hold_and_every_illegal_move_changes_nothing(
    session: Session,
) -> None:
    """Exhaustive over the machine: on each path, after each move the work order carries the
    hold the stage implies (litigation from filing to judgment and enforcement; released on
    closing), and from each stage every move the machine does not allow is refused with the
    allowed moves named, the legal case, its work order and the audit trail unchanged."""
    from datetime import date

    import pytest

    from arrears.kit.audit import AuditEvent
    from arrears.kit.errors import IllegalTransition
    from arrears.legal import service, stages

    paths = _paths()
    assert ["filed", "hearing", "hearing", "judgment", "enforcement", "closed"] in paths
    cases = make_work_orders(session, ["legal"] * len(paths), bucket="M6")
    session.commit()
    for case, path in zip(cases, paths, strict=True):
        lc = service.open_case(session=session, work_order_id=case, actor="lead")
        stage = lc.stage
        for target in path:
            for wrong in stages.STAGES:
                if wrong in stages.TRANSITIONS[stage]:
                    continue
                before = (lc.stage, lc.version, wo(session, case))
                audits = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
                with pytest.raises(IllegalTransition, match="it may move to"):
                    service.move(session=session, legal_case_id=lc.id, to=wrong, actor="lead",
                                 court="Pudong Court", reference="R1", hearing_on=date(2027, 1, 5),
                                 outcome="settled")  # fmt: skip
                assert (lc.stage, lc.version, wo(session, case)) == before
                assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audits
            lc = service.move(session=session, legal_case_id=lc.id, to=target, actor="lead",
                              court="Pudong Court", reference="R1", hearing_on=date(2027, 1, 5),
                              outcome="settled")  # fmt: skip
            session.commit()
            stage = lc.stage
            status, hold = wo(session, case)
            if stage in stages.HELD_STAGES:
                assert (status, hold) == ("on_hold", "litigation"), (path, stage)
            else:
                assert status != "on_hold", (path, stage)
                assert hold is None, (path, stage)
        assert stage == "closed"
