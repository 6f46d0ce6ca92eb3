"""Bearer API-key authentication and role checks, as FastAPI dependencies."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

from tally.access.model import Permission, Role, may
from tally.access.service import authenticate
from tally.audit.model import Actor
from tally.bootstrap import Tally
from tally.errors import Forbidden, Unauthorized


def get_tally(request: Request) -> Tally:
    tally: Tally = request.app.state.tally
    return tally


def require(permission: Permission) -> Callable[[Request], Actor]:
    """A dependency that answers 401 without a valid key and 403 when the key's role may not."""

    def dependency(request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send an API key as 'Authorization: Bearer <key>'")
        actor = authenticate(get_tally(request).uow_factory, token.strip())
        if not may(Role(actor.role), permission):
            raise Forbidden(f"role {actor.role!r} may not {permission.value}")
        return actor

    return dependency
