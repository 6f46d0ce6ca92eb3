"""Meter definitions: OpenMeter's shape, errors naming `meters[i].field`, the demo catalog parses."""

from __future__ import annotations

from importlib import resources

import pytest

from tally.catalog.yamlexact import load_yaml
from tally.metering.definitions import parse_meters
from tally.metering.errors import MeterInvalid
from tally.metering.model import Aggregation


def test_demo_catalog_meters_parse() -> None:
    text = resources.files("tally.demo").joinpath("catalog.yaml").read_text()
    meters = parse_meters(load_yaml(text)["meters"])
    assert [m.slug for m in meters] == ["instance_hours", "egress_gb", "snapshot_gb_hours", "ingest_gb",
                                        "search_requests"]
    assert meters[0].group_by == (("region", "$.region"), ("size", "$.size"))
    assert all(m.aggregation is Aggregation.SUM for m in meters)


def test_full_definition_with_filter_and_dotted_path() -> None:
    (m,) = parse_meters([{"slug": "gpu_seconds", "eventType": "gpu", "aggregation": "max",
                          "valueProperty": "$.usage.seconds", "groupBy": {"model": "$.m.name"},
                          "filter": {"tier": "production", "$.zone.id": 3}}])
    assert m.name == "gpu_seconds"
    assert m.aggregation is Aggregation.MAX
    assert m.filter == (("$.zone.id", "3"), ("tier", "production"))


def test_count_needs_no_value_property() -> None:
    (m,) = parse_meters([{"slug": "calls", "eventType": "api", "aggregation": "COUNT"}])
    assert m.value_property is None


@pytest.mark.parametrize(("raw", "field"), [
    ({"eventType": "x", "aggregation": "SUM", "valueProperty": "$.v"}, "meters[1].slug"),
    ({"slug": "Bad-Slug", "eventType": "x", "aggregation": "SUM", "valueProperty": "$.v"}, "meters[1].slug"),
    ({"slug": "m", "aggregation": "SUM", "valueProperty": "$.v"}, "meters[1].eventType"),
    ({"slug": "m", "eventType": "x", "aggregation": "MEDIAN", "valueProperty": "$.v"}, "meters[1].aggregation"),
    ({"slug": "m", "eventType": "x", "aggregation": "SUM"}, "meters[1].valueProperty"),
    ({"slug": "m", "eventType": "x", "aggregation": "SUM", "valueProperty": "$[0]"}, "meters[1].valueProperty"),
    ({"slug": "m", "eventType": "x", "aggregation": "SUM", "valueProperty": "$.v", "groupBy": {"r": 3}},
     "meters[1].groupBy.r"),
    ({"slug": "m", "eventType": "x", "aggregation": "SUM", "valueProperty": "$.v", "colour": "red"},
     "meters[1].colour"),
    ({"slug": "ok", "eventType": "x", "aggregation": "SUM", "valueProperty": "$.v"}, "meters[1].slug"),
])
def test_errors_name_the_field(raw: dict[str, object], field: str) -> None:
    good = {"slug": "ok", "eventType": "x", "aggregation": "SUM", "valueProperty": "$.v"}
    with pytest.raises(MeterInvalid) as caught:
        parse_meters([good, raw])
    assert caught.value.field == field
