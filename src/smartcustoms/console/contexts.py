"""Typed contexts of the console pages: what each template receives, and nothing else.

A view computes one of these from what a service function returned; templates read only
``page``. The dataclasses hold plain values and the capability's read models, so the same
data could be served as JSON (``dataclasses.asdict``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from smartcustoms.declarations import (
    Declaration,
    DeclarationList,
    DeclarationSummary,
    GoodsItem,
    ImportReport,
    ImportReportList,
    QuarantineList,
)
from smartcustoms.errors import FieldError, SmartCustomsError
from smartcustoms.identity import Permission
from smartcustoms.reference import HSNomenclature

from .session import ConsoleSession

if TYPE_CHECKING:  # the risk and tariff contexts build on this module's Layout
    from .compliance_views import CompliancePanel
    from .document_views import DocumentsPanel
    from .risk_contexts import RiskPanel
    from .tariff_views import TariffPanel
    from .transit_panel import TransitPanel

PAGE_SIZE = 50
QUARANTINE_PAGE_SIZE = 50
LIST_PATH = "/declarations"
RISK_PATH = "/console/risk"
QUEUE_PATH = f"{RISK_PATH}/queue"
MODELS_PATH = f"{RISK_PATH}/models"
RULES_PATH = f"{RISK_PATH}/rules"
TARIFF_PATH = "/console/tariff"
SCREENING_PATH = "/console/screening"
ORIGIN_PATH = "/console/origin"
TRANSIT_PATH = "/console/transit"
LISTS_PATH = f"{RISK_PATH}/lists"
LANES_PATH = f"{RISK_PATH}/lanes"
FEEDBACK_PATH = f"{RISK_PATH}/feedback"


@dataclass(frozen=True, slots=True)
class NavLink:
    label: str
    href: str
    active: bool


@dataclass(frozen=True, slots=True)
class Layout:
    """The header of every page: who is logged in, the navigation, the CSRF value."""

    username: str
    role: str
    company_id: str | None
    csrf_token: str
    nav: tuple[NavLink, ...]

    @classmethod
    def build(cls, session: ConsoleSession, active: str = "") -> Layout:
        actor = session.principal
        links: list[tuple[str, str]] = []
        if actor.can(Permission.read_all_declarations) or actor.can(
            Permission.read_own_declarations
        ):
            links.append(("Declarations", "/declarations"))
        if actor.can(Permission.record_inspections):
            links.append(("Inspection queue", QUEUE_PATH))
        if actor.can(Permission.read_imports):
            links.append(("Imports", "/imports"))
        if actor.can(Permission.classify_goods):
            links.append(("Classify", TARIFF_PATH))
        if actor.can(Permission.screen_parties):
            links.append(("Screening", SCREENING_PATH))
        if actor.can(Permission.verify_origin):
            links.append(("Origin", ORIGIN_PATH))
        if actor.can(Permission.read_transit):
            links.append(("Transit", TRANSIT_PATH))
        if actor.can(Permission.read_all_declarations):  # risk data is for customs staff only
            links += [("Models", MODELS_PATH), ("Rules", RULES_PATH), ("Lanes", LANES_PATH),
                      ("Feedback", FEEDBACK_PATH)]
        return cls(
            username=actor.username, role=actor.role.value, company_id=actor.company_id,
            csrf_token=session.csrf_token,
            nav=tuple(NavLink(label, href, href == active) for label, href in links),
        )


@dataclass(frozen=True, slots=True)
class Pager:
    """Offset pagination; links keep the query (filters) they were built with.

    ``path`` answers with the whole page (links work without JavaScript); htmx fetches
    ``fragment_path`` (by default the same path, which answers htmx with the fragment only).
    """

    path: str
    query: tuple[tuple[str, str], ...]
    total: int
    limit: int
    offset: int
    fragment_path: str | None = None

    @property
    def page(self) -> int:
        return self.offset // self.limit + 1

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.limit))

    @property
    def first_row(self) -> int:
        return min(self.offset + 1, self.total)

    @property
    def last_row(self) -> int:
        return min(self.offset + self.limit, self.total)

    def href(self, page: int) -> str:
        return self._link(self.path, page)

    def fragment_href(self, page: int) -> str:
        return self._link(self.fragment_path or self.path, page)

    def _link(self, path: str, page: int) -> str:
        params = [*self.query, ("page", str(page))] if page > 1 else list(self.query)
        return path + ("?" + urlencode(params) if params else "")

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


# --- login and errors -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoginPage:
    next: str
    username: str = ""
    error: str | None = None
    layout: Layout | None = None


@dataclass(frozen=True, slots=True)
class ErrorPage:
    layout: Layout | None
    status: int
    code: str
    title: str
    detail: str
    errors: tuple[FieldError, ...]

    @classmethod
    def of(cls, error: SmartCustomsError, layout: Layout | None) -> ErrorPage:
        return cls(layout=layout, status=error.http_status, code=error.code, title=error.title,
                   detail=error.detail, errors=tuple(error.errors))


# --- declarations ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FilterForm:
    """The filter form as the user typed it (to fill the form again)."""

    lrn: str = ""
    importer: str = ""
    office: str = ""
    hs: str = ""
    origin: str = ""
    date_from: str = ""
    date_to: str = ""

    def query(self) -> tuple[tuple[str, str], ...]:
        return tuple((k, v) for k, v in self._items() if v)

    def _items(self) -> list[tuple[str, str]]:
        return [("lrn", self.lrn), ("importer", self.importer), ("office", self.office),
                ("hs", self.hs), ("origin", self.origin), ("date_from", self.date_from),
                ("date_to", self.date_to)]

    @property
    def active(self) -> bool:
        return bool(self.query())

    def url(self, page: int = 1) -> str:
        """The list's address for these filters, without empty fields."""
        params = [*self.query(), ("page", str(page))] if page > 1 else list(self.query())
        return LIST_PATH + ("?" + urlencode(params) if params else "")


