"""The e-seal's state machine: every transition is listed; anything else is refused.

registered → assigned → armed → in transit ⇄ at office → arrived → disarmed. While at
an office an officer may authorise an opening (only inside a zone that allows it); an
opening under that authorisation is lawful until the seal is resealed or the vehicle
leaves. Any other opening, a broken seal or a tamper flag while the seal is armed moves
it to ``tampered``, from which only arrival and disarming lead on (the goods still have
to be presented).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from smartcustoms.transit.corridors import StopZone
from smartcustoms.transit.errors import SealTransitionRefused


class SealState(StrEnum):
    REGISTERED = "registered"
    ASSIGNED = "assigned"
    ARMED = "armed"
    IN_TRANSIT = "in_transit"
    AT_OFFICE = "at_office"
    ARRIVED = "arrived"
    DISARMED = "disarmed"
    TAMPERED = "tampered"


class SealTrigger(StrEnum):
    ASSIGN = "assign"
    ARM = "arm"
    DEPART = "depart"
    ENTER_OFFICE = "enter_office"
    LEAVE_OFFICE = "leave_office"
    AUTHORISE_OPENING = "authorise_opening"
    OPENED = "opened"
    RESEAL = "reseal"
    TAMPER = "tamper"
    CONFIRM_ARRIVAL = "confirm_arrival"
    DISARM = "disarm"


S, T = SealState, SealTrigger
_ARMED_STATES = (S.ARMED, S.IN_TRANSIT, S.AT_OFFICE)

# The whole machine. OPENED is absent for armed states on purpose: it is decided in
# ``transition`` by the authorisation, and falls to TAMPER when there is none.
TRANSITIONS: dict[tuple[SealState, SealTrigger], SealState] = {
    (S.REGISTERED, T.ASSIGN): S.ASSIGNED,
    (S.REGISTERED, T.OPENED): S.REGISTERED,
    (S.ASSIGNED, T.ARM): S.ARMED,
    (S.ASSIGNED, T.OPENED): S.ASSIGNED,
    (S.ARMED, T.DEPART): S.IN_TRANSIT,
    (S.ARMED, T.ENTER_OFFICE): S.ARMED,
    (S.IN_TRANSIT, T.ENTER_OFFICE): S.AT_OFFICE,
    (S.AT_OFFICE, T.LEAVE_OFFICE): S.IN_TRANSIT,
    (S.AT_OFFICE, T.AUTHORISE_OPENING): S.AT_OFFICE,
    (S.AT_OFFICE, T.RESEAL): S.AT_OFFICE,
    (S.AT_OFFICE, T.CONFIRM_ARRIVAL): S.ARRIVED,
    (S.TAMPERED, T.CONFIRM_ARRIVAL): S.ARRIVED,
    (S.TAMPERED, T.ENTER_OFFICE): S.TAMPERED,
    (S.TAMPERED, T.LEAVE_OFFICE): S.TAMPERED,
    (S.TAMPERED, T.DEPART): S.TAMPERED,
    (S.TAMPERED, T.TAMPER): S.TAMPERED,
    (S.TAMPERED, T.OPENED): S.TAMPERED,
    (S.ARRIVED, T.DISARM): S.DISARMED,
    (S.DISARMED, T.OPENED): S.DISARMED,
    **{(state, T.TAMPER): S.TAMPERED for state in _ARMED_STATES},
}


@dataclass(frozen=True, slots=True)
class Seal:
    seal_id: str
    state: SealState = SealState.REGISTERED
    opening_authorised_by: str | None = None
    opening_zone: str | None = None
    tamper_reason: str | None = None

    @property
    def is_armed(self) -> bool:
        return self.state in _ARMED_STATES


def allowed_triggers(state: SealState) -> list[SealTrigger]:
    allowed = [t for (s, t) in TRANSITIONS if s == state]
    if state in _ARMED_STATES:
        allowed.append(SealTrigger.OPENED)
    return sorted(set(allowed), key=list(SealTrigger).index)


def _refuse(seal: Seal, trigger: SealTrigger, why: str = "") -> SealTransitionRefused:
    allowed = ", ".join(t.value for t in allowed_triggers(seal.state)) or "none"
    return SealTransitionRefused(
        f"seal {seal.seal_id} in state {seal.state.value} cannot take {trigger.value}"
        f"{'; ' + why if why else ''}; allowed: {allowed}",
        field="trigger",
        value=trigger.value,
    )


def transition(
    seal: Seal,
    trigger: SealTrigger,
    *,
    zone: StopZone | None = None,
    officer_id: str | None = None,
    reason: str | None = None,
) -> Seal:
    """The seal after ``trigger``; raises ``SealTransitionRefused`` for a move not listed."""
    if trigger is SealTrigger.OPENED and seal.state in _ARMED_STATES:
        if seal.state is SealState.AT_OFFICE and seal.opening_authorised_by is not None:
            return seal
        return replace(
            seal,
            state=SealState.TAMPERED,
            opening_authorised_by=None,
            tamper_reason=reason or "seal opened without an officer's authorisation",
        )
    target = TRANSITIONS.get((seal.state, trigger))
    if target is None:
        raise _refuse(seal, trigger)
    if trigger is SealTrigger.AUTHORISE_OPENING:
        if officer_id is None:
            raise _refuse(seal, trigger, "an officer must give the authorisation")
        if zone is None or not zone.allows_opening:
            where = f"zone {zone.zone_id} ({zone.kind.value})" if zone else "no zone"
            raise _refuse(seal, trigger, f"the seal is in {where}, not an office zone")
        return replace(seal, opening_authorised_by=officer_id, opening_zone=zone.zone_id)
    if trigger in (SealTrigger.RESEAL, SealTrigger.LEAVE_OFFICE):
        return replace(seal, state=target, opening_authorised_by=None, opening_zone=None)
    if trigger is SealTrigger.TAMPER and seal.state is not SealState.TAMPERED:
        return replace(seal, state=target, opening_authorised_by=None, tamper_reason=reason)
    return replace(seal, state=target)
