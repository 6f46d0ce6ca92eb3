"""Errors of the catalog stage; every one names the exact place in the input.

InvalidInput (tally.errors)
└── CatalogInvalid   invalid_catalog   400 / exit 2   (field: the exact path, e.g. `prices.x.tiers[2].up_to`)
Conflict (tally.errors)
└── CatalogConflict  catalog_conflict  409 / exit 4   (an applied version would be rewritten)
"""

from __future__ import annotations

from tally.errors import Conflict, InvalidInput


class CatalogInvalid(InvalidInput):
    code = "invalid_catalog"
    title = "Invalid catalog"


class CatalogConflict(Conflict):
    code = "catalog_conflict"
    title = "Catalog conflict"
