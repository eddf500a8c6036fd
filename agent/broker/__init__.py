"""The broker seam: a typed interface (:class:`Broker`) between the agent's job loop and whatever executes its
orders, with broker-neutral models and errors.

- :mod:`agent.broker.interface`: the :class:`Broker` protocol and :func:`submit`.
- :mod:`agent.broker.models`: symbol specs, quotes, account, positions, pending orders, deals, requests, receipts.
- :mod:`agent.broker.errors`: unavailable / refused / outcome unknown.
- :mod:`agent.broker.factory`: :class:`BrokerConfig` and :func:`open_broker`, the one place that picks a kind.
"""

from agent.broker.errors import BrokerError, BrokerUnavailable, OrderOutcomeUnknown, OrderRefused
from agent.broker.interface import Broker, submit

__all__ = ["Broker", "BrokerError", "BrokerUnavailable", "OrderOutcomeUnknown", "OrderRefused", "submit"]
