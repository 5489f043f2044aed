"""`smartcustoms documents read …` through typer's CliRunner, on generated documents."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from smartcustoms.cli import app
from smartcustoms.documents import generate_case


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), *args],
                                env={"COLUMNS": "200"})
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.exit_code, result.stdout, result.stderr


def test_read_prints_every_field_with_its_evidence(tmp_path: Path) -> None:
    case = generate_case(11)
    paths = []
    for document in case.documents:
        path = tmp_path / f"{document.truth.document_type}.pdf"
        path.write_bytes(document.pdf)
        paths.append(str(path))
    code, stdout, _ = run(tmp_path, "--json", "documents", "read", *paths)
    assert code == 0
    readings = [json.loads(line) for line in stdout.splitlines()]
    assert [r["document"]["document_type"] for r in readings] == [
        d.truth.document_type for d in case.documents]
    invoice = readings[0]
    assert invoice["document"]["number"] == case.documents[0].truth.number
    evidence = invoice["evidence"]["number"]
    assert evidence["page"] == 1 and evidence["method"] == "pdf-text"
    assert len(evidence["bbox"]) == 4 and 0 < evidence["confidence"] <= 1
    code, stdout, _ = run(tmp_path, "documents", "read", paths[0])
    assert code == 0 and "lines[0].description" in stdout


def test_unreadable_and_missing_files_are_clear_errors(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf at all")
    code, _, stderr = run(tmp_path, "documents", "read", str(junk))
    assert code == 1 and "junk.pdf" in stderr
    code, _, stderr = run(tmp_path, "documents", "read", str(tmp_path / "nope.pdf"))
    assert code == 2 and "no such file" in stderr
    code, _, stderr = run(tmp_path, "documents", "read", str(junk), "--type", "passport")
    assert code == 2 and "--type must be one of" in stderr


def _case_files(tmp_path: Path, case: object) -> list[str]:
    paths = [str(tmp_path / "declaration.json")]
    (tmp_path / "declaration.json").write_text(case.declaration.model_dump_json())  # type: ignore[attr-defined]
    for document in case.documents:  # type: ignore[attr-defined]
        path = tmp_path / f"{document.truth.document_type}.pdf"
        path.write_bytes(document.pdf)
        paths.append(str(path))
    return paths


def test_check_finds_an_injected_total_and_nothing_on_a_clean_pair(tmp_path: Path) -> None:
    from smartcustoms.documents import InconsistencyKind

    clean = tmp_path / "clean"
    clean.mkdir()
    code, stdout, _ = run(tmp_path, "documents", "check", "--no-tariff",
                          *_case_files(clean, generate_case(5)))
    assert code == 0 and "no finding" in stdout
    changed = tmp_path / "changed"
    changed.mkdir()
    case = generate_case(5, inconsistencies=[InconsistencyKind.total_changed])
    code, stdout, _ = run(tmp_path, "--json", "documents", "check", "--no-tariff",
                          *_case_files(changed, case))
    assert code == 0
    findings = [json.loads(line) for line in stdout.splitlines()]
    total = next(f for f in findings if f["code"] == "invoice-total-mismatch")
    assert total["severity"] == "high" and total["declared"]["path"] == "invoice_total"
    assert total["document"]["evidence"]["page"] >= 1
    code, _, stderr = run(tmp_path, "documents", "check", str(tmp_path / "nope.json"),
                          str(tmp_path / "x.pdf"))
    assert code == 2 and "nope.json" in stderr


def test_check_attach_keeps_the_files_with_a_stored_declaration(tmp_path: Path) -> None:
    from smartcustoms.documents import InconsistencyKind

    case = generate_case(6, inconsistencies=[InconsistencyKind.total_changed])
    declaration, *pdfs = _case_files(tmp_path, case)
    assert run(tmp_path, "init")[0] == 0
    code, stdout, stderr = run(tmp_path, "--json", "declarations", "submit", declaration)
    assert code == 0, stderr
    declaration_id = json.loads(stdout.splitlines()[-1])["id"]
    code, stdout, stderr = run(tmp_path, "--json", "documents", "check", "--no-tariff",
                               "--attach", declaration_id, *pdfs)
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["added"] == 3 and len(result["files"]) == 3
    assert "invoice-total-mismatch" in {f["code"] for f in result["findings"]}
    code, stdout, _ = run(tmp_path, "documents", "check", "--no-tariff", "--attach",
                          declaration_id, *pdfs)
    assert code == 0 and "0 file(s) added; 3 attached" in stdout
    assert "invoice-total-mismatch" in stdout
    code, _, stderr = run(tmp_path, "documents", "check", "--attach", declaration, *pdfs)
    assert code == 2 and "stored declaration" in stderr
