"""`tally db upgrade|current`: schema migrations."""

from __future__ import annotations

import typer

from tally.cli.context import console, tally
from tally.store.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to the newest schema (or REVISION)."""
    now = upgrade(tally().engine, revision)
    console.print(f"database at revision [bold]{now}[/bold]")


@app.command("current")
def current_command() -> None:
    """Show the database's revision and the newest one the code knows."""
    console.print(f"current: {current_revision(tally().engine)}  head: {head_revision()}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="db")
