"""Refused senders: what is counted (:mod:`.kinds`), how a tried secret is fingerprinted (:mod:`.fingerprint`),
the in-memory counter flushed in rounds (:mod:`.monitor`), the table and its bounds (:mod:`.store`), and the
threshold notification (:mod:`.alarm`)."""

from server.security_events.alarm import Alarm, AlarmWatch
from server.security_events.fingerprint import Fingerprinter
from server.security_events.kinds import (
    ALARMS,
    ENDPOINT_STRATEGY_URL,
    ENDPOINT_TEST_ALERT,
    ENDPOINT_UNIVERSAL,
    WORDS,
    SecurityKind,
)
from server.security_events.monitor import SecurityMonitor

__all__ = [
    "ALARMS",
    "ENDPOINT_STRATEGY_URL",
    "ENDPOINT_TEST_ALERT",
    "ENDPOINT_UNIVERSAL",
    "WORDS",
    "Alarm",
    "AlarmWatch",
    "Fingerprinter",
    "SecurityKind",
    "SecurityMonitor",
]
