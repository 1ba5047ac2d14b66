"""The collectors' workday: each collector takes cases from their own queue in order and works
them through the real contact (compliance decides), promise, plan, settlement and three-stops
services, as the behaviour model draws the customer's answers; the team lead then approves what
waits for a checker. Part of the simulated department (``run._Department``).
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy.engine import Engine

from arrears.kit.db import UnitOfWork
from arrears.kit.errors import ArrearsError
from arrears.simulation import actions
from arrears.simulation import behaviour as bm
from arrears.simulation import repository as repo
from arrears.simulation.payments import PaymentBook, Scheduled, cents, money
from arrears.simulation.roster import Roster


class Workday:
    """The workday half of the department: the state it reads is the department's."""

    b: bm.Behaviour
    book: PaymentBook
    engine: Engine
    no_contact: Counter[int]
    traits: list[bm.Traits]
    totals: Counter[str]
    defects: dict[str, dict[str, Any]]
    by_customer: dict[str, int]
    decided_before: dict[str, tuple[int, Decimal, Decimal, Decimal]]
    zone: ZoneInfo
    roster: Roster
    seed: int
    # (collector, day) -> cases a pushy collector calls again that day (a disputed customer)
    pursue: dict[tuple[str, date], list[int]]
    pushy: frozenset[str] = frozenset()
    press: np.random.Generator
    last_call: actions.Call | None = None

    def freeze(self, day: date, hhmm: str, minutes: int = 0) -> datetime:
        raise NotImplementedError

    def rng(self, day_index: int, stream: int) -> np.random.Generator:
        raise NotImplementedError

    def _collectors(self, day: date) -> list[tuple[str, int]]:
        with UnitOfWork(self.engine) as uow:
            people = repo.staff(uow.session)
        return [
            (s.code, s.id)
            for s in people
            if s.employment_type != "agency"
            and s.status == "active"
            and s.hire_date <= day
            and s.grade in ("collection_officer", "senior_collection_specialist")
        ]

    def _workday(
        self,
        i: int,
        day: date,
        counts: Counter[str],
        blocks: Counter[str],
        refusals: Counter[str],
        errors: Counter[str],
    ) -> None:
        rng = self.rng(i, 2)
        # The pushy collectors' own draws (early, late, re-dial, ...): their own stream.
        self.press = self.rng(i, 11)
        p = self.b.pressure
        w = self.b.workday
        waiting: list[int] = []
        collectors = self._collectors(day)
        self.pushy = bm.pushy(self.b, [code for code, _ in collectors], self.seed)
        for code, staff_id in collectors:
            pushy = code in self.pushy
            early = pushy and self.press.random() < p.early_day
            late = pushy and self.press.random() < p.late_day
            start = p.early_start if early else w.start
            last = w.cases_per_collector - (p.late_cases if late else 0)
            # Cases called again today: (case, due at this slot); held or opted-out ones first.
            again = [(case, 0) for case in self.pursue.pop((code, day), [])]
            redials: list[tuple[int, int]] = []
            dialled: Counter[int] = Counter()
            for n in range(w.cases_per_collector):
                # Each call is logged at the clock's now: the simulator moves the clock.
                if n >= last:
                    self.freeze(day, p.late_start, (n - last) * w.minutes_per_case)
                else:
                    self.freeze(day, start, n * w.minutes_per_case)
                actor = f"sim:{code}"
                with UnitOfWork(self.engine) as uow:
                    if again:
                        wo = actions.case(session=uow.session, work_order_id=again.pop(0)[0])
                    elif redials and redials[0][1] <= n:
                        wo = actions.case(session=uow.session, work_order_id=redials.pop(0)[0])
                        counts["redials"] += 1
                    else:
                        wo = actions.take_next(
                            session=uow.session, staff_id=staff_id, code=code, actor=actor
                        )
                        if wo is None and not redials:
                            break
                        if wo is None:  # nothing else due: the re-dial comes sooner
                            wo = actions.case(session=uow.session, work_order_id=redials.pop(0)[0])
                            counts["redials"] += 1
                    if wo is None or wo.status == "closed":
                        continue
                    case_id = wo.id
                    self.last_call = None
                    try:
                        plan = self._work_case(uow, wo, day, actor, code, rng, counts, blocks)
                        uow.commit()
                        if plan is not None:
                            waiting.append(plan)
                        dialled[case_id] += 1
                        call = self.last_call
                        if (
                            pushy
                            and call is not None
                            and call.made
                            and not call.right_party
                            and call.outcome in ("no_answer", "voicemail", "busy")
                            and dialled[case_id] <= p.redials_max
                            and self.press.random() < p.redial
                        ):
                            redials.append((case_id, n + p.redial_after_cases))
                        continue
                    except ArrearsError as exc:
                        refusals[f"{type(exc).__name__}: {exc.message.split(':')[0][:60]}"] += 1
                    except Exception as exc:  # a defect in a service: count it, go on
                        errors[defect_name(exc)] += 1
                        self.defects.setdefault(
                            defect_name(exc), {"case": case_id, "day": day.isoformat()}
                        )
                # The case could not be worked: look again tomorrow (or stop for today).
                try:
                    with UnitOfWork(self.engine) as uow:
                        actions.set_next_action(
                            session=uow.session,
                            work_order_id=case_id,
                            on=day + timedelta(days=1),
                            actor=actor,
                        )
                        uow.commit()
                except ArrearsError:
                    break
        self._approve(day, waiting, refusals)

    def _work_case(
        self,
        uow: UnitOfWork,
        wo: Any,
        day: date,
        actor: str,
        code: str,
        rng: np.random.Generator,
        counts: Counter[str],
        blocks: Counter[str],
    ) -> int | None:
        """One case: a call (through compliance) and whatever the customer does. Returns the id
        of a plan waiting for the lead's approval, if one was proposed."""
        s = uow.session
        a = self.b.assumptions

        p = self.b.pressure
        pushy = code in self.pushy

        def call(outcome: str, contact_person_id: int | None = None) -> actions.Call:
            self.last_call = actions.call(
                session=s,
                work_order_id=wo.id,
                outcome=outcome,
                actor=actor,
                collector=code,
                contact_person_id=contact_person_id,
            )
            return self.last_call

        if actions.opted_out_of_calls(session=s, cardholder_id=wo.cardholder_id) and not (
            pushy and self.press.random() < p.after_stop
        ):
            # The customer asked not to be called: the collector leaves the case a week.
            counts["stops_respected"] += 1
            actions.set_next_action(
                session=s, work_order_id=wo.id, on=day + timedelta(days=7), actor=actor
            )
            return None
        index = self.by_customer.get(wo.customer_ref)
        traits = self.traits[index] if index is not None else bm.Traits(False, False, False)
        retry = p.retry_days if pushy else a.retry_days_no_contact
        counts["attempts"] += 1
        if self.no_contact[wo.id] >= a.contact_person_after and rng.random() < 0.5:
            persons = actions.contact_person_ids(session=s, cardholder_id=wo.cardholder_id)
            if persons:
                outcome = "callback_requested" if bm.reached(self.b, rng) else "no_answer"
                result = call(outcome, contact_person_id=persons[0])
                counts["contact_person"] += 1
                return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        if not bm.reached(self.b, rng):
            outcome = bm.no_contact_outcome(self.b, rng)
            result = call(outcome)
            if result.made:
                self.no_contact[wo.id] += 1
            return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        # Reached the debtor.
        self.no_contact[wo.id] = 0
        retry = a.retry_days_conversation
        if traits.abusive:
            result = call("abusive")
            if result.made:
                given = actions.stops_given(session=s, work_order_id=wo.id)
                first = len(given) + 1
                for stop in range(first, min(first + bm.stops_needed(self.b, rng), 4)):
                    actions.give_stop(
                        session=s,
                        work_order_id=wo.id,
                        stop=stop,
                        attempt_id=result.attempt_id,
                        actor=actor,
                    )
                    counts["stops"] += 1
            return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        if traits.disputer:
            result = call("dispute")
            counts["disputes"] += result.made
            if result.made and pushy and self.press.random() < p.after_dispute:
                self.pursue.setdefault((code, day + timedelta(days=1)), []).append(wo.id)
            self._count(result, counts, blocks)
            return None  # the case is on hold; its review is the follow-up
        bucket = wo.bucket
        past_due = max(cents(wo.amount_due), 0)
        settle_from, discount = actions.settlement_terms()
        if traits.hardship or (
            bucket != "M1" and past_due > 0 and rng.random() < a.plan_offer and not traits.hardship
        ):
            outcome = "hardship_claimed" if traits.hardship else "right_party_contact"
            result = call(outcome)
            if result.made and past_due > 0:
                return self._offer_plan(
                    s, wo, index, day, past_due, actor, rng, counts, blocks, result
                )
            return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        if wo.dpd >= settle_from and rng.random() < a.settlement_offer:
            result = call("right_party_contact")
            if result.made:
                return self._offer_settlement(
                    s, wo, index, day, discount, actor, rng, counts, blocks, result
                )
            return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        if past_due > 0 and bm.promises(self.b, bucket, rng):
            result = call("promise_to_pay")
            if result.made:
                self._count(result, counts, blocks)
                lo, hi = a.promise_days
                due_on = day + timedelta(days=int(rng.integers(lo, hi + 1)))
                actions.take_promise(
                    session=s,
                    work_order_id=wo.id,
                    amount=money(past_due),
                    due_on=due_on,
                    attempt_id=result.attempt_id,
                    actor=actor,
                )
                counts["promises"] += 1
                if index is not None:
                    self._keep_promise(index, past_due, day, due_on, rng)
                return None
            return self._after_call(s, wo, day, result, retry, actor, counts, blocks)
        outcome = ("refused", "right_party_contact", "callback_requested")[int(rng.integers(0, 3))]
        result = call(outcome)
        if result.made and self.press.random() < p.stop_ask:
            actions.opt_out_of_calls(session=s, cardholder_id=wo.cardholder_id, actor=actor)
            counts["stop_asks"] += 1
        return self._after_call(s, wo, day, result, retry, actor, counts, blocks)

    def _count(self, result: actions.Call, counts: Counter[str], blocks: Counter[str]) -> None:
        if result.made:
            counts["made"] += 1
            counts["right_party"] += result.right_party
            return
        counts["blocked"] += 1
        for rule in result.rules or ("(no rule named)",):
            blocks[rule] += 1

    def _after_call(
        self,
        s: Any,
        wo: Any,
        day: date,
        result: actions.Call,
        retry: int,
        actor: str,
        counts: Counter[str],
        blocks: Counter[str],
    ) -> int | None:
        self._count(result, counts, blocks)
        on = day + timedelta(days=retry)
        if not result.made and result.next_allowed is not None:
            on = max(result.next_allowed.astimezone(self.zone).date(), day + timedelta(days=1))
        if wo.status not in ("on_hold", "closed", "placed"):
            actions.set_next_action(session=s, work_order_id=wo.id, on=on, actor=actor)
        return None

    def _keep_promise(
        self, index: int, promised: int, day: date, due_on: date, rng: np.random.Generator
    ) -> None:
        how = bm.keeps_promise(self.b, self.book.outcome(index), rng)
        if how == "none":
            return
        span = max((due_on - day).days, 1)
        pay_on = day + timedelta(days=int(rng.integers(1, span + 1)))
        if how == "full":
            self.book.cancel(index, day)
            self.book.schedule(pay_on, Scheduled(index, promised, "promise"))
            return
        meant = self.book.cancel(index, day)  # what he meant to pay this month, brought forward
        if meant > 0:
            self.book.schedule(pay_on, Scheduled(index, meant, "promise"))

    def _offer_plan(
        self,
        s: Any,
        wo: Any,
        index: int | None,
        day: date,
        past_due: int,
        actor: str,
        rng: np.random.Generator,
        counts: Counter[str],
        blocks: Counter[str],
        result: actions.Call,
    ) -> int | None:
        self._count(result, counts, blocks)
        plan_id, status, rows = actions.propose_plan(
            session=s,
            work_order_id=wo.id,
            instalments=3,
            first_due_on=day + timedelta(days=7),
            actor=actor,
        )
        counts["plans"] += 1
        if index is not None and rng.random() < self.b.assumptions.plan_keep:
            self.book.cancel(index, day)
            for due_on, amount in rows:
                self.book.schedule(due_on, Scheduled(index, cents(amount), "plan"))
        actions.set_next_action(
            session=s, work_order_id=wo.id, on=day + timedelta(days=8), actor=actor
        )
        return plan_id if status == "proposed" else None

    def _offer_settlement(
        self,
        s: Any,
        wo: Any,
        index: int | None,
        day: date,
        discount: Decimal,
        actor: str,
        rng: np.random.Generator,
        counts: Counter[str],
        blocks: Counter[str],
        result: actions.Call,
    ) -> int | None:
        self._count(result, counts, blocks)
        if wo.balance <= 0:
            return None
        due_on = day + timedelta(days=14)
        plan_id, status, total = actions.propose_settlement(
            session=s,
            work_order_id=wo.id,
            discount=discount,
            due_on=due_on,
            actor=actor,
        )
        counts["settlements"] += 1
        if index is not None and rng.random() < self.b.assumptions.settlement_pays:
            self.book.cancel(index, day)
            pay_on = day + timedelta(days=int(rng.integers(1, 15)))
            self.book.schedule(pay_on, Scheduled(index, cents(total), "settlement"))
        actions.set_next_action(
            session=s, work_order_id=wo.id, on=due_on + timedelta(days=1), actor=actor
        )
        return plan_id if status == "proposed" else None

    def _approve(self, day: date, plans: list[int], refusals: Counter[str]) -> None:
        """End of the workday: the team lead checks what waits for a checker."""
        leads = [m.code for m in self.roster.members if m.grade == "team_lead"]
        if not plans or not leads:
            return
        self.freeze(day, "18:00")
        for plan_id in plans:
            try:
                with UnitOfWork(self.engine) as uow:
                    actions.approve_plan(
                        session=uow.session, plan_id=plan_id, actor=f"sim:{leads[0]}"
                    )
                    uow.commit()
                self.totals["approvals"] += 1
            except ArrearsError as exc:
                refusals[f"{type(exc).__name__}: {exc.message.split(':')[0][:60]}"] += 1

    # -- night --


def defect_name(exc: Exception) -> str:
    """One line naming an unexpected failure of a service (pydantic errors name the field)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:160]}"
