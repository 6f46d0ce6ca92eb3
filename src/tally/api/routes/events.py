"""HTTP routes of the events area, OpenMeter-compatible, mounted under /api/v1.

`POST /events` never parses events itself: the raw body goes straight to the ingest service, which
parses and validates the batch in bulk, stores it, and commits before this door answers. An answer
in the 2xx range therefore always means "committed"; a database that cannot be reached is a 503
with Retry-After, never a 2xx.

Answers (OpenMeter answers 204 for an accepted request; the 202 shape is Tally's extension):
- 204, no body            every event stored or recognised as a duplicate of a stored one;
- 202, application/json   some stored, some rejected: {"accepted", "duplicates", "rejected": [...]};
- 400, problem+json       every event rejected, one `errors` item per event {index, field, reason}
                          (also as `rejected`, the 202 shape);
- 413 / 415               body over `request_bytes_max` / a media type other than the three below;
- 503 + Retry-After       database unavailable: nothing was acknowledged, retry the same batch.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import DBAPIError, OperationalError

from tally.access.model import Permission
from tally.api.metrics_ingest import ingest_request_duration_seconds, ingest_request_events
from tally.api.problems import PROBLEM_JSON, problem
from tally.api.security import get_tally, require
from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.errors import InvalidInput, TallyError, Unavailable
from tally.ingest.model import StoredEvent
from tally.ingest.service import BatchResult, ingest_body, list_events

router = APIRouter(tags=["events"])

CLOUDEVENT = "application/cloudevents+json"
CLOUDEVENTS_BATCH = "application/cloudevents-batch+json"
JSON = "application/json"
MEDIA_TYPES = (CLOUDEVENT, CLOUDEVENTS_BATCH, JSON)
LIST_LIMIT_MAX = 100  # OpenMeter's maximum page for listing events
_ONE_MICROSECOND = timedelta(microseconds=1)

_ENCODER = msgspec.json.Encoder()


class UnsupportedMediaType(InvalidInput):
    code = "unsupported_media_type"
    http_status = 415
    title = "Unsupported media type"


class PayloadTooLarge(InvalidInput):
    code = "payload_too_large"
    http_status = 413
    title = "Payload too large"


def _database_guard(permission: Permission) -> Callable[[Request], Actor]:
    """`require(permission)`, with a database lost in the middle of the key lookup answered as 503."""
    inner = require(permission)

    def dependency(request: Request) -> Actor:
        try:
            return inner(request)
        except DBAPIError as exc:
            if _lost(exc):
                raise _unavailable(exc) from exc
            raise

    return dependency


_check_writer = _database_guard(Permission.EVENTS_WRITE)
KEY_CACHE_TTL_S = 5.0  # float-ok: seconds a checked ingest key is trusted without a lookup
KEY_CACHE_ENTRIES_MAX = 1_000


async def _writer(request: Request) -> Actor:
    """An ingest key, checked once per few seconds rather than once per batch.

    A producer streams many batches with one key; looking the key up for each would cost a
    transaction per batch (on SQLite a write lock, queued behind the previous batch's commit).
    Only successful checks are kept, per app, for KEY_CACHE_TTL_S: a revoked key is refused at most
    that long after `tally keys revoke`.
    """
    cache: dict[str, tuple[float, Actor]] | None = getattr(request.app.state, "ingest_key_cache", None)  # float-ok
    if cache is None:
        cache = request.app.state.ingest_key_cache = {}
    header = request.headers.get("authorization", "")
    now = time.monotonic()
    hit = cache.get(header)
    if hit is not None and hit[0] > now:
        return hit[1]
    actor = await run_in_threadpool(_check_writer, request)
    if len(cache) >= KEY_CACHE_ENTRIES_MAX:
        cache.clear()
    cache[header] = (now + KEY_CACHE_TTL_S, actor)
    return actor


WRITE = Depends(_writer)
READ = Depends(_database_guard(Permission.EVENTS_READ))


_ROLLED_BACK_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure
INGEST_ATTEMPTS = 3


def _driver_error(exc: BaseException) -> BaseException:
    return exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc


def _rolled_back(exc: BaseException) -> bool:
    """The database rolled the whole transaction back to break a deadlock or a serialization conflict."""
    return getattr(_driver_error(exc), "sqlstate", None) in _ROLLED_BACK_SQLSTATES


def _lost(exc: BaseException, dbapi: Any = None) -> bool:
    """The database is down or the connection dropped (as opposed to a bug in a statement).

    Errors come wrapped by SQLAlchemy, or straight from the driver where a store uses the driver's
    cursor (the ingest hot path does): `dbapi` is the driver module, whose error classes say which.
    """
    if isinstance(exc, DBAPIError):
        return isinstance(exc, OperationalError) or exc.connection_invalidated
    return dbapi is not None and isinstance(exc, (dbapi.OperationalError, dbapi.InterfaceError))


def _unavailable(exc: BaseException) -> Unavailable:
    return Unavailable(f"database unavailable ({type(_driver_error(exc)).__name__}); nothing was stored, retry")


def _media_type(header: str | None) -> str:
    media_type = (header or "").split(";", 1)[0].strip().lower()
    if media_type not in MEDIA_TYPES:
        raise UnsupportedMediaType("Content-Type", f"got {header or 'none'!r}; send one of {', '.join(MEDIA_TYPES)}")
    return media_type


async def _read_body(request: Request, limit_bytes: int) -> bytes:
    """The whole body as bytes, refusing early once it exceeds the limit (before it is all buffered)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit_bytes:
        raise PayloadTooLarge("body", f"{declared} bytes exceeds request_bytes_max {limit_bytes}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit_bytes:
            raise PayloadTooLarge("body", f"more than request_bytes_max {limit_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


_CLOUD_EVENT: dict[str, Any] = {
    "type": "object", "required": ["id", "source", "specversion", "type", "subject"],
    "properties": {"id": {"type": "string", "minLength": 1}, "source": {"type": "string", "minLength": 1},
                   "specversion": {"type": "string", "enum": ["1.0"]}, "type": {"type": "string", "minLength": 1},
                   "subject": {"type": "string", "minLength": 1},
                   "time": {"type": "string", "format": "date-time", "nullable": True},
                   "datacontenttype": {"type": "string", "enum": [JSON], "nullable": True},
                   "data": {"type": "object", "nullable": True}},
}
_INGEST_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            CLOUDEVENT: {"schema": _CLOUD_EVENT},
            CLOUDEVENTS_BATCH: {"schema": {"type": "array", "items": _CLOUD_EVENT}},
            JSON: {"schema": {"anyOf": [_CLOUD_EVENT,
                                        {"type": "array", "items": _CLOUD_EVENT}]}},
        },
    },
    "responses": {
        "204": {"description": "Every event is committed (stored now, or a duplicate of a stored event)"},
        "202": {"description": "Some events committed, the others rejected (listed by index)",
                "content": {JSON: {"schema": {"type": "object", "properties": {
                    "accepted": {"type": "integer"}, "duplicates": {"type": "integer"},
                    "rejected": {"type": "array", "items": {"type": "object", "properties": {
                        "index": {"type": "integer"}, "field": {"type": "string"},
                        "reason": {"type": "string"}}}}}}}}},
        "400": {"description": "Every event rejected; `errors` lists each index, field and reason",
                "content": {PROBLEM_JSON: {}}},
        "503": {"description": "Database unavailable; nothing stored. Retry after `Retry-After` seconds",
                "content": {PROBLEM_JSON: {}}},
    },
}


