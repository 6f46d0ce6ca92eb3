"""The app factory: builds a FastAPI app around an explicit `Tally` container."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from tally import __version__
from tally.api.problems import http_error_handler, tally_error_handler, validation_error_handler
from tally.api.routes import catalog, events, health, invoices, ledger, meters
from tally.bootstrap import Tally
from tally.errors import TallyError
from tally.observability.metrics import http_request_duration_seconds, http_requests_total


def create_app(tally: Tally) -> FastAPI:
    app = FastAPI(title="Tally", version=__version__, openapi_url="/openapi.json",
                  description="Usage metering, billing and revenue. Event ingest is OpenMeter-compatible.")
    app.state.tally = tally
    app.add_exception_handler(TallyError, tally_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
    app.include_router(health.router)
    for module in (events, meters, catalog, invoices, ledger):
        app.include_router(module.router, prefix="/api/v1")

    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        http_requests_total.labels(path, request.method, str(response.status_code)).inc()
        http_request_duration_seconds.labels(path, request.method).observe(time.perf_counter() - started)
        return response

    return app
