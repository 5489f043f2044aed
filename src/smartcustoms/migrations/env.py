"""Alembic environment: the engine comes from smartcustoms.db.upgrade (or a URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from smartcustoms.db import Base
from smartcustoms.tables import import_all_tables

import_all_tables()
config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    engine = config.attributes.get("engine") or create_engine(
        config.get_main_option("sqlalchemy.url")
    )
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite's procedure for rebuilding tables: foreign keys off (outside any
            # transaction, or the pragma does nothing), so that dropping a rebuilt parent
            # cascades nowhere and renames leave other tables' references alone; checked
            # before the commit instead.
            _pragma(connection, "foreign_keys=OFF")
        try:
            with connection.begin():
                context.configure(
                    connection=connection,
                    target_metadata=target_metadata,
                    # SQLite cannot ALTER most things: Alembic rebuilds tables in batch mode.
                    render_as_batch=sqlite,
                    compare_type=True,
                )
                context.run_migrations()
                if sqlite:
                    _check_foreign_keys(connection)
        finally:
            if sqlite:
                _pragma(connection, "foreign_keys=ON")


def _pragma(connection: Connection, pragma: str) -> None:
    connection.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"the migration left rows that break foreign keys: {broken[:5]}")


run_migrations()
