"""Readers for event files: NDJSON, JSON arrays, CSV and Parquet, streamed in chunks.

Each reader turns its rows into the raw JSON bytes of one CloudEvent per item, numbered by line
(NDJSON, CSV: the physical line number, 1-based) or by position (JSON array items and Parquet rows,
1-based), so that every format goes through the same validation. Reads files; never writes.

CSV: columns are named after the attributes (`id`, `source`, `type`, `subject`, `time`,
`specversion` — "1.0" when the column is absent) and `data.<field>` for payload fields (dots nest:
`data.usage.gb` → {"usage": {"gb": …}}); a `data` column may instead hold the payload's JSON text.
Cells are strings: "12.5" stays the string "12.5" in the payload (exact; metering reads numeric
strings exactly). An empty cell is an absent field.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import msgspec

from tally.errors import InvalidInput

FORMATS = ("ndjson", "json", "csv", "parquet")
_SUFFIXES = {".ndjson": "ndjson", ".jsonl": "ndjson", ".json": "json", ".csv": "csv", ".parquet": "parquet",
             ".pq": "parquet"}
_ENCODER = msgspec.json.Encoder(decimal_format="number")


@dataclass(frozen=True, slots=True)
class Chunk:
    """Up to `batch_size` items (position, raw JSON bytes), the lines read for them, and progress."""

    items: list[tuple[int, bytes]]
    lines: int
    done: int
    total: int


def detect_format(path: Path | None, fmt: str | None) -> str:
    """The format named, or the one the file's suffix says; stdin defaults to NDJSON."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InvalidInput("format", f"must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    if path is None:
        return "ndjson"
    found = _SUFFIXES.get(path.suffix.lower())
    if found is None:
        raise InvalidInput(str(path), f"unknown file suffix {path.suffix!r}: name the format with --format "
                                      f"({', '.join(FORMATS)})")
    return found


def read_chunks(path: Path | None, fmt: str, *, batch_size: int) -> Generator[Chunk, None, None]:
    """Stream the file (or stdin when `path` is None) as chunks of at most `batch_size` items."""
    if batch_size < 1:
        raise InvalidInput("batch_size", f"must be at least 1, got {batch_size}")
    name = str(path) if path is not None else "stdin"
    try:
        if fmt == "parquet":
            yield from _parquet(path, batch_size)
            return
        stream: IO[bytes] = sys.stdin.buffer if path is None else path.open("rb")
    except OSError as exc:
        raise InvalidInput(name, f"cannot be read: {exc.strerror}") from None
    try:
        total = _size(path)
        if fmt == "ndjson":
            yield from _ndjson(stream, batch_size, total)
        elif fmt == "json":
            yield from _json(stream, batch_size, name)
        else:
            yield from _csv(stream, batch_size, total, name)
    finally:
        if path is not None:
            stream.close()


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


def _ndjson(stream: IO[bytes], batch_size: int, total: int) -> Iterator[Chunk]:
    items: list[tuple[int, bytes]] = []
    number = 0
    done = 0
    first = 0
    for line in stream:
        number += 1
        done += len(line)
        text = line.strip()
        if not text:
            continue
        items.append((number, text))
        if len(items) >= batch_size:
            yield Chunk(items, number - first, done, total)
            items, first = [], number
    if items or number > first:
        yield Chunk(items, number - first, done, total)


def _json(stream: IO[bytes], batch_size: int, name: str) -> Iterator[Chunk]:
    body = stream.read()
    try:
        raws = split_json(body)
    except InvalidInput as exc:
        raise InvalidInput(name, exc.reason) from None
    total = len(raws)
    for start in range(0, total, batch_size):
        part = raws[start:start + batch_size]
        yield Chunk([(start + i + 1, raw) for i, raw in enumerate(part)], len(part), start + len(part), total)


