"""Selectivity: which lane each declaration takes, under each lane's capacity.

Lanes, most to least intrusive: red (physical inspection), yellow (documentary check),
blue (release, post-clearance audit), green (release). Per office and day:

1. Officers' rules come first: a declaration a rule selects takes the rule's lane,
   capacity or not (a rule is an instruction, not a suggestion).
2. A minimum share is selected for red **at random**, whatever the model says: this is
   what lets hit rates be estimated without the model's bias and what shows the model
   the declarations it would never pick.
3. The model's ranking fills what capacity is left: red, then yellow, then blue.

Every decision records how it was made and its *propensity* — the probability that this
policy inspects the declaration — so the hit rate of any group can later be estimated
without bias (inverse-propensity weighting). Random draws hash (seed, declaration id):
reproducible, and independent of the order or the batch a declaration arrives in.
"""

from __future__ import annotations

import enum
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Lane(enum.StrEnum):
    red = "red"
    yellow = "yellow"
    blue = "blue"
    green = "green"


SEVERITY = {Lane.red: 3, Lane.yellow: 2, Lane.blue: 1, Lane.green: 0}
INSPECTED = frozenset({Lane.red, Lane.yellow})


class Selection(enum.StrEnum):
    rule = "rule"
    random = "random"
    model = "model"
    none = "none"  # released: no rule, not drawn, below the model's cut


MAX_COUNT = 1_000_000_000  # per office and day; also keeps the digest's integers in 64 bits
MAX_OFFICE = 35  # the declarations' office column


class Capacity(BaseModel):
    """A lane's capacity per office and day: a share of the declarations or a count."""

    model_config = ConfigDict(extra="forbid")

    share: float | None = Field(None, ge=0, le=1, description="share of the office's "
                                "declarations of the day, from 0 to 1", examples=[0.05])
    count: int | None = Field(None, ge=0, le=MAX_COUNT,
                              description="declarations per office and day", examples=[10])

    @model_validator(mode="after")
    def _one(self) -> Capacity:
        if (self.share is None) == (self.count is None):
            raise ValueError("give exactly one of share or count")
        return self

    def slots(self, declarations: int) -> int:
        if self.count is not None:
            return min(self.count, declarations)
        return min(round((self.share or 0) * declarations), declarations)


class LaneSettings(BaseModel):
    """Capacity per lane, office and day, the random share, the seed, the ranking policy."""

    model_config = ConfigDict(extra="forbid")

    seed: int = Field(0, ge=0, lt=2**63, description="random draws hash (seed, declaration "
                      "id): the same seed gives the same draws")
    random_rate: float = Field(0.02, ge=0, le=1, description="share of declarations sent "
                               "red at random, whatever their risk", examples=[0.02])
    policy: Literal["probability", "duty"] = Field(
        "probability", description="rank by the probability of an irregularity or by the "
        "expected duty at stake")
    capacity: dict[Lane, Capacity] = Field(default_factory=lambda: {
        Lane.red: Capacity(share=0.05), Lane.yellow: Capacity(share=0.05),
        Lane.blue: Capacity(share=0.10)}, description="red, yellow and blue; a lane left "
        "out gets no slots")
    offices: dict[str, dict[Lane, Capacity]] = Field(
        default_factory=dict, description="per office code, lanes whose capacity differs "
        "from `capacity`", examples=[{"30": {"red": {"count": 10}}}])

    @field_validator("capacity")
    @classmethod
    def _no_green_capacity(cls, lanes: dict[Lane, Capacity]) -> dict[Lane, Capacity]:
        if Lane.green in lanes:
            raise ValueError("green is what is left: it has no capacity")
        return lanes

    @field_validator("offices")
    @classmethod
    def _offices_override_capacity(cls, offices: dict[str, dict[Lane, Capacity]]
                                   ) -> dict[str, dict[Lane, Capacity]]:
        for office, lanes in offices.items():
            if not 0 < len(office) <= MAX_OFFICE or office != office.strip():
                raise ValueError(f"an office code is 1 to {MAX_OFFICE} characters without "
                                 f"surrounding spaces; got {office!r}")
            if Lane.green in lanes:
                raise ValueError(f"office {office}: green is what is left: it has no capacity")
        return offices

    def digest(self) -> str:
        """sha256 of the settings, stored with every decision they made."""
        return hashlib.sha256(orjson.dumps(self.model_dump(mode="json"),
                                           option=orjson.OPT_SORT_KEYS)).hexdigest()

    def capacity_for(self, office: str | None, lane: Lane) -> Capacity | None:
        override = self.offices.get(office or "", {})
        return override.get(lane) or self.capacity.get(lane)