@dataclass(frozen=True, slots=True)
class DeclarationListPage:
    layout: Layout
    form: FilterForm
    declarations: tuple[DeclarationSummary, ...]
    pager: Pager
    error: ErrorPage | None = None  # the filters are not valid: no results, the reasons

    @classmethod
    def build(cls, session: ConsoleSession, form: FilterForm, result: DeclarationList
              ) -> DeclarationListPage:
        return cls(
            layout=Layout.build(session, LIST_PATH), form=form,
            declarations=tuple(result.items),
            pager=Pager(LIST_PATH, form.query(), result.total, result.limit, result.offset),
        )

    @classmethod
    def invalid(cls, session: ConsoleSession, form: FilterForm, error: SmartCustomsError
                ) -> DeclarationListPage:
        layout = Layout.build(session, LIST_PATH)
        return cls(layout=layout, form=form, declarations=(),
                   pager=Pager(LIST_PATH, form.query(), 0, PAGE_SIZE, 0),
                   error=ErrorPage.of(error, layout))


@dataclass(frozen=True, slots=True)
class ItemView:
    item: GoodsItem
    hs_description: str | None  # HS 2022 subheading text; None for other editions


@dataclass(frozen=True, slots=True)
class DeclarationPage:
    layout: Layout
    declaration: Declaration
    items: tuple[ItemView, ...]
    national: tuple[tuple[str, str], ...]
    source_extra: tuple[tuple[str, str], ...]
    import_run_href: str | None  # None when the reader may not see import runs
    risk: RiskPanel | None = None  # customs staff only: traders never see risk data
    tariff: TariffPanel | None = None  # staff only, like the risk panel
    compliance: CompliancePanel | None = None  # staff only: screening hits, valuation
    documents: DocumentsPanel | None = None  # trade documents and their cross-check
    transit: TransitPanel | None = None  # the movements carrying the goods (staff)

    @classmethod
    def build(cls, session: ConsoleSession, declaration: Declaration, hs: HSNomenclature,
              risk: RiskPanel | None = None, tariff: TariffPanel | None = None,
              compliance: CompliancePanel | None = None,
              documents: DocumentsPanel | None = None,
              transit: TransitPanel | None = None) -> DeclarationPage:
        declared = declaration.declared
        run = declaration.import_run_id
        return cls(
            layout=Layout.build(session, "/declarations"),
            declaration=declaration,
            items=tuple(ItemView(item, _hs2022_text(hs, item)) for item in declared.items),
            national=tuple(sorted(declared.national.items())),
            source_extra=tuple(sorted((declaration.source_extra or {}).items())),
            import_run_href=(f"/imports/{run}" if run is not None
                             and session.principal.can(Permission.read_imports) else None),
            risk=risk,
            tariff=tariff,
            compliance=compliance,
            documents=documents,
            transit=transit,
        )


