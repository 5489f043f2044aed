"""Fixtures for trade-document tests.

Strategy: generating and reading PDFs costs tens of milliseconds each, so the corpus is
built once per session and shared: one case per (layout, language) for every document
type, plus one three-page invoice. Tests that need odd documents (a label missing, a
foreign layout) draw them with fpdf2 themselves, small and explicit.
"""

from __future__ import annotations

import itertools

import pytest

from smartcustoms.documents.generate import LANGUAGES, LAYOUTS, GeneratedCase, generate_case

LAYOUT_LANGUAGE = [
    (document_type, layout, language)
    for document_type, layouts in LAYOUTS.items()
    for layout, language in itertools.product(layouts, LANGUAGES)
]


@pytest.fixture(scope="session")
def corpus() -> dict[tuple[str, str, str], GeneratedCase]:
    """One case per (document type, layout, language); fonts vary with the seed."""
    out = {}
    for seed, (document_type, layout, language) in enumerate(LAYOUT_LANGUAGE):
        out[(document_type, layout, language)] = generate_case(
            1000 + seed, layouts={document_type: layout}, language=language,
            line_count=4 + seed % 5,
        )
    return out


@pytest.fixture(scope="session")
def three_page_case() -> GeneratedCase:
    return generate_case(77, multipage=True, layouts={"commercial_invoice": "letterhead"},
                         language="de")
