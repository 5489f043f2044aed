"""The eCO model: consistency rules, strict JSON, every field error at once."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from smartcustoms.origin.models import (
    CRITERIA_BY_AGREEMENT,
    Agreement,
    Certificate,
    CertificateInvalid,
    CertificateType,
    OriginCriterion,
    parse_certificate,
)

GOOD: dict[str, Any] = {
    "number": "RCEP-CN-2026-000123",
    "certificate_type": "preferential",
    "agreement": "RCEP",
    "issuing_authority": {"name": "CCPIT Shenzhen", "country": "CN", "identifier": "CCPIT-SZ"},
    "exporter": {
        "name": "Shenzhen Example Electronics Co.",
        "country": "CN",
        "address": {"street": "1 Keji Road", "city": "Shenzhen", "country": "CN"},
    },
    "consignee": {"name": "Seoul Import Trading Ltd", "country": "KR"},
    "exporting_country": "CN",
    "importing_country": "KR",
    "transport": {"mode": "1", "port_of_loading": "CNSZX", "port_of_discharge": "KRPUS"},
    "goods_items": [
        {
            "sequence": 1,
            "description": "Smartphones",
            "hs_code": "8517.13",
            "quantity": {"value": "100", "unit": "H87"},
            "gross_mass_kg": "12.5",
            "invoice": {"number": "INV-1", "date": "2026-10-30"},
            "origin_country": "CN",
            "origin_criterion": "CTC",
        }
    ],
    "validity": {"issue_date": "2026-11-01", "valid_until": "2027-10-31"},
}


def good(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data.update(changes)
    return data


def test_certificate_parses_and_normalises() -> None:
    cert = parse_certificate(json.dumps(GOOD))
    assert cert.goods_items[0].hs_code == "851713"
    assert cert.agreement is Agreement.RCEP
    assert cert.producer is None and cert.transport is not None
    assert cert.transport.transit_countries == []


def test_certificate_round_trips_through_json() -> None:
    cert = Certificate.model_validate(GOOD)
    assert parse_certificate(cert.model_dump_json()) == cert


def test_fractions_become_exact_decimals() -> None:
    data = json.dumps(GOOD).replace('"12.5"', "0.1")
    assert parse_certificate(data).goods_items[0].gross_mass_kg == Decimal("0.1")


def test_duplicated_key_is_refused() -> None:
    text = json.dumps(GOOD).replace('"number": ', '"number": "X-1", "number": ', 1)
    with pytest.raises(CertificateInvalid, match="duplicated key 'number'"):
        parse_certificate(text)


def test_unknown_field_is_refused() -> None:
    with pytest.raises(CertificateInvalid, match="remarkz"):
        parse_certificate(json.dumps(good(remarkz="x")))


def test_every_field_error_is_reported_with_its_path() -> None:
    data = good(importing_country="XX")
    data["goods_items"][0]["hs_code"] = "8517"
    with pytest.raises(CertificateInvalid) as info:
        parse_certificate(json.dumps(data))
    fields = {e.field for e in info.value.errors}
    assert {"importing_country", "goods_items[0].hs_code"} <= fields


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"agreement": None}, "names its agreement"),
        ({"importing_country": "CN"}, "must differ"),
        ({"certificate_type": "non_preferential"}, "names no agreement"),
    ],
)
def test_inconsistent_certificate_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Certificate.model_validate(good(**changes))


def test_criterion_must_belong_to_the_agreement() -> None:
    data = good()
    data["goods_items"][0]["origin_criterion"] = "P"  # GSP Form A code, not RCEP
    with pytest.raises(ValidationError, match="origin_criterion must be one of CR, CTC"):
        Certificate.model_validate(data)


def test_non_preferential_certificate_has_no_criteria() -> None:
    data = good(certificate_type="non_preferential", agreement=None)
    with pytest.raises(ValidationError, match="no origin criteria"):
        Certificate.model_validate(data)
    data["goods_items"][0]["origin_criterion"] = None
    assert Certificate.model_validate(data).certificate_type is CertificateType.non_preferential


def test_items_are_numbered_in_order() -> None:
    data = good()
    data["goods_items"].append(copy.deepcopy(data["goods_items"][0]))  # sequence 1 again
    with pytest.raises(ValidationError, match=r"goods_items\[1\].sequence must be 2"):
        Certificate.model_validate(data)


def test_validity_ends_after_it_starts() -> None:
    data = good(validity={"issue_date": "2026-11-01", "valid_until": "2026-10-31"})
    with pytest.raises(ValidationError, match="before issue_date"):
        Certificate.model_validate(data)


def test_every_agreement_has_its_criteria() -> None:
    assert set(CRITERIA_BY_AGREEMENT) == set(Agreement)
    assert set().union(*CRITERIA_BY_AGREEMENT.values()) == set(OriginCriterion)
