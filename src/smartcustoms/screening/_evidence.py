"""Secondary evidence: the facts besides the name that move a hit's score a little and
are always reported. The name decides; country, address, identifier and kind rank.

- country: the party's declared country against the entry's nationality, citizenship,
  address, flag and birth countries (ISO codes through rigour's territories);
- identifier: a document or registry number found verbatim (letters and digits only)
  makes a hit whatever the name, since it names one subject;
- kind: a person hint against a listed company (or the other way) costs;
- alias: a weak alias (OFAC "weak", UN "Low") costs;
- address: the declared city among the entry's address cities.
"""

from __future__ import annotations

from smartcustoms.screening._countries import country_code
from smartcustoms.screening.hits import COMPATIBLE_KINDS, Evidence, Party
from smartcustoms.screening.models import ListEntry
from smartcustoms.screening.normalise import NameKind, normalise_name

WEAK_ALIAS_FACTOR = 0.9
COUNTRY_MATCH_BONUS = 0.03
COUNTRY_MISMATCH_PENALTY = 0.03
ADDRESS_CITY_BONUS = 0.02
KIND_MISMATCH_PENALTY = 0.10
IDENTIFIER_MATCH_SCORE = 1.0


def secondary_evidence(party: Party, entry: ListEntry, weak: bool,
                       identified: str | None) -> list[Evidence]:
    """What besides the name speaks for or against the hit, and by how much."""
    evidence = []
    if weak:
        evidence.append(Evidence("alias", "weak",
                                 "the list marks this alias weak; name score "
                                 f"x{WEAK_ALIAS_FACTOR}"))
    if identified is not None:
        evidence.append(Evidence("identifier", "match", f"{identified} on the list",
                                 IDENTIFIER_MATCH_SCORE))
    elif party.identifier and entry.identifiers:
        evidence.append(Evidence("identifier", "no match",
                                 f"{party.identifier!r} is not among the entry's "
                                 f"{len(entry.identifiers)} identifiers"))
    codes = entry.country_codes
    wanted = country_code(party.country) if party.country else None
    if party.address is not None and party.address.country and wanted is None:
        wanted = country_code(party.address.country)
    if wanted is not None:
        if not codes:
            evidence.append(Evidence("country", "unknown",
                                     "the entry names no country"))
        elif wanted in codes:
            roles = sorted({c.role.value for c in entry.countries if c.code == wanted})
            evidence.append(Evidence("country", "match",
                                     f"{wanted} is the entry's {', '.join(roles)}",
                                     COUNTRY_MATCH_BONUS))
        else:
            evidence.append(Evidence("country", "mismatch",
                                     f"{wanted} not among {', '.join(sorted(codes))}",
                                     -COUNTRY_MISMATCH_PENALTY))
    elif party.country:
        evidence.append(Evidence("country", "unknown",
                                 f"{party.country!r} is not a known country"))
    if party.address is not None and party.address.city and entry.addresses:
        city = normalise_name(party.address.city, NameKind.organisation).tokens
        for address in entry.addresses:
            listed = normalise_name(address.city or "", NameKind.organisation).tokens
            if city and set(city) <= set(listed):
                evidence.append(Evidence("address", "match",
                                         f"city {address.city!r}", ADDRESS_CITY_BONUS))
                break
    if party.kind is not None:
        if entry.kind in COMPATIBLE_KINDS[party.kind]:
            evidence.append(Evidence("kind", "compatible",
                                     f"{party.kind.value} / listed {entry.kind.value}"))
        else:
            evidence.append(Evidence("kind", "incompatible",
                                     f"{party.kind.value} / listed {entry.kind.value}",
                                     -KIND_MISMATCH_PENALTY))
    return evidence
