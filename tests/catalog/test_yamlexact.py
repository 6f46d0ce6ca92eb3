from decimal import Decimal

import pytest

from tally.catalog.errors import CatalogInvalid
from tally.catalog.yamlexact import load_yaml


def test_decimals_exact_and_instants_as_text() -> None:
    assert load_yaml("a: 0.10\nb: 2026-11-01T00:00:00Z\nc: 1000") == {
        "a": Decimal("0.10"), "b": "2026-11-01T00:00:00Z", "c": 1000}


def test_a_key_written_twice_is_refused_merges_are_not() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_yaml("prices:\n  egress: 1\n  egress: 2\n")
    assert caught.value.field == "line 3"
    assert load_yaml("base: &b {x: 1, y: 2}\nother:\n  <<: *b\n  y: 3\n")["other"] == {"x": 1, "y": 3}


def test_bad_yaml_names_the_line() -> None:
    with pytest.raises(CatalogInvalid) as caught:
        load_yaml("a: [1, 2\nb: 3")
    assert caught.value.field.startswith("line")
    with pytest.raises(CatalogInvalid):
        load_yaml("a: .inf")
