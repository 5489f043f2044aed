"""Cross-checks of trade documents against the declaration they support.

``cross_check(declaration, readings)`` compares a ``DeclarationCreate`` with what was read
from its commercial invoice(s), packing list(s) and bill(s) of lading and returns one
``Finding`` per disagreement: a stable ``code``, a ``severity``, a message an officer can
act on, the declared side (field path and value), the document side (document type and
number, field path, value, and the reader's ``Evidence``: page, box, source text) and the
tolerance applied. A suspicion is a finding, never an exception; the function raises only
for an empty set of checks.

Checks (``CHECKS``, each a small object with one method; pass a subset as ``checks=``):

==================== ================================================================
invoice-value        ``currency-mismatch``, ``currency-converted``, ``invoice-total-mismatch``,
                     ``invoice-total-includes-charges``
goods-lines          ``quantity-mismatch``, ``item-price-mismatch``, ``hs-code-mismatch``,
                     ``origin-mismatch``, ``net-mass-mismatch``, ``gross-mass-mismatch``,
                     ``packages-mismatch``, ``line-unmatched``, ``item-unmatched``
shipment-totals      ``packages-mismatch``, ``gross-mass-mismatch``, ``net-mass-mismatch``
parties              ``party-mismatch``
incoterm             ``incoterm-mismatch``, ``freight-mismatch``, ``insurance-mismatch``,
                     ``freight-inconsistent-with-incoterm``,
                     ``insurance-inconsistent-with-incoterm``
dates                ``invoice-after-declaration``, ``document-after-declaration``,
                     ``document-reference-mismatch``, ``document-date-mismatch``
containers           ``container-mismatch``, ``container-check-digit``, ``seal-mismatch``,
                     ``seal-duplicate``
classification       ``hs-description-misfit`` (only with a ``classifier``)
==================== ================================================================

Any check may add ``document-field-missing`` (info): the reader looked for a value it
could not read (the path is in ``DocumentReading.missing``) and the declaration has one to
compare. A value a document simply does not print is no finding, and nothing is guessed.
``declaration-field-missing`` (info) says the declaration lacks a value the comparison
needs (freight under E and F terms).

Severity rule
    **high**: the declaration, as it stands, understates what is due or names other goods,
    parties or means than the documents: money declared below the documents (total, item
    price, freight), another currency with no rate, another importer or seller (names
    differ and no identifier agrees), an Incoterm that changes what the price includes,
    freight left out that the terms require, an invoice dated after the declaration, a
    container not on the bill of lading, an HS code of another chapter than the invoice
    prints, a declared container number that fails its check digit.
    **medium**: a figure or identity differs without that direct effect on the amount due,
    or the evidence is strong but indirect: quantities, masses, packages, money declared
    above the documents, origin, seals, a party of another legal form or with the same
    identifier, an HS heading other than the invoice's, a classifier misfit pointing to
    another chapter, a line or item left unpaired, a document reference not declared, a
    container check digit failing on a document, freight declared as 0 under E/F terms
    without a freight invoice.
    **low**: likely clerical: another HS subheading than the invoice prints, an Incoterm
    that differs without changing what the price includes, a declared issue date other
    than the document's, freight declared on top of a price that includes it, a seal
    printed for two containers.
    **info**: observations and values that could not be compared.

Tolerances (``Tolerance``; defaults): money within 0.01 per invoice line plus 0.5 % of the
documented amount; masses within 2 % or 0.5 kg, whichever is larger; counts (packages,
quantities in counted units) exact; quantities in measured units within 2 %; dates exact.
An invoice in another currency than the declaration is converted at the declared
``exchange_rate``, read as units of the declared currency per unit of the invoice
currency (declared = documented x rate); without a rate nothing in money is compared and
``currency-mismatch`` says why.

Lines are paired with items by printed HS code, then by description, then by order (see
``smartcustoms.documents._checks.pairing``). Incoterms follow ``INCOTERM_COSTS``:

====== ============= ==========================================================
rule   main carriage insurance
====== ============= ==========================================================
EXW    excluded      excluded
FCA    excluded      excluded
FAS    excluded      excluded
FOB    excluded      excluded
CFR    included      excluded
CPT    included      excluded
CIF    included      included
CIP    included      included
DAP    included      included (the seller bears the risk to destination)
DPU    included      included (idem)
DDP    included      included (idem; the price also includes import duties)
====== ============= ==========================================================

Freight and insurance the invoice charges must be declared, at the invoice's amount.
Declared terms that include main carriage over an invoice whose terms exclude it, with no
freight declared, is ``freight-inconsistent-with-incoterm`` (high); freight declared as 0
under E/F terms with no freight invoice (UN/EDIFACT 1001 code 780) among the declared
documents is one too (medium). Under E/F terms with no freight declared at all the
finding is info (``declaration-field-missing``): the cost of transport to the border may
come from a document the checks do not see.

Parties are compared by ``compare_party_names`` (``rigour`` normalisation as in
screening, legal forms set aside and compared apart). Containers are compared with the
bill of lading and packing list; seals with the bill of lading, the declaration carrying
them as ``national['seals.<container>']`` until the model has a seal element.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from smartcustoms.declarations.models import DeclarationCreate
from smartcustoms.documents._checks.classification import ClassificationCheck
from smartcustoms.documents._checks.containers import ContainerCheck, check_digit_ok
from smartcustoms.documents._checks.findings import (
    DEFAULT_TOLERANCE,
    Context,
    DeclaredValue,
    DocumentValue,
    Finding,
    HSVerifier,
    Severity,
    Tolerance,
)
from smartcustoms.documents._checks.parties import PartyNameMatch, compare_party_names
from smartcustoms.documents._checks.shipment import (
    INCOTERM_COSTS,
    DateCheck,
    IncotermCheck,
    IncotermCosts,
    PartyCheck,
)
from smartcustoms.documents._checks.values import (
    GoodsLineCheck,
    InvoiceValueCheck,
    ShipmentTotalsCheck,
)
from smartcustoms.documents.models import (
    BillOfLading,
    CommercialInvoice,
    DocumentReading,
    PackingList,
)

__all__ = [
    "CHECKS",
    "DEFAULT_TOLERANCE",
    "INCOTERM_COSTS",
    "Check",
    "CheckContext",
    "ClassificationCheck",
    "ContainerCheck",
    "DateCheck",
    "DeclaredValue",
    "DocumentValue",
    "Finding",
    "GoodsLineCheck",
    "HSVerifier",
    "IncotermCheck",
    "IncotermCosts",
    "InvoiceValueCheck",
    "PartyCheck",
    "PartyNameMatch",
    "Severity",
    "ShipmentTotalsCheck",
    "Tolerance",
    "compare_party_names",
    "container_check_digit_ok",
    "cross_check",
]

container_check_digit_ok = check_digit_ok
CheckContext = Context  # what a check reads: the declaration, readings by type, helpers


class Check(Protocol):
    """One cross-check: a stable ``name``, the finding ``codes`` it may give, and
    ``check``, which reads the context and returns findings."""

    name: str
    codes: frozenset[str]

    def check(self, ctx: CheckContext) -> list[Finding]: ...


CHECKS: tuple[Check, ...] = (
    InvoiceValueCheck(), GoodsLineCheck(), ShipmentTotalsCheck(), PartyCheck(),
    IncotermCheck(), DateCheck(), ContainerCheck(), ClassificationCheck(),
)


def cross_check(
    declaration: DeclarationCreate,
    readings: Sequence[DocumentReading | CommercialInvoice | PackingList | BillOfLading],
    *,
    classifier: HSVerifier | None = None,
    tolerance: Tolerance = DEFAULT_TOLERANCE,
    checks: Sequence[Check] = CHECKS,
) -> list[Finding]:
    """Every disagreement between ``declaration`` and its documents, most severe first
    (checks in ``checks`` order within a severity).

    ``readings`` are what ``read_document`` returned; a bare document shape (ground truth,
    a document keyed in by hand) is taken as a reading without evidence. ``classifier``
    (e.g. ``smartcustoms.tariff.Classifier``) enables the HS-versus-description check.
    Raises ``ValueError`` for an empty ``checks``: checking nothing would read as clean.
    """
    if not checks:
        raise ValueError("checks must name at least one check; an empty set would find "
                         "nothing and read as a clean declaration")
    ctx = Context(declaration, tuple(_as_reading(r) for r in readings), tolerance,
                  classifier)
    findings = [finding for check in checks for finding in check.check(ctx)]
    return sorted(findings, key=lambda f: -f.severity.rank)


def _as_reading(
    value: DocumentReading | CommercialInvoice | PackingList | BillOfLading,
) -> DocumentReading:
    if isinstance(value, DocumentReading):
        return value
    return DocumentReading(document=value, page_count=1)
