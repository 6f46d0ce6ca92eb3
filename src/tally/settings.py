"""One typed settings object, read from the environment once at start and validated.

Nothing reads the environment elsewhere. Never created at import time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tally.errors import InvalidInput


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Where Tally keeps its data and how it talks to its database."""

    home: Path
    database_url: str
    future_event_tolerance: timedelta = timedelta(hours=1)
    event_bytes_max: int = 64 * 1024
    batch_events_max: int = 10_000
    request_bytes_max: int = 32 * 1024 * 1024
    catalog_path: Path | None = None
    billing_config_path: Path | None = None  # TALLY_BILLING_CONFIG: seller, payment terms, tax rates
    strict_event_types: bool = False  # TALLY_STRICT_EVENT_TYPES: reject events no meter reads

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        home = Path(env.get("TALLY_HOME", ".tally")).expanduser()
        url = env.get("TALLY_DATABASE_URL") or f"sqlite:///{(home / 'tally.db').resolve()}"
        if not (url.startswith("sqlite") or url.startswith("postgresql")):
            raise InvalidInput("TALLY_DATABASE_URL", f"must be a sqlite:// or postgresql:// URL, got {url!r}")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        tolerance_s = _int(env, "TALLY_FUTURE_EVENT_TOLERANCE_S", 3600)
        catalog = env.get("TALLY_CATALOG")
        billing_config = env.get("TALLY_BILLING_CONFIG")
        return cls(
            home=home,
            database_url=url,
            future_event_tolerance=timedelta(seconds=tolerance_s),
            event_bytes_max=_int(env, "TALLY_EVENT_BYTES_MAX", 64 * 1024),
            batch_events_max=_int(env, "TALLY_BATCH_EVENTS_MAX", 10_000),
            request_bytes_max=_int(env, "TALLY_REQUEST_BYTES_MAX", 32 * 1024 * 1024),
            catalog_path=Path(catalog) if catalog else None,
            billing_config_path=Path(billing_config) if billing_config else None,
            strict_event_types=_bool(env, "TALLY_STRICT_EVENT_TYPES"),
        )


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(name, f"must be an integer, got {raw!r}") from None
    if value < 0:
        raise InvalidInput(name, f"must not be negative, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(name, f"must be true or false, got {raw!r}")
