"""`arrears letters`: printed collection letters as PDF (one case, or the day's batch)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from arrears.cli import identity, output
from arrears.cli.output import console, print_json, progress

app = typer.Typer(
    help="Printed letters as PDF: one case, or the day's batch.", no_args_is_help=True
)

KIND_HELP = "cn-card (formal notice), us-reg-f (validation notice) or uk-conc (arrears notice)"
JSON = typer.Option(False, "--json", help="Print JSON for machines.")


@app.command()
def render(
    case: Annotated[int, typer.Option("--case", help="The case (work order) id.")],
    kind: Annotated[str, typer.Option("--kind", help=KIND_HELP)],
    out: Annotated[Path, typer.Option("--out", help="The PDF to write.")],
    locale: Annotated[
        str | None, typer.Option("--locale", help="en or zh-CN (default: the debtor's).")
    ] = None,
    user: identity.AsUser = None,
    as_json: bool = JSON,
) -> None:
    """One case's letter as of today, checked by compliance first; nothing written if refused."""
    from arrears.compliance.reasons import message_in
    from arrears.config import get_settings
    from arrears.kit.db import unit_of_work
    from arrears.kit.errors import ArrearsError
    from arrears.workbench import letters

    reader: str = get_settings().locale  # --locale: the letter's language; refusals: the reader's
    try:
        with unit_of_work() as session:
            if user:
                reader = identity.on_case(session, user, "case.work", case).locale
            checked = letters.render_case(
                session=session, work_order_id=case, kind=kind, locale=locale, out=out
            )
    except ArrearsError as exc:
        raise type(exc)(message_in(exc, reader), detail=exc.detail) from None
    letter = checked.letter
    payload = {
        "file": str(out),
        "reference": letter.reference,
        "case_id": letter.case_id,
        "kind": letter.kind,
        "locale": letter.locale,
        "accounts": {a.account_ref: f"{a.total_due:f} {a.currency}" for a in letter.accounts},
    }
    if as_json:
        print_json(payload)
    else:
        console.print(f"{letter.reference} ({letter.locale}) → {out}")


@app.command()
def batch(
    as_of: Annotated[str, typer.Option("--as-of", help="The letters' date, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="The folder for the print house.")],
    kind: Annotated[
        str | None, typer.Option("--kind", help=KIND_HELP + " (default: the profile's)")
    ] = None,
    user: identity.AsUser = None,
    locale: Annotated[
        str | None,
        typer.Option(
            "--locale",
            help="en or zh-CN: the language refused.csv's reasons are written in (default: "
            "yours, else ARREARS_LOCALE); each letter is in its debtor's language",
        ),
    ] = None,
    as_json: bool = JSON,
) -> None:
    """One PDF per letter due (cases whose treatments include a letter), manifest.csv for the
    print house; the letters compliance refuses are listed with their rule (refused.csv)."""
    from arrears.cli._cases import reader_locale
    from arrears.kit.dates import require_day
    from arrears.kit.db import unit_of_work
    from arrears.workbench import letters

    day = require_day(as_of, "--as-of")
    lang = reader_locale(locale)  # bad input before anything is written
    with unit_of_work() as session, progress(quiet=as_json) as bar:
        me = identity.optional(session, user, "case.work")
        if me is not None:
            lang = reader_locale(locale, me.locale)
        task = bar.add_task("letters", total=None)

        def on_progress(n: int, total: int) -> None:
            bar.update(task, completed=n, total=total)

        result = letters.batch(
            session=session,
            as_of=day,
            out=out,
            kind=kind,
            on_progress=on_progress,
            locale=lang,
        )
    if as_json:
        print_json(
            {
                "as_of": result.as_of,
                "kind": result.kind,
                "out": result.out,
                "printed": result.printed,
                "refused": result.refused,
            }
        )
        return
    console.print(
        f"{len(result.printed)} letters ({result.kind}, {result.as_of}) → {out / letters.MANIFEST}"
    )
    if result.refused:
        table = output.table(
            "case_id",
            "rules",
            "reason",
            title=f"refused by compliance: {len(result.refused)} ({letters.REFUSED})",
        )
        for row in result.refused[:50]:
            table.add_row(str(row["case_id"]), str(row["rules"]), str(row["reason"]))
        console.print(table)
