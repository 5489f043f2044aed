"""CLI: HS classification suggestions, verification, precedents, model versions, evaluation."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer
from rich.markup import escape
from rich.table import Table

from smartcustoms.cli.common import (
    LazyModule,
    State,
    emit,
    err,
    handled,
    operator,
    out,
    require_schema,
    state,
)
from smartcustoms.db import unit_of_work
from smartcustoms.errors import InvalidInput

if TYPE_CHECKING:
    from smartcustoms import tariff
    from smartcustoms.tariff import evaluate as evaluation
else:  # scikit-learn and the model load only for the commands that need them
    tariff = LazyModule("smartcustoms.tariff")
    evaluation = LazyModule("smartcustoms.tariff.evaluate")

app = typer.Typer(no_args_is_help=True,
                  help="Tariff classification: suggest and verify HS codes, with evidence.")
precedents_app = typer.Typer(no_args_is_help=True,
                             help="Classified descriptions the model learns from.")
app.add_typer(precedents_app, name="precedents")

_CLASSIFIERS: Any = None


def classifiers() -> Any:
    """This process's cache of the active model (``tariff.Classifiers``)."""
    global _CLASSIFIERS
    if _CLASSIFIERS is None:
        _CLASSIFIERS = tariff.Classifiers()
    return _CLASSIFIERS


def active_classifier(st: State) -> Any:
    """The active model; the first use on a fresh database, or with an active version that
    cannot be served, trains one from the shipped rulings (under a minute on two cores) and
    says why."""
    with st.sessions() as session:
        try:
            return classifiers().get(session, st.settings)[0]
        except tariff.NoTariffModel as exc:
            # None active yet, or the active one cannot be served (e.g. it was trained
            # with another sentence encoder): either way a new one is trained.
            if exc.field == "model":
                note = "no tariff model yet: training one from the shipped rulings…"
            else:
                note = f"{exc.detail}. Training one from the shipped rulings now…"
    err.print(note, highlight=False)
    train_version(st, activate=True)
    with st.sessions() as session:
        return classifiers().get(session, st.settings)[0]


def train_version(st: State, *, activate: bool, evaluate: bool = False,
           semantic: bool | None = None) -> Any:
    from rich.status import Status

    with Status("training the tariff model…", console=err) as status:
        def say(message: str) -> None:
            status.update(f"tariff model: {escape(message)}")

        scores = _evaluate_all(say, semantic) if evaluate else None
        with unit_of_work(st.sessions) as session:
            version = tariff.train_model(session, st.settings, actor=operator(), now=st.clock(),
                                         semantic=semantic, evaluation=scores, progress=say)
            if activate and version.status != "active":
                version = tariff.activate_model(session, version.id, actor=operator(),
                                                now=st.clock())
    return version


def _evaluate_all(say: Any, semantic: bool | None, sets: list[str] | None = None,
                  folds: int = 5) -> dict[str, Any]:
    import os

    from smartcustoms.tariff.corpus import code_texts, load_benchmark_set, shipped_precedents
    from smartcustoms.tariff.embedding import MemoEncoder, shipped_vectors
    from smartcustoms.tariff.service import default_encoder

    encoder = default_encoder(os.cpu_count() or 1) if semantic is None or semantic else None
    if semantic and encoder is None:
        raise InvalidInput("the semantic encoder is not installed", field="semantic",
                           value=True)
    if encoder is not None:  # the folds encode the same texts again and again
        encoder = MemoEncoder(encoder, seeds=[shipped_vectors()])
    codes = code_texts()
    precedents = shipped_precedents()
    results: dict[str, Any] = {}
    chosen = sets or ["eu_bti", "kcs_decisions", "atlas", "hscodecomp"]
    for name in chosen:
        if name in ("eu_bti", "kcs_decisions"):
            verify = evaluation.VerificationScores()
            scores = evaluation.grouped_cv(name, precedents, codes, folds=folds,
                                           encoder=encoder, progress=say, verify=verify)
            results[name] = {"method": f"grouped {folds}-fold CV", **scores.as_dict(),
                             **verify.as_dict()}
    zero = [n for n in chosen if n in ("atlas", "hscodecomp")]
    if zero:
        say("model on all shipped rulings for the zero-shot sets")
        from smartcustoms.tariff.corpus import with_series_groups

        model = tariff.TariffModel().fit(with_series_groups(precedents), codes, encoder=encoder)
        for name in zero:
            say(f"{name}: zero-shot")
            held = load_benchmark_set(name)
            scores = evaluation.zero_shot(model, held)
            verify = evaluation.verification(model, held)
            results[name] = {"method": "zero-shot (never trained on)", **scores.as_dict(),
                             **verify.as_dict()}
    return results