def _hs2022_text(hs: HSNomenclature, item: GoodsItem) -> str | None:
    if item.hs_edition != "HS2022":
        return None
    try:
        entry = hs.get(item.hs_code[:6])
    except ValueError:  # a code the nomenclature cannot even parse: show none
        return None
    return entry.description if entry is not None else None


# --- imports --------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ImportsPage:
    layout: Layout
    runs: tuple[ImportReport, ...]
    pager: Pager
    can_import: bool
    mappings: tuple[str, ...]

    @classmethod
    def build(cls, session: ConsoleSession, result: ImportReportList, mappings: tuple[str, ...]
              ) -> ImportsPage:
        return cls(
            layout=Layout.build(session, "/imports"), runs=tuple(result.items),
            pager=Pager("/imports", (), result.total, result.limit, result.offset),
            can_import=session.principal.can(Permission.run_imports), mappings=mappings,
        )


@dataclass(frozen=True, slots=True)
class QuarantineError:
    field: str
    column: str | None
    message: str
    value: str | None  # as received; None when the cell was empty or absent


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    line: int
    reference: str | None
    record: str  # the source record as the file had it, for reading
    errors: tuple[QuarantineError, ...]


@dataclass(frozen=True, slots=True)
class QuarantineSection:
    run_id: int
    entries: tuple[QuarantineEntry, ...]
    pager: Pager

    @classmethod
    def build(cls, run_id: int, result: QuarantineList) -> QuarantineSection:
        return cls(
            run_id=run_id,
            entries=tuple(
                QuarantineEntry(r.line, r.reference, _readable_record(r.record),
                                tuple(_quarantine_error(e) for e in r.errors))
                for r in result.items
            ),
            pager=Pager(f"/imports/{run_id}", (), result.total, result.limit, result.offset,
                        fragment_path=f"/imports/{run_id}/quarantine"),
        )


def _readable_record(record: str) -> str:
    """A quarantined CSV record (JSON: one object per source row) as 'column: value' lines."""
    try:
        rows = json.loads(record)
    except ValueError:
        return record
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        return json.dumps(rows, indent=2, ensure_ascii=False)
    blocks = []
    for row in rows:
        head = [f"line {row['_line']}"] if "_line" in row else []
        blocks.append("\n".join(head + [f"{k}: {v}" for k, v in row.items() if k != "_line"]))
    return "\n\n".join(blocks)


def _quarantine_error(error: Mapping[str, Any]) -> QuarantineError:
    value = error.get("value")
    if value is not None and not isinstance(value, str):
        value = json.dumps(value, default=str, ensure_ascii=False)
    column = error.get("column")
    return QuarantineError(field=str(error.get("field", "")),
                           column=str(column) if column is not None else None,
                           message=str(error.get("message", "")), value=value)


@dataclass(frozen=True, slots=True)
class ImportRunPage:
    layout: Layout
    report: ImportReport
    quarantine: QuarantineSection

    @classmethod
    def build(cls, session: ConsoleSession, report: ImportReport, quarantined: QuarantineList
              ) -> ImportRunPage:
        return cls(layout=Layout.build(session, "/imports"), report=report,
                   quarantine=QuarantineSection.build(report.id, quarantined))
