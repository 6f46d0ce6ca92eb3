"""Commands of the catalog area: `tally catalog apply|show`, `tally price quote`, `tally rate`,
`tally customers list`, `tally credits balances|breakage`.

Each command parses, calls one service (or pure) function, and formats.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
import yaml

from tally.catalog import service as catalog_service
from tally.catalog.present import apply_json, catalog_json
from tally.cli.context import actor, console, print_json, print_table, tally
from tally.contracts import service as contracts_service
from tally.errors import InvalidInput
from tally.period import Period, parse_instant
from tally.rating import service as rating_service
from tally.rating.present import line_json, result_json
from tally.rating.quote import quote, quote_json

catalog_app = typer.Typer(help="The catalog: meters, products, price books, plans, contracts (as code).",
                          no_args_is_help=True)
price_app = typer.Typer(help="Prices: quote an amount under one price.", no_args_is_help=True)
customers_app = typer.Typer(help="Customers and their contracts.", no_args_is_help=True)
contracts_app = typer.Typer(help="Contract versions (write contracts in a catalog file's customers: section).",
                            no_args_is_help=True)
credits_app = typer.Typer(help="Prepaid credits: balances and breakage.", no_args_is_help=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(str(path), f"cannot be read: {exc.strerror}") from None


@catalog_app.command("apply")
def catalog_apply(
    file: Path = typer.Argument(..., help="catalog YAML (meters, products, price_books, plans, customers)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Apply a catalog file, all or nothing, and show what changed (or would change)."""
    t = tally()
    result = catalog_service.apply_catalog(t.uow_factory, _read(file), actor=actor(), clock=t.clock, dry_run=dry_run)
    out = apply_json(result)
    if json:
        print_json(out)
        return
    changes = out["changes"]
    marks = {"create": "[green]+[/green]", "update": "[yellow]~[/yellow]", "unchanged": " ", "apply": "[blue]>[/blue]"}
    for c in changes:
        if c["action"] == "unchanged":
            continue
        version = f"@{c['version']}" if c["version"] and c["kind"] != "price_book_version" else ""
        console.print(f"{marks[str(c['action'])]} {c['kind']} {c['code']}{version} {c['detail']}".rstrip(),
                      highlight=False)
    summary = ", ".join(f"{n} {a}" for a, n in sorted(result.counts.items()))
    console.print(f"{'dry run, nothing written' if not result.applied else 'applied'}: {summary or 'no changes'}")


@catalog_app.command("show")
def catalog_show(json: bool = typer.Option(False, "--json")) -> None:
    """The catalog as it stands: products, plans, price book versions."""
    view = catalog_service.show_catalog(tally().uow_factory)
    out = catalog_json(view)
    if json:
        print_json(out)
        return
    products, books = out["products"], out["price_book_versions"]
    print_table("Products", ("code", "name", "meter", "filter", "unit", "version"),
                [(p["code"], p["name"], p["meter"] or "(fee)", p["filter"] or "", p["unit"], p["version"])
                 for p in products])
    print_table("Plans", ("code", "name", "price books", "products"),
                [(p.code, p.name, dict(p.price_books), ", ".join(p.products)) for p in view.plans.values()])
    print_table("Price book versions", ("version", "currencies", "effective from", "prices"),
                [(b["version_id"], ", ".join(b["currencies"]), b["effective_from"], len(b["prices"]))
                 for b in books])


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


