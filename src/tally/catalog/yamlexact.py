"""Read YAML exactly: unquoted decimals become `Decimal` (from their text), timestamps stay text.

PyYAML's safe loader would turn `0.10` into a binary float and `2026-11-01T00:00:00Z` into a
datetime; money and instants are parsed by the catalog with named errors instead. No I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import yaml

from tally.catalog.errors import CatalogInvalid


class _ExactLoader(yaml.SafeLoader):
    pass


def _decimal(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal:
    value = loader.construct_scalar(node)  # type: ignore[arg-type]
    text = str(value).replace("_", "")
    if text.lower().lstrip("+-") in {".inf", ".nan"}:
        raise CatalogInvalid(f"line {node.start_mark.line + 1}", f"{text!r} is not a finite decimal")
    return Decimal(text)


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
    """A mapping that refuses a key written twice (YAML would silently keep the last one)."""
    data: dict[Any, Any] = {}
    yield data
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise CatalogInvalid(f"line {key_node.start_mark.line + 1}", f"the key {key!r} is written twice")
        seen.add(key)
    data.update(loader.construct_mapping(node, deep=True))


_ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)  # float-ok: YAML decimals read as Decimal
_ExactLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
_ExactLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_ExactLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "document"
        raise CatalogInvalid(where, f"is not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
