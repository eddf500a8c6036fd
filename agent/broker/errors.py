"""What can go wrong talking to a broker, as the job loop must treat it. ``str()`` of each is a sentence for the
trader; the broker adapters (``agent.mt5.errors``) choose the class and write the sentence.

Error tree (each class says what the caller must do)::

    BrokerError                 the broker did not do what was asked
     ├─ BrokerUnavailable       no connection / not logged in: reconnect, then retry the job later (nothing sent)
     ├─ OrderRefused            final: the broker or terminal said no; record the reason, never retry
     └─ OrderOutcomeUnknown     the request may have reached the broker: reconcile before anything else
"""

from __future__ import annotations


class BrokerError(Exception):
    """Base of the broker errors; ``str()`` is a sentence for the trader."""


class BrokerUnavailable(BrokerError):
    """No usable connection to the broker: reconnect, then retry the job (nothing was sent)."""


class OrderRefused(BrokerError):
    """Final refusal: record it, never retry. ``code`` is the broker's answer code (MT5 retcode), if any."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class OrderOutcomeUnknown(BrokerError):
    """The request may have executed (timeout, connection break mid-call): reconcile by comment before any resend."""
