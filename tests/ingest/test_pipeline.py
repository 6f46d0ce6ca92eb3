"""Read-ahead: order kept, producer errors raised in the consumer, an early stop closes the producer."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tally.ingest.pipeline import read_ahead


def test_items_arrive_in_order() -> None:
    assert list(read_ahead((i for i in range(100)), depth=2)) == list(range(100))


def test_a_producer_error_is_raised_in_the_consumer_after_the_items_before_it() -> None:
    def source() -> Generator[int, None, None]:
        yield 1
        yield 2
        raise ValueError("bad file")

    got: list[int] = []
    with pytest.raises(ValueError, match="bad file"):
        for item in read_ahead(source(), depth=1):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_closes_the_producer() -> None:
    closed: list[bool] = []

    def source() -> Generator[int, None, None]:
        try:
            yield from range(1000)
        finally:
            closed.append(True)

    with pytest.raises(KeyboardInterrupt):
        for item in read_ahead(source(), depth=2):
            if item == 3:
                raise KeyboardInterrupt
    assert closed == [True]


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError, match="depth"):
        list(read_ahead((i for i in range(3)), depth=0))