@router.post("/events", status_code=204, response_class=Response, openapi_extra=_INGEST_OPENAPI,
             summary="Ingest events (OpenMeter-compatible)")
async def ingest_events(request: Request, actor: Actor = WRITE) -> Response:
    """Ingest one CloudEvent or a batch; answered only after the batch is committed."""
    started = time.perf_counter()
    status = 500
    try:
        response = await _ingest(request, actor)
        status = response.status_code
        return response
    except TallyError as exc:
        status = exc.http_status
        raise
    finally:
        ingest_request_duration_seconds.labels(str(status)).observe(time.perf_counter() - started)  # float-ok


async def _ingest(request: Request, actor: Actor) -> Response:
    tally = get_tally(request)
    media_type = _media_type(request.headers.get("content-type"))
    body = await _read_body(request, tally.settings.request_bytes_max)
    # Parsing, validation and the database are blocking: off the event loop, in the threadpool.
    result = await run_in_threadpool(_ingest_committed, tally, body, media_type, actor)
    ingest_request_events.observe(result.accepted + result.duplicates + len(result.rejected))
    return batch_response(result)


def _ingest_committed(tally: Tally, body: bytes, media_type: str, actor: Actor) -> BatchResult:
    """`ingest_body`, retried when the database rolled the batch back to break a deadlock (two
    producers sending overlapping batches at once): nothing of it was committed, and ingesting is
    idempotent, so running it again is safe. A database that is down is `Unavailable` (503)."""
    dbapi = tally.engine.dialect.loaded_dbapi
    attempt = 1
    while True:
        try:
            return ingest_body(tally.uow_factory, body, content_type=media_type, origin="http",
                               hooks=tally.ingest_hooks, settings=tally.settings, clock=tally.clock, actor=actor)
        except (DBAPIError, dbapi.Error) as exc:
            if _rolled_back(exc) and attempt < INGEST_ATTEMPTS:
                time.sleep(random.uniform(0.005, 0.05) * attempt)  # float-ok: seconds, jittered
                attempt += 1
                continue
            if _lost(exc, dbapi) or _rolled_back(exc):
                raise _unavailable(exc) from exc
            raise


