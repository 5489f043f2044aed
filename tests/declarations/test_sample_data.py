"""The bundled KCS sample imports whole: 54,000 declarations, nothing quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from smartcustoms import declarations as decl
from smartcustoms.config import Settings
from smartcustoms.db import make_engine, session_factory, upgrade
from smartcustoms.identity import SYSTEM

from .conftest import ROOT


@pytest.mark.slow
def test_the_bundled_sample_imports_without_quarantine(tmp_path: Path) -> None:
    from smartcustoms.declarations.tables import DeclarationRow

    engine = make_engine(Settings(data_dir=tmp_path, environment="test"))
    upgrade(engine)
    sessions = session_factory(engine)
    mapping = decl.shipped_mapping("kcs")
    totals = [0, 0]
    for name in ("train", "valid", "test"):
        report = decl.import_file(sessions, ROOT / f"data/samples/kcs/df_syn_{name}_eng.csv",
                                  actor=SYSTEM, clock=_now, mapping=mapping)
        totals[0] += report.declarations_imported
        totals[1] += report.rows_quarantined
    assert totals == [54_000, 0]
    with sessions() as s:
        row = s.scalars(select(DeclarationRow).where(DeclarationRow.reference == "97061800")
                        ).one()
        stored = decl.get_declaration(s, row.id, actor=SYSTEM)
    # the first row of the training file, as declared and as kept
    assert stored.declared.items[0].hs_code == "440890"
    assert stored.declared.items[0].hs_edition == "HS2017"
    assert str(stored.declared.items[0].price.amount) == "372254.4"  # type: ignore[union-attr]
    assert stored.declared.items[0].price.currency == "KRW"  # type: ignore[union-attr]
    assert stored.source_extra == {"Fraud": "0", "Critical Fraud": "0"}
    assert stored.absent_in_source == ["invoice_total", "items.description",
                                       "items.gross_mass_kg", "trade_terms"]
    engine.dispose()


def _now():  # type: ignore[no-untyped-def]
    import datetime as dt

    return dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
