"""CLI: sanctions screening — search names, load list versions, screen declarations,
decide on hits."""

from __future__ import annotations

import csv
import shutil
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
    from smartcustoms.screening import service as screening
else:  # the matcher and rigour load only for the commands that need them
    screening = LazyModule("smartcustoms.screening.service")

app = typer.Typer(no_args_is_help=True,
                  help="Sanctions screening: parties against the OFAC and UN lists.")

_SCREENERS: Any = None
_BATCH = 256


def screeners() -> Any:
    global _SCREENERS
    if _SCREENERS is None:
        _SCREENERS = screening.Screeners()
    return _SCREENERS


def ready(st: State) -> None:
    """The schema is current and a list is loaded (the shipped snapshot on first use)."""
    require_schema(st)
    with unit_of_work(st.sessions) as session:
        loaded = screening.ensure_default_list(session, now=st.clock())
    if loaded is not None:
        err.print(f"no list loaded yet: loaded the shipped OFAC SDN snapshot of "
                  f"{loaded.list.version} ({loaded.list.entry_count:,} entries; a test "
                  "fixture — load the current list with `smartcustoms screening update`)",
                  highlight=False)


def _print_hits(query: str, hits: list[Any], *, reasons: bool) -> None:
    if not hits:
        out.print(f"[green]no hit[/] for {escape(query)}", highlight=False)
        return
    table = Table(title=f"{escape(query)}: {len(hits)} hit(s)", title_justify="left")
    for column in ("score", "list", "entry", "listed name", "matched", "programs"):
        table.add_column(column, overflow="fold")
    for h in hits:
        matched = h.matched_name if h.matched_as == "primary name" else \
            f"{h.matched_name} ({h.matched_as}, {h.alias_strength})"
        table.add_row(f"{h.score:.2f}", h.source, h.entry_id, escape(h.entry_name),
                      escape(matched), escape(", ".join(h.programs)))
    out.print(table)
    if reasons:
        for line in hits[0].reasons:
            out.print(f"  {escape(line)}", highlight=False, style="dim")


