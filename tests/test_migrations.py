"""Alembic is the only way the schema changes: the migrations match the models exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from smartcustoms.db import Base, alembic_config
from smartcustoms.tables import import_all_tables


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    import_all_tables()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(engine: Engine) -> None:
    cfg = alembic_config(engine)
    command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(cfg, "head")
    assert {"declarations", "declaration_items", "import_runs", "quarantine", "users",
            "api_tokens", "audit_log", "audit_head"} <= set(inspect(engine).get_table_names())
