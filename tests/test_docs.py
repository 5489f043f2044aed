"""The docs keep up with the code: every setting and every mapping key is documented."""

from __future__ import annotations

from pathlib import Path

from smartcustoms.config import Settings
from smartcustoms.declarations.mapping import CsvOptions, MappingSpec

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_is_documented() -> None:
    text = (DOCS / "operator.md").read_text()
    for name in Settings.model_fields:
        assert f"| {name} |" in text, f"docs/operator.md misses the setting {name}"
        assert f"SMARTCUSTOMS_{name.upper()}" in text


def test_every_mapping_key_is_documented() -> None:
    text = (DOCS / "mappings.md").read_text()
    for name in set(MappingSpec.model_fields) - {"sha256"}:
        assert f"`{name}`" in text, f"docs/mappings.md misses the key {name}"
    for name in CsvOptions.model_fields:
        assert f"`{name}`" in text, f"docs/mappings.md misses csv.{name}"


def test_readme_quick_start_is_first() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    quick = readme.index("## Quick start")
    assert readme.index("make demo") > quick and readme.index("make test") > quick
    assert readme.count("\n## ") >= 2 and readme.index("\n## ") == quick - 1


def test_every_feature_spec_key_and_frame_column_is_documented() -> None:
    from smartcustoms.risk.spec import FRAME_KEYS, FeatureSpec

    text = (DOCS / "risk.md").read_text()
    for name in FeatureSpec.model_fields:
        assert f"`{name}`" in text, f"docs/risk.md misses the spec key {name}"
    for column in FRAME_KEYS - {"currency"}:
        assert f"`{column}`" in text, f"docs/risk.md misses the frame column {column}"


def test_the_role_table_in_the_operator_guide_matches_the_code() -> None:
    from smartcustoms.identity.roles import ROLE_PERMISSIONS, Role

    text = (DOCS / "operator.md").read_text()
    for role, permissions in ROLE_PERMISSIONS.items():
        if role is Role.admin:
            continue
        line = next(ln for ln in text.splitlines() if ln.startswith(f"| {role.value} |"))
        assert {p.strip(" `") for p in line.split("|")[2].split(",")} == \
            {p.value for p in permissions}, role
