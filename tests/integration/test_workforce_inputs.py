"""Pay inputs are checked before they are stored (issue 20, item 3), on SQLite and PostgreSQL:
a negative recovery, a hire date years ahead, a language tag nobody speaks, a course passed
before the hire or after today, metrics for a month not started or before the hire; and a
year's statement stops at the last closed month. Each refusal is one line, exit 2 (API 422),
and writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from arrears.kit.audit import AuditEvent
from arrears.kit.clock import clock
from arrears.kit.errors import BadInput
from arrears.workforce import performance_service, schemas, staff_service, training_service
from arrears.workforce.metrics import MonthMetrics
from arrears.workforce.models import Staff, StaffMetricMonth, TrainingCompletion

# 29 November 2026, 10:00 in Shanghai: the day the yearly statement included December.
NOVEMBER_29 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
D = Decimal


def person(session: Session, code: str = "S1", hired: date = date(2026, 3, 1)) -> None:
    staff_service.add_staff(
        session=session,
        data=schemas.StaffCreate(
            code=code,
            name=f"Senior {code}",
            employment_type="establishment",
            grade="senior_collection_specialist",
            levels=["advanced"],
            capacity=50,
            hire_date=hired,
        ),
        mentor=False,
    )


def events(session: Session, action: str) -> int:
    query = sa.select(sa.func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    return session.scalar(query) or 0


def test_bad_pay_inputs_are_refused_and_nothing_is_written(session: Session) -> None:
    with clock.frozen(NOVEMBER_29):
        person(session)
        session.commit()
        # Cut an officer's September pay from 3,640 to 3,200; refused by the body's schema (422).
        with pytest.raises(ValidationError, match="recovered"):
            schemas.MetricMonthCreate(staff="S1", month=date(2026, 9, 1), recovered=D("-5000"))
        with pytest.raises(ValidationError, match="recovered"):
            MonthMetrics(month=date(2026, 9, 1), recovered=D("-0.01"))
        for bad in (
            {"month": date(2026, 12, 1)},  # a month that has not started
            {"month": date(2026, 2, 1)},  # ended before the hire
        ):
            with pytest.raises(BadInput) as refused:
                performance_service.record_metrics(
                    session=session,
                    data=schemas.MetricMonthCreate.model_validate(
                        {"staff": "S1", "month": date(2026, 9, 1), **bad}
                    ),
                )
            assert "\n" not in refused.value.message
            assert refused.value.status_code == 422
            session.rollback()
        assert session.scalar(sa.select(sa.func.count()).select_from(StaffMetricMonth)) == 0
        for hired in (date(2030, 1, 1), date(2027, 3, 1)):  # years ahead; beyond 90 days ahead
            with pytest.raises(BadInput, match="hire_date"):
                person(session, "N1", hired)
            session.rollback()
        person(session, "N2", date(2026, 12, 14))  # an offer signed for next month is fine
        for day in (date(2026, 2, 27), date(2026, 11, 30)):  # before the hire; after today
            with pytest.raises(BadInput, match="completed_on"):
                training_service.record_completion(
                    session=session,
                    data=schemas.CompletionCreate(
                        staff="S1", course="negotiation", score=D(90), completed_on=day
                    ),
                )
            session.rollback()
        assert session.scalar(sa.select(sa.func.count()).select_from(TrainingCompletion)) == 0
        with pytest.raises(BadInput, match="hire date"):
            staff_service.leave(session=session, code="S1", on=date(2026, 2, 1))
        session.rollback()
        assert session.scalar(sa.select(Staff.status).where(Staff.code == "S1")) == "active"
        assert events(session, "staff.metrics") == 0
        assert events(session, "training.completion") == 0


def test_language_tags_are_bcp47_tags_babel_knows() -> None:
    for bad in ("klingon!!", "tlh", "zh_CN", ""):
        with pytest.raises(ValueError, match="language tag"):
            schemas.StaffUpdate(languages=[bad])
    good = schemas.StaffUpdate(languages=["ZH-cn", "en", "yue", "zh-hant-tw", "en"])
    assert good.languages == ["zh-CN", "en", "yue", "zh-Hant-TW"]


def test_the_year_statement_stops_at_the_last_closed_month(session: Session) -> None:
    with clock.frozen(NOVEMBER_29):
        person(session, hired=date(2019, 1, 1))
        for month in (10, 11):
            performance_service.record_metrics(
                session=session,
                data=schemas.MetricMonthCreate(
                    staff="S1", month=date(2026, month, 1), recovered=D("1000.00"), qa_score=90
                ),
            )
        session.commit()
        year = performance_service.pay_statement(session=session, code="S1", year=2026)
        months = [line.label for line in year.lines if line.label.endswith(" pay")]
        assert months == [f"2026-{m:02d} pay" for m in range(1, 11)]  # no November, no December
        assert year.period == "2026-01 to 2026-10"
        bonus = next(line for line in year.lines if line.label == "year-end bonus target")
        assert "x 10/12 months" in bonus.note
        last = performance_service.pay_statement(session=session, code="S1", year=2025)
        assert last.period == "2025"
        for refused in ({"year": 2027}, {"month": date(2026, 12, 1)}):
            with pytest.raises(BadInput):
                performance_service.pay_statement(session=session, code="S1", **refused)
    with clock.frozen(datetime(2027, 1, 4, 2, tzinfo=UTC)):  # December has closed
        full = performance_service.pay_statement(session=session, code="S1", year=2026)
        assert full.period == "2026"
        assert sum(line.label.endswith(" pay") for line in full.lines) == 12


def test_cli_refuses_with_one_line_and_exit_2(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clock.frozen(NOVEMBER_29):
        assert cli("users", "add", "ops", "admin").exit_code == 0
        monkeypatch.setenv("ARREARS_USER", "ops")
        add = ("--grade", "collection_officer", "--employment", "establishment", "--capacity")
        ok = cli("staff", "add", "O1", "--name", "One", *add, "10", "--hire-date", "2026-03-01")
        assert ok.exit_code == 0, ok.stderr
        cases = {
            "hire date 2030": ("staff", "add", "O2", "--name", "Two", *add, "10")
            + ("--hire-date", "2030-01-01"),
            "klingon": ("staff", "add", "O3", "--name", "Three", *add, "10")
            + ("--hire-date", "2026-03-01", "--languages", "zh-CN,klingon!!"),
            "update klingon": ("staff", "update", "O1", "--languages", "klingon!!"),
            "training before hire": ("training", "record", "O1", "--course", "negotiation")
            + ("--score", "80", "--on", "2026-01-05"),
            "training tomorrow": ("training", "record", "O1", "--course", "negotiation")
            + ("--score", "80", "--on", "2026-11-30"),
        }
        metrics = tmp_path / "metrics.csv"
        metrics.write_text(
            "staff,month,recovered,qa_score\nO1,2026-08,1200.00,90\nO1,2026-09,-5000.00,90\n",
            encoding="utf-8",
        )
        for what, args in cases.items():
            result = cli(*args)
            assert result.exit_code == 2, (what, result.stdout, result.stderr)
            assert len(result.stderr.strip().splitlines()) == 1, (what, result.stderr)
            assert "Traceback" not in result.stderr
        negative = cli("staff", "metrics", str(metrics))
        assert negative.exit_code == 2
        assert "row 3, column recovered" in negative.stderr
        assert "klingon!!" in cli("staff", "update", "O1", "--languages", "klingon!!").stderr
        shown = json.loads(cli("staff", "show", "O1", "--json").stdout)
        assert shown["languages"] == ["zh-CN"]
        assert json.loads(cli("training", "status", "O1", "--json").stdout)["passed"] == []
        assert {s["code"] for s in json.loads(cli("staff", "list", "--json").stdout)} == {"O1"}
        # The good row of the metrics file was not loaded either: a statement without metrics.
        pay = json.loads(
            cli("compensation", "statement", "O1", "--month", "2026-08", "--json").stdout
        )
        recovered = next(line for line in pay["lines"] if line["label"] == "recovered this month")
        assert recovered["note"].startswith("0.00")
        future = cli("compensation", "statement", "O1", "--year", "2027")
        assert future.exit_code == 2
        assert cli("staff", "metrics-derive", "--month", "2026-12").exit_code == 2
        roster = tmp_path / "roster.csv"
        roster.write_text(
            "code,name,employment_type,grade,capacity,hire_date,languages\n"
            "O7,Seven,establishment,collection_officer,10,2026-03-01,zh-CN;klingon!!\n",
            encoding="utf-8",
        )
        bad_roster = cli("staff", "import", str(roster))
        assert bad_roster.exit_code == 2
        assert bad_roster.stderr.strip() == (
            "error: roster.csv row 2, column languages: not a language tag Babel knows: "
            "'klingon!!' (BCP-47, e.g. zh-CN, en, yue)"
        )
