"""Roles and permissions. Pure: a role is a fixed set of permissions, checked at the door."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Permission(StrEnum):
    EVENTS_WRITE = "events:write"
    EVENTS_READ = "events:read"
    METERS_READ = "meters:read"
    METERS_WRITE = "meters:write"
    CATALOG_READ = "catalog:read"
    CATALOG_WRITE = "catalog:write"
    INVOICES_READ = "invoices:read"
    INVOICES_WRITE = "invoices:write"
    LEDGER_READ = "ledger:read"
    LEDGER_WRITE = "ledger:write"
    AUDIT_READ = "audit:read"
    KEYS_MANAGE = "keys:manage"


class Role(StrEnum):
    ADMIN = "admin"
    INGEST = "ingest"
    VIEWER = "viewer"
    BILLING = "billing"
    FINANCE = "finance"
    AUDITOR = "auditor"


_READ = frozenset({Permission.EVENTS_READ, Permission.METERS_READ, Permission.CATALOG_READ,
                   Permission.INVOICES_READ, Permission.LEDGER_READ})

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.INGEST: frozenset({Permission.EVENTS_WRITE}),
    Role.VIEWER: _READ,
    Role.BILLING: _READ | {Permission.METERS_WRITE, Permission.CATALOG_WRITE, Permission.INVOICES_WRITE},
    Role.FINANCE: _READ | {Permission.LEDGER_WRITE, Permission.INVOICES_WRITE},
    Role.AUDITOR: _READ | {Permission.AUDIT_READ},
}


def may(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiKey:
    key_id: str
    role: Role
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
