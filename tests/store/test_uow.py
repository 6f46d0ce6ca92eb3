"""The unit of work: planning for actual values is scoped to its block and its transaction."""

from __future__ import annotations

import pytest

from tally.store.uow import UnitOfWork
from tests.conftest import TestDatabase


def _plan_cache_mode(uow: UnitOfWork) -> str:
    """PostgreSQL's setting; SQLite has no plan cache to configure."""
    if uow.dialect == "sqlite":
        return "n/a"
    return str(uow.connection.exec_driver_sql("SHOW plan_cache_mode").scalar_one())


def test_planning_for_actual_values_holds_inside_the_block_only(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        default = _plan_cache_mode(uow)
        with uow.planned_for_actual_values():
            assert _plan_cache_mode(uow) == ("n/a" if db.backend == "sqlite" else "force_custom_plan")
            assert uow.connection.exec_driver_sql("SELECT 1").scalar_one() == 1
        assert _plan_cache_mode(uow) == default
        uow.commit()
    with db.uow_factory() as uow:
        assert _plan_cache_mode(uow) == default


def test_a_block_that_raises_leaves_the_next_transaction_planned_as_usual(db: TestDatabase) -> None:
    with db.uow_factory() as uow:
        default = _plan_cache_mode(uow)
    with pytest.raises(RuntimeError, match="a failed batch"), db.uow_factory() as uow, \
            uow.planned_for_actual_values():
        raise RuntimeError("a failed batch")
    with db.uow_factory() as uow:
        assert _plan_cache_mode(uow) == default
