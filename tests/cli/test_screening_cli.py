"""`smartcustoms screening …` and `smartcustoms documents bands …` through typer's
CliRunner (in-process), on a fresh data dir (SQLite, and PostgreSQL under ``-m postgres``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from smartcustoms.cli import app, screening_cmd
from smartcustoms.config import Settings

ROOT = Path(__file__).resolve().parents[2]
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())
SDN_2021 = ROOT / "data" / "sanctions" / "ofac_sdn_2021-07"


class Cli:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env: dict[str, str | None] = {
            "SMARTCUSTOMS_DATABASE_URL": settings.database_url, "SMARTCUSTOMS_DATA_DIR": None,
            "SMARTCUSTOMS_ENVIRONMENT": None, "SMARTCUSTOMS_IMPORT_WORKERS": None,
            "COLUMNS": "200"}

    def code(self, code: int, *args: str) -> Result:
        result = CliRunner().invoke(app, ["--data-dir", str(self.settings.data_dir), *args],
                                    env=self.env)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    def json_lines(self, *args: str, code: int = 0) -> list[Any]:
        return [json.loads(line) for line in self.code(code, "--json", *args).stdout.splitlines()]


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setattr(screening_cmd, "_SCREENERS", None)  # one database per test
    c = Cli(settings)
    c.code(0, "init")
    return c


def test_search_loads_the_shipped_list_once_and_explains(cli: Cli) -> None:
    first = cli.code(0, "screening", "search", "Banco Nacional de Kuba")
    assert "loaded the shipped OFAC SDN snapshot of 2024-05-03" in first.stderr
    assert "BANCO NACIONAL DE CUBA" in first.stdout and "cuba" in first.stdout
    [result] = cli.json_lines("screening", "search", "Muammar Gadafi", "--kind", "person")
    assert result["hits"][0]["entry_id"] == "12606"
    assert result["hits"][0]["reasons"][0].startswith("compared")
    [clean] = cli.json_lines("screening", "search", "Hanse Customs Brokers GmbH")
    assert clean["hits"] == []
    assert "loaded the shipped" not in cli.code(0, "screening", "search", "x y").stderr
    assert "robot" in cli.code(2, "screening", "search", "x", "--kind", "robot").stderr


def test_batch_search_reports_bad_rows_and_screens_the_rest(cli: Cli, tmp_path: Path) -> None:
    names = tmp_path / "names.csv"
    names.write_text("id,name,country\n1,Islamic Republic of Iran Shipping Lines,IR\n"
                     "2,Nordlicht Handel GmbH,DE\n3,,DE\n", encoding="utf-8")
    lines = cli.json_lines("screening", "search", "--file", str(names), code=1)
    by_line = {row["line"]: row for row in lines}
    assert by_line[2]["hits"][0]["entry_name"] == "ISLAMIC REPUBLIC OF IRAN SHIPPING LINES"
    assert by_line[3]["hits"] == []
    assert "name" in by_line[4]["error"]
    no_column = tmp_path / "bad.csv"
    no_column.write_text("company\nAcme\n", encoding="utf-8")
    assert "lacks the column name" in cli.code(2, "screening", "search", "--file",
                                                str(no_column)).stderr


def test_update_loads_a_version_once_and_rescreens(cli: Cli, tmp_path: Path) -> None:
    declaration = copy.deepcopy(VECTOR)
    declaration["parties"][3]["name"] = "Banco Nacional de Cuba"
    path = tmp_path / "d.json"
    path.write_text(json.dumps(declaration))
    cli.code(0, "declarations", "submit", str(path))
    [report] = cli.json_lines("screening", "update", str(SDN_2021), "--version", "2021-07-07")
    assert report["created"] and report["list"]["entry_count"] == 8_976
    rescreened = report["rescreened"]
    assert (rescreened["declarations"], rescreened["with_named_parties"]) == (1, 1)
    [again] = cli.json_lines("screening", "update", str(SDN_2021), "--version", "2021-07-07")
    assert not again["created"] and again["rescreened"] is None
    [queue] = cli.json_lines("screening", "hits")
    # The bank itself first; other listed banks may follow (e.g. an alias "Banco Nacional").
    assert len(queue) == rescreened["hits"]
    assert queue[0]["entry_name"] == "BANCO NACIONAL DE CUBA" and queue[0]["score"] == 1.0
    [decided] = cli.json_lines("screening", "decide", str(queue[0]["id"]), "--decision",
                               "false_positive", "--note", "different bank")
    assert decided["status"] == "cleared"
    [left] = cli.json_lines("screening", "hits")
    assert queue[0]["id"] not in {h["id"] for h in left} and len(left) == len(queue) - 1
    assert "decision" in cli.code(2, "screening", "decide", str(queue[0]["id"]),
                                  "--decision", "maybe", "--note", "hmm").stderr
    missing = cli.code(2, "screening", "update", str(tmp_path / "nope"))
    assert "nope" in missing.stderr
    [versions] = cli.json_lines("screening", "lists")
    assert [(v["source"], v["version"], v["status"]) for v in versions] == [
        ("us-ofac-sdn", "2021-07-07", "active")]


def test_valuation_bands_need_history_then_fit_and_show(cli: Cli, tmp_path: Path) -> None:
    assert "20 stored items" in cli.code(1, "documents", "bands", "fit").stderr
    for i in range(21):
        data = copy.deepcopy(VECTOR)
        data["reference"] = f"LRN-{i}"
        data["items"][0]["price"]["amount"] = f"{17000 + 100 * i}.00"
        data["invoice_total"]["amount"] = f"{17000 + 100 * i + 5600}.00"
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps(data))
        cli.code(0, "declarations", "submit", str(path))
    [fitted] = cli.json_lines("documents", "bands", "fit")
    assert fitted["checked"] == {"items": 42, "below_band": 0, "with_band": 42}
    [shown] = cli.json_lines("documents", "bands", "show", "8517.62", "--origin", "cn")
    assert {b["level"] for b in shown["bands"]} == {"hs6_origin", "hs6"}
    assert "8517.62" in cli.code(0, "documents", "bands", "show", "851762").stdout
    [versions] = cli.json_lines("documents", "bands", "list")
    assert [v["status"] for v in versions] == ["active"]
