"""File imports: stream, validate in worker processes, write in large transactions.

Worker processes validate chunks; this process writes them in order. A transaction
holds whole chunks (their declarations, quarantined records and the run's counters)
and commits every ``COMMIT_ROWS`` rows or ``COMMIT_SECONDS``, so a crash (even
``kill -9``) loses nothing committed, and importing the same file again adds
nothing: a declaration's id is derived from (declarant, LRN) and a quarantined
record is keyed by (file digest, line).
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import pickle
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.orm import Session, sessionmaker

from smartcustoms.declarations import repository as repo
from smartcustoms.declarations.columnar import FastPath
from smartcustoms.declarations.mapping import CompiledMapping, MappingSpec
from smartcustoms.declarations.prepare import ChunkResult, PreparedDeclaration, Rejected, prepare
from smartcustoms.declarations.sources import UnparsableRecord
from smartcustoms.declarations.tables import ImportRunRow
from smartcustoms.declarations.validation import parse_declaration
from smartcustoms.errors import DeclarationInvalid, FieldError

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


@dataclass(frozen=True, slots=True)
class ImportJob:
    """What a chunk processor needs, in this process or a worker process."""

    run_id: int
    file_sha256: str
    today: dt.date
    clock: Callable[[], dt.datetime]
    spec: MappingSpec | None = None
    header: list[str] | None = None


def _init_worker(job: ImportJob) -> None:
    spec = job.spec
    _worker.update(
        job=job,
        mapping=CompiledMapping(spec, job.header) if spec and job.header else None,
        fast=FastPath.for_mapping(spec, job.header) if spec and job.header else None,
        absent=frozenset(spec.absent) if spec else frozenset(),
    )


def _error_dicts(errors: list[FieldError], mapping: CompiledMapping | None
                 ) -> list[dict[str, Any]]:
    """Errors as stored in the quarantine, naming the source column where there is one."""
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
        out.append(entry)
    return out


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one chunk.

    Validating a chunk allocates hundreds of thousands of short-lived objects, and
    each young collection would scan every live one: pausing makes validation about
    three times faster. Reference counting still frees the chunk's objects; the
    collector resumes (and finds any cycles) between chunks.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def validate_csv_chunk(groups: list[CsvGroup]) -> ChunkResult:
    with gc_paused():
        return _validate_csv_chunk(groups)


def validate_json_chunk(records: list[tuple[int, Any]]) -> ChunkResult:
    with gc_paused():
        return _validate_json_chunk(records)


def _validate_csv_chunk(groups: list[CsvGroup]) -> ChunkResult:
    mapping: CompiledMapping = _worker["mapping"]
    fast: FastPath | None = _worker["fast"]
    today, absent = _worker["job"].today, _worker["absent"]
    result = ChunkResult(rows=sum(len(lines_rows) for _, lines_rows in groups))
    if fast is not None:
        # Column-wise first (about 8x faster); what it cannot prove valid, row by row below.
        result.good, groups = fast.prepare(groups, today=today, absent=absent)
    proven = len(result.good)
    for first_line, lines_rows in groups:
        rows = [r for _, r in lines_rows]
        ragged = [abs(n) for n, _ in lines_rows if n < 0]
        if ragged:
            errors = [FieldError("row", f"line {n} has a different number of columns than "
                                 f"the header ({len(mapping.header)})", None) for n in ragged]
            result.bad.append(Rejected(first_line, mapping.key(rows[0]),
                                       _csv_record(mapping, lines_rows),
                                       _error_dicts(errors, None), len(rows)))
            continue
        errors = mapping.header_mismatch(rows)
        data, extra, nulled = mapping.build(rows)
        absent_here = absent | nulled if nulled else absent
        try:
            decl = parse_declaration(data, today=today, absent=absent_here)
        except DeclarationInvalid as exc:
            errors += exc.errors
        if errors:
            item_lines = [abs(n) for n, _ in lines_rows]
            result.bad.append(Rejected(
                first_line, mapping.key(rows[0]), _csv_record(mapping, lines_rows),
                [_with_item_line(e, item_lines) for e in _error_dicts(errors, mapping)],
                len(rows),
            ))
            continue
        result.good.append(prepare(decl, absent=absent_here, extra=extra, line=first_line))
    if proven and len(result.good) > proven:
        # File order, as if one path had done it all: of two rows with the same
        # declaration id, the first one stays and the other is the conflict.
        result.good.sort(key=lambda p: p.line)
    return result


def _csv_record(mapping: CompiledMapping, lines_rows: list[tuple[int, list[str]]]) -> str:
    """The source rows of a quarantined declaration, verbatim, with their line numbers."""
    return orjson.dumps(
        [dict(zip(mapping.header, r, strict=False)) | {"_line": abs(n)} for n, r in lines_rows]
    ).decode()


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


def _validate_json_chunk(records: list[tuple[int, Any]]) -> ChunkResult:
    today = _worker["job"].today
    result = ChunkResult()
    for line, data in records:
        result.rows += 1
        if isinstance(data, UnparsableRecord):
            result.bad.append(Rejected(line, None, str(data), [
                FieldError("(record)", "is not valid JSON", str(data)[:200]).as_dict()]))
            continue
        try:
            decl = parse_declaration(data, today=today)
        except DeclarationInvalid as exc:
            reference = data.get("reference") if isinstance(data, dict) else None
            result.bad.append(Rejected(line, str(reference)[:64] if reference else None,
                                       orjson.dumps(data, default=str).decode(),
                                       [e.as_dict() for e in exc.errors]))
            continue
        result.good.append(prepare(decl, line=line))
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
    """Every core but the writer's reads and validates (none on one core)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max((cpus or 1) - 1, 0)


