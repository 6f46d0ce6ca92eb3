"""`tally serve`: run the HTTP API."""

from __future__ import annotations

import typer
import uvicorn

from tally.api.app import create_app
from tally.cli.context import tally


def serve(
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8080),
    workers: int = typer.Option(1, help="Worker processes (each wires its own engine)"),
) -> None:
    """Serve the API (OpenAPI at /openapi.json, health at /healthz and /readyz)."""
    if workers > 1:
        uvicorn.run("tally.api.factory:app", host=host, port=port, workers=workers, factory=True,
                    log_level="warning")
    else:
        uvicorn.run(create_app(tally()), host=host, port=port, log_level="warning")


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)
