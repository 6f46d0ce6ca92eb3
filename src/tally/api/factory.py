"""Entry point for multi-worker servers: each worker process wires itself from the environment."""

from __future__ import annotations

from fastapi import FastAPI

from tally.api.app import create_app
from tally.bootstrap import bootstrap


def app() -> FastAPI:
    return create_app(bootstrap())
