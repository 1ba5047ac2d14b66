"""Run the department day by day on its own store: the acceptance harness of the daily loop.

Each simulated day, on the project's clock (frozen and advanced here, never set any other way):
08:00 the card system's extract of the day (new statements, the payments the behaviour model
drew) comes in through the import path; 09:00 each collector works their queue through the real
contact, promise, plan, settlement and three-stops services; the team lead approves what waits
for a checker; 21:00 the nightly cycle (promise reconciliation first) and allocation. The
thirteen invariants are checked after each day; month ends produce pay statements and the
promotion report. Deterministic for a seed.

Why one module: ``_Department`` is one simulated day in order (the clock, the store and the facts
each stage reads and adds to); the card system's and the working day's halves are their own
modules (``CardSystem``, ``Workday``), and what is left here is the day's sequence, which reads
best in one place.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine, make_url

from arrears.config import Settings, get_settings
from arrears.kit.clock import clock
from arrears.kit.db import UnitOfWork
from arrears.kit.errors import BadInput
from arrears.simulation import actions, invariants
from arrears.simulation import behaviour as bm
from arrears.simulation import repository as repo
from arrears.simulation.agency import AgencyDesk
from arrears.simulation.extracts import CardSystem
from arrears.simulation.payments import (
    Account,
    PaymentBook,
    cents,
    money,
)
from arrears.simulation.roster import AgencyPlan, Roster, check_levels, default_roster
from arrears.simulation.sandbox import sandbox
from arrears.simulation.workday import Workday

ACTOR = "simulator"
BUCKET_RANK = {b: i for i, b in enumerate(("M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"))}
PHASES = ("import", "agency", "workday", "cycle", "allocation", "checks", "month_end")


@dataclass(frozen=True)
class Options:
    days: int
    accounts: int
    seed: int
    start: date
    roster: Roster | None = None  # None: the default roster, sized to the book
    strategy: str | None = None
    engine: str = "duckdb"
    out: Path | None = None
    store: str | None = None
    behaviour: str = "behaviour"
    collectors: bool = True  # False: cycle and allocation only (the benchmark's baseline)
    check: bool = True  # False: no invariant checks (the benchmark's baseline)
    book: Path | None = None  # the UCI CSV: its first ``accounts`` clients instead of synth
    agency: AgencyPlan | None = None  # a contract YAML instead of the roster's agency


def validate(options: Options) -> bm.Behaviour:
    """Refuse bad input before anything is written (``BadInput``: one line, exit 2)."""
    if options.days < 1:
        raise BadInput(f"--days must be at least 1 (got {options.days})")
    if options.accounts < 1:
        raise BadInput(f"--accounts must be at least 1 (got {options.accounts})")
    if options.engine not in ("duckdb", "spark"):
        raise BadInput(f"--engine must be duckdb or spark, not {options.engine!r}")
    if options.book is not None and not options.book.is_file():
        raise BadInput(f"--book: no file {options.book}")
    out = options.out
    if out is not None and out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise BadInput(f"--out {options.out}: not an empty folder (nothing was written)")
    behaviour = bm.load_behaviour(options.behaviour)
    actions.check_strategy(options.strategy, get_settings())
    plan = options.agency or (options.roster.agency if options.roster is not None else None)
    if plan is not None:  # the product's contract rules, before anything is written
        actions.contract_of(plan, start=options.start, end=None)
    if options.roster is not None:
        roster = options.roster
        if options.agency is not None:
            roster = roster.model_copy(update={"agency": options.agency})
        check_levels(roster, actions.allocation_level_grades())
    return behaviour


@dataclass
class SimulationResult:
    days: list[dict[str, Any]]
    invariants: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    timings: dict[str, list[float]] = field(default_factory=dict)
    out: Path | None = None
    store_url: str = ""

    @property
    def broken(self) -> list[str]:
        return [name for name, r in self.invariants.items() if not r["held"]]

    def as_json(self) -> dict[str, Any]:
        return {"days": self.days, "invariants": self.invariants, "summary": self.summary}


# --- the sandbox: its own store and warehouse ------------------------------------------------


def simulate(
    options: Options, *, on_day: Callable[[int, date], None] = lambda _i, _d: None
) -> SimulationResult:
    """Run ``options.days`` days of the department; see the module docstring."""
    behaviour = validate(options)
    with (
        sandbox(options) as (work, url, settings),
        clock.frozen(datetime.combine(options.start, clock_time(12), UTC)),
    ):
        from arrears.kit.db import engine_for

        engine = engine_for(url)
        try:
            sim = _Department(options, behaviour, settings, engine, work)
            result = sim.run(on_day)
        finally:
            engine.dispose()
            engine_for.cache_clear()
        result.out = options.out
        result.store_url = make_url(url).render_as_string() if options.out else ""
        return result


class _Department(CardSystem, Workday):
    def __init__(
        self,
        options: Options,
        behaviour: bm.Behaviour,
        settings: Settings,
        engine: Engine,
        work: Path,
    ) -> None:
        self.o = options
        self.b = behaviour
        self.settings = settings
        self.engine = engine
        self.work = work
        self.zone = ZoneInfo(settings.time_zone)
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.tallies = {name: invariants.Tally() for name in invariants.CHECKS}
        self.book = PaymentBook()
        self.accounts: list[Account] = []
        self.by_customer: dict[str, int] = {}
        self.figures: dict[str, tuple[str, int, int, int]] = {}  # account -> bucket, dpd, past, bal
        self.decided_today: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}
        self.decided_before: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}
        self.no_contact: Counter[int] = Counter()
        self.seed = options.seed
        self.pursue: dict[tuple[str, date], list[int]] = {}
        self.roster = options.roster or default_roster(
            accounts=options.accounts, days=options.days, seed=options.seed
        )
        if options.agency is not None:
            self.roster = self.roster.model_copy(update={"agency": options.agency})
        plan = self.roster.agency
        # The agency works its cases where collectors work (not in the benchmark's baseline).
        self.desk = (
            AgencyDesk(plan, work / "exchange" / plan.code)
            if plan is not None and options.collectors
            else None
        )
        self.commission_today: list[dict[str, Any]] = []
        self.exchange_today: list[dict[str, Any]] = []
        self.month_ends: list[dict[str, Any]] = []
        self.totals: Counter[str] = Counter()
        self.collected_total = 0
        self.staff_ids: dict[str, int] = {}
        self.defects: dict[str, dict[str, Any]] = {}
        self.policy = self._policy_values()

    # -- time --

    def at(self, day: date, hhmm: str, minutes: int = 0) -> datetime:
        h, m = (int(x) for x in hhmm.split(":"))
        local = datetime.combine(day, clock_time(h, m), self.zone) + timedelta(minutes=minutes)
        return local.astimezone(UTC)

    def freeze(self, day: date, hhmm: str, minutes: int = 0) -> datetime:
        moment = self.at(day, hhmm, minutes)
        clock.freeze(moment)
        return moment

    def rng(self, day_index: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([abs(self.o.seed), day_index, stream])

    @contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase].append(time.perf_counter() - start)

    # -- setup --

    def _policy_values(self) -> dict[str, Any]:
        """Policy values the invariants read, where the product defines them (see invariants)."""
        found: dict[str, Any] = {}
        rules, training, fees = actions.policies(self.settings.fee_schedule)
        sources_by_name: dict[str, list[tuple[Any, str]]] = {
            "probation_days": [
                (rules, "probation_days"),
                (getattr(rules, "probation", None), "days"),
                (training.mentoring, "probation_days"),
            ],
        }
        for name, sources in sources_by_name.items():
            for obj, attr in sources:
                value = getattr(obj, attr, None) if obj is not None else None
                if value is not None:
                    found[name] = value
                    break
        # The fee profile's own fields (delinquency/fees.py): None means no stop, no cap.
        found["small_balance"] = fees.small_balance
        found["non_accrual_dpd"] = fees.accrual.stop.after_dpd if fees.accrual.stop else None
        found["charges_cap"] = fees.accrual.cap_ratio
        # Who may work which level, and a new hire's cap (invariant 3 counts capacity per level).
        found["level_grades"] = {lv: list(g) for lv, g in rules.level_grades.items()}
        found["probation_load_share"] = rules.probation.load_share
        found["probation_lowest_level_only"] = rules.probation.lowest_level_only
        found["max_mentees"] = training.mentoring.max_mentees
        found["mentee_grades"] = tuple(training.mentoring.mentee_grades)
        found["mentor_grades"] = tuple(training.mentoring.mentor_grades)
        return found

    def setup(self) -> None:
        start = self.o.start
        actions.upgrade_schema(str(self.engine.url.render_as_string(hide_password=False)))
        self.freeze(start, self.b.workday.morning_import)
        extract = self.work / "extracts" / "initial"
        with self.timed("setup"):
            if self.o.book is not None:
                actions.uci_book(
                    csv_path=self.o.book, out=extract, as_of=start, accounts=self.o.accounts
                )
            else:
                actions.synth_portfolio(
                    accounts=self.o.accounts, seed=self.o.seed, out=extract, as_of=start
                )
            self._import(extract)
            self._load_accounts(extract)
            self._hire_roster()

    def _hire_roster(self) -> None:
        start = self.o.start
        with UnitOfWork(self.engine) as uow:
            agency = self.roster.agency
            if agency is not None:
                actions.add_agency(
                    session=uow.session,
                    plan=agency,
                    start=start - timedelta(days=365),
                    end=start + timedelta(days=365 + self.o.days),
                    actor=ACTOR,
                )
                actions.add_staff(
                    session=uow.session,
                    code=f"{agency.code}-U1",
                    name=f"{agency.name} user",
                    grade="collection_officer",
                    employment="agency",
                    levels=[],
                    languages=["zh-CN"],
                    capacity=0,
                    hire_date=start - timedelta(days=365),
                    team=None,
                    agency=agency.code,
                    actor=ACTOR,
                )
            # Seniors and leads first, so that officers find mentors (as `staff import` does).
            for member in sorted(
                self.roster.members, key=lambda m: m.grade == "collection_officer"
            ):
                self._enter(uow, member, start - timedelta(days=member.hired_days_before_start))
            uow.commit()

    def _enter(self, uow: UnitOfWork, member: Any, hire_date: date) -> None:
        self.staff_ids[member.code] = actions.add_staff(
            session=uow.session,
            code=member.code,
            name=member.name or f"Collector {member.code}",
            grade=member.grade,
            employment=member.employment,
            levels=list(member.levels),
            languages=list(member.languages),
            capacity=member.capacity,
            hire_date=hire_date,
            team=self.roster.team,
            actor=ACTOR,
        )
        if hire_date <= clock.today():  # a hire entered ahead is trained from the first day
            self._train(uow, member, hire_date)

    def _train(self, uow: UnitOfWork, member: Any, hire_date: date) -> None:
        """The member's courses, passed within two weeks of the hire (never before it)."""
        passes = actions.training_courses()
        for course in member.courses if member.courses is not None else sorted(passes):
            actions.record_completion(
                session=uow.session,
                code=member.code,
                course=course,
                score=min(passes[course] + 10, Decimal(100)),
                on=min(hire_date + timedelta(days=14), clock.today()),
                actor=ACTOR,
            )

    # -- the day --

    def run(self, on_day: Callable[[int, date], None]) -> SimulationResult:
        self.setup()
        days: list[dict[str, Any]] = []
        for i in range(self.o.days):
            day = self.o.start + timedelta(days=i)
            days.append(self.one_day(i, day))
            on_day(i, day)
        if self.o.check:
            self._final_cycle_probe(self.o.start + timedelta(days=self.o.days - 1))
        return SimulationResult(
            days=days,
            invariants={name: t.as_dict() for name, t in self.tallies.items()},
            summary=self.summary(days),
            timings=dict(self.timings),
        )

    def one_day(self, i: int, day: date) -> dict[str, Any]:
        record: dict[str, Any] = {"day": day.isoformat()}
        counts: Counter[str] = Counter()
        blocks: Counter[str] = Counter()
        refusals: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        self.freeze(day, self.b.workday.morning_import)
        self.commission_today = []
        self.exchange_today = []
        agency_day: dict[str, Any] = {}
        with self.timed("import"):
            self._roster_events(i, day)
            collected, n_payments = self._morning_extract(i, day) if i > 0 else (0, 0)
        if self.desk is not None and i > 0:
            with self.timed("agency"):
                self._agency_morning(i, day, agency_day, errors)
        if self.o.collectors and i > 0:
            with self.timed("workday"):
                self._workday(i, day, counts, blocks, refusals, errors)
        if self.desk is not None and i > 0:
            with self.timed("agency"):
                self._agency_delivery(i, day, agency_day)
        self.freeze(day, self.b.workday.nightly_cycle)
        with self.timed("cycle"):
            with UnitOfWork(self.engine) as uow:
                before = repo.case_states(uow.session)
            cycle = actions.run_cycle(
                as_of=day,
                settings=self.settings,
                store=self.engine,
                engine=self.o.engine,
                strategy=self.o.strategy,
            )
            with UnitOfWork(self.engine) as uow:
                after_cycle = repo.case_states(uow.session)
                gone = repo.statuses_of(uow.session, sorted(set(before) - set(after_cycle)))
            self.decided_before = self.decided_today
            self.decided_today = {}
            for row in repo.decisions(self.settings.warehouse, day):
                account, _customer, bucket, dpd, past, balance, fees, interest = row
                self.figures[account] = (bucket, int(dpd), cents(past), cents(balance))
                self.decided_today[account] = (int(dpd), balance, fees, interest)
            if i == 0:
                self._first_intents(day)
        with self.timed("allocation"):
            with UnitOfWork(self.engine) as uow:
                summary = actions.allocate(session=uow.session, as_of=day, actor=ACTOR)
                uow.commit()
            with UnitOfWork(self.engine) as uow:
                after_alloc = repo.case_states(uow.session)
        if self.desk is not None:
            with self.timed("agency"):
                self._agency_files(day, agency_day)
        moves = {
            "cycle": [
                (k, before[k][0], after_cycle.get(k, (gone.get(k, "closed"),))[0])
                for k in sorted(before)
                if after_cycle.get(k, (gone.get(k, "closed"),))[0] != before[k][0]
            ],
            "allocation": [
                (k, after_cycle[k][0], after_alloc[k][0])
                for k in sorted(after_cycle)
                if k in after_alloc and after_alloc[k][0] != after_cycle[k][0]
            ],
        }
        rolled = sum(
            1
            for k, (_s, b, _lv) in before.items()
            if k in after_cycle and BUCKET_RANK.get(after_cycle[k][1], 0) > BUCKET_RANK.get(b, 0)
        )
        found: dict[str, int] = {}
        if self.o.check:
            with self.timed("checks"):
                found = self._check(day, summary, moves)
        if (day + timedelta(days=1)).month != day.month:
            with self.timed("month_end"):
                self._month_end(day)
        promises = cycle.promises
        settled = promises["kept"] + promises["partially_kept"] + promises["broken"]
        self.collected_total += collected
        for key, value in counts.items():
            self.totals[key] += value
        self.totals["payments"] += n_payments
        record.update(
            {
                "open": len(after_alloc),
                "opened": cycle.cases["opened"],
                "closed": cycle.cases["closed"],
                "cured": cycle.cases["closed"],
                "rolled_forward": rolled,
                "escalated": sum(1 for s, _b, _lv in after_alloc.values() if s == "escalated"),
                "assigned": summary.assigned_to_staff,
                "placed": summary.placed_with_agencies,
                "unassigned": summary.unallocatable,
                "unassigned_reasons": {
                    r: n for r, n in summary.reasons.items() if r.startswith("unallocatable")
                },
                "allocation_reasons": dict(summary.reasons),
                "load": _plain(summary.load),
                "promises": {
                    "taken": counts["promises"],
                    "kept": promises["kept"],
                    "partially_kept": promises["partially_kept"],
                    "broken": promises["broken"],
                    "kept_rate": round(promises["kept"] / settled, 4) if settled else None,
                },
                "calls": {
                    k: counts[k]
                    for k in (
                        "attempts",
                        "made",
                        "blocked",
                        "right_party",
                        "contact_person",
                        "redials",
                        "stop_asks",
                        "stops_respected",
                    )
                },
                "stops": counts["stops"],
                "disputes": counts["disputes"],
                "plans": counts["plans"],
                "settlements": counts["settlements"],
                "compliance_blocks": dict(sorted(blocks.items())),
                "refused": dict(sorted(refusals.items())),
                "errors": dict(sorted(errors.items())),
                "payments": n_payments,
                "collected": f"{money(collected):f}",
                "roll_rates": self._roll_rates(),
                "invariants": found,
            }
        )
        if self.desk is not None:
            record["agency"] = agency_day
        return record

    # -- the agency (issue 17) --

    def _agency_morning(
        self, i: int, day: date, agency_day: dict[str, Any], errors: Counter[str]
    ) -> None:
        """The card system takes back the payments due to be reversed today; on the first day
        of a month, the agency's statement for the month just closed, against its own book."""
        desk = self.desk
        assert desk is not None
        due = desk.due_reversals(day)
        for p in due:
            try:
                with UnitOfWork(self.engine) as uow:
                    actions.reverse_payment(
                        session=uow.session, account=p.account, reference=p.reference, actor=ACTOR
                    )
                    uow.commit()
            except Exception as exc:  # a defect: the harness goes on and reports it
                errors[f"reverse_payment:{type(exc).__name__}"] += 1
                desk.reversed_on.pop(p.reference, None)
                self.defects.setdefault(
                    f"reverse_payment:{type(exc).__name__}",
                    {"day": day.isoformat(), "payment": p.reference, "error": str(exc)[:200]},
                )
        agency_day["reversed"] = len(due)
        if day.day != 1 or i == 0:
            return
        last = day - timedelta(days=1)
        first = last.replace(day=1)
        with UnitOfWork(self.engine) as uow:
            statement = actions.commission_statement(
                session=uow.session, agency=desk.plan.code, month=first
            )
        mine = desk.expected(first, last)
        printed = sorted(
            line.note.split("ref ")[-1]
            for line in statement.lines
            if ": paid " in line.label and line.note
        )
        entry = {
            "agency": desk.plan.code,
            "month": mine.month,
            "statement_recovered": f"{statement.recovered:f}",
            "statement_total": f"{statement.total:f}",
            "expected_recovered": f"{mine.recovered:f}",
            "expected_total": f"{mine.total:f}",
            "payments": len(mine.earned),
            "clawed_back": len(mine.clawed),
            "lines": len(statement.lines),
            "only_in_statement": sorted(set(printed) - set(mine.earned))[:5],
            "only_in_agency_book": sorted(set(mine.earned) - set(printed))[:5],
        }
        entry["to_the_cent"] = (statement.total, statement.recovered) == (
            mine.total,
            mine.recovered,
        )
        desk.statements.append(entry)
        self.commission_today.append(entry)
        agency_day["statement"] = entry["month"]

    def _agency_delivery(self, i: int, day: date, agency_day: dict[str, Any]) -> None:
        """The agency's calls and payments of the day, in its file, through the import path."""
        desk = self.desk
        assert desk is not None
        self.freeze(day, "19:00")
        sent = len(desk.today_payments)
        folder = desk.delivery(day, calls_from=self.at(day, "09:00"), rng=self.rng(i, 7))
        if folder is None:
            return
        try:
            with UnitOfWork(self.engine) as uow:
                got = actions.import_agency_activity(
                    session=uow.session,
                    agency=desk.plan.code,
                    directory=folder,
                    actor=f"{desk.plan.code}-U1",
                )
                uow.commit()
        except Exception as exc:
            self.exchange_today.append(
                {"what": "delivery refused", "day": day.isoformat(), "error": str(exc)[:200]}
            )
            return
        for key, value in got.items():
            desk.counts[key] += value
        agency_day.update({f"delivery_{k}": v for k, v in got.items()})
        if got["payments"] != sent or got["duplicates"]:
            self.exchange_today.append(
                {
                    "what": "payments not reconciled",
                    "day": day.isoformat(),
                    "sent": sent,
                    "imported": got["payments"],
                    "duplicates": got["duplicates"],
                }
            )

    def _agency_files(self, day: date, agency_day: dict[str, Any]) -> None:
        """Tonight's placement and recall files, exported and read back by the agency."""
        desk = self.desk
        assert desk is not None
        folder = desk.folder / "out" / day.isoformat()
        try:
            with UnitOfWork(self.engine) as uow:
                actions.export_exchange(
                    session=uow.session, agency=desk.plan.code, day=day, out=folder
                )
            agency_day.update(desk.read_exchange(day, folder))
        except Exception as exc:
            self.exchange_today.append(
                {"what": "exchange files", "day": day.isoformat(), "error": str(exc)[:200]}
            )
        agency_day["holding"] = len(desk.holding)

    # -- morning --

    def _roster_events(self, i: int, day: date) -> None:
        hires = [h for h in self.roster.hires if max(h.day - h.entered_days_before, 0) == i]
        starting = [h for h in self.roster.hires if h.day == i and h not in hires]
        leavers = [lv for lv in self.roster.leavers if lv.day == i]
        if not hires and not starting and not leavers:
            return
        with UnitOfWork(self.engine) as uow:
            for hire in hires:
                self._enter(uow, hire, self.o.start + timedelta(days=hire.day))
            for hire in starting:  # entered ahead: trained from today, the first day
                self._train(uow, hire, day)
            for leaver in leavers:
                actions.leave(session=uow.session, code=leaver.code, on=day, actor=ACTOR)
            uow.commit()

    def _roll_rates(self) -> dict[str, dict[str, Any]]:
        rates: dict[str, dict[str, Any]] = {}
        if not self.decided_before:
            return rates
        today = self.decided_today
        for account, (dpd0, *_rest) in sorted(self.decided_before.items()):
            now = today.get(account)
            if now is None:
                continue
            b0, b1 = _bucket(dpd0), _bucket(now[0])
            if b0 == "M0":
                continue
            r = rates.setdefault(b0, {"accounts": 0, "rolled": 0, "cured": 0})
            r["accounts"] += 1
            r["rolled"] += BUCKET_RANK[b1] > BUCKET_RANK[b0]
            r["cured"] += b1 == "M0"
        for r in rates.values():
            r["roll_rate"] = round(r["rolled"] / r["accounts"], 4)
        return dict(sorted(rates.items(), key=lambda kv: BUCKET_RANK[kv[0]]))

    def _check(
        self, day: date, summary: Any, moves: dict[str, list[tuple[int, str, str]]]
    ) -> dict[str, int]:
        with UnitOfWork(self.engine) as uow:
            probes = actions.future_refusals(
                session=uow.session, day=day + timedelta(days=1), actor=ACTOR
            )
        facts = invariants.DayFacts(
            day=day,
            time_zone=self.settings.time_zone,
            jurisdiction=self.settings.jurisdiction,
            allocation_reasons=summary.reasons,
            # Every unassigned case with its reason (not only the first examples).
            unallocatable_examples=[
                {"work_order_id": case, "reason": why}
                for case, why in summary.unassigned_reasons.items()
            ],
            status_moves=moves,
            accounts_today=self.decided_today,
            accounts_yesterday=self.decided_before,
            future_probes=probes,
            policy=self.policy,
            commission=self.commission_today,
            exchange=self.exchange_today,
        )
        found: dict[str, int] = {}
        with UnitOfWork(self.engine) as uow:
            for name, check in invariants.CHECKS.items():
                found[name] = self.tallies[name].add(day, check(uow.session, facts))
        return found

    def _final_cycle_probe(self, last: date) -> None:
        self.freeze(last, "23:30")
        what = actions.future_cycle_refused(
            store=self.engine,
            settings=self.settings,
            day=last + timedelta(days=1),
            strategy=self.o.strategy,
        )
        if what is not None:
            self.tallies["nothing_in_the_future"].add(
                last,
                [
                    invariants.Violation(
                        "cycle for a future day", {"day": last.isoformat(), "found": what}
                    )
                ],
            )

    def _month_end(self, day: date) -> None:
        with UnitOfWork(self.engine) as uow:
            people = [
                s.code
                for s in repo.staff(uow.session)
                if s.employment_type != "agency" and s.hire_date <= day
            ]
            out = actions.month_end(
                session=uow.session, month=day.replace(day=1), as_of=day, staff=people, actor=ACTOR
            )
            uow.commit()
        out["pay_total"] = f"{out['pay_total']:f}"
        self.month_ends.append(out)

    def summary(self, days: list[dict[str, Any]]) -> dict[str, Any]:
        kept = sum(d["promises"]["kept"] for d in days)
        settled = kept + sum(
            d["promises"]["partially_kept"] + d["promises"]["broken"] for d in days
        )
        blocks: Counter[str] = Counter()
        for d in days:
            blocks.update(d["compliance_blocks"])
        grades: Counter[str] = Counter(m.grade for m in self.roster.members)
        return {
            "seed": self.o.seed,
            "start": self.o.start.isoformat(),
            "end": (self.o.start + timedelta(days=self.o.days - 1)).isoformat(),
            "days": self.o.days,
            "accounts": self.o.accounts,
            "engine": self.o.engine,
            "store": self.engine.dialect.name,
            "strategy": self.o.strategy or self.settings.strategy,
            "collectors": self.o.collectors,
            "roster": {
                "members": dict(sorted(grades.items())),
                "capacity": sum(m.capacity for m in self.roster.members),
                "agency": self.roster.agency.code if self.roster.agency else None,
                "hires": [{"code": h.code, "day": h.day} for h in self.roster.hires],
                "leavers": [{"code": lv.code, "day": lv.day} for lv in self.roster.leavers],
            },
            "open_first": days[0]["open"] if days else 0,
            "open_last": days[-1]["open"] if days else 0,
            "opened": sum(d["opened"] for d in days),
            "closed": sum(d["closed"] for d in days),
            "collected": f"{money(self.collected_total):f}",
            "payments": self.totals["payments"],
            "calls": self.totals["attempts"],
            "calls_made": self.totals["made"],
            "calls_blocked": self.totals["blocked"],
            "compliance_blocks": dict(sorted(blocks.items())),
            "promises_taken": self.totals["promises"],
            "promise_kept_rate": round(kept / settled, 4) if settled else None,
            "plans": self.totals["plans"],
            "settlements": self.totals["settlements"],
            "approvals": self.totals["approvals"],
            "stops": self.totals["stops"],
            "disputes": self.totals["disputes"],
            "month_ends": self.month_ends,
            "service_errors": {
                k: {"times": sum(d["errors"].get(k, 0) for d in days), "first": v}
                for k, v in sorted(self.defects.items())
            },
            "broken_invariants": sorted(n for n, t in self.tallies.items() if t.violations),
            "agency": self._agency_summary(),
        }

    def _agency_summary(self) -> dict[str, Any] | None:
        desk = self.desk
        if desk is None:
            return None
        with UnitOfWork(self.engine) as uow:
            comparison = actions.agency_performance(session=uow.session)
        plan = desk.plan
        return {
            "code": plan.code,
            "contract": {
                "buckets": plan.buckets,
                "levels": plan.levels,
                "commission_pct": plan.commission_pct,
                "tiers": [
                    {"up_to": None if t.up_to is None else f"{t.up_to:f}", "pct": f"{t.pct:f}"}
                    for t in plan.tiers
                ],
                "cap": None if plan.cap is None else f"{plan.cap:f}",
                "recall_after_days": plan.recall_after_days,
            },
            "files": dict(sorted(desk.counts.items())),
            "reversals": len(desk.reversed_on),
            "statements": desk.statements,
            "comparison": _plain(comparison.get("groups", [])),
        }


def _bucket(dpd: int) -> str:
    if dpd <= 0:
        return "M0"
    return "M7+" if dpd > 180 else f"M{(dpd + 29) // 30}"


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value
