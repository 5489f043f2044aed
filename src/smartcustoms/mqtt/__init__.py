"""MQTT adapter: the broker's password and ACL files, and the intake subscriber.

The broker (Mosquitto 2) authenticates every device with its own credentials and lets it
write only under its own topic; the intake reads all device topics and hands batches to
the transit service's ``Sink``, acknowledging a message only once its batch is committed.
"""

from smartcustoms.mqtt.broker import (
    DEVICE_SUBSCRIPTION,
    BrokerFiles,
    reload,
    render_acl,
    render_passwd,
)
from smartcustoms.mqtt.intake import IntakeCounters, MqttIntake

__all__ = [
    "DEVICE_SUBSCRIPTION",
    "BrokerFiles",
    "IntakeCounters",
    "MqttIntake",
    "reload",
    "render_acl",
    "render_passwd",
]