def split_json(body: bytes) -> list[bytes]:
    """The raw bytes of each event of a JSON body: one object, or an array of them."""
    stripped = body.lstrip()
    if not stripped:
        raise InvalidInput("body", "is empty: expected a CloudEvent object or a JSON array of them")
    if stripped[:1] == b"[":
        try:
            return [bytes(raw) for raw in msgspec.json.decode(body, type=list[msgspec.Raw])]
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise InvalidInput("body", f"is not a valid JSON array: {exc}") from None
    if stripped[:1] == b"{":
        try:
            msgspec.json.decode(body, type=msgspec.Raw)  # well-formed JSON, checked once here
        except msgspec.DecodeError as exc:
            raise InvalidInput("body", f"is not valid JSON: {exc}") from None
        return [body.strip()]
    raise InvalidInput("body", "must be a CloudEvent (a JSON object) or a JSON array of CloudEvents")


def compose_event(attributes: dict[str, Any], data: dict[str, Any], data_text: str | None) -> bytes:
    """The JSON of one event built from columns: attributes, then `data` (JSON text kept as is)."""
    if "specversion" not in attributes:
        attributes = {"specversion": "1.0", **attributes}
    head = _ENCODER.encode(attributes)
    if data_text is not None and data_text.strip():
        payload = data_text.strip().encode()
    elif data:
        payload = _ENCODER.encode(data)
    else:
        return head
    return head[:-1] + (b',"data":' if len(head) > 2 else b'"data":') + payload + b"}"


def _put(data: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[parts[-1]] = value


def _row_event(row: dict[str, Any]) -> bytes:
    attributes: dict[str, Any] = {}
    data: dict[str, Any] = {}
    data_text: str | None = None
    for column, value in row.items():
        if value is None or value == "" or column is None:
            continue
        if column == "data":
            if isinstance(value, str):
                data_text = value
            else:
                data = _jsonable(value)
        elif column.startswith("data."):
            _put(data, column[5:], _jsonable(value))
        else:
            attributes[column] = _jsonable(value)
    return compose_event(attributes, data, data_text)


def _jsonable(value: Any) -> Any:
    """Parquet cells to JSON values: timestamps as RFC 3339, decimals as exact numbers."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | str | int | bool | float):  # float-ok: a Parquet double, written as read
        return value
    return str(value)


class _Counting:
    """Text lines from a byte stream, counting the bytes consumed (for the progress bar)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.done = 0

    def __iter__(self) -> Iterator[str]:
        for line in self._stream:
            self.done += len(line)
            yield line.decode("utf-8-sig" if self.done == len(line) else "utf-8")


def _csv(stream: IO[bytes], batch_size: int, total: int, name: str) -> Iterator[Chunk]:
    counting = _Counting(stream)
    try:
        reader = csv.DictReader(iter(counting))
        items: list[tuple[int, bytes]] = []
        first = 0
        for row in reader:
            items.append((reader.line_num, _row_event(row)))
            if len(items) >= batch_size:
                yield Chunk(items, reader.line_num - first, counting.done, total)
                items, first = [], reader.line_num
        if items or reader.line_num > first:
            yield Chunk(items, reader.line_num - first, counting.done, total)
    except (csv.Error, UnicodeDecodeError) as exc:
        raise InvalidInput(name, f"is not readable CSV: {exc}") from None


def _parquet(path: Path | None, batch_size: int) -> Iterator[Chunk]:
    import pyarrow as pa  # imported here: only Parquet imports need pyarrow
    import pyarrow.parquet as pq

    source: Any = io.BytesIO(sys.stdin.buffer.read()) if path is None else str(path)
    try:
        parquet = pq.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise InvalidInput(str(path or "stdin"), f"is not a readable Parquet file: {exc}") from None
    total = parquet.metadata.num_rows
    done = 0
    for batch in parquet.iter_batches(batch_size=batch_size):
        rows = batch.to_pylist()
        items = [(done + i + 1, _row_event(row)) for i, row in enumerate(rows)]
        done += len(rows)
        yield Chunk(items, len(rows), done, total)
