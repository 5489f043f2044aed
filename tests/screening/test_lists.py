"""Loading a list from what the user has, with the format told by content."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from smartcustoms.screening import ScreeningListInvalid, load_list
from smartcustoms.screening.lists import DEFAULT_LIST_DIR


def test_a_folder_of_csv_files_loads_sdn_alt_and_add(tmp_path: Path) -> None:
    folder = tmp_path / "ofac"
    folder.mkdir()
    (folder / "SDN.CSV").write_bytes(
        b'7,"GALAX TRADING CO., LTD.",-0- ,"CUBA",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n'
        b"\x1a")
    (folder / "alt.csv").write_bytes(b'7,1,"aka","GALAX",-0- \r\n\x1a')
    loaded = load_list(folder, version="2024-01-01")
    assert loaded.version == "2024-01-01"
    assert [s.name for s in loaded.sources] == ["SDN.CSV", "alt.csv"]
    assert [a.name for a in loaded.entry("7").aliases] == ["GALAX"]


def test_a_single_csv_and_both_xml_formats_are_detected(fixtures: Path, tmp_path: Path) -> None:
    assert len(load_list(DEFAULT_LIST_DIR / "sdn.csv")) == 14965
    assert load_list(fixtures / "sdn_small.xml").list_id == "us-ofac-sdn"
    # The root element decides, not the file name.
    renamed = tmp_path / "sdn.xml"
    shutil.copy(fixtures / "un_small.xml", renamed)
    un = load_list(renamed, version="2024-05-31")
    assert (un.list_id, un.version) == ("un-sc-consolidated", "2024-05-31")


def test_unknown_inputs_are_refused_with_what_is_accepted(tmp_path: Path) -> None:
    with pytest.raises(ScreeningListInvalid, match="an existing file or folder"):
        load_list(tmp_path / "missing.csv")
    (tmp_path / "list.json").write_text("{}")
    with pytest.raises(ScreeningListInvalid, match=r"a folder, a \.csv file"):
        load_list(tmp_path / "list.json")
    (tmp_path / "other.xml").write_text("<export><sanctionEntity/></export>")
    with pytest.raises(ScreeningListInvalid, match=r"other.xml line 1: root element must be "
                                                   r"sdnList .* or CONSOLIDATED_LIST"):
        load_list(tmp_path / "other.xml")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ScreeningListInvalid, match=r"a folder holding sdn\.csv"):
        load_list(empty)
