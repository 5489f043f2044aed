"""The seal state machine: legal paths, refusals, authorised and unauthorised openings."""

from __future__ import annotations

import pytest

from smartcustoms.transit.corridors import StopZone, ZoneKind
from smartcustoms.transit.errors import SealTransitionRefused
from smartcustoms.transit.seals import (
    TRANSITIONS,
    Seal,
    SealState,
    SealTrigger,
    allowed_triggers,
    transition,
)

T = SealTrigger
OFFICE = StopZone(zone_id="OFF", name="office", kind=ZoneKind.CUSTOMS_OFFICE,
                  centre=(0.0, 0.0), radius_m=500)
REST = StopZone(zone_id="REST", name="rest", kind=ZoneKind.REST_AREA, centre=(0.0, 0.0),
                radius_m=500)


def run(*triggers: SealTrigger, **kw: object) -> Seal:
    seal = Seal("S1")
    for trigger in triggers:
        seal = transition(seal, trigger, **kw)  # type: ignore[arg-type]
    return seal


def test_the_whole_legal_path() -> None:
    seal = run(T.ASSIGN, T.ARM, T.DEPART, T.ENTER_OFFICE, T.LEAVE_OFFICE, T.ENTER_OFFICE,
               T.CONFIRM_ARRIVAL, T.DISARM)
    assert seal.state is SealState.DISARMED
    assert transition(seal, T.OPENED).state is SealState.DISARMED


@pytest.mark.parametrize(("state", "trigger"), [
    (s, t) for s in SealState for t in SealTrigger
    if (s, t) not in TRANSITIONS
    and not (t is T.OPENED and s in (SealState.ARMED, SealState.IN_TRANSIT, SealState.AT_OFFICE))
])
def test_every_unlisted_transition_is_refused(state: SealState, trigger: SealTrigger) -> None:
    with pytest.raises(SealTransitionRefused, match=f"in state {state.value} cannot take "
                                                    f"{trigger.value}.*allowed:"):
        transition(Seal("S1", state), trigger, zone=OFFICE, officer_id="o")


def test_authorised_opening_inside_an_office_zone() -> None:
    seal = run(T.ASSIGN, T.ARM, T.DEPART, T.ENTER_OFFICE)
    seal = transition(seal, T.AUTHORISE_OPENING, zone=OFFICE, officer_id="officer-1")
    opened = transition(seal, T.OPENED)
    assert opened.state is SealState.AT_OFFICE and opened.opening_authorised_by == "officer-1"
    resealed = transition(opened, T.RESEAL)
    assert resealed.opening_authorised_by is None
    assert transition(resealed, T.OPENED).state is SealState.TAMPERED


def test_authorisation_outside_an_office_zone_is_refused() -> None:
    seal = run(T.ASSIGN, T.ARM, T.DEPART, T.ENTER_OFFICE)
    with pytest.raises(SealTransitionRefused, match="rest_area"):
        transition(seal, T.AUTHORISE_OPENING, zone=REST, officer_id="o")
    with pytest.raises(SealTransitionRefused, match="an officer must"):
        transition(seal, T.AUTHORISE_OPENING, zone=OFFICE)


def test_opening_in_transit_is_tamper() -> None:
    seal = transition(run(T.ASSIGN, T.ARM, T.DEPART), T.OPENED)
    assert seal.state is SealState.TAMPERED
    assert "without an officer's authorisation" in (seal.tamper_reason or "")


def test_leaving_the_office_ends_the_authorisation() -> None:
    seal = run(T.ASSIGN, T.ARM, T.DEPART, T.ENTER_OFFICE)
    seal = transition(seal, T.AUTHORISE_OPENING, zone=OFFICE, officer_id="o")
    seal = transition(seal, T.LEAVE_OFFICE)
    assert transition(seal, T.OPENED).state is SealState.TAMPERED


def test_allowed_triggers_lists_opening_for_armed_states() -> None:
    assert T.OPENED in allowed_triggers(SealState.IN_TRANSIT)
    assert allowed_triggers(SealState.REGISTERED) == [T.ASSIGN, T.OPENED]
