"""Lane settings as stored versions: one active at a time, every change in the audit log.

Until a supervisor saves settings, the shipped file ``data/risk/lanes.yaml`` is in force.
The first save stores that default too, as the version before it, so there is always a
version to go back to. Saving settings identical to the active ones adds nothing; going
back activates the earlier version again rather than copying it. Every lane decision
records the digest of the settings it was made under (``settings_sha256``).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.orm import Session

from smartcustoms.errors import FieldError, InvalidInput, NotFound
from smartcustoms.identity import Permission, Principal, audit
from smartcustoms.paths import DATA_ROOT
from smartcustoms.risk.selectivity import Capacity, LaneSettings
from smartcustoms.risk.tables import LaneSettingsRow

DEFAULT_LANES_PATH = DATA_ROOT / "risk" / "lanes.yaml"
MAX_NOTE = 4000
SYSTEM_AUTHOR = "system"


class LaneSettingsVersion(BaseModel):
    """A stored version of the lane settings, or the shipped default (``id`` null)."""

    id: int | None = Field(description="the version; null for the shipped default, "
                           "in force until settings are first saved")
    settings: LaneSettings
    sha256: str = Field(description="LaneSettings digest, stored with every lane decision")
    note: str | None = None
    author: str | None = Field(None, description="who saved it, as the audit log names them")
    created_at: dt.datetime | None = None
    active: bool
    activated_by: str | None = None
    activated_at: dt.datetime | None = Field(None, description="when it last became active")


# --- reading and checking settings ----------------------------------------------------------

def load_lane_settings(path: Path | None = None) -> LaneSettings:
    """Lane settings from a YAML file (default: the shipped one); errors name each field."""
    path = path or DEFAULT_LANES_PATH
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read the lane settings {path}: {exc}", field="settings",
                           value=str(path)) from None
    return parse_lane_settings({} if data is None else data, source=str(path))


@functools.cache
def shipped_lane_settings() -> LaneSettings:
    """The shipped default, read once per process (as the server always read it)."""
    return load_lane_settings()


def parse_lane_settings(data: Any, *, source: str = "the lane settings") -> LaneSettings:
    """Settings given as plain data (a YAML document, a JSON body), checked field by field."""
    if not isinstance(data, Mapping):
        raise InvalidInput(f"{source} must be a mapping of settings (seed, random_rate, "
                           f"policy, capacity, offices); got {type(data).__name__}",
                           field="settings", value=str(data)[:200])
    try:
        return LaneSettings.model_validate(data)
    except ValidationError as exc:
        errors = [_field_error(e) for e in exc.errors()]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InvalidInput(f"{source}: {errors[0]}{more}", errors=errors) from None


def _field_error(error: ErrorDetails) -> FieldError:
    loc = tuple(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        # Two models forbid unknown keys: the settings themselves and a lane's capacity.
        known = LaneSettings.model_fields if len(loc) == 1 else Capacity.model_fields
        message = f"unknown key; expected one of {', '.join(known)}"
    return FieldError(".".join(loc) or "settings", message, error.get("input"))


# --- the active version and the history -----------------------------------------------------

def _active_row(session: Session) -> LaneSettingsRow | None:
    return session.execute(select(LaneSettingsRow).where(LaneSettingsRow.active.is_(True))
                           ).scalar_one_or_none()


def _version(row: LaneSettingsRow) -> LaneSettingsVersion:
    return LaneSettingsVersion(
        id=row.id, settings=LaneSettings.model_validate(row.settings), sha256=row.sha256,
        note=row.note, author=row.author, created_at=row.created_at, active=bool(row.active),
        activated_by=row.activated_by, activated_at=row.activated_at)


def _shipped_version() -> LaneSettingsVersion:
    settings = shipped_lane_settings()
    return LaneSettingsVersion(id=None, settings=settings, sha256=settings.digest(),
                               note=f"the shipped default ({DEFAULT_LANES_PATH.name})",
                               active=True)


def active_lane_settings(session: Session) -> LaneSettings:
    """The settings in force: the active stored version, else the shipped default."""
    row = _active_row(session)
    return LaneSettings.model_validate(row.settings) if row else shipped_lane_settings()


def active_lane_settings_sha256(session: Session) -> str:
    """The digest of the settings in force: one small query, so a scorer can ask often."""
    stored = session.scalar(select(LaneSettingsRow.sha256).where(
        LaneSettingsRow.active.is_(True)))
    return stored or shipped_lane_settings().digest()


def current_lane_settings(session: Session, *, actor: Principal) -> LaneSettingsVersion:
    """The settings in force with their version (customs staff only)."""
    actor.require(Permission.read_all_declarations)
    row = _active_row(session)
    return _version(row) if row else _shipped_version()


def lane_settings_history(session: Session, *, actor: Principal) -> list[LaneSettingsVersion]:
    """Every stored version, newest first."""
    actor.require(Permission.read_all_declarations)
    rows = session.scalars(select(LaneSettingsRow).order_by(LaneSettingsRow.id.desc()))
    return [_version(row) for row in rows]


# --- changes: saving a version, going back to one -------------------------------------------

def save_lane_settings(session: Session, settings: LaneSettings | Mapping[str, Any], *,
                       actor: Principal, note: str | None, now: dt.datetime
                       ) -> tuple[LaneSettingsVersion, bool]:
    """Store the settings as a new version and make it active; returns the version in force
    and whether it is new (settings identical to the active ones add nothing)."""
    actor.require(Permission.configure_lanes)
    # Checked again even when given as LaneSettings: a model can be changed after it is built.
    raw = settings.model_dump(mode="json") if isinstance(settings, LaneSettings) else settings
    checked = parse_lane_settings(raw)
    clean_note = _clean_note(note)
    digest = checked.digest()
    previous = _active_row(session)
    if digest == (previous.sha256 if previous else shipped_lane_settings().digest()):
        return (_version(previous) if previous else _shipped_version()), False
    if previous is None:
        previous = _store_shipped_default(session, now)
    row = LaneSettingsRow(settings=checked.model_dump(mode="json"), sha256=digest,
                          note=clean_note, created_by=actor.user_id, author=actor.username,
                          created_at=now)
    session.add(row)
    _activate(session, row, previous, actor=actor, now=now)
    audit.record(session, actor=actor.username, action="lane-settings.save",
                 entity_type="lane_settings", entity_id=str(row.id),
                 detail={"sha256": digest, "note": clean_note, "settings": row.settings,
                         "previous_version": previous.id, "previous_sha256": previous.sha256},
                 now=now)
    return _version(row), True


def activate_version(session: Session, version_id: int, *, actor: Principal,
                     now: dt.datetime) -> LaneSettingsVersion:
    """Put a stored version back in force (a roll back); the active one stays active."""
    actor.require(Permission.configure_lanes)
    row = session.get(LaneSettingsRow, version_id)
    if row is None:
        raise NotFound(f"no lane settings version {version_id}", field="version",
                       value=version_id)
    # Stored before a check was tightened? Then it cannot come back as it is.
    parse_lane_settings(row.settings, source=f"lane settings version {version_id}")
    previous = _active_row(session)
    if previous is not None and previous.id == row.id:
        return _version(row)
    _activate(session, row, previous, actor=actor, now=now)
    audit.record(session, actor=actor.username, action="lane-settings.activate",
                 entity_type="lane_settings", entity_id=str(row.id),
                 detail={"sha256": row.sha256,
                         "previous_version": previous.id if previous else None,
                         "previous_sha256": previous.sha256 if previous else None},
                 now=now)
    return _version(row)


def _activate(session: Session, row: LaneSettingsRow, previous: LaneSettingsRow | None, *,
              actor: Principal, now: dt.datetime) -> None:
    if previous is not None:
        previous.active = None
        session.flush()  # first: the unique constraint admits one active row at any moment
    row.active, row.activated_by, row.activated_at = True, actor.username, now
    session.flush()


def _store_shipped_default(session: Session, now: dt.datetime) -> LaneSettingsRow:
    """The shipped default as a stored (inactive) version: the first save's way back."""
    settings = shipped_lane_settings()
    row = LaneSettingsRow(settings=settings.model_dump(mode="json"), sha256=settings.digest(),
                          note=f"the shipped default ({DEFAULT_LANES_PATH.name}), in force "
                          "until settings were first saved",
                          created_by=None, author=SYSTEM_AUTHOR, created_at=now)
    session.add(row)
    session.flush()
    return row


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE:
        raise InvalidInput(f"a note is at most {MAX_NOTE} characters", field="note",
                           value=f"{len(text)} characters")
    return text or None
