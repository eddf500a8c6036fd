"""The planner's output and its one error."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agent.broker.models import OrderRequest

#: What a planned request does, so the sender can treat outcomes per kind (e.g. retcode 10036 "position
#: already closed" is benign for a ``close``): ``open`` a market entry or an add, ``close`` a full or partial
#: close of one position, ``reverse`` a netting deal that closes and opens in one go (mt5-api §5.5),
#: ``pending`` a new pending order, ``cancel`` a pending-order removal, ``modify`` an SL/TP or order change.
RequestKind = Literal["open", "close", "reverse", "pending", "cancel", "modify"]


@dataclass(frozen=True)
class TargetLevel:
    """A take-profit level the agent itself watches on a netting account (agent/targets.py): level ``number``
    (1 = TP1), its ``price`` (normalised) and the ``lots`` of the strategy's share to close there."""

    number: int
    price: float
    lots: float


@dataclass(frozen=True)
class PlannedRequest:
    """One broker-neutral request (:mod:`agent.broker.models`), to be sent through the broker interface.

    ``description`` is the line shown on the signal, e.g.
    ``"close long #1234 0.5 lots EURUSD"``. ``opens`` is True for steps that add exposure.
    ``kind`` says what the request does (see :data:`RequestKind`); ``None`` only for hand-built requests.
    ``level``: the take-profit level (1 = TP1) this entry's position is for, on a hedging account (its comment
    is ``tvb:<signal id>/<level>``). ``targets``: the levels the agent closes by itself after this netting entry
    filled (the last level is the position's TP at the broker).
    """

    request: OrderRequest
    description: str
    opens: bool = False
    kind: RequestKind | None = None
    level: int | None = None
    targets: tuple[TargetLevel, ...] = ()


@dataclass
class Plan:
    """The requests to send, in order, and notes for the signal log (``"no short positions to close"``)."""

    requests: list[PlannedRequest] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class PlanRejected(Exception):
    """The alert cannot be turned into orders. ``str(exc)`` is a sentence a trader can act on.

    ``outcome`` is the signal status it leads to: ``"rejected"`` when the alert or the settings are wrong
    (unknown symbol, volume below the minimum), ``"discarded"`` when a filter deliberately skipped it
    (spread filter, max open positions) or there was nothing to do.
    """

    def __init__(self, message: str, outcome: Literal["rejected", "discarded"] = "rejected") -> None:
        super().__init__(message)
        self.outcome = outcome
