"""Streaming readers: a file becomes (line, record) groups without loading it whole."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from smartcustoms.errors import InvalidInput

_BLOCK = 1 << 20


def file_fingerprint(path: Path) -> tuple[str, int, int]:
    """(sha256, bytes, lines) in one pass; lines size the progress bar."""
    sha, size, lines = hashlib.sha256(), 0, 0
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            sha.update(block)
            size += len(block)
            lines += block.count(b"\n")
    return sha.hexdigest(), size, lines


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    raise InvalidInput(
        f"cannot tell the format of {path.name}: use .csv, .json or .jsonl, or pass --format",
        field="file", value=path.name,
    )


def csv_header_and_rows(
    path: Path, *, delimiter: str, encoding: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    fh = path.open(newline="", encoding=encoding, errors="strict")
    reader = csv.reader(fh, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        fh.close()
        raise InvalidInput("the file is empty: a header row is expected",
                           field="file", value=path.name) from None
    except UnicodeDecodeError as exc:
        fh.close()
        raise InvalidInput(f"the file is not {encoding} text: {exc.reason}",
                           field="file", value=path.name) from None
    width = len(header)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with fh:
            try:
                for row in reader:
                    if not row:  # blank line
                        continue
                    if len(row) != width:
                        # Keep the row, padded, and mark it by a negative line number:
                        # validation quarantines it with the reason (ingest.py).
                        row = [*row, *[""] * (width - len(row))] if len(row) < width else row
                        yield -reader.line_num, row
                    else:
                        yield reader.line_num, row
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    f"line {reader.line_num + 1} is not {encoding} text: {exc.reason}",
                    field="file", value=path.name,
                ) from None
            except csv.Error as exc:
                raise InvalidInput(f"line {reader.line_num}: {exc}", field="file",
                                   value=path.name) from None

    return header, rows()


def json_records(path: Path, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line or position, parsed record); unparsable records come as (n, bytes) to quarantine."""
    if fmt == "jsonl":
        with path.open("rb") as fh:
            for n, raw in enumerate(fh, start=1):
                if raw.strip():
                    try:
                        yield n, orjson.loads(raw)
                    except orjson.JSONDecodeError:
                        yield n, UnparsableRecord(raw.decode("utf-8", "replace"))
        return
    with path.open("rb") as fh:
        yield from _json_document(fh, path.name)


def _json_document(fh: BinaryIO, name: str) -> Iterator[tuple[int, Any]]:
    first = fh.read(1)
    while first and first.isspace():
        first = fh.read(1)
    fh.seek(fh.tell() - 1 if first else 0)
    try:
        if first == b"[":
            yield from enumerate(ijson.items(fh, "item", use_float=False), start=1)
        else:
            yield 1, orjson.loads(fh.read())
    except (ijson.JSONError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"{name} is not valid JSON: {exc}", field="file", value=name) from None


class UnparsableRecord(str):
    """The raw text of a JSON Lines record that is not JSON."""