@dataclass(frozen=True, slots=True)
class Candidate:
    declaration_id: str
    office: str | None
    day: str  # ISO date: capacity is per office and day
    score: float  # the policy's ranking score (probability or expected duty)
    rule_lane: Lane | None = None
    rule_ids: tuple[int, ...] = ()


@dataclass(slots=True)
class Decision:
    declaration_id: str
    lane: Lane
    selected_by: Selection
    propensity: float  # P(this policy inspects it: red or yellow)
    rank: int | None = None  # 1 = riskiest of its office and day
    rule_ids: tuple[int, ...] = field(default_factory=tuple)


def uniform(seed: int, declaration_id: str) -> float:
    """A reproducible draw in [0, 1) for one declaration."""
    digest = hashlib.blake2b(f"{seed}\x1f{declaration_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def assign_lanes(candidates: Sequence[Candidate], settings: LaneSettings) -> list[Decision]:
    """Decide every candidate's lane; the output follows the input order."""
    groups: dict[tuple[str | None, str], list[int]] = {}
    for i, c in enumerate(candidates):
        groups.setdefault((c.office, c.day), []).append(i)
    decisions: list[Decision | None] = [None] * len(candidates)
    for (office, _day), members in groups.items():
        for i, decision in _assign_group([candidates[i] for i in members], office, settings,
                                         members):
            decisions[i] = decision
    return [d for d in decisions if d is not None]


def _assign_group(group: list[Candidate], office: str | None, settings: LaneSettings,
                  indexes: list[int]) -> list[tuple[int, Decision]]:
    n = len(group)
    slots = {lane: (cap.slots(n) if (cap := settings.capacity_for(office, lane)) else 0)
             for lane in (Lane.red, Lane.yellow, Lane.blue)}
    order = sorted(range(n), key=lambda k: (-group[k].score, group[k].declaration_id))
    rank = {k: r + 1 for r, k in enumerate(order)}
    out: dict[int, Decision] = {}
    rate = settings.random_rate
    for k, c in enumerate(group):
        if c.rule_lane is not None:
            out[k] = Decision(c.declaration_id, c.rule_lane, Selection.rule,
                              1.0 if c.rule_lane in INSPECTED else rate, rank[k], c.rule_ids)
            if c.rule_lane in slots:
                slots[c.rule_lane] = max(0, slots[c.rule_lane] - 1)
        elif uniform(settings.seed, c.declaration_id) < rate:
            out[k] = Decision(c.declaration_id, Lane.red, Selection.random, rate, rank[k])
            slots[Lane.red] = max(0, slots[Lane.red] - 1)
    for lane in (Lane.red, Lane.yellow, Lane.blue):
        for k in order:
            if slots[lane] == 0:
                break
            if k in out:
                continue
            inspected = lane in INSPECTED
            out[k] = Decision(group[k].declaration_id, lane, Selection.model,
                              1.0 if inspected else rate, rank[k])
            slots[lane] -= 1
    for k, c in enumerate(group):
        if k not in out:
            out[k] = Decision(c.declaration_id, Lane.green, Selection.none, rate, rank[k])
    # A random draw the model would have inspected anyway had no choice: propensity 1.
    cut = max((d.rank or 0 for d in out.values()
               if d.selected_by is Selection.model and d.lane in INSPECTED), default=0)
    for d in out.values():
        if d.selected_by is Selection.random and (d.rank or 0) <= cut:
            d.propensity = 1.0
    return [(indexes[k], out[k]) for k in range(n)]