def rate_command(
    customer: str = typer.Option(..., "--customer", help="Customer id"),
    period: str = typer.Option(..., "--period", help="Billing period YYYY-MM (UTC calendar month)"),
    as_of: str | None = typer.Option(None, "--as-of", help="Use what was recorded by this instant (default: now)"),
    from_events: bool = typer.Option(False, "--from-events", help="Recompute usage from raw events, not rollups"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Rate one customer's period and show the rated lines with their explanations."""
    t = tally()
    billing_period = Period.month(period)
    instant = parse_instant(as_of, field="--as-of") if as_of else t.clock.now()
    rater = rating_service.rate_customer_from_events if from_events else rating_service.rate_customer
    with t.uow_factory() as uow:
        result = rater(uow, customer_id=customer, period=billing_period, as_of=instant)
    out = result_json(result)
    if json:
        print_json(out)
        return
    console.print(f"[bold]{customer}[/bold] {billing_period.label} ({result.currency.code}) — contract "
                  f"{result.inputs.contract_version_id}, prices {result.inputs.price_book_version_id}", highlight=False)
    for line in result.lines:
        j = line_json(line)
        console.print(f"{j['amount']:>14} {j['description']} [dim]({j['line_key']}, qty {j['quantity']})[/dim]",
                      highlight=False)
        for s in line.explanation:
            console.print(f"{'':>16}· {s.description}", highlight=False)
    console.print(f"{out['total']:>14} [bold]total[/bold]", highlight=False)


@customers_app.command("list")
def customers_list(period: str | None = typer.Option(None, "--period", help="Only those billable in YYYY-MM"),
                   json: bool = typer.Option(False, "--json")) -> None:
    """Customers with a contract (latest version), or those billable in a period."""
    t = tally()
    with t.uow_factory() as uow:
        contracts = contracts_service.latest_contracts(uow)
        billable = set(contracts_service.billable_customers(uow, period=Period.month(period))) if period else None
    rows: list[dict[str, Any]] = [
            {"customer_id": c.customer_id, "name": c.terms.name, "currency": c.terms.currency.code,
             "version": c.version, "effective_from": c.effective_from.isoformat(),
             "plans": sorted({s.plan_code for s in c.terms.subscriptions})}
            for c in sorted(contracts, key=lambda c: c.customer_id) if billable is None or c.customer_id in billable]
    if json:
        print_json(rows)
        return
    print_table("Customers", ("customer", "name", "currency", "contract version", "effective from", "plans"),
                [(r["customer_id"], r["name"], r["currency"], r["version"], r["effective_from"],
                  ", ".join(str(p) for p in r["plans"])) for r in rows])


@customers_app.command("subscribe")
def customers_subscribe(
    customer_ids: list[str] = typer.Argument(..., help="Customer ids to subscribe"),
    plan: str = typer.Option(..., "--plan", help="Plan code, e.g. self-serve"),
    start: str = typer.Option(..., "--start", help="RFC 3339 instant the subscription starts"),
    currency: str = typer.Option("USD", "--currency"),
    proration: str = typer.Option("second", "--proration", help="second | day"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Subscribe customers to a plan in one transaction (creates their contracts; idempotent)."""
    t = tally()
    instant = parse_instant(start, field="--start")
    customers = [contracts_service.NewCustomer(customer_id=c, plan_code=plan, start=instant, currency=currency,
                                               proration=proration) for c in customer_ids]
    changes = contracts_service.subscribe_customers(t.uow_factory, customers, actor=actor(), clock=t.clock)
    rows = [{"customer_id": c.code, "action": c.action.value, "version": c.version} for c in changes]
    if json:
        print_json(rows)
        return
    created = sum(1 for r in rows if r["action"] != "unchanged")
    console.print(f"{created} contract version(s) written, {len(rows) - created} unchanged")


@contracts_app.command("show")
def contracts_show(customer: str = typer.Option(..., "--customer"), json: bool = typer.Option(False, "--json")) \
        -> None:
    """Every version of a customer's contract, with the document each was applied from."""
    with tally().uow_factory() as uow:
        history = contracts_service.contract_history(uow, customer_id=customer)
    rows = [{"version_id": h.version_id, "effective_from": h.effective_from.isoformat(),
             "recorded_at": h.recorded_at.isoformat(), "digest": h.digest, "document": h.document} for h in history]
    if json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"[bold]{r['version_id']}[/bold] effective {r['effective_from']} (recorded {r['recorded_at']}, "
                      f"sha256 {str(r['digest'])[:12]}…)", highlight=False)
        console.print(yaml.safe_dump(r["document"], sort_keys=False, allow_unicode=True).rstrip(), highlight=False,
                      markup=False)


def _balance_rows(balances: tuple[contracts_service.CreditBalance, ...]) -> list[dict[str, object]]:
    return [{"customer_id": b.customer_id, "credit_id": b.credit_id, "kind": b.kind.value, "unit": b.unit,
             "granted": f"{b.granted:f}", "drawn": f"{b.drawn:f}", "remaining": f"{b.remaining:f}",
             "expires_at": b.expires_at.isoformat() if b.expires_at else None, "expired": b.expired}
            for b in balances]


@credits_app.command("balances")
def credits_balances(customer: str = typer.Option(..., "--customer"), json: bool = typer.Option(False, "--json")) \
        -> None:
    """A customer's prepaid credits: granted, drawn, remaining, expiry."""
    t = tally()
    with t.uow_factory() as uow:
        rows = _balance_rows(contracts_service.credit_balances(uow, customer_id=customer, as_of=t.clock.now()))
    if json:
        print_json(rows)
        return
    print_table(f"Credits of {customer}", ("credit", "kind", "unit", "granted", "drawn", "remaining", "expires"),
                [(r["credit_id"], r["kind"], r["unit"], r["granted"], r["drawn"], r["remaining"],
                  r["expires_at"] or "") for r in rows], right=("granted", "drawn", "remaining"))


@credits_app.command("breakage")
def credits_breakage(json: bool = typer.Option(False, "--json")) -> None:
    """Expired prepaid credits with a remainder (breakage), across customers."""
    t = tally()
    with t.uow_factory() as uow:
        rows = _balance_rows(contracts_service.breakage_report(uow, as_of=t.clock.now()))
    if json:
        print_json(rows)
        return
    print_table("Breakage", ("customer", "credit", "kind", "unit", "granted", "remaining", "expired at"),
                [(r["customer_id"], r["credit_id"], r["kind"], r["unit"], r["granted"], r["remaining"],
                  r["expires_at"]) for r in rows], right=("granted", "remaining"))


def register(root: typer.Typer) -> None:
    """Add this area's commands to the root app."""
    root.add_typer(catalog_app, name="catalog")
    root.add_typer(price_app, name="price")
    root.add_typer(customers_app, name="customers")
    root.add_typer(contracts_app, name="contracts")
    root.add_typer(credits_app, name="credits")
    root.command("rate")(rate_command)
