"""Alembic is the only way the schema changes: the migrations match the models exactly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
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


def _decl(i: int, arrival: int = 0) -> dict[str, object]:
    return {"id": f"{i:032x}", "reference": f"LRN{i}", "declarant_id": "D1",
            "importer_id": "I1", "profile": "full", "status": "submitted",
            "declaration_date": "2021-06-0" + str(i), "office": "30", "item_count": 2,
            "content_digest": "0" * 64, "document": "{}",
            "created_at": f"2026-11-2{arrival} 09:00:00"}


def _rows(engine: Engine, sql: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(sql)]


def test_0006_moves_declarations_to_seq_order_and_back_losing_nothing(engine: Engine) -> None:
    """Stored declarations, their items and the inspections that refer to them survive
    the layout change both ways; the foreign keys still hold afterwards."""
    cfg = alembic_config(engine)
    command.downgrade(cfg, "0005")
    columns = ", ".join(_decl(1))
    with engine.begin() as conn:
        for arrival, i in enumerate((2, 1, 3)):  # arrival order is not id order
            conn.execute(sa.text(f"INSERT INTO declarations ({columns}) VALUES "
                                 f"({', '.join(':' + c for c in _decl(i))})"),
                         _decl(i, arrival))
            for seq in (1, 2):
                conn.execute(sa.text(
                    "INSERT INTO declaration_items (declaration_id, sequence, hs_code, "
                    "hs_edition, origin_country) VALUES (:d, :s, :hs, 'HS2022', 'CN')"),
                    {"d": f"{i:032x}", "s": seq, "hs": f"8517{i}{seq}"})
        conn.execute(sa.text(
            "INSERT INTO inspections (declaration_id, source, irregular, inspected_on, "
            "recorded_at) VALUES (:d, 'officer', true, '2021-06-10', '2026-11-22 09:00:00')"),
            {"d": f"{3:032x}"})
    command.upgrade(cfg, "head")
    assert _rows(engine, "SELECT seq, reference FROM declarations ORDER BY seq") == [
        (1, "LRN2"), (2, "LRN1"), (3, "LRN3")]
    assert _rows(engine, "SELECT d.reference, i.sequence, i.hs_code FROM declaration_items i "
                 "JOIN declarations d ON d.seq = i.declaration_seq ORDER BY i.hs_code") == [
        (f"LRN{i}", s, f"8517{i}{s}") for i in (1, 2, 3) for s in (1, 2)]
    with engine.begin() as conn:  # the inspection still refers to declaration LRN3
        conn.exec_driver_sql(f"DELETE FROM declarations WHERE id = '{3:032x}'")
    assert _rows(engine, "SELECT count(*) FROM inspections") == [(0,)]  # cascaded
    assert _rows(engine, "SELECT count(*) FROM declaration_items") == [(4,)]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO inspections (declaration_id, source, irregular, "
                             "inspected_on, recorded_at) VALUES ('nope', 'officer', true, "
                             "'2021-06-10', '2026-11-22 09:00:00')")
    command.downgrade(cfg, "0005")
    assert _rows(engine, "SELECT d.reference, i.hs_code FROM declaration_items i JOIN "
                 "declarations d ON d.id = i.declaration_id ORDER BY i.hs_code") == [
        ("LRN1", "851711"), ("LRN1", "851712"), ("LRN2", "851721"), ("LRN2", "851722")]
    command.upgrade(cfg, "head")
