"""The catalog and apply results as JSON-ready mappings (for `tally catalog show --json` and the API). Pure."""

from __future__ import annotations

from typing import Any

from tally.catalog.prices import price_to_mapping
from tally.catalog.service import ApplyResult, CatalogView


def catalog_json(view: CatalogView) -> dict[str, Any]:
    return {
        "products": [{"code": p.code, "name": p.name, "meter": p.meter_slug, "filter": dict(p.group_filter),
                      "unit": p.unit, "revenue_category": p.revenue_category,
                      "version": view.versions.get(("product", p.code))}
                     for p in sorted(view.products.values(), key=lambda p: p.code)],
        "plans": [{"code": p.code, "name": p.name, "products": list(p.products), "price_books": dict(p.price_books),
                   "version": view.versions.get(("plan", p.code))}
                  for p in sorted(view.plans.values(), key=lambda p: p.code)],
        "price_book_versions": [{"version_id": b.version_id, "price_book": b.price_book_code, "version": b.version,
                                 "currencies": list(b.currencies), "effective_from": b.effective_from.isoformat(),
                                 "prices": {code: price_to_mapping(price) for code, price in b.prices}}
                                for b in view.book_versions],
    }


def apply_json(result: ApplyResult) -> dict[str, Any]:
    return {"applied": result.applied, "counts": result.counts,
            "changes": [{"kind": c.kind, "code": c.code, "action": c.action.value, "version": c.version,
                         "detail": c.detail} for c in result.changes]}