def batch_response(result: BatchResult) -> Response:
    """204 when nothing was rejected, 202 with the rejects when some were stored, 400 when none were."""
    if not result.rejected:
        return Response(status_code=204)
    rejected = [{"index": r.index, "field": r.field, "reason": r.reason} for r in result.rejected]
    if result.accepted or result.duplicates:
        body = {"accepted": result.accepted, "duplicates": result.duplicates, "rejected": rejected}
        return Response(_ENCODER.encode(body), status_code=202, media_type=JSON)
    shown = "; ".join(f"[{r['index']}] {r['field']}: {r['reason']}" for r in rejected[:3])
    more = f" (and {len(rejected) - 3} more)" if len(rejected) > 3 else ""
    return problem(status=400, code="events_rejected", title="Every event was rejected",
                   detail=f"{len(rejected)} of {len(rejected)} events rejected: {shown}{more}", errors=rejected,
                   accepted=0, duplicates=0, rejected=rejected)


def _instant(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(name, f"{text!r} is not an RFC 3339 date-time") from None
    if value.tzinfo is None:
        raise InvalidInput(name, f"{text!r} has no timezone; add Z or an offset")
    return value


def _rfc3339(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def ingested_event(event: StoredEvent) -> dict[str, Any]:
    """OpenMeter's IngestedEvent: the CloudEvent as stored, with the payload's exact JSON text."""
    cloud_event: dict[str, Any] = {
        "id": event.event_id, "source": event.source, "specversion": "1.0", "type": event.event_type,
        "subject": event.subject, "time": _rfc3339(event.event_time),
    }
    if event.data_json:
        cloud_event["datacontenttype"] = JSON
        cloud_event["data"] = msgspec.Raw(event.data_json.encode())  # digit for digit, never via float
    received = _rfc3339(event.received_at)
    return {"event": cloud_event, "ingestedAt": received, "storedAt": received}


@router.get("/events", response_class=Response, summary="List ingested events (OpenMeter-compatible)",
            responses={200: {"description": "Newest first: an array of IngestedEvent {event, ingestedAt, storedAt}",
                             "content": {JSON: {"schema": {"type": "array", "items": {"type": "object"}}}}}})
def list_ingested_events(
    request: Request,
    actor: Actor = READ,
    subject: str | None = Query(None, min_length=1, description="Only this subject"),
    type: str | None = Query(None, min_length=1, description="Only this event type (a Tally extension)"),
    from_: str | None = Query(None, alias="from", description="Event time from, RFC 3339, inclusive"),
    to: str | None = Query(None, description="Event time to, RFC 3339, inclusive"),
    limit: int = Query(LIST_LIMIT_MAX, ge=1, le=LIST_LIMIT_MAX, description="At most this many events"),
) -> Response:
    """Recently stored events, newest first, for debugging a producer (a sync route: runs in the threadpool)."""
    tally = get_tally(request)
    time_from, time_to = _instant("from", from_), _instant("to", to)
    if time_from is not None and time_to is not None and time_to < time_from:
        raise InvalidInput("to", "must not be before 'from'")
    try:
        # OpenMeter's `to` is inclusive; the service's range is half-open.
        events = list_events(tally.uow_factory, subject=subject, event_type=type, time_from=time_from,
                             time_to=None if time_to is None else time_to + _ONE_MICROSECOND, limit=limit)
    except DBAPIError as exc:
        if _lost(exc):
            raise _unavailable(exc) from exc
        raise
    return Response(_ENCODER.encode([ingested_event(e) for e in events]), media_type=JSON)
