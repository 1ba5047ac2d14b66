"""The queue's search (issue 18): a caller gives a case number, an account number, a phone or an
ID number; each finds the case, exactly (a fragment of personal data finds nothing). SQLite and
PostgreSQL."""

from __future__ import annotations

from sqlalchemy import true
from sqlalchemy.orm import Session

from arrears.cases import repository as case_repository
from arrears.cases.repository import QueueFilter
from arrears.kit.clock import clock
from tests.web_seed import ID_NUMBER, NOW, PHONE, seed


def test_search_by_case_account_phone_and_id_number(session: Session) -> None:
    with clock.frozen(NOW):
        seeded = seed(session, customers=2)
        session.commit()
    first, second = seeded.work_orders

    def found(text: str) -> set[int]:
        rows, _ = case_repository.queue(
            session, scope=true(), flt=QueueFilter(search=text), limit=50, offset=0
        )
        return {wo.id for wo, _ in rows}

    for given in (PHONE, ID_NUMBER, "A0001", f"#{first}", "张1", "C0001", "138-1234-5678"):
        assert found(given) == {first}, given
    assert found(f"#{second}") == {second}
    assert found(ID_NUMBER[:8]) == set()
    assert found(PHONE[:7]) == set()
    assert found("#" + "9" * 30) == set()  # beyond BIGINT: no case number, no error
