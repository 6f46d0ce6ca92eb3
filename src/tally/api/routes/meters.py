"""HTTP routes of the meters area, mounted under /api/v1."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["meters"])
