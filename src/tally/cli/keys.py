"""`tally keys create|list|revoke`: API keys. The secret is printed once and never stored."""

from __future__ import annotations

import typer

from tally.access import service
from tally.cli.context import actor, console, print_json, print_table, tally

app = typer.Typer(help="API keys for the HTTP API.", no_args_is_help=True)


@app.command("create")
def create(
    role: str = typer.Option(..., help="admin | ingest | viewer | billing | finance | auditor"),
    name: str = typer.Option("default", help="What the key is for"),
    json: bool = typer.Option(False, "--json"),
) -> None:
    """Create a key and print it once."""
    t = tally()
    created = service.create_key(t.uow_factory, role=role, name=name, actor=actor(), clock=t.clock)
    if json:
        print_json({"key_id": created.key.key_id, "role": created.key.role, "key": created.secret})
        return
    console.print(f"key id {created.key.key_id} role {created.key.role}")
    console.print("[bold]store this key now, it is not shown again:[/bold]")
    print(created.secret)


@app.command("list")
def list_command(json: bool = typer.Option(False, "--json")) -> None:
    keys = service.list_keys(tally().uow_factory)
    rows = [(k.key_id, k.role, k.name, k.created_at.isoformat(), k.revoked_at or "") for k in keys]
    if json:
        print_json([dict(zip(("key_id", "role", "name", "created_at", "revoked_at"), r, strict=True))
                    for r in rows])
        return
    print_table("API keys", ("key id", "role", "name", "created", "revoked"), rows)


@app.command("revoke")
def revoke(key_id: str) -> None:
    t = tally()
    service.revoke_key(t.uow_factory, key_id, actor=actor(), clock=t.clock)
    console.print(f"revoked {key_id}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="keys")