def _print_suggestions(text: str, suggestions: list[Any]) -> None:
    table = Table(title=escape(text if len(text) < 80 else text[:77] + "…"), title_justify="left")
    for column in ("#", "HS6", "p", "path", "matched", "nearest precedent"):
        table.add_column(column, overflow="fold")
    for i, s in enumerate(suggestions, 1):
        path = " › ".join(f"{p.code} {p.text[:40]}" for p in s.path[1:])
        near = (f"{s.precedents[0].ref} ({s.precedents[0].code}, {s.precedents[0].similarity:.2f})"
                if s.precedents else "")
        table.add_row(str(i), f"{s.hs6[:4]}.{s.hs6[4:]}", f"{s.probability:.2f}", escape(path),
                      escape(", ".join(s.matched_terms[:5])), escape(near))
    out.print(table)


@app.command("classify")
def classify_command(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="Goods description.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="CSV with columns id, description: one answer per row.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=20, help="Suggestions per description.")] = 5,
) -> None:
    """Ranked HS6 suggestions with their evidence, for a text or every row of a CSV."""
    st = state(ctx)
    with handled(st):
        if (text is None) == (file is None):
            raise InvalidInput("give a description or --file, not both", field="text",
                               value=text)
        require_schema(st)
        classifier = active_classifier(st)
        if text is not None:
            suggestions = classifier.suggest(text, k=k)
            emit(st, {"description": text, "suggestions": [s.model_dump() for s in suggestions]},
                 lambda: _print_suggestions(text, suggestions))
            return
        assert file is not None
        failed = 0
        for batch in _batches(_csv_rows(file), 64):
            good = [(line, row) for line, row, error in batch if error is None]
            for line, row, error in batch:
                if error is not None:
                    failed += 1
                    emit(st, {"line": line, "id": row.get("id"), "error": error},
                         lambda line=line, error=error: err.print(
                             f"line {line}: {escape(error)}", highlight=False))
            if not good:
                continue
            answers = classifier.suggest_many([r["description"] for _, r in good], k=k)
            for (_, row), suggestions in zip(good, answers, strict=True):
                emit(st, {"id": row["id"], "suggestions": [s.model_dump() for s in suggestions]},
                     lambda row=row, suggestions=suggestions: _print_suggestions(
                         f"{row['id']}: {row['description']}", suggestions))
        if failed:
            raise typer.Exit(1)


def _open(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file",
                           value=str(path)) from None


def _csv_reader(path: Path, fh: TextIO, columns: tuple[str, ...]) -> csv.DictReader[str]:
    """A reader of ``fh`` whose header has ``columns``, or one clear error naming them."""
    reader = csv.DictReader(fh)
    missing = set(columns) - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"{path.name} lacks the column(s) {', '.join(sorted(missing))}; "
                           f"expected {', '.join(columns)}", field="columns",
                           value=",".join(reader.fieldnames or []))
    return reader


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, str], str | None]]:
    with _open(path) as fh:
        reader = _csv_reader(path, fh, ("id", "description"))
        for row in reader:
            description = (row.get("description") or "").strip()
            error = None if description else "description: empty; expected the goods text"
            yield reader.line_num, {"id": row.get("id") or "", "description": description}, error


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@app.command("verify")
def verify_command(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="Goods description.")],
    code: Annotated[str, typer.Argument(help="Declared code (HS6, or national 8/10 digits).")],
) -> None:
    """Does the declared code fit the description? fits / doubtful / misfit."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        try:
            tariff.declared_subheading(code)
        except ValueError as exc:
            raise InvalidInput(str(exc), field="code", value=code) from None
        result = active_classifier(st).verify(text, code)

    def human() -> None:
        colour = {"fits": "green", "doubtful": "yellow", "misfit": "red"}[result.verdict]
        out.print(f"[bold {colour}]{result.verdict}[/]: {escape(result.reason)}", highlight=False)
        for s in result.better:
            out.print(f"  better: {s.hs6} (p {s.probability:.2f}) "
                      f"{escape(s.path[-1].text[:70])}", highlight=False)
    emit(st, result, human)


@app.command("train")
def train_command(
    ctx: typer.Context,
    activate: Annotated[bool, typer.Option(help="Make the new version active at once.")] = False,
    evaluate: Annotated[bool, typer.Option(
        help="Also run the evaluation (minutes) and store its figures with the version.")
    ] = False,
    semantic: Annotated[bool | None, typer.Option(
        help="Use the shipped sentence encoder (default: when installed).")] = None,
) -> None:
    """Train a version on the shipped rulings plus this administration's precedents."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        version = train_version(st, activate=activate, evaluate=evaluate, semantic=semantic)
    emit(st, version, lambda: out.print(
        f"tariff model {version.id} ({version.status}), {version.precedent_count:,} precedents, "
        f"sha256 {version.content_sha256[:16]}…", highlight=False))


