"""API keys: hashed at rest, shown once, roles enforced, revocation works, every change audited."""

import pytest
from sqlalchemy import select

from tally.access import service
from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.errors import InvalidInput, Unauthorized
from tally.store.schema.foundation import api_keys, audit_log


def test_create_authenticate_revoke(tally_app: Tally) -> None:
    admin = Actor.cli_user("alice")
    created = service.create_key(tally_app.uow_factory, role="ingest", name="producer", actor=admin,
                                 clock=tally_app.clock)
    with tally_app.engine.connect() as c:
        stored = c.execute(select(api_keys)).one()
        audit = c.execute(select(audit_log)).all()
    assert created.secret not in stored.secret_sha256 and len(stored.secret_sha256) == 64
    assert [a.action for a in audit] == ["api_key.created"] and audit[0].actor == "user:alice"
    actor = service.authenticate(tally_app.uow_factory, created.secret)
    assert actor.role == "ingest"
    with pytest.raises(Unauthorized):
        service.authenticate(tally_app.uow_factory, created.secret + "x")
    service.revoke_key(tally_app.uow_factory, created.key.key_id, actor=admin, clock=tally_app.clock)
    with pytest.raises(Unauthorized, match="revoked"):
        service.authenticate(tally_app.uow_factory, created.secret)


def test_unknown_role_is_refused_and_nothing_written(tally_app: Tally) -> None:
    with pytest.raises(InvalidInput, match="role"):
        service.create_key(tally_app.uow_factory, role="root", name="x", actor=Actor.cli_user("a"),
                           clock=tally_app.clock)
    with tally_app.engine.connect() as c:
        assert c.execute(select(api_keys)).all() == []
