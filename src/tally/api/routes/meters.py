"""HTTP routes of the meters area, mounted under /api/v1: OpenMeter's meter API (create, list, get,
delete, query by GET and POST), plus meter rejects. Each route parses, calls one service, formats.

Query values are written with `dumps_exact` (JSON numbers digit for digit), never through a float.
"""

from __future__ import annotations

import ast
import json as stdjson
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec
from fastapi import APIRouter, Depends, Query, Request, Response

from tally.access.model import Permission
from tally.api.security import get_tally, require
from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.errors import InvalidInput
from tally.ingest.jsonexact import dumps_exact, loads_exact
from tally.metering import service
from tally.metering.definitions import parse_meter
from tally.metering.errors import MeterInvalid
from tally.metering.present import meter_json, query_json, reject_json
from tally.metering.query import MeterQuery, WindowSize, parse_window_size, query_meter
from tally.period import parse_instant

router = APIRouter(tags=["meters"])
QUERY_FILTER_VALUES_MAX = 100


def _json(value: Any, status_code: int = 200) -> Response:
    return Response(content=dumps_exact(value), status_code=status_code, media_type="application/json")


async def _body(request: Request, tally: Tally) -> Any:
    body = await request.body()
    limit = tally.settings.request_bytes_max
    if len(body) > limit:
        raise InvalidInput("body", f"is {len(body)} bytes; the limit is {limit} (request_bytes_max)")
    try:
        return loads_exact(body) if body.strip() else {}
    except msgspec.DecodeError as exc:
        raise InvalidInput("body", f"is not valid JSON: {exc}") from None


@router.get("/meters")
def list_meters(include_deleted: bool = Query(False, alias="includeDeleted"), page: int = Query(1, ge=1),
                page_size: int = Query(100, alias="pageSize", ge=1, le=1000),
                order: str = Query("ASC"), order_by: str = Query("key", alias="orderBy"),
                tally: Tally = Depends(get_tally),
                _actor: Actor = Depends(require(Permission.METERS_READ))) -> Response:
    """Every meter's latest version (OpenMeter's list; a plain array)."""
    with tally.uow_factory() as uow:
        meters = service.list_meters(uow, include_deleted=include_deleted)
    field = {"key": lambda m: m.slug, "name": lambda m: m.definition.name,
             "aggregation": lambda m: m.definition.aggregation.value, "createdAt": lambda m: m.created_at,
             "updatedAt": lambda m: m.updated_at}.get(order_by, lambda m: m.slug)
    ordered = sorted(meters, key=field, reverse=order.upper() == "DESC")
    chunk = ordered[(page - 1) * page_size: page * page_size]
    return _json([meter_json(m) for m in chunk])


@router.post("/meters", status_code=201)
async def create_meter(request: Request, tally: Tally = Depends(get_tally),
                       actor: Actor = Depends(require(Permission.METERS_WRITE))) -> Response:
    """Create a meter, or a new version of it effective now when the definition changed (201 either way)."""
    definition = parse_meter(await _body(request, tally), "meter")
    service.apply_meter_definitions(tally.uow_factory, [definition], actor=actor, clock=tally.clock)
    with tally.uow_factory() as uow:
        meter = service.get_meter(uow, definition.slug)
    return _json(meter_json(meter), status_code=201)


@router.get("/meters/{meter_id_or_slug}")
def get_meter(meter_id_or_slug: str, tally: Tally = Depends(get_tally),
              _actor: Actor = Depends(require(Permission.METERS_READ))) -> Response:
    with tally.uow_factory() as uow:
        return _json(meter_json(service.get_meter(uow, meter_id_or_slug)))


@router.get("/meters/{meter_id_or_slug}/versions")
def meter_versions(meter_id_or_slug: str, tally: Tally = Depends(get_tally),
                   _actor: Actor = Depends(require(Permission.METERS_READ))) -> Response:
    """Every version of a meter, oldest first (Tally extension)."""
    with tally.uow_factory() as uow:
        return _json([meter_json(v) for v in service.meter_versions(uow, meter_id_or_slug)])


@router.delete("/meters/{meter_id_or_slug}", status_code=204)
def delete_meter(meter_id_or_slug: str, tally: Tally = Depends(get_tally),
                 actor: Actor = Depends(require(Permission.METERS_WRITE))) -> Response:
    """Stop maintaining a meter; its rollups stay for the invoices that used them."""
    service.delete_meter(tally.uow_factory, meter_id_or_slug, actor=actor, clock=tally.clock)
    return Response(status_code=204)


def _instant(text: str | None, field: str) -> datetime | None:
    return parse_instant(text, field=field) if text else None


def _strings(values: object, field: str) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
        raise MeterInvalid(field, "must be a list of strings")
    if len(values) > QUERY_FILTER_VALUES_MAX:
        raise MeterInvalid(field, f"has {len(values)} values; the limit is {QUERY_FILTER_VALUES_MAX}")
    return tuple(values)