@app.command("models")
def models_command(ctx: typer.Context) -> None:
    """The stored versions with their figures, newest first: compare before activating."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = tariff.list_models(session, actor=operator())

    def human() -> None:
        table = Table()
        for column in ("id", "status", "precedents", "created", "EU top-1", "KCS top-1",
                       "ATLAS top-1", "semantic"):
            table.add_column(column)
        for v in versions:
            ev = v.metrics.get("evaluation", {})
            table.add_row(str(v.id), v.status, f"{v.precedent_count:,}",
                          f"{v.created_at:%Y-%m-%d %H:%M} {escape(v.created_by)}",
                          *(str(ev.get(s, {}).get("top1@6", "–"))
                            for s in ("eu_bti", "kcs_decisions", "atlas")),
                          "yes" if v.config.get("semantic") else "no")
        out.print(table)
    emit(st, [v.model_dump(mode="json") for v in versions], human)


@app.command("activate")
def activate_command(
    ctx: typer.Context,
    model_id: Annotated[int, typer.Argument(help="Version id (see `tariff models`).")],
) -> None:
    """Make a version the one that classifies and verifies."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with unit_of_work(st.sessions) as session:
            version = tariff.activate_model(session, model_id, actor=operator(), now=st.clock())
    emit(st, version, lambda: out.print(f"tariff model {version.id} is active",
                                        highlight=False))


@app.command("evaluate")
def evaluate_command(
    ctx: typer.Context,
    sets: Annotated[str, typer.Option(
        help="Comma-separated: eu_bti, kcs_decisions (grouped CV), atlas, hscodecomp "
             "(zero-shot).")] = "eu_bti,kcs_decisions,atlas,hscodecomp",
    folds: Annotated[int, typer.Option(min=2, max=20)] = 5,
    semantic: Annotated[bool | None, typer.Option(
        help="Use the shipped sentence encoder (default: when installed).")] = None,
) -> None:
    """Top-1/3/5 at 2, 4 and 6 digits per set, and verification AUC per kind of wrong code."""
    st = state(ctx)
    with handled(st):
        chosen = [s.strip() for s in sets.split(",") if s.strip()]
        unknown = set(chosen) - {"eu_bti", "kcs_decisions", "atlas", "hscodecomp"}
        if unknown:
            raise InvalidInput(f"unknown set(s) {', '.join(sorted(unknown))}; expected eu_bti, "
                               "kcs_decisions, atlas, hscodecomp", field="sets", value=sets)
        from rich.status import Status

        with Status("evaluating…", console=err) as status:
            results = _evaluate_all(lambda m: status.update(escape(m)), semantic, chosen, folds)
    if st.json:
        for name, figures in results.items():
            sys.stdout.write(json.dumps({"set": name, **figures}) + "\n")
        return
    table = Table()
    columns = ["n", "top1@6", "top3@6", "top5@6", "top1@4", "top5@4", "top1@2", "top5@2",
               "seen_top1@6", "unseen_top1@6", "ece", "auc_sibling_subheading",
               "auc_same_chapter_heading", "auc_other_chapter"]
    table.add_column("set")
    table.add_column("method")
    for c in columns:
        table.add_column(c.replace("auc_", "AUC ").replace("_", " "), justify="right")
    for name, figures in results.items():
        table.add_row(name, figures["method"], *(str(figures.get(c, "")) for c in columns))
    out.print(table)


@precedents_app.command("add")
def precedents_add_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV or JSON lines with ref, description, code "
                                        "(and optionally decided_on).")],
    source: Annotated[str | None, typer.Option(
        help="Name of the collection (default: the file's name); (source, ref) is unique.")
    ] = None,
) -> None:
    """Add rulings; bad rows are reported with field and value, the rest are stored.
    Adding the same file again adds nothing."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        records, unreadable = [], []
        for where, data in _precedent_records(file):
            (unreadable if isinstance(data, str) else records).append((where, data))
        with unit_of_work(st.sessions) as session:
            report = tariff.add_precedents(session, records, source=source or file.stem,
                                           actor=operator(), now=st.clock())
        report.rejected[:0] = [{"at": where, "field": "line", "value": None, "error": error}
                               for where, error in unreadable]

    def human() -> None:
        out.print(f"{report.added:,} added, {report.unchanged:,} already stored, "
                  f"{len(report.rejected):,} rejected", highlight=False)
        for r in report.rejected[:20]:
            err.print(f"  {r['at']}: {escape(str(r['field']))} = {escape(repr(r['value']))}: "
                      f"{escape(str(r['error']))}", highlight=False)
    emit(st, report, human)
    if report.rejected:
        raise typer.Exit(1)


def _precedent_records(path: Path) -> Iterator[tuple[str, dict[str, Any] | str]]:
    """(where, record), or (where, why it cannot be read)."""
    with _open(path) as fh:
        if path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                except ValueError as exc:
                    yield f"line {n}", f"not JSON: {exc}"
                    continue
                yield f"line {n}", data if isinstance(data, dict) else "not a JSON object"
            return
        reader = _csv_reader(path, fh, ("ref", "description", "code"))
        for row in reader:
            yield f"line {reader.line_num}", {k: v for k, v in row.items()
                                               if k and v not in (None, "")}
