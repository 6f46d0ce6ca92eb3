"""401 without a key, 403 for a role that may not, 200 when allowed (on a probe route)."""

from collections.abc import Callable

from fastapi import Depends
from fastapi.testclient import TestClient

from tally.access.model import Permission
from tally.api.app import create_app
from tally.api.security import require
from tally.audit.model import Actor
from tally.bootstrap import Tally


def test_auth_and_roles(tally_app: Tally, key_for: Callable[[str], dict[str, str]]) -> None:
    app = create_app(tally_app)

    @app.get("/probe")
    def probe(actor: Actor = Depends(require(Permission.INVOICES_WRITE))) -> dict[str, str]:
        return {"actor": str(actor)}

    with TestClient(app) as client:
        missing = client.get("/probe")
        assert missing.status_code == 401 and missing.json()["code"] == "unauthorized"
        assert client.get("/probe", headers={"Authorization": "Bearer tly_nope_nope"}).status_code == 401
        forbidden = client.get("/probe", headers=key_for("viewer"))
        assert forbidden.status_code == 403 and forbidden.json()["code"] == "forbidden"
        assert client.get("/probe", headers=key_for("billing")).status_code == 200
