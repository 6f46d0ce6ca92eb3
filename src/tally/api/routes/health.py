"""Liveness, readiness (database reachable and migrated) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tally.api.problems import problem
from tally.api.security import get_tally
from tally.bootstrap import Tally
from tally.observability.metrics import REGISTRY
from tally.store.migrate import current_revision, head_revision

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(tally: Tally = Depends(get_tally)) -> Response | dict[str, str]:
    try:
        with tally.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(tally.engine)
    except SQLAlchemyError as exc:
        return problem(status=503, code="unavailable", title="Service unavailable",
                       detail=f"database unreachable: {type(exc).__name__}", headers={"Retry-After": "5"})
    head = head_revision()
    if revision != head:
        return problem(status=503, code="not_migrated", title="Service unavailable",
                       detail=f"database at revision {revision}, code expects {head}: run 'tally db upgrade'",
                       headers={"Retry-After": "30"})
    return {"status": "ready", "revision": revision or ""}


@router.get("/metrics")
def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
