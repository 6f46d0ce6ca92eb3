"""The whole chain with real parts: ingest → rollups → rating → issued invoice; then a late event.

Late usage never edits the issued invoice: a re-rate shows the difference, a correction bills it on an
adjustment invoice, and the original still verifies against the raw events it could have seen.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import orjson

from tally.audit.model import Actor
from tally.catalog.service import apply_catalog
from tally.clock import FixedClock
from tally.contracts.service import NewCustomer, subscribe_customers
from tally.ingest.attribution import SubjectMapping
from tally.ingest.observers import IngestHooks
from tally.ingest.service import ingest_body, map_subjects
from tally.invoicing import service
from tally.invoicing.billing_run import run_billing
from tally.invoicing.wiring import billing_deps
from tally.metering.wiring import event_observers
from tally.period import Period
from tally.settings import Settings
from tests.conftest import TestDatabase

OCT = Period.month("2026-10")
ACTOR = Actor.system("test")


def _events(*items: tuple[str, str, str, dict[str, object]]) -> bytes:
    return orjson.dumps([{"specversion": "1.0", "id": event_id, "source": "meter-agent", "type": event_type,
                          "subject": "dep-1", "time": at, "data": data} for event_id, event_type, at, data in items])


def test_late_usage_after_issue_is_an_adjustment_never_an_edit(db: TestDatabase, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 9, 30, tzinfo=UTC))
    settings = Settings(home=tmp_path, database_url=db.url)
    hooks = IngestHooks(observers=event_observers())
    apply_catalog(db.uow_factory, resources.files("tally.demo").joinpath("catalog.yaml").read_text(), actor=ACTOR,
                  clock=clock)
    subscribe_customers(db.uow_factory, [NewCustomer(customer_id="cust-0001", plan_code="self-serve",
                                                     start=OCT.start, currency="USD", name="Acme")],
                        actor=ACTOR, clock=clock)
    map_subjects(db.uow_factory, [SubjectMapping(subject="dep-1", customer_id="cust-0001",
                                                 effective_from=OCT.start)], hooks=hooks, actor=ACTOR, clock=clock)

    def send(body: bytes) -> None:
        result = ingest_body(db.uow_factory, body, content_type="application/json", origin="http", hooks=hooks,
                             settings=settings, clock=clock, actor=ACTOR)
        assert not result.rejected

    clock.current = datetime(2026, 11, 1, 2, tzinfo=UTC)
    send(_events(("e1", "transfer.egress", "2026-10-03T10:00:00Z", {"gb": 120.5, "region": "eu-west-1"}),
                 ("e2", "transfer.egress", "2026-10-20T10:00:00Z", {"gb": "29.5", "region": "eu-west-1"}),
                 ("e3", "compute.instance.usage", "2026-10-05T01:00:00Z",
                  {"hours": 10, "size": "m5.large", "region": "eu-west-1"})))
    deps = billing_deps(settings)
    clock.current = datetime(2026, 11, 2, tzinfo=UTC)
    assert run_billing(db.uow_factory, period=OCT, deps=deps, actor=ACTOR, clock=clock, issue=True,
                       customers=["cust-0001"]).issued == 1
    (invoice,) = service.list_invoices(db.uow_factory, period=OCT, customer_id="cust-0001")
    assert invoice.number is not None
    lines = {ln.line_key: ln for ln in invoice.lines}
    assert (lines["usage:main:egress"].quantity, lines["usage:main:egress"].amount.text()) == (Decimal("150.0"),
                                                                                                "4.50")  # 50 × 0.09
    assert lines["usage:main:compute_m5_large"].amount.text() == "0.96"  # 10 h × 0.096
    assert service.verify_invoice(db.uow_factory, invoice.number, deps=deps).matches

    clock.current = datetime(2026, 11, 5, tzinfo=UTC)  # October's usage, received after the invoice was issued
    send(_events(("e4", "transfer.egress", "2026-10-31T23:00:00Z", {"gb": 100, "region": "eu-west-1"})))
    rerate = service.rerate_invoice(db.uow_factory, invoice.number, deps=deps, clock=clock)
    assert [(d.line_key, d.recomputed_amount.text()) for d in rerate.differences] == [("usage:main:egress", "13.50")]
    correction = service.issue_correction(db.uow_factory, invoice.number, deps=deps, reason="late egress",
                                          actor=ACTOR, clock=clock)
    assert correction.credit_note is None and correction.adjustment is not None
    assert correction.adjustment.totals.subtotal.text() == "9.00"  # 100 GB × 0.09

    unchanged = service.get_invoice(db.uow_factory, invoice.number)
    assert (unchanged.lines_digest, unchanged.totals) == (invoice.lines_digest, invoice.totals)
    assert service.verify_invoice(db.uow_factory, invoice.number, deps=deps).matches  # what it could have seen
    assert all(v.matches for v in service.verify_all(db.uow_factory, deps=deps, period=OCT))
