"""Country names as lists print them ("Korea, North", "Burma", "Region: Gaza") to ISO
3166 alpha-2 codes, through rigour's territory database (OpenSanctions keeps it for
exactly this job), so that a party's declared country compares with a listed one."""

from __future__ import annotations

from functools import lru_cache

from rigour.territories import lookup_territory


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """The upper-case ISO code for a country name or code, or None when unknown.

    Sub-national territories (Crimea, Scotland) answer with their country's code: lists
    and declarations disagree on that level, the country is what both can say.
    """
    if text is None:
        return None
    cleaned = text.strip().strip(".;,")
    if not cleaned:
        return None
    territory = lookup_territory(cleaned)
    if territory is None:
        return None
    code = territory.code
    if "-" in code and territory.parent is not None:
        code = territory.parent.code
    return code.upper()
