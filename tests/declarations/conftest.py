from __future__ import annotations

import copy
import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests/vectors/declaration_full.json").read_text())
KCS_TEST = ROOT / "data/samples/kcs/df_syn_test_eng.csv"
TODAY = dt.date(2026, 11, 20)


@pytest.fixture
def vector() -> dict[str, Any]:
    return copy.deepcopy(VECTOR)


def kcs_rows(n: int) -> tuple[list[str], list[list[str]]]:
    with KCS_TEST.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, [row for _, row in zip(range(n), reader, strict=False)]


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path
