"""Errors of transit monitoring.

Decoders and the event model raise ``EventInvalid`` and nothing else, whatever bytes
arrive (a hypothesis test holds them to it): the MQTT and HTTPS intake count the
rejection and go on. Refused transitions of the seal state machine and of an alert's
lifecycle are conflicts with the stored state, answered 409 by the HTTP adapter.
"""

from __future__ import annotations

from smartcustoms.errors import Conflict, InvalidInput


class EventInvalid(InvalidInput):
    """A telemetry payload that cannot become a canonical event; ``errors`` names fields."""

    code = "transit-event-invalid"
    title = "The telemetry event is not valid"


class CorridorInvalid(InvalidInput):
    code = "transit-corridor-invalid"
    title = "The corridor is not valid"


class TripInvalid(InvalidInput):
    code = "transit-trip-invalid"
    title = "The transit trip is not valid"


class SealTransitionRefused(Conflict):
    """The seal state machine has no such transition from its current state."""

    code = "seal-transition-refused"
    title = "The seal cannot make this transition"


class AlertTransitionRefused(Conflict):
    """An alert's lifecycle has no such step from its current status."""

    code = "alert-transition-refused"
    title = "The alert cannot make this transition"
