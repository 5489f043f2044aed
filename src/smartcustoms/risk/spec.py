"""The feature spec: which histories the risk model sees (``data/risk/features.yaml``)."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from smartcustoms.errors import FieldError, InvalidInput
from smartcustoms.paths import DATA_ROOT

DEFAULT_SPEC_PATH = DATA_ROOT / "risk" / "features.yaml"

# The risk frame's columns a spec may name (national.* elements come from the data).
FRAME_KEYS = frozenset({
    "office", "declarant", "importer", "seller", "hs6", "hs4", "hs2", "origin", "departure",
    "transport_mode", "preference_code", "net_mass_kg", "price", "currency",
})


class Entity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keys: list[str] = Field(min_length=1)
    parent: str | None = None


class FeatureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smoothing: float = Field(2.0, gt=0)
    entities: dict[str, Entity] = Field(min_length=1)
    unit_value_group: list[str] = Field(default_factory=lambda: ["hs6", "origin"])
    novelty: dict[str, list[str]] = Field(default_factory=dict)
    categorical: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> FeatureSpec:
        errors: list[FieldError] = []
        for name, entity in self.entities.items():
            for key in entity.keys:
                if not _known(key):
                    errors.append(FieldError(f"entities.{name}.keys", "is not a column of "
                                             "the risk frame", key))
            if entity.parent is not None and entity.parent not in self.entities:
                errors.append(FieldError(f"entities.{name}.parent", "must name another "
                                         "entity of the spec", entity.parent))
        if not errors and len(self.ordered_entities()) < len(self.entities):
            errors.append(FieldError("entities", "the parents form a cycle",
                                     sorted(set(self.entities) - set(self.ordered_entities()))))
        for field, keys in [("unit_value_group", self.unit_value_group),
                            *((f"novelty.{k}", v) for k, v in self.novelty.items())]:
            errors += [FieldError(field, "is not a column of the risk frame", k)
                       for k in keys if not _known(k)]
        errors += [FieldError("categorical", "is not a column of the risk frame", k)
                   for k in self.categorical if k != "national.*" and not _known(k)]
        if errors:
            raise InvalidInput("the feature spec is invalid", errors=errors)
        return self


    def ordered_entities(self) -> list[tuple[str, Entity]]:
        """Parents before their children (an entity's risk shrinks towards its parent's)."""
        done: dict[str, Entity] = {}
        progress = True
        while progress and len(done) < len(self.entities):
            progress = False
            for name, entity in self.entities.items():
                if name not in done and (entity.parent is None or entity.parent in done):
                    done[name] = entity
                    progress = True
        return list(done.items())


def _known(column: str) -> bool:
    return column in FRAME_KEYS or column.startswith("national.")


def load_spec(path: Path | None = None) -> FeatureSpec:
    path = path or DEFAULT_SPEC_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the feature spec {path}: {exc}", field="spec",
                           value=str(path)) from None
    try:
        return FeatureSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(f"the feature spec {path} is invalid", errors=[
            FieldError(".".join(map(str, e["loc"])) or "(spec)", e["msg"], e.get("input"))
            for e in exc.errors()
        ]) from None
