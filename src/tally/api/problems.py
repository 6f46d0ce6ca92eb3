"""RFC 9457 problem details for every error: type, title, status, detail, code, and per-item errors."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tally.errors import InvalidInput, TallyError, Unavailable

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://tally.dev/problems/"


def problem(
    *, status: int, code: str, title: str, detail: str, errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None, **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail,
                            "code": code, **extra}
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def tally_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, TallyError)  # registered for TallyError only
    headers = {"Retry-After": "5"} if isinstance(exc, Unavailable) else None
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = [{"field": exc.field, "reason": exc.reason, **({"item": exc.item} if exc.item else {})}]
    errors = getattr(exc, "errors", None)
    if isinstance(errors, list):
        extra["errors"] = errors
    return problem(status=exc.http_status, code=exc.code, title=exc.title, detail=exc.detail, headers=headers,
                   **extra)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "reason": e.get("msg", "invalid")}
              for e in exc.errors()]
    return problem(status=400, code="invalid_input", title="Invalid input",
                   detail="; ".join(f"{e['field']}: {e['reason']}" for e in errors), errors=errors)


async def http_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden",
            413: "payload_too_large", 415: "unsupported_media_type"}.get(exc.status_code, "http_error")
    return problem(status=exc.status_code, code=code, title=code.replace("_", " ").capitalize(),
                   detail=str(exc.detail), headers=dict(exc.headers or {}) or None)
