"""Loading a sanctions list from whatever the user has: a folder of OFAC CSV files, one
``sdn.csv``, OFAC's SDN XML or the UN consolidated XML, told apart by their content.

The shipped default is the OFAC SDN snapshot of 2024-05-03 in ``data/sanctions/`` (see
its PROVENANCE.md): a development and test fixture, not a current list. Production
screening loads the live publication with ``load_list``.
"""

from __future__ import annotations

from pathlib import Path

from smartcustoms.paths import DATA_ROOT
from smartcustoms.screening._xml import read_root
from smartcustoms.screening.errors import ScreeningListInvalid
from smartcustoms.screening.models import ScreeningList
from smartcustoms.screening.ofac_csv import read_ofac_csv
from smartcustoms.screening.ofac_xml import ROOT as SDN_ROOT
from smartcustoms.screening.ofac_xml import read_ofac_xml
from smartcustoms.screening.un_xml import ROOT as UN_ROOT
from smartcustoms.screening.un_xml import read_un_xml

SANCTIONS_DIR = DATA_ROOT / "sanctions"
DEFAULT_LIST_DIR = SANCTIONS_DIR / "ofac_sdn_2024-05-03"
DEFAULT_LIST_VERSION = "2024-05-03"


def _find(folder: Path, name: str) -> Path | None:
    for candidate in folder.iterdir():
        if candidate.name.casefold() == name:
            return candidate
    return None


def load_list(path: Path | str, *, version: str | None = None) -> ScreeningList:
    """Load the list at ``path``, detecting its format.

    - a folder holding ``sdn.csv`` (and optionally ``alt.csv`` / ``add.csv``): OFAC CSV;
    - a ``.csv`` file: OFAC's ``sdn.csv`` alone;
    - an ``.xml`` file with root ``sdnList``: OFAC SDN XML; with root
      ``CONSOLIDATED_LIST``: the UN consolidated list.

    ``version`` (the publication date) is needed for CSV files, which do not carry one;
    XML files carry theirs and a given ``version`` replaces it. Rows that cannot be read
    are on the returned list's ``rejections``.
    """
    path = Path(path)
    if path.is_dir():
        sdn = _find(path, "sdn.csv")
        if sdn is None:
            raise ScreeningListInvalid(path, "(folder)", "files",
                                       sorted(p.name for p in path.iterdir())[:8],
                                       "a folder holding sdn.csv (and optionally alt.csv, "
                                       "add.csv)")
        return read_ofac_csv(sdn, _find(path, "alt.csv"), _find(path, "add.csv"),
                             version=version)
    if not path.is_file():
        raise ScreeningListInvalid(path, "(file)", "path", str(path),
                                   "an existing file or folder")
    suffix = path.suffix.casefold()
    if suffix == ".csv":
        return read_ofac_csv(path, version=version)
    if suffix == ".xml":
        root = read_root(path).root
        if root == SDN_ROOT:
            loaded = read_ofac_xml(path)
        elif root == UN_ROOT:
            loaded = read_un_xml(path)
        else:
            raise ScreeningListInvalid(path, "line 1", "root element", root,
                                       f"{SDN_ROOT} (OFAC SDN XML) or {UN_ROOT} (UN list)")
        if version is not None:
            loaded = ScreeningList(loaded.list_id, loaded.name, version, loaded.sources,
                                   loaded.entries, loaded.rejections)
        return loaded
    raise ScreeningListInvalid(path, "(file)", "file name", path.name,
                               "a folder, a .csv file (OFAC legacy CSV) or an .xml file "
                               "(OFAC SDN XML, UN consolidated list)")


def load_default_list() -> ScreeningList:
    """The shipped OFAC SDN snapshot of 2024-05-03 (14,965 entries)."""
    return load_list(DEFAULT_LIST_DIR, version=DEFAULT_LIST_VERSION)
