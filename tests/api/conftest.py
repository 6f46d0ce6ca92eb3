from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tally.access import service
from tally.api.app import create_app
from tally.audit.model import Actor
from tally.bootstrap import Tally


@pytest.fixture
def client(tally_app: Tally) -> Iterator[TestClient]:
    with TestClient(create_app(tally_app)) as c:
        yield c


@pytest.fixture
def key_for(tally_app: Tally):  # type: ignore[no-untyped-def]
    def make(role: str) -> dict[str, str]:
        created = service.create_key(tally_app.uow_factory, role=role, name=f"test-{role}",
                                     actor=Actor.cli_user("test"), clock=tally_app.clock)
        return {"Authorization": f"Bearer {created.secret}"}

    return make
