"""File imports: stream, validate in worker processes, write chunk by chunk.

Every chunk is one transaction holding its declarations, its quarantined
records and the run's counters, so a crash (even ``kill -9``) loses nothing
committed, and importing the same file again adds nothing: a declaration's id
is derived from (declarant, LRN) and a quarantined record is keyed by (file
digest, line).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import orjson

from smartcustoms.declarations.mapping import CompiledMapping, MappingSpec
from smartcustoms.declarations.prepare import PreparedDeclaration, prepare
from smartcustoms.declarations.sources import _Unparsable
from smartcustoms.declarations.validation import parse_declaration
from smartcustoms.errors import DeclarationInvalid, FieldError
from smartcustoms.reference import load_hs2022


@dataclass(slots=True)
class Rejected:
    line: int
    reference: str | None
    record: str
    errors: list[dict[str, Any]]
    rows: int = 1


@dataclass(slots=True)
class ChunkResult:
    good: list[PreparedDeclaration] = field(default_factory=list)
    bad: list[Rejected] = field(default_factory=list)
    rows: int = 0


# A group: (first line, [(line, row)...]) for CSV, (line, record) for JSON.
CsvGroup = tuple[int, list[tuple[int, list[str]]]]


def group_csv_rows(
    rows: Iterator[tuple[int, list[str]]], key_index: int
) -> Iterator[CsvGroup]:
    """Consecutive rows with the same declaration key form one declaration."""
    current: list[tuple[int, list[str]]] = []
    current_key: str | None = None
    for line, row in rows:
        key = row[key_index].strip()
        if current and key != current_key:
            yield abs(current[0][0]), current
            current = []
        current_key = key
        current.append((line, row))
    if current:
        yield abs(current[0][0]), current


# --- validation, run in worker processes -------------------------------------------------

_worker: dict[str, Any] = {}


def _init_worker(spec: MappingSpec | None, header: list[str] | None, today: dt.date) -> None:
    _worker["mapping"] = CompiledMapping(spec, header) if spec and header else None
    _worker["absent"] = frozenset(spec.absent) if spec else frozenset()
    _worker["today"] = today
    _worker["hs"] = load_hs2022()


def _error_dicts(errors: list[FieldError], mapping: CompiledMapping | None,
                 line: int | None = None) -> list[dict[str, Any]]:
    out = []
    for err in errors:
        entry = err.as_dict()
        if mapping is not None:
            column = mapping.spec.column_of(err.field) if "[" in err.field or "." in err.field \
                else mapping.spec.fields.get(err.field)
            if column is None and err.field in mapping.header:
                column = err.field
            if column is not None:
                entry["column"] = column
        if line is not None:
            entry["line"] = line
        out.append(entry)
    return out


def validate_csv_chunk(groups: list[CsvGroup]) -> ChunkResult:
    mapping: CompiledMapping = _worker["mapping"]
    hs, today, absent = _worker["hs"], _worker["today"], _worker["absent"]
    result = ChunkResult()
    for first_line, lines_rows in groups:
        rows = [r for _, r in lines_rows]
        result.rows += len(rows)
        record = orjson.dumps(
            [dict(zip(mapping.header, r, strict=False)) | {"_line": abs(n)}
             for n, r in lines_rows]
        ).decode()
        ragged = [abs(n) for n, _ in lines_rows if n < 0]
        if ragged:
            errors = [FieldError("row", f"line {n} has a different number of columns than "
                                 f"the header ({len(mapping.header)})", None) for n in ragged]
            result.bad.append(Rejected(first_line, mapping.key(rows[0]), record,
                                       _error_dicts(errors, None), len(rows)))
            continue
        errors = mapping.header_mismatch(rows)
        data, extra, nulled = mapping.build(rows)
        absent_here = absent | nulled if nulled else absent
        try:
            decl = parse_declaration(data, hs=hs, today=today, absent=absent_here)
        except DeclarationInvalid as exc:
            errors += exc.errors
        if errors:
            item_lines = [abs(n) for n, _ in lines_rows]
            result.bad.append(Rejected(
                first_line, mapping.key(rows[0]), record,
                [_with_item_line(e, item_lines) for e in _error_dicts(errors, mapping)],
                len(rows),
            ))
            continue
        prepared = prepare(decl, absent=absent_here, extra=extra)
        prepared.line = first_line
        prepared.record = record
        result.good.append(prepared)
    return result


def _with_item_line(entry: dict[str, Any], item_lines: list[int]) -> dict[str, Any]:
    """Point an item error at the file line of that item."""
    field_name = str(entry["field"])
    if field_name.startswith("items["):
        index = int(field_name[6:field_name.index("]")])
        if index < len(item_lines):
            entry["line"] = item_lines[index]
    else:
        entry.setdefault("line", item_lines[0])
    return entry


def validate_json_chunk(records: list[tuple[int, Any]]) -> ChunkResult:
    hs, today = _worker["hs"], _worker["today"]
    result = ChunkResult()
    for line, data in records:
        result.rows += 1
        if isinstance(data, _Unparsable):
            result.bad.append(Rejected(line, None, str(data), [
                FieldError("(record)", "is not valid JSON", str(data)[:200]).as_dict()]))
            continue
        record = orjson.dumps(data, default=str).decode()
        reference = data.get("reference") if isinstance(data, dict) else None
        try:
            decl = parse_declaration(data, hs=hs, today=today)
        except DeclarationInvalid as exc:
            result.bad.append(Rejected(line, str(reference)[:64] if reference else None,
                                       record, [e.as_dict() for e in exc.errors]))
            continue
        prepared = prepare(decl)
        prepared.line = line
        prepared.record = record
        result.good.append(prepared)
    return result


# --- the pipeline -------------------------------------------------------------------------

def chunked(iterable: Iterator[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for element in iterable:
        chunk.append(element)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def default_workers() -> int:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(0, (cpus or 1) - 1)


def validated_chunks(
    chunks: Iterator[list[Any]],
    validate: Callable[[list[Any]], ChunkResult],
    *,
    spec: MappingSpec | None,
    header: list[str] | None,
    today: dt.date,
    workers: int,
) -> Iterator[ChunkResult]:
    """Validate chunks in order, in ``workers`` processes (0: in this process).

    At most ``2 × workers`` chunks are in flight, so memory stays bounded.
    """
    if workers <= 0:
        _init_worker(spec, header, today)
        for chunk in chunks:
            yield validate(chunk)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_init_worker,
        initargs=(spec, header, today),
    ) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(validate, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
