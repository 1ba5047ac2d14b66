"""schemathesis over every API operation, as a collector and as an admin (bearer tokens), each
operation alone and in linked sequences (the links schemathesis infers from the typed
responses): no server error, every response as the OpenAPI schema describes it.

Bounded in time: a few examples per operation, derandomized (the same requests every run)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.stateful import run_state_machine_as_test
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy.orm import Session

from arrears.auth.service import issue_api_token
from arrears.config import Settings
from arrears.kit.clock import clock
from arrears.web.app import create_app
from tests.web_seed import NOW, seed

ROLES = ("collector", "admin")
CHECKS = [not_a_server_error, response_schema_conformance]
EXAMPLES = 4  # per operation and role
STEPS = 10  # per stateful run


@dataclass
class Fuzzed:
    client: TestClient
    schema: schemathesis.schemas.BaseSchema
    tokens: dict[str, str]


@pytest.fixture
def fuzzed(db_url: str, session: Session) -> Iterator[Fuzzed]:
    with clock.frozen(NOW):
        seeded = seed(session)
        tokens = {
            role: issue_api_token(
                session=session, user_id=seeded.users[role], name="fuzz", days=None, actor="test"
            )[1]
            for role in ROLES
        }
        session.commit()
    clock.freeze(NOW)
    app = create_app(Settings(database_url=db_url, fee_schedule="cn-card"))
    try:
        with TestClient(app) as client:
            schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
            yield Fuzzed(client=client, schema=schema, tokens=tokens)
    finally:
        clock.unfreeze()
        app.state.engine.dispose()


def _auth(fuzzed: Fuzzed, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {fuzzed.tokens[role]}"}


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_alone_and_linked_answers_within_its_schema(
    fuzzed: Fuzzed, role: str
) -> None:
    headers = _auth(fuzzed, role)
    _each_operation(fuzzed, headers)
    _linked_operations(fuzzed, headers)


def _each_operation(fuzzed: Fuzzed, headers: dict[str, str]) -> None:
    operations = [result.ok() for result in fuzzed.schema.get_all_operations()]
    assert len(operations) > 30
    failures: list[str] = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def probe(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            probe()
        except Exception as exc:  # every operation's failure, not just the first one's
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def _linked_operations(fuzzed: Fuzzed, headers: dict[str, str]) -> None:
    machine = fuzzed.schema.as_state_machine()
    # The links come from the typed responses (an id in one answer feeds another's path).
    assert fuzzed.schema.statistic.transitions.total > 50

    class Probe(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": headers}

        def validate_response(
            self, response: object, case: schemathesis.Case, **kwargs: object
        ) -> None:
            case.validate_response(response, checks=CHECKS)  # type: ignore[arg-type]

    run_state_machine_as_test(
        Probe,
        settings=settings(
            max_examples=5,
            stateful_step_count=STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
