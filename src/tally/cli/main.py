"""The `tally` command: each area registers its own commands; errors map to stable exit codes."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click
import typer
from rich.markup import escape

from tally.cli import catalog, db, demo, ingest, invoicing, keys, ledger, metering, serve
from tally.cli.context import err_console
from tally.errors import TallyError

app = typer.Typer(name="tally", help="Usage metering, billing and revenue.", no_args_is_help=True,
                  pretty_exceptions_enable=False, add_completion=False)

for module in (db, keys, serve, ingest, metering, catalog, invoicing, ledger, demo):
    module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code (TallyError → its stable exit code and message)."""
    try:
        result = app(args=list(argv) if argv is not None else None, standalone_mode=False)
    except TallyError as exc:
        err_console.print(f"[red]error[/red] {escape(f'[{exc.code}] {exc.detail}')}", highlight=False)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        err_console.print("aborted")
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