@dataclass(slots=True)
class ChunkCounts:
    rows: int = 0
    imported: int = 0
    items: int = 0
    unchanged: int = 0
    quarantined: int = 0


# Rows per transaction. Each commit writes every index page it dirtied, and the random
# declaration ids dirty pages all over the id index: at 1M stored rows, 50,000 rows per
# commit cost 25.1 µs per row against 43.6 µs at 5,000 (benchmarks.md, "The writer's
# floor"). The time bound keeps other writers (API submissions) waiting at most that long.
COMMIT_ROWS = 50_000
COMMIT_SECONDS = 2.0


class ChunkWriter:
    """Writes validated chunks in order, committing every ``commit_rows`` rows or
    ``commit_seconds`` and on ``commit``; ``rollback`` (on an error) drops only the open
    transaction: what was committed stays, and counts in the run."""

    def __init__(self, sessions: sessionmaker[Session], job: ImportJob, *,
                 commit_rows: int = COMMIT_ROWS, commit_seconds: float = COMMIT_SECONDS
                 ) -> None:
        self._sessions, self._job = sessions, job
        self._commit_rows, self._commit_seconds = commit_rows, commit_seconds
        self._session: Session | None = None
        self._rows, self._since = 0, 0.0

    def write(self, result: ChunkResult) -> ChunkCounts:
        if self._session is None:
            self._session = self._sessions()
            self._session.begin()
            self._rows, self._since = 0, time.monotonic()
        job = self._job
        counts = write_chunk(self._session, job.run_id, job.file_sha256, result,
                             now=job.clock())
        self._rows += counts.rows
        if (self._rows >= self._commit_rows
                or time.monotonic() - self._since >= self._commit_seconds):
            self.commit()
        return counts

    def commit(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            try:
                session.commit()
            finally:
                session.close()

    def rollback(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            session.close()  # closing a session rolls its transaction back


def write_chunk(
    session: Session, run_id: int, file_sha256: str, result: ChunkResult, *, now: dt.datetime
) -> ChunkCounts:
    """Store one validated chunk and add its counts to the run, in the same transaction."""
    # The run row is locked first: chunk writers are serialised on PostgreSQL too, so
    # the existence check below sees every earlier chunk of the file.
    run = session.get(ImportRunRow, run_id, with_for_update=True)
    assert run is not None
    bad = list(result.bad)
    candidates: dict[str, PreparedDeclaration] = {}
    unchanged = 0
    for p in result.good:  # the same declaration twice in one chunk
        first = candidates.get(p.id)
        if first is None:
            candidates[p.id] = p
        elif first.content_digest == p.content_digest:
            unchanged += 1
        else:
            bad.append(_conflict(p))
    # Optimistic path: a new file's declarations are new. When every header row goes
    # in, the chunk is done without looking anything up; otherwise undo and sort out
    # which were stored before (unchanged, or a conflict) — the re-import path.
    new = list(candidates.values())
    savepoint = session.begin_nested()
    inserted = repo.insert_declaration_rows(session, new, import_run_id=run_id,
                                            submitted_by=None, now=now)
    if inserted != len(new):
        savepoint.rollback()
        stored = repo.stored_digests(session, list(candidates))
        new = []
        for p in candidates.values():
            digest = stored.get(p.id)
            if digest is None:
                new.append(p)
            elif digest == p.content_digest:
                unchanged += 1
            else:
                bad.append(_conflict(p))
        inserted = repo.insert_declaration_rows(session, new, import_run_id=run_id,
                                                submitted_by=None, now=now)
    else:
        savepoint.commit()
    repo.insert_item_rows(session, new, all_inserted=inserted == len(new))
    repo.insert_quarantine(session, bad, run_id=run_id, file_sha256=file_sha256, now=now)
    counts = ChunkCounts(
        rows=result.rows, imported=len(new), items=sum(len(p.items) for p in new),
        unchanged=unchanged, quarantined=sum(r.rows for r in bad),
    )
    run.rows_read += counts.rows
    run.declarations_imported += counts.imported
    run.items_imported += counts.items
    run.declarations_unchanged += counts.unchanged
    run.rows_quarantined += counts.quarantined
    return counts


def _conflict(p: PreparedDeclaration) -> Rejected:
    return Rejected(p.line, p.reference, p.document, [{
        "field": "reference",
        "message": f"declarant {p.declarant_id} has already lodged this reference with "
                   "different content; an amendment is not a re-import",
        "value": p.reference, "line": p.line,
    }], len(p.items))


def run_chunks(
    chunks: Iterator[list[Any]],
    validate: Callable[[list[Any]], ChunkResult],
    *,
    job: ImportJob,
    sessions: sessionmaker[Session],
    workers: int,
    commit_rows: int = COMMIT_ROWS,
) -> Iterator[ChunkCounts]:
    """Validate chunks and write them here, in file order; yields the counts of each chunk
    once written.

    ``workers`` = 0: all in this process. Otherwise a reader process reads the file and
    validates it (with ``workers - 1`` more processes helping) while this process only
    writes: one writer is what SQLite allows anyway, lets a transaction span many chunks,
    and keeps its own core — sharing a process (and its GIL) with the reading, it wrote
    at half speed. At most a few chunks wait between the stages: memory stays bounded.
    """
    writer = ChunkWriter(sessions, job, commit_rows=commit_rows)
    results = (_validated(chunks, validate, job, 0) if workers <= 0 or os.name != "posix"
               else _from_reader(chunks, validate, job, workers - 1))
    try:
        for result in results:
            yield writer.write(result)
        writer.commit()
    finally:
        writer.rollback()  # only when stopped early: an error, or the consumer gave up
        close = getattr(results, "close", None)
        if close is not None:
            close()


# Validated chunks the reader may have ready for the writer: enough to keep the writer
# busy, few enough to bound memory.
READY_CHUNKS = 3


class ReaderFailed(Exception):
    """The reader process stopped: its error, as text when it could not be sent."""


def _from_reader(chunks: Iterator[list[Any]], validate: Callable[[list[Any]], ChunkResult],
                 job: ImportJob, helpers: int) -> Iterator[ChunkResult]:
    """Validated chunks from a forked reader process (it inherits ``chunks`` unstarted:
    this process never reads from it)."""
    context = multiprocessing.get_context("fork")
    ready: Any = context.Queue(maxsize=READY_CHUNKS)
    # Not a daemon: it may start helper processes. It is stopped below whatever happens,
    # and stops by itself when this process dies (see _send).
    reader = context.Process(target=_read_and_validate, name="import-reader",
                             args=(chunks, validate, job, helpers, ready, os.getpid()))
    reader.start()
    try:
        while True:
            try:
                item = ready.get(timeout=1.0)
            except queue.Empty:
                if not reader.is_alive():
                    raise ReaderFailed(f"the reader process ended (exit code "
                                       f"{reader.exitcode}) before the file was read") from None
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            yield item
        reader.join()
    finally:
        if reader.is_alive():
            reader.kill()
            reader.join()
        ready.close()


def _read_and_validate(chunks: Iterator[list[Any]],
                       validate: Callable[[list[Any]], ChunkResult], job: ImportJob,
                       helpers: int, ready: Any, writer_pid: int) -> None:
    try:
        for result in _validated(chunks, validate, job, helpers):
            _send(ready, result, writer_pid)
    except BaseException as exc:  # sent to the writer, which stops the import with it
        _send(ready, exc if _round_trips(exc) else
              ReaderFailed(f"{type(exc).__name__}: {exc}"), writer_pid)
        return
    _send(ready, None, writer_pid)


def _send(ready: Any, item: object, writer_pid: int) -> None:
    """Wait for room in the queue, unless the writer is gone (killed): then stop."""
    while True:
        try:
            ready.put(item, timeout=1.0)
            return
        except queue.Full:
            if os.getppid() != writer_pid:
                os._exit(1)


def _round_trips(exc: BaseException) -> bool:
    """Whether the error arrives intact (the queue pickles in a background thread, where a
    failure would only be printed)."""
    try:
        return type(pickle.loads(pickle.dumps(exc))) is type(exc)
    except Exception:
        return False


def _validated(chunks: Iterator[list[Any]], validate: Callable[[list[Any]], ChunkResult],
               job: ImportJob, workers: int) -> Iterator[ChunkResult]:
    if workers <= 0:
        _init_worker(job)
        for chunk in chunks:
            yield validate(chunk)
        return
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context,
                             initializer=_init_worker, initargs=(job,)) as pool:
        pending: deque[Future[ChunkResult]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(validate, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
