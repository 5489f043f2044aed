"""Bulk loads into SQLite: the search indexes are built once after the load.

Every stored row adds an entry to each secondary index of the declarations and their
items (date, importer, office, HS code, origin), and every commit rewrites the index
pages it touched. When a file at least doubles the table, sorting the whole table into
fresh indexes at the end costs less than keeping them up to date row by row
(docs/benchmarks.md, "Bulk loads"). The unique declaration id stays throughout: it is
what makes the import idempotent.

While the load runs, queries by those columns scan the table: correct, only slower.
Whatever stops the load (an error, Ctrl-C, ``kill -9``), the indexes come back: at the
end of the load when the process lives, otherwise when the next import starts or
``smartcustoms init`` runs and no other import is running.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Index, func, inspect, select
from sqlalchemy.engine import Connection, Engine

from smartcustoms.declarations.tables import DeclarationItemRow, DeclarationRow

# Below this many rows a file is not worth the rebuild, whatever the table's size.
BULK_MIN_ROWS = 100_000


def deferrable_indexes() -> list[Index]:
    """The non-unique indexes of the declaration tables, from the ORM's metadata."""
    tables = (DeclarationRow.__table__, DeclarationItemRow.__table__)
    return sorted((index for table in tables for index in table.indexes
                   if not index.unique), key=lambda index: str(index.name))


def defers_indexes(engine: Engine, file_rows: int, *, min_rows: int = BULK_MIN_ROWS) -> bool:
    """Whether a file of ``file_rows`` rows is a bulk load: SQLite, at least ``min_rows``
    rows (0: never), and at least as many rows as the table holds."""
    if engine.dialect.name != "sqlite" or min_rows <= 0 or file_rows < min_rows:
        return False
    with engine.connect() as connection:
        # max(seq) reads one end of the primary key; count(*) would scan the table.
        stored = connection.scalar(select(func.max(DeclarationRow.seq))) or 0
    return file_rows >= stored


def drop_indexes(engine: Engine) -> list[str]:
    """Drop the deferrable indexes that exist; returns their names."""
    with engine.begin() as connection:
        present = _index_names(connection)
        dropped = [index for index in deferrable_indexes() if index.name in present]
        for index in dropped:
            index.drop(connection)
    return [str(index.name) for index in dropped]


def restore_indexes(engine: Engine) -> list[str]:
    """Create the deferrable indexes that are missing; returns their names."""
    with engine.begin() as connection:
        present = _index_names(connection)
        created = [index for index in deferrable_indexes() if index.name not in present]
        for index in created:
            index.create(connection)
    return [str(index.name) for index in created]


@contextmanager
def indexes_deferred(engine: Engine) -> Iterator[list[str]]:
    """Drop the deferrable indexes for the block and build them again after it, however
    it ends; yields the names dropped."""
    dropped = drop_indexes(engine)
    try:
        yield dropped
    finally:
        restore_indexes(engine)


def _index_names(connection: Connection) -> set[str | None]:
    inspector = inspect(connection)
    return {found["name"] for table in (DeclarationRow.__tablename__,
                                        DeclarationItemRow.__tablename__)
            for found in inspector.get_indexes(table)}
