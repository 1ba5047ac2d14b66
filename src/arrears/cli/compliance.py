"""`arrears compliance`: check a scenario, list and show profiles, override, report."""

from __future__ import annotations

import json
from pathlib import Path

import typer
import yaml
from pydantic import ValidationError

from arrears.cli import identity, output
from arrears.cli._cases import LOCALE, reader_locale
from arrears.cli.output import console, print_json
from arrears.compliance.engine import decide_scenario
from arrears.compliance.profile import (
    PROFILE_DIR,
    first_error,
    load_profile,
    profile_names,
)
from arrears.compliance.reasons import in_locale
from arrears.compliance.schemas import LocalTime, Scenario
from arrears.compliance.zones import known_zone
from arrears.kit.dates import parse_day
from arrears.kit.errors import ArrearsError, BadInput
from arrears.kit.textfile import read_utf8

app = typer.Typer(
    help="The compliance engine: check a scenario, report blocks and overrides.",
    no_args_is_help=True,
)


def read_scenario(path: Path) -> Scenario:
    """Parse a scenario file; any problem is a ``BadInput`` naming the file and the field."""
    try:
        text = read_utf8(path)
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the scenario ({exc.strerror})") from exc
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(
            f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from exc
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        raise BadInput(f"{path}: {first_error(exc)}") from exc


@app.command()
def check(
    scenario: Path = typer.Argument(..., help="Scenario JSON (see docs/compliance.md)."),
    profile: str | None = typer.Option(
        None, "--profile", help="Profile name or YAML path; overrides the scenario's."
    ),
    as_json: bool = typer.Option(
        True, "--json/--no-json", help="JSON (default) or one readable line."
    ),
    locale: str | None = LOCALE,
) -> None:
    """Decide one scenario. Exit 0 allowed, 1 blocked, 2 invalid scenario."""
    lang = reader_locale(locale)
    parsed = read_scenario(scenario)
    try:
        chosen = load_profile(profile) if profile else None
        decision = in_locale(decide_scenario(parsed, profile=chosen), lang)
    except BadInput:
        raise
    except ArrearsError as exc:
        raise BadInput(f"{scenario}: profile: {exc.message}") from exc
    if as_json:
        print_json(decision.model_dump(mode="json"))
    elif decision.allowed:
        console.print("[green]allowed[/green]")
    else:
        until = decision.model_dump(mode="json")["next_allowed_at"]
        when = f" (next allowed {until})" if until else ""
        console.print(
            f"[red]blocked[/red] by {', '.join(decision.rules)}: {decision.reason}{when}",
            markup=True,
            highlight=False,
        )
    if not decision.allowed:
        raise typer.Exit(code=1)


@app.command("profiles")
def profiles_(as_json: bool = typer.Option(False, "--json")) -> None:
    """The profiles shipped with the package."""
    rows = [
        {"name": n, "title": load_profile(n).title, "path": str(PROFILE_DIR / f"{n}.yaml")}
        for n in profile_names()
    ]
    if as_json:
        print_json(rows)
        return
    table = output.table("name", "title", "path")
    for row in rows:
        table.add_row(row["name"], row["title"], row["path"])
    console.print(table)


@app.command()
def show(
    name: str = typer.Argument(..., help="Profile name or YAML path."),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Print a profile with every value resolved (defaults and ``extends`` applied)."""
    resolved = load_profile(name).model_dump(mode="json")
    if as_json:
        print_json(resolved)
    else:
        print(yaml.safe_dump(resolved, allow_unicode=True, sort_keys=False), end="")


@app.command()
def override(
    check_id: int = typer.Argument(..., help="Id of the blocked compliance check."),
    reason: str = typer.Option(..., "--reason", help="Why the block is overridden."),
    user: identity.AsUser = None,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Override a blocked decision as a stored compliance officer (audited)."""
    from arrears.compliance import service
    from arrears.kit.db import unit_of_work

    with unit_of_work() as session:
        me = identity.require(session, user, "compliance.override")
        record = service.override(
            session=session, check_id=check_id, actor=me.actor, role=me.role, reason=reason
        )
        rules = list(record.rules)
        result = {"id": record.id, "overridden_by": record.overridden_by, "rules": rules}
    if as_json:
        print_json(result)
    else:
        console.print(f"[green]overridden[/green] check {check_id} ({', '.join(rules)})")


_day = parse_day


def _shown(local: LocalTime | None) -> str:
    return "–" if local is None else f"{local.at[:16].replace('T', ' ')} {local.zone}"


@app.command()
def report(
    from_: str | None = typer.Option(None, "--from", help="First contact day, YYYY-MM-DD."),
    to: str | None = typer.Option(None, "--to", help="Last contact day, inclusive."),
    time_zone: str | None = typer.Option(
        None, "--tz", help="Zone the days are counted in (default ARREARS_TIME_ZONE)."
    ),
    checks: bool = typer.Option(
        False, "--checks", help="List the refused actions behind the rows (the drill-down)."
    ),
    actor: str | None = typer.Option(None, "--actor", help="Only this actor (with --checks)."),
    stage: str | None = typer.Option(
        None, "--stage", help="Only engine, workflow or relay (with --checks)."
    ),
    rule: str | None = typer.Option(None, "--rule", help="Only this rule (with --checks)."),
    locale: str | None = LOCALE,
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Refused and overridden actions by contact day, actor (staff code or agency), stage and
    rule; ``--checks`` lists each refused action with its next-allowed time in the center's and
    the debtor's zones."""
    from arrears.compliance import service
    from arrears.compliance.models import STAGES
    from arrears.kit.db import unit_of_work

    start, end = _day(from_, "--from"), _day(to, "--to")
    if start and end and end < start:
        raise BadInput("--to is before --from")
    if time_zone is not None and not known_zone(time_zone):
        raise BadInput(f"--tz: unknown time zone {time_zone!r}")
    if stage is not None and stage not in STAGES:
        raise BadInput(f"--stage must be one of: {', '.join(STAGES)} (got {stage!r})")
    if not checks and (actor or stage or rule):
        raise BadInput("--actor, --stage and --rule choose checks: add --checks")
    lang = reader_locale(locale)
    with unit_of_work() as session:
        if checks:
            listed = service.blocked(
                session=session,
                start=start,
                end=end,
                time_zone=time_zone,
                actor=actor,
                stage=stage,
                rule=rule,
                locale=lang,
            )
        else:
            rows = service.report(session=session, start=start, end=end, time_zone=time_zone)
    if checks:
        if as_json:
            print_json([c.model_dump(mode="json") for c in listed])
            return
        # One block per check: its reason and times stay whole at any width.
        for c in listed:
            console.print(
                f"[bold]check {c.id}[/bold] · {_shown(c.contact_at_center)} · {c.actor} "
                f"({c.collector}) · {c.stage} · {c.channel}",
                highlight=False,
            )
            console.print(f"  rules: {', '.join(c.rules)}", highlight=False, markup=False)
            console.print(f"  reason: {c.reason}", highlight=False, markup=False)
            if c.next_allowed_center is not None:
                console.print(
                    f"  allowed again: {_shown(c.next_allowed_center)} (center)", highlight=False
                )
                for t in c.next_allowed_debtor:
                    console.print(f"                 {_shown(t)} (debtor)", highlight=False)
            if c.overridden_by:
                console.print(
                    f"  overridden by {c.overridden_by}: {c.override_reason}",
                    highlight=False,
                    markup=False,
                )
        if not listed:
            console.print("no refused actions match")
        return
    if as_json:
        print_json([r.model_dump() for r in rows])
        return
    table = output.table("day", "actor", "stage", "rule", "blocked", "overridden")
    for r in rows:
        table.add_row(r.day, r.actor, r.stage, r.rule, str(r.blocked), str(r.overridden))
    console.print(table)
    if not rows:
        console.print("no blocked actions in this period")