def _filters(simple: Mapping[str, object], advanced: Mapping[str, object]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    out: dict[str, tuple[str, ...]] = {}
    for name, value in simple.items():
        out[name] = _strings(value, f"filterGroupBy[{name}]")
    for name, condition in advanced.items():
        if not isinstance(condition, Mapping):
            raise MeterInvalid(f"advancedMeterGroupByFilters.{name}", "must be an object like {\"$eq\": \"x\"}")
        for op, value in condition.items():
            if op == "$eq":
                out[name] = _strings(value, f"advancedMeterGroupByFilters.{name}.$eq")
            elif op == "$in":
                out[name] = _strings(value, f"advancedMeterGroupByFilters.{name}.$in")
            else:
                raise MeterInvalid(f"advancedMeterGroupByFilters.{name}.{op}", "only $eq and $in are supported")
    return tuple(sorted(out.items()))


def _query(slug: str, *, start: str | None, end: str | None, window_size: WindowSize | None, zone: str | None,
           subjects: tuple[str, ...], customers: tuple[str, ...], group_by: tuple[str, ...],
           filters: tuple[tuple[str, tuple[str, ...]], ...]) -> MeterQuery:
    return MeterQuery(slug=slug, start=_instant(start, "from"), end=_instant(end, "to"), window_size=window_size,
                      window_time_zone=zone or "UTC", subjects=subjects, customer_ids=customers, group_by=group_by,
                      filter_group_by=filters)


def _deep_object(request: Request, name: str) -> dict[str, object]:
    """`filterGroupBy[k]=v` (deepObject), or one `filterGroupBy` holding a JSON (or Python-literal, as
    the official client's GET sends it) object."""
    out: dict[str, object] = {}
    bracketed: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith(f"{name}[") and key.endswith("]"):
            bracketed.setdefault(key[len(name) + 1:-1], []).append(value)
        elif key == name:
            try:
                parsed = stdjson.loads(value)
            except ValueError:
                try:
                    parsed = ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    raise MeterInvalid(name, "must be given as name[key]=value or a JSON object") from None
            if not isinstance(parsed, dict):
                raise MeterInvalid(name, "must be an object of group name to value")
            out.update({str(k): v for k, v in parsed.items()})
    out.update(bracketed)
    return out


@router.get("/meters/{meter_id_or_slug}/query")
def query_meter_get(
    request: Request, meter_id_or_slug: str,
    from_: str | None = Query(None, alias="from"), to: str | None = Query(None),
    window_size: str | None = Query(None, alias="windowSize"),
    window_time_zone: str | None = Query(None, alias="windowTimeZone"),
    subject: list[str] | None = Query(None),
    filter_customer_id: list[str] | None = Query(None, alias="filterCustomerId"),
    customer: list[str] | None = Query(None), group_by: list[str] | None = Query(None, alias="groupBy"),
    tally: Tally = Depends(get_tally), _actor: Actor = Depends(require(Permission.METERS_READ)),
) -> Response:
    """OpenMeter's meter query; `customer` (or `filterCustomerId`) filters by Tally customer id."""
    advanced_raw = request.query_params.get("advancedMeterGroupByFilters")
    advanced = stdjson.loads(advanced_raw) if advanced_raw else {}
    query = _query(meter_id_or_slug, start=from_, end=to, window_size=parse_window_size(window_size),
                   zone=window_time_zone, subjects=_strings(subject, "subject"),
                   customers=_strings([*(customer or ()), *(filter_customer_id or ())], "customer"),
                   group_by=_strings(group_by, "groupBy"),
                   filters=_filters(_deep_object(request, "filterGroupBy"), advanced))
    return _run(tally, query)


@router.post("/meters/{meter_id_or_slug}/query")
async def query_meter_post(request: Request, meter_id_or_slug: str, tally: Tally = Depends(get_tally),
                           _actor: Actor = Depends(require(Permission.METERS_READ))) -> Response:
    """The same query with a JSON body (OpenMeter's MeterQueryRequest)."""
    body = await _body(request, tally)
    if not isinstance(body, Mapping):
        raise MeterInvalid("body", "must be a JSON object (MeterQueryRequest)")
    simple = body.get("filterGroupBy") or {}
    advanced = body.get("advancedMeterGroupByFilters") or {}
    if not isinstance(simple, Mapping) or not isinstance(advanced, Mapping):
        raise MeterInvalid("filterGroupBy", "must be an object of group name to values")
    window = body.get("windowSize")
    query = _query(meter_id_or_slug, start=body.get("from"), end=body.get("to"),
                   window_size=parse_window_size(window if isinstance(window, str) else None),
                   zone=body.get("windowTimeZone"), subjects=_strings(body.get("subject"), "subject"),
                   customers=_strings([*_strings(body.get("filterCustomerId"), "filterCustomerId"),
                                       *_strings(body.get("customer"), "customer")], "customer"),
                   group_by=_strings(body.get("groupBy"), "groupBy"), filters=_filters(simple, advanced))
    return _run(tally, query)


def _run(tally: Tally, query: MeterQuery) -> Response:
    with tally.uow_factory() as uow:
        result = query_meter(uow, query)
    return _json(query_json(result))


@router.get("/meter-rejects")
def list_rejects(meter: str | None = Query(None), limit: int = Query(100, ge=1, le=10_000),
                 tally: Tally = Depends(get_tally),
                 _actor: Actor = Depends(require(Permission.METERS_READ))) -> Response:
    """Events a meter could not use (value missing or not a number), with the reason (Tally extension)."""
    with tally.uow_factory() as uow:
        return _json([reject_json(r) for r in service.rejects(uow, meter_slug=meter, limit=limit)])
