"""Actors and audit records. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class ActorKind(StrEnum):
    USER = "user"
    API_KEY = "api_key"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who asked for a change: a person at the CLI, an API key, or the system itself."""

    kind: ActorKind
    name: str
    role: str = "admin"

    def __str__(self) -> str:
        return f"{self.kind}:{self.name}"

    @classmethod
    def cli_user(cls, name: str) -> Actor:
        return cls(kind=ActorKind.USER, name=name, role="admin")

    @classmethod
    def system(cls, name: str = "tally") -> Actor:
        return cls(kind=ActorKind.SYSTEM, name=name, role="admin")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One subject's change, before it is recorded: many share an action, an actor and an instant."""

    subject_id: str
    before: Any = None
    after: Any = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    seq: int
    recorded_at: datetime
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before: str | None
    after: str | None