@app.command("search")
def search_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Party name.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="CSV with a column name (and optional id, kind, country, "
        "identifier, city): one answer per row.")] = None,
    kind: Annotated[str | None, typer.Option(
        help="person, organisation, vessel or aircraft.")] = None,
    country: Annotated[str | None, typer.Option(help="Country (ISO code or name).")] = None,
    identifier: Annotated[str | None, typer.Option(help="Registration, tax, passport or "
                                                   "IMO number.")] = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.01, max=1.0, help="Report hits at or above this score (default: calibrated).")]
    = None,
    limit: Annotated[int, typer.Option(min=1, max=50, help="Hits per name.")] = 5,
) -> None:
    """Screen a name, or every row of a CSV, against the active lists; hits say why."""
    st = state(ctx)
    with handled(st):
        if (name is None) == (file is None):
            raise InvalidInput("give a name or --file, not both", field="name", value=name)
        ready(st)
        if name is not None:
            party = _party_in({"name": name, "kind": kind, "country": country,
                               "identifier": identifier})
            with st.sessions() as session:
                result = screening.search(screeners(), session, [party], actor=operator(),
                                          threshold=threshold, limit=limit)[0]
            emit(st, result, lambda: _print_hits(name, result.hits, reasons=True))
            return
        assert file is not None
        failed = hit_rows = total = 0
        with st.sessions() as session:
            for batch in _batches(_rows(file), _BATCH):
                good = [(line, row, p) for line, row, p, error in batch if error is None]
                for line, row, _, error in batch:
                    if error is not None:
                        failed += 1
                        emit(st, {"line": line, "id": row.get("id"), "error": error},
                             lambda line=line, error=error: err.print(
                                 f"line {line}: {escape(error)}", highlight=False))
                if not good:
                    continue
                results = screening.search(screeners(), session, [p for _, _, p in good],
                                           actor=operator(), threshold=threshold,
                                           limit=limit)
                for (line, row, _), result in zip(good, results, strict=True):
                    total += 1
                    hit_rows += bool(result.hits)
                    if st.json:
                        emit(st, {"line": line, "id": row.get("id"),
                                  **result.model_dump(mode="json")}, lambda: None)
                    elif result.hits:
                        _print_hits(f"{row.get('id') or line}: {result.query.name}",
                                    result.hits, reasons=False)
        if not st.json:
            out.print(f"{total:,} names screened: {hit_rows:,} with hits, "
                      f"{total - hit_rows:,} without", highlight=False)
        if failed:
            raise typer.Exit(1)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str], Any, str | None]]:
    """(line, row, PartyIn or None, error or None) for each data row of the CSV."""
    from pydantic import ValidationError

    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", field="file",
                           value=str(path)) from None
    with fh:
        reader = csv.DictReader(fh)
        if "name" not in (reader.fieldnames or []):
            raise InvalidInput(f"{path.name} lacks the column name; expected name (and "
                               "optionally id, kind, country, identifier, city)",
                               field="columns", value=",".join(reader.fieldnames or []))
        fields = set(screening.PartyIn.model_fields)
        for row in reader:
            line = reader.line_num
            data = {k: v.strip() for k, v in row.items()
                    if k in fields and isinstance(v, str) and v.strip()}
            try:
                yield line, row, screening.PartyIn.model_validate(data), None
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(map(str, first["loc"])) or "name"
                yield line, row, None, (f"{where}: {first['msg']}; got "
                                        f"{first.get('input')!r}")


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@app.command("update")
def update_command(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(
        help="A folder with OFAC's sdn.csv (alt.csv, add.csv), OFAC's sdn.xml, the UN "
        "consolidated list XML, or an http(s) URL of one of those files.")],
    version: Annotated[str | None, typer.Option(
        help="Publication date (YYYY-MM-DD); needed for CSV files, which carry none.")] = None,
    rescreen: Annotated[bool, typer.Option("--rescreen/--no-rescreen", help="Screen the "
                                           "stored declarations against it.")] = True,
) -> None:
    """Load a new version of a list: it becomes the active version of its source."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with tempfile.TemporaryDirectory() as tmp:
            path = _fetch(source, Path(tmp)) if _is_url(source) else Path(source)
            with unit_of_work(st.sessions) as session:
                report = screening.load_list_file(session, path, actor=operator(),
                                                  now=st.clock(), version=version)
        counts = None
        if report.created and rescreen:
            counts = _rescreen(st, only_unscreened=False)

        def human() -> None:
            info = report.list
            verb = "loaded" if report.created else "already loaded, unchanged:"
            out.print(f"{verb} {info.source} {info.version or '(undated)'} — "
                      f"{info.entry_count:,} entries, {report.changed_entries:,} new or "
                      f"changed, list #{info.id} active", highlight=False)
            if report.rejected:
                err.print(f"{len(report.rejected):,} record(s) could not be read:",
                          highlight=False)
                for r in report.rejected[:10]:
                    err.print(f"  {escape(r['file'])} {escape(r['where'])}: {escape(r['field'])} "
                              f"{escape(r['reason'])}; got {escape(repr(r['value']))}",
                              highlight=False)
            if counts:
                out.print(f"re-screened {counts['with_named_parties']:,} declarations with "
                          f"named parties: {counts['hits']:,} hits", highlight=False)

        emit(st, {**report.model_dump(mode="json"), "rescreened": counts}, human)


def _is_url(source: str) -> bool:
    return urllib.parse.urlsplit(source).scheme in ("http", "https")


def _fetch(url: str, folder: Path) -> Path:
    """Download the list file the user named (the only network use, and on request)."""
    name = Path(urllib.parse.urlsplit(url).path).name or "list.xml"
    target = folder / name
    try:
        with urllib.request.urlopen(url, timeout=120) as response, target.open("wb") as fh:
            shutil.copyfileobj(response, fh)
    except OSError as exc:
        raise InvalidInput(f"cannot download {url}: {exc}", field="source", value=url) from None
    return target if name.casefold().endswith(".xml") else folder


def _rescreen(st: State, *, only_unscreened: bool) -> dict[str, int]:
    from rich.status import Status

    with Status("screening declarations…", console=err) as status:
        def say(message: str) -> None:
            status.update(f"screening: {escape(message)}")

        with unit_of_work(st.sessions) as session:
            return screening.rescreen(screeners(), session, now=st.clock(),
                                      only_unscreened=only_unscreened, progress=say)  # type: ignore[no-any-return]


@app.command("run")
def run_command(
    ctx: typer.Context,
    all_: Annotated[bool, typer.Option("--all", help="Screen every stored declaration "
                                       "again, not only those never screened.")] = False,
) -> None:
    """Screen the parties of stored declarations (those never screened, e.g. imported)."""
    st = state(ctx)
    with handled(st):
        ready(st)
        counts = _rescreen(st, only_unscreened=not all_)
        emit(st, counts, lambda: out.print(
            f"{counts['declarations']:,} declarations screened "
            f"({counts['with_named_parties']:,} with named parties): {counts['hits']:,} hits",
            highlight=False))


@app.command("lists")
def lists_command(ctx: typer.Context) -> None:
    """Every loaded list version, the active ones first."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            versions = screening.list_versions(session)

        def human() -> None:
            table = Table("id", "source", "version", "entries", "rejected", "status",
                          "loaded by", "at", "from")
            for v in versions:
                table.add_row(str(v.id), v.source, v.version, f"{v.entry_count:,}",
                              str(v.rejected), v.status, escape(v.loaded_by),
                              v.loaded_at.isoformat(timespec="seconds"), escape(v.origin))
            out.print(table)

        emit(st, [v.model_dump(mode="json") for v in versions], human)


