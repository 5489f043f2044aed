"""`smartcustoms origin …` through typer's CliRunner (in-process), on a fresh data dir
(SQLite, and PostgreSQL under ``-m postgres``): issuers, issuing, bundles, offline
verification with the exported policy, revocation, utilisation, mirroring, linking."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from smartcustoms.cli import app
from smartcustoms.config import Settings

ROOT = Path(__file__).resolve().parents[2]
CERTIFICATE = ROOT / "tests" / "vectors" / "certificate_of_origin.json"
VECTOR = json.loads((ROOT / "tests" / "vectors" / "declaration_full.json").read_text())


class Cli:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.env: dict[str, str | None] = {
            "SMARTCUSTOMS_DATABASE_URL": settings.database_url, "SMARTCUSTOMS_DATA_DIR": None,
            "SMARTCUSTOMS_ENVIRONMENT": None, "COLUMNS": "200"}

    def code(self, code: int, *args: str) -> Result:
        result = CliRunner().invoke(app, ["--data-dir", str(self.settings.data_dir), *args],
                                    env=self.env)
        assert result.exit_code == code, (args, result.stdout, result.stderr, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result

    def json_lines(self, *args: str, code: int = 0) -> list[Any]:
        return [json.loads(line) for line in self.code(code, "--json", *args).stdout.splitlines()]


@pytest.fixture
def cli(settings: Settings) -> Cli:
    c = Cli(settings)
    c.code(0, "init")  # generates the origin keys too
    c.code(0, "origin", "issuer", "add", "CCPIT-SZ", "--name", "CCPIT Shenzhen",
           "--country", "CN", "--type", "preferential", "--agreement", "EU_GSP")
    return c


def test_issue_prove_verify_revoke(cli: Cli, tmp_path: Path) -> None:
    keys = cli.settings.data_dir / "origin" / "keys"
    assert {p.name for p in keys.glob("*.key")} >= {"root.key", "log.key", "witness.key"}
    [issuers] = cli.json_lines("origin", "issuer", "list")
    assert [(i["issuer_id"], i["status"], i["key_held"]) for i in issuers] == [
        ("CCPIT-SZ", "active", True)]
    issued = cli.code(0, "origin", "issue", str(CERTIFICATE), "--issuer", "CCPIT-SZ").stdout
    assert "issued GSP-CN-2026-000777: digest" in issued and "leaf index 1" in issued
    bundle, policy = tmp_path / "bundle.json", tmp_path / "policy.toml"
    cli.code(0, "origin", "prove", "GSP-CN-2026-000777", "--disclose", "number",
             "--disclose", "goods_items[0].hs_code", "-o", str(bundle))
    cli.code(0, "origin", "policy", "export", "-o", str(policy))
    ok = cli.code(0, "origin", "verify", str(bundle), "--policy", str(policy)).stdout
    assert "VALID GSP-CN-2026-000777 (offline" in ok
    assert ok.count(" ok ") == 3
    [report] = cli.json_lines("origin", "verify", str(bundle))  # own policy, then online
    assert report["ok"] and report["online"]["status"]["code"] == "ok"
    assert report["offline"]["disclosed"]["goods_items[0].hs_code"] == "851762"
    cli.code(0, "origin", "revoke", "GSP-CN-2026-000777", "--reason", "fraud")
    failed = cli.code(10, "origin", "verify", str(bundle)).stdout
    assert "NOT VALID" in failed and "revoked (fraud)" in failed
    # Offline the old bundle still passes: "not revoked as of checkpoint 2".
    assert "as of checkpoint 2" in cli.code(0, "origin", "verify", str(bundle), "--policy",
                                            str(policy)).stdout
    assert "not TOML" in cli.code(2, "origin", "verify", str(bundle), "--policy",
                                     str(bundle)).stderr


def test_utilise_mirror_and_link(cli: Cli, tmp_path: Path) -> None:
    cli.code(0, "origin", "issue", str(CERTIFICATE), "--issuer", "CCPIT-SZ")
    [used] = cli.json_lines("origin", "utilise", "GSP-CN-2026-000777", "--declaration",
                            "DE-MRN-1", "--item", "2", "--quantity", "50")
    assert [b["remaining"] for b in used["balances"]] == ["1000", "100"]
    cli.code(4, "origin", "utilise", "GSP-CN-2026-000777", "--declaration", "DE-MRN-2",
             "--item", "2", "--quantity", "100.5")
    policy = tmp_path / "policy.toml"
    cli.code(0, "origin", "policy", "export", "-o", str(policy))
    [mirrored] = cli.json_lines("origin", "mirror", str(cli.settings.data_dir / "origin" / "log"),
                                str(tmp_path / "mirror"), "--policy", str(policy))
    assert mirrored["size"] == 3 and (tmp_path / "mirror" / "checkpoint").is_file()
    declaration = copy.deepcopy(VECTOR)
    path = tmp_path / "declaration.json"
    path.write_text(json.dumps(declaration))
    [submitted] = cli.json_lines("declarations", "submit", str(path))
    bundle = tmp_path / "bundle.json"
    cli.code(0, "origin", "prove", "GSP-CN-2026-000777", "-o", str(bundle))
    # 95 kg of batteries declared, 100 kg remain; 800 routers of 1000.
    [link] = cli.json_lines("origin", "link", submitted["id"], str(bundle))
    assert link["ok"] and len(link["drawn"]) == 2
    [again] = cli.json_lines("origin", "link", submitted["id"], str(bundle), code=10)
    assert "over-use" in again["declaration"]["reason"]


def test_amend_supersedes_and_the_old_bundle_fails_online(cli: Cli, tmp_path: Path) -> None:
    [issued] = cli.json_lines("origin", "issue", str(CERTIFICATE), "--issuer", "CCPIT-SZ")
    bundle = tmp_path / "bundle.json"
    cli.code(0, "origin", "prove", "GSP-CN-2026-000777", "-o", str(bundle))
    fixed = json.loads(CERTIFICATE.read_text())
    fixed["remarks"] = "Corrected transport details"
    path = tmp_path / "fixed.json"
    path.write_text(json.dumps(fixed))
    out = cli.code(0, "origin", "amend", "GSP-CN-2026-000777", str(path), "--reason",
                   "typo").stdout
    assert out.startswith("amended GSP-CN-2026-000777: digest") and "leaf index 2" in out
    [report] = cli.json_lines("origin", "verify", str(bundle), code=10)
    assert report["online"]["status"]["code"] == "superseded"
    cli.code(0, "origin", "prove", "GSP-CN-2026-000777", "-o", str(bundle))
    [fresh] = cli.json_lines("origin", "verify", str(bundle))
    assert fresh["ok"] and fresh["offline"]["supersedes"] == issued["digest"]
    cli.code(0, "origin", "revoke", "GSP-CN-2026-000777", "--reason", "fraud")
    assert "is revoked" in cli.code(4, "origin", "amend", "GSP-CN-2026-000777",
                                    str(path)).stderr


def test_an_issuer_keeps_its_key_and_signs_without_a_database(cli: Cli, tmp_path: Path
                                                              ) -> None:
    key, signed = tmp_path / "chamber.key", tmp_path / "signed.json"
    [made] = cli.json_lines("origin", "keygen", "--out", str(key))
    assert made["public_key"].startswith("ed25519:") and (key.stat().st_mode & 0o777) == 0o600
    assert "never overwritten" in cli.code(2, "origin", "keygen", "--out", str(key)).stderr
    [added] = cli.json_lines("origin", "issuer", "add", "CHAMBER-2", "--name", "Chamber Two",
                             "--country", "CN", "--type", "preferential", "--agreement",
                             "EU_GSP", "--public-key", made["public_key"])
    assert (added["current_key_id"], added["key_held"]) == (made["key_id"], False)
    # The issuer's machine has no database: a URL that cannot be opened proves none is used.
    offline = Cli(cli.settings)
    offline.env["SMARTCUSTOMS_DATABASE_URL"] = f"sqlite:///{tmp_path}/no/such/dir/x.db"
    [package] = offline.json_lines("origin", "sign", str(CERTIFICATE), "--issuer", "CHAMBER-2",
                                   "--key", str(key), "--out", str(signed))
    assert package["type"] == "issue" and package["key_id"] == made["key_id"]
    assert (signed.stat().st_mode & 0o777) == 0o600
    assert "give FILE with --issuer" in cli.code(2, "origin", "issue", str(CERTIFICATE),
                                                 "--signed", str(signed)).stderr
    [issued] = cli.json_lines("origin", "issue", "--signed", str(signed))
    assert issued["issuer_id"] == "CHAMBER-2" and issued["digest"] == package["digest"]
    tampered = json.loads(signed.read_text())
    tampered["committed"]["certificate"]["remarks"] = "forged"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered))
    assert "committed.digest" in cli.code(2, "origin", "issue", "--signed", str(bad)).stderr
    assert "does not hold a signing key" in cli.code(
        4, "origin", "issue", str(CERTIFICATE), "--issuer", "CHAMBER-2").stderr
    [rotated] = cli.json_lines("origin", "issuer", "rotate", "CCPIT-SZ", "--public-key",
                               json.loads(cli.code(0, "--json", "origin", "keygen", "--out",
                                                   str(tmp_path / "k2.key")).stdout
                                          )["public_key"])
    assert rotated["key_held"] is False
