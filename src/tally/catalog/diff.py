"""What changed between two versions of a document: the paths whose values differ. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tally.audit.canonical import canonical_json

CHANGED_PATHS_SHOWN_MAX = 8


def changed_paths(before: Any, after: Any, path: str = "") -> list[str]:
    """Paths like `tiers[1].unit_price` whose values differ (compared as canonical JSON)."""
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        out: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            here = f"{path}.{key}" if path else str(key)
            if key not in before:
                out.append(f"+{here}")
            elif key not in after:
                out.append(f"-{here}")
            else:
                out.extend(changed_paths(before[key], after[key], here))
        return out
    if (isinstance(before, Sequence) and isinstance(after, Sequence) and not isinstance(before, str)
            and not isinstance(after, str) and len(before) == len(after)):
        out = []
        for i, (b, a) in enumerate(zip(before, after, strict=True)):
            out.extend(changed_paths(b, a, f"{path}[{i}]"))
        return out
    return [] if canonical_json(before) == canonical_json(after) else [path or "(document)"]


def describe_changes(before: Any, after: Any) -> str:
    paths = changed_paths(before, after)
    shown = ", ".join(paths[:CHANGED_PATHS_SHOWN_MAX])
    more = len(paths) - CHANGED_PATHS_SHOWN_MAX
    return f"changed: {shown}" + (f" and {more} more" if more > 0 else "")