@app.command("hits")
def hits_command(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Open hits on declarations, best score first (the review queue)."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        with st.sessions() as session:
            hits = screening.open_hits(session, actor=operator(), limit=limit)

        def human() -> None:
            table = Table("hit", "score", "party", "role", "entry", "listed name", "matched")
            for h in hits:
                table.add_row(str(h.id), f"{h.score:.2f}", escape(h.party_name), h.party_role,
                              f"{h.source}/{h.entry_id}", escape(h.entry_name),
                              escape(h.matched_name))
            out.print(table)

        emit(st, [h.model_dump(mode="json") for h in hits], human)


@app.command("decide")
def decide_command(
    ctx: typer.Context,
    hit_id: Annotated[int, typer.Argument(help="Hit id (from `screening hits`).")],
    decision: Annotated[str, typer.Option(help="true_match or false_positive.")],
    note: Annotated[str, typer.Option(help="Why (what was compared).")],
) -> None:
    """Record a decision on a hit: it applies to the pair on every declaration."""
    st = state(ctx)
    with handled(st):
        require_schema(st)
        body = _decision(decision, note)
        with unit_of_work(st.sessions) as session:
            hit = screening.decide(session, hit_id, body, actor=operator(), now=st.clock())
        emit(st, hit, lambda: out.print(
            f"hit {hit.id}: {hit.status} ({escape(hit.party_name)} / {escape(hit.entry_name)})",
            highlight=False))


def _decision(decision: str, note: str) -> Any:
    return _validated(screening.DecisionIn, {"decision": decision, "note": note})


def _party_in(data: dict[str, Any]) -> Any:
    return _validated(screening.PartyIn, {k: v for k, v in data.items() if v is not None})


def _validated(model: Any, data: dict[str, Any]) -> Any:
    """The model, or an InvalidInput naming the option, the value and what it accepts."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(map(str, first["loc"]))
        raise InvalidInput(f"{field}: {first['msg']}; got {first.get('input')!r}",
                           field=field, value=first.get("input")) from None
