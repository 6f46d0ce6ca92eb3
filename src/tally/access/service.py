"""Create, list, revoke and check API keys. Secrets are shown once and stored only as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import insert, select, update

from tally.access.model import ApiKey, Role
from tally.audit.model import Actor, ActorKind
from tally.clock import Clock
from tally.errors import InvalidInput, NotFound, Unauthorized
from tally.store.schema.foundation import api_keys
from tally.store.uow import UnitOfWorkFactory

_PREFIX = "tly"


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    secret: str  # the full bearer token; never stored, printed once


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(uow_factory: UnitOfWorkFactory, *, role: str, name: str, actor: Actor, clock: Clock) -> CreatedKey:
    try:
        parsed_role = Role(role)
    except ValueError:
        raise InvalidInput("role", f"unknown role {role!r}; one of {', '.join(r.value for r in Role)}") from None
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    key_id = secrets.token_hex(8)
    token = f"{_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    now = clock.now()
    key = ApiKey(key_id=key_id, role=parsed_role, name=name, created_at=now)
    with uow_factory() as uow:
        uow.connection.execute(insert(api_keys).values(
            key_id=key_id, secret_sha256=_hash(token), role=parsed_role.value, name=name, created_at=now))
        uow.audit.record("api_key.created", actor=actor, subject_type="api_key", subject_id=key_id, at=now,
                         after=key)
        uow.commit()
    return CreatedKey(key=key, secret=token)


def revoke_key(uow_factory: UnitOfWorkFactory, key_id: str, *, actor: Actor, clock: Clock) -> ApiKey:
    now = clock.now()
    with uow_factory() as uow:
        row = uow.connection.execute(select(api_keys).where(api_keys.c.key_id == key_id)).first()
        if row is None:
            raise NotFound("api key", key_id)
        before = _to_key(row._mapping)
        uow.connection.execute(update(api_keys).where(api_keys.c.key_id == key_id).values(revoked_at=now))
        after = ApiKey(key_id=before.key_id, role=before.role, name=before.name, created_at=before.created_at,
                       revoked_at=now)
        uow.audit.record("api_key.revoked", actor=actor, subject_type="api_key", subject_id=key_id, at=now,
                         before=before, after=after)
        uow.commit()
    return after


def list_keys(uow_factory: UnitOfWorkFactory) -> tuple[ApiKey, ...]:
    with uow_factory() as uow:
        rows = uow.connection.execute(select(api_keys).order_by(api_keys.c.created_at))
        return tuple(_to_key(r._mapping) for r in rows)


def authenticate(uow_factory: UnitOfWorkFactory, token: str) -> Actor:
    """Turn a bearer token into the actor it belongs to; unknown or revoked keys are refused."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != _PREFIX:
        raise Unauthorized("malformed API key")
    with uow_factory() as uow:
        row = uow.connection.execute(select(api_keys).where(api_keys.c.key_id == parts[1])).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _hash(token)):
        raise Unauthorized("unknown API key")
    if row.revoked_at is not None:
        raise Unauthorized("revoked API key")
    return Actor(kind=ActorKind.API_KEY, name=f"{row.name}({row.key_id})", role=row.role)


def _to_key(row: object) -> ApiKey:
    m = dict(row)  # type: ignore[call-overload]
    return ApiKey(key_id=m["key_id"], role=Role(m["role"]), name=m["name"], created_at=m["created_at"],
                  revoked_at=m["revoked_at"])
