"""The one CLI entry point: ``arrears GROUP COMMAND``. Expected errors never show a traceback."""

from __future__ import annotations

import importlib
import os
import sys

import typer
from rich.markup import escape
from typer import _click as click  # typer vendors click; its exceptions are these, not click's
from typer.core import TyperGroup

from arrears.cli.output import err_console
from arrears.kit.errors import ArrearsError

# name -> (module under arrears.cli, one-line help). Modules load only when their group runs, so
# `arrears account show` never pays for LightGBM, Spark or the web stack.
GROUPS: dict[str, tuple[str, str]] = {
    "db": ("db", "Operational store: create and upgrade the schema."),
    "import": ("imports", "Load data: the real UCI card data or the bank's own extract."),
    "portfolio": ("portfolio", "The portfolio: generate, summarise."),
    "account": ("account", "Look at one account: DPD, bucket, the owed breakdown."),
    "cycle": ("cycle", "The daily cycle: age, price, segment, score, decide, sync."),
    "compliance": ("compliance", "The compliance engine: check, profiles, overrides, report."),
    "cases": ("cases", "Work orders: state, contacts, promises, plans."),
    "writeoff": ("writeoff", "Charge-off and write-off: maker-checker, recoveries, debt sale."),
    "payments": ("payments", "Online payments: intents, webhook events, mismatches, stuck."),
    "letters": ("letters", "Printed letters as PDF: one case, or the day's batch."),
    "messages": ("messages", "Messages to debtors (SMS, e-mail): queue, send, list, opt-outs."),
    "portal": ("portal", "The customer portal: send a customer a single-use link."),
    "users": ("users", "Users: who a command or a sign-in acts as (--as USERNAME)."),
    "staff": ("staff", "Staff: officers, specialists, leads."),
    "agencies": ("agencies", "Outside agencies: contracts, placements, recall."),
    "allocate": ("allocate", "Allocate work orders to staff and agencies."),
    "legal": ("legal", "Legal actions: stages, costs, documents, the legal queue."),
    "training": ("training", "Training: courses, completions, gates, mentors."),
    "compensation": ("compensation", "Compensation: staff pay statements from the bonus plans."),
    "promotion": ("promotion", "Promotion: eligibility explained."),
    "report": ("report", "Analytics: roll rates, recovery, KPIs, champion/challenger, HTML."),
    "model": ("model", "The propensity model: train, evaluate."),
    "simulate": ("simulate", "Simulate the department day by day and check its rules."),
    "serve": ("serve", "Serve the web workbench and the JSON API."),
    "demo": ("demo", "Run the main job on a generated portfolio and serve the workbench."),
}
# Old name -> group. It still runs, says its new name on stderr, and is left out of the help.
# `pay` (staff pay) read as a customer's payment to a collector; kept for one release, then gone.
DEPRECATED: dict[str, str] = {"pay": "compensation"}


class LazyGroups(TyperGroup):
    """The top-level group: lists every group, imports one only when it is invoked."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(GROUPS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in DEPRECATED:
            new_name = DEPRECATED[cmd_name]
            if not ctx.resilient_parsing:  # shell completion resolves names too: stay quiet
                err_console.print(
                    f"note: `arrears {cmd_name}` is now `arrears {new_name}`; "
                    "the old name goes in the next release",
                    highlight=False,
                )
            cmd_name = new_name
        if cmd_name not in GROUPS:
            return None
        module_name, help_text = GROUPS[cmd_name]
        module = importlib.import_module(f"arrears.cli.{module_name}")
        command = typer.main.get_group(module.app)
        command.name = cmd_name
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in GROUPS.items()])

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Plain click help: Rich help would import every group to describe it.
        click.Command.format_help(self, ctx, formatter)


app = LazyGroups(
    name="arrears",
    help="arrears: the collections platform of a credit-card center.",
    no_args_is_help=True,
)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI; map expected errors to a one-line message and an exit code."""
    try:
        _check_policies()
        result = app.main(args=argv, prog_name="arrears", standalone_mode=False)
    except ArrearsError as exc:
        err_console.print(f"[bold red]error:[/bold red] {escape(exc.message)}")
        return _exit(exc.exit_code, argv)
    except typer.Abort:
        err_console.print("aborted")
        return _exit(130, argv)
    except click.ClickException as exc:
        exc.show()
        return _exit(exc.exit_code, argv)
    except typer.Exit as exc:
        return _exit(exc.exit_code, argv)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return _exit(130, argv)
    except UnicodeDecodeError as exc:  # a file in another encoding is bad input, whoever read it
        err_console.print(
            f"[bold red]error:[/bold red] input is not UTF-8 text ({exc.reason} at byte "
            f"{exc.start}); save it as UTF-8"
        )
        return _exit(2, argv)
    except Exception as exc:  # the last net: a user never sees a traceback
        if os.environ.get("ARREARS_DEBUG"):
            raise
        err_console.print(f"[bold red]error:[/bold red] {escape(_explain(exc))}")
        return _exit(1, argv)
    return _exit(result if isinstance(result, int) else 0, argv)


def _check_policies() -> None:
    """Refuse to start on a policy that would leave a request with nobody to act on it."""
    from arrears.promises.policy import load_promise_policy
    from arrears.workbench import approval_chain

    approval_chain.check(load_promise_policy().approval)


def _explain(exc: Exception) -> str:
    """One line for an unexpected failure, with the likely fix where there is one."""
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    errors = getattr(exc, "errors", None)
    if text.endswith("validation error for Settings") and callable(errors):
        # A bad ARREARS_* setting: say which and why, not pydantic's header line.
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        return f"bad setting {where}: {first.get('msg', 'invalid')}".replace(
            "bad setting settings: Value error, ", "bad settings: "
        )
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"the store has no schema yet ({text}): run `arrears db upgrade` first"
    if "could not connect" in text or "Connection refused" in text:
        return f"cannot reach the database ({text}): check ARREARS_DATABASE_URL"
    return f"{type(exc).__name__}: {text} (set ARREARS_DEBUG=1 for the traceback)"


def _exit(code: int, argv: list[str] | None) -> int:
    # Called as a console script (argv None): exit the process. Called from tests: return.
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    run()
