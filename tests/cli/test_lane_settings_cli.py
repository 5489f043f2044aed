"""`smartcustoms risk lane-settings …`: show, set a file, history, go back; clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from smartcustoms.cli.main import app
from smartcustoms.risk.lane_store import load_lane_settings

ENV = {"SMARTCUSTOMS_DATABASE_URL": None, "SMARTCUSTOMS_DATA_DIR": None,
       "SMARTCUSTOMS_IMPORT_WORKERS": None, "COLUMNS": "200"}
MORE_RED = """\
seed: 20260101
random_rate: 0.02
policy: probability
capacity:
  red: {count: 12}
  yellow: {share: 0.05}
  blue: {share: 0.1}
offices:
  "30": {red: {count: 4}}
"""


def run(data_dir: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, ["--data-dir", str(data_dir), *args], env=ENV)
    assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
    return result.stdout if code == 0 else result.stderr


def test_set_show_history_and_go_back(tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    shown = run(data, "risk", "lane-settings", "show")
    assert "the shipped default" in shown
    default = json.loads(run(data, "--json", "risk", "lane-settings", "show"))
    assert default["id"] is None and default["sha256"] == load_lane_settings().digest()
    assert "shipped default is in force" in run(data, "risk", "lane-settings", "history")

    path = tmp_path / "lanes.yaml"
    path.write_text(MORE_RED)
    saved = json.loads(run(data, "--json", "risk", "lane-settings", "set", str(path),
                           "--note", "office 30: two inspectors"))
    assert saved["created"] and saved["id"] == 2 and saved["active"]
    assert saved["settings"]["capacity"]["red"] == {"share": None, "count": 12}
    assert saved["author"].startswith("cli:")
    again = run(data, "risk", "lane-settings", "set", str(path), "--note", "again")
    assert "already in force" in again and "nothing saved" in again

    # `show` prints YAML that `set` reads back: the same settings, so nothing new.
    shown = run(data, "risk", "lane-settings", "show")
    assert "# lane settings version 2, in force since" in shown
    assert "note: office 30: two inspectors" in shown
    assert yaml.safe_load(shown)["capacity"]["red"] == {"count": 12}
    round_trip = tmp_path / "shown.yaml"
    round_trip.write_text(shown)
    assert "nothing saved" in run(data, "risk", "lane-settings", "set", str(round_trip))

    history = json.loads(run(data, "--json", "risk", "lane-settings", "history"))
    assert [(v["id"], v["active"]) for v in history] == [(2, True), (1, False)]
    table = run(data, "risk", "lane-settings", "history")
    assert "office 30: two inspectors" in table and saved["sha256"][:12] in table

    back = run(data, "risk", "lane-settings", "activate", "1")
    assert "lane settings version 1 in force" in back
    assert json.loads(run(data, "--json", "risk", "lane-settings", "show"))["id"] == 1
    assert "no lane settings version 7" in run(data, "risk", "lane-settings", "activate", "7",
                                               code=3)


def test_an_invalid_file_names_the_field_the_value_and_what_is_expected(
        tmp_path: Path) -> None:
    data = tmp_path / "data"
    run(data, "init")
    path = tmp_path / "bad.yaml"
    path.write_text("random_rate: 2\ncapacity:\n  red: {share: 0.1, count: 3}\n"
                    "polcy: duty\n")
    err = run(data, "risk", "lane-settings", "set", str(path), code=2)
    assert "random_rate: Input should be less than or equal to 1; got 2" in err
    assert "capacity.red: give exactly one of share or count" in err
    assert "polcy: unknown key; expected one of seed, random_rate, policy" in err
    assert "nothing saved" not in err
    assert "cannot read the lane settings" in run(
        data, "risk", "lane-settings", "set", str(tmp_path / "missing.yaml"), code=2)
    path.write_text("- a list\n")
    assert "must be a mapping of settings" in run(
        data, "risk", "lane-settings", "set", str(path), code=2)
    assert json.loads(run(data, "--json", "risk", "lane-settings", "history")) == []
