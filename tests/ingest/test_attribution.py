"""Attribution: half-open effective dating; the index agrees with the plain resolver."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tally.errors import InvalidInput
from tally.ingest.attribution import Attribution, SubjectMapping, customer_for

T = datetime(2026, 11, 1, tzinfo=UTC)


def m(subject: str, customer: str, start_h: int, end_h: int | None = None) -> SubjectMapping:
    return SubjectMapping(subject=subject, customer_id=customer, effective_from=T + timedelta(hours=start_h),
                          effective_to=None if end_h is None else T + timedelta(hours=end_h))


def test_half_open_boundaries() -> None:
    mappings = [m("dep", "acme", 0, 10), m("dep", "globex", 10)]
    assert customer_for(mappings, "dep", T - timedelta(microseconds=1)) is None
    assert customer_for(mappings, "dep", T) == "acme"
    assert customer_for(mappings, "dep", T + timedelta(hours=10) - timedelta(microseconds=1)) == "acme"
    assert customer_for(mappings, "dep", T + timedelta(hours=10)) == "globex"  # the instant of a move: the new one
    assert customer_for(mappings, "other", T) is None


def test_invalid_mappings_are_refused() -> None:
    with pytest.raises(InvalidInput, match="effective_to"):
        m("dep", "acme", 5, 5)
    with pytest.raises(InvalidInput, match="subject"):
        m(" ", "acme", 0)
    with pytest.raises(InvalidInput, match="customer_id"):
        m("dep", "", 0)


spans = st.lists(st.tuples(st.sampled_from(["d1", "d2"]), st.sampled_from(["a", "b", "c"]), st.integers(0, 20),
                           st.one_of(st.none(), st.integers(1, 10))), max_size=6)


@given(spans=spans, probe=st.integers(-2, 32), subject=st.sampled_from(["d1", "d2", "d3"]))
def test_index_agrees_with_resolver(spans: list[tuple[str, str, int, int | None]], probe: int, subject: str) -> None:
    mappings = [m(s, c, start, None if length is None else start + length) for s, c, start, length in spans]
    at = T + timedelta(hours=probe)
    expected = customer_for(mappings, subject, at)
    got = Attribution(mappings).customer_for(subject, at)
    if len({mp.effective_from for mp in mappings if mp.subject == subject and mp.covers(at)}) == \
            len([mp for mp in mappings if mp.subject == subject and mp.covers(at)]):
        assert got == expected  # ties between equal starts may resolve either way
