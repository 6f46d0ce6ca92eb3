from decimal import Decimal

from tally.catalog.diff import changed_paths, describe_changes


def test_changed_paths() -> None:
    before = {"model": "graduated", "tiers": [{"up_to": 10, "unit_price": "1"}, {"up_to": None, "unit_price": "0.5"}]}
    after = {"model": "graduated", "tiers": [{"up_to": 10, "unit_price": "1"}, {"up_to": None, "unit_price": "0.4"}],
             "rounding": "half_up"}
    assert changed_paths(before, after) == ["+rounding", "tiers[1].unit_price"]
    assert changed_paths({"a": Decimal("0.10")}, {"a": "0.10"}) == []  # the same decimal, however it was read
    assert changed_paths({"t": [1]}, {"t": [1, 2]}) == ["t"]
    assert describe_changes({"a": 1}, {"b": 1}) == "changed: -a, +b"
