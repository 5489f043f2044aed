"""Declarations: the model, validation, file imports with quarantine, storage."""

from smartcustoms.declarations.mapping import (
    MappingSpec,
    load_mapping,
    resolve_mapping,
    shipped_mapping,
)
from smartcustoms.declarations.models import (
    Declaration,
    DeclarationCreate,
    DeclarationList,
    DeclarationSummary,
    GoodsItem,
    Money,
    Party,
    PartyRole,
    Profile,
    Quantity,
)
from smartcustoms.declarations.reports import (
    ImportReport,
    ImportReportList,
    QuarantinedRecord,
    QuarantineList,
)
from smartcustoms.declarations.repository import DeclarationFilter
from smartcustoms.declarations.service import (
    Submission,
    get_declaration,
    get_import,
    get_quarantine,
    import_file,
    list_declarations,
    list_imports,
    restore_indexes_if_idle,
    submit_declaration,
)
from smartcustoms.declarations.types import iso6346_check_digit
from smartcustoms.declarations.validation import parse_declaration

__all__ = [
    "Declaration",
    "DeclarationCreate",
    "DeclarationFilter",
    "DeclarationList",
    "DeclarationSummary",
    "GoodsItem",
    "ImportReport",
    "ImportReportList",
    "MappingSpec",
    "Money",
    "Party",
    "PartyRole",
    "Profile",
    "Quantity",
    "QuarantineList",
    "QuarantinedRecord",
    "Submission",
    "get_declaration",
    "get_import",
    "get_quarantine",
    "import_file",
    "iso6346_check_digit",
    "list_declarations",
    "list_imports",
    "load_mapping",
    "parse_declaration",
    "resolve_mapping",
    "restore_indexes_if_idle",
    "shipped_mapping",
    "submit_declaration",
]
