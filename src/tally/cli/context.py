"""What every command needs: the wired `Tally`, the acting user, and output helpers."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import orjson
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tally.audit.model import Actor
from tally.bootstrap import Tally, bootstrap

console = Console()
err_console = Console(stderr=True)


@lru_cache(maxsize=1)
def tally() -> Tally:
    """Wire Tally once per process from the environment."""
    return bootstrap()


def reset() -> None:
    """Forget the wired instance (tests change the environment between invocations)."""
    if tally.cache_info().currsize:
        tally().engine.dispose()
    tally.cache_clear()


def actor() -> Actor:
    return Actor.cli_user(os.environ.get("TALLY_ACTOR") or getpass.getuser())


def print_json(value: Any) -> None:
    sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2, default=str).decode() + "\n")
    sys.stdout.flush()


def print_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                right: Sequence[str] = ()) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column in right else "left")
    for row in rows:
        table.add_row(*(str(v) for v in row))
    console.print(table)


@contextmanager
def progress(enabled: bool = True) -> Iterator[Progress]:
    """A Rich progress display on stderr; quiet when output is JSON or not a terminal-friendly run."""
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=err_console, disable=not enabled, transient=False)
    with bar:
        yield bar
