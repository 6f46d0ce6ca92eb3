"""Commands of the catalog area: `tally catalog …`, `tally price quote`, `tally rate`, `tally customers …`.

Each command parses, calls one service (or pure) function, and formats.
"""

from __future__ import annotations

from pathlib import Path

import typer

from tally.cli.context import console, print_json
from tally.errors import InvalidInput
from tally.rating.quote import quote, quote_json

price_app = typer.Typer(help="Prices: quote an amount under one price.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(str(path), f"cannot be read: {exc.strerror}") from None


@price_app.command("quote")
def price_quote(
    price: Path = typer.Option(..., "--price", help="A YAML file in the price syntax (see docs/billing.md)"),
    quantity: str = typer.Option(..., "--quantity", help="An exact decimal quantity"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Compute the amount for a quantity under one price, with its explanation."""
    priced = quote(_read(price), quantity)
    out = quote_json(priced)
    if json:
        print_json(out)
        return
    console.print(f"[bold]{out['currency']} {out['amount']}[/bold]", highlight=False)
    for s in priced.explanation:
        console.print(f"  {s.description} = {s.amount:f}", highlight=False)


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.add_typer(price_app, name="price")
