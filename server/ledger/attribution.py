"""Who a deal belongs to, and why a share was closed.

- **Strategy**: by the deal's magic number (``DEAL_MAGIC``, mt5-api §2.3). A strategy's magic number is never
  reused, so it names one strategy forever, archived ones included.
- **Signal**: by the order comment ``tvb:<signal id>`` that every tvbridge request carries (the deal inherits
  its order's comment), and only when that signal belongs to the strategy the magic number names: a comment can
  be rewritten by the broker or copied by someone else, a magic number + comment pair cannot be mistaken.
  Brokers replace the comment of server-side closes (``[sl 1.0950]``, ``[tp ...]``): those name no signal.
- Everything else (magic 0: the trader's own trades; any other magic: another EA) is **manual / other EA**.
- A strategy's own close with the comment ``tvb-exit:hold``/``tvb-exit:flat`` was made by the agent's exit monitor
  for that strategy's rule (:data:`contract.settings.EXIT_COMMENTS`): its exit reason names the rule.
- A strategy's own close with the comment ``tvb:<signal id>/tp<n>`` was made by the agent at take-profit level n of
  that signal's netting entry (agent/targets.py): its exit reason is ``tp1``, ``tp2`` or ``tp3``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from contract.deals import DEAL_REASON_SL, DEAL_REASON_SO, DEAL_REASON_TP
from contract.netting import Cause, Exit
from contract.settings import EXIT_COMMENTS

_COMMENT = re.compile(r"tvb:(\d{1,18})(?!\d)")


class ExitReason(StrEnum):
    """Why a trade ended.

    ``signal``: the owner's own deal closed its whole share; ``partial``: its own deal closed part of it;
    ``sl``/``tp``/``stop_out``: the trade server closed the position (DEAL_REASON_SL/TP/SO);
    ``manual``: the trader (in a terminal) or another EA closed it; ``other_strategy``: another strategy's deal
    netted against it (allowed by that strategy's setting); ``max_hold``/``flat_time``: the agent closed it by the
    strategy's exit rule (its close carries the comment ``tvb-exit:hold``/``tvb-exit:flat``);
    ``expired_pending``: a pending order expired unfilled (no money moved); ``tp1``/``tp2``/``tp3``: the agent
    closed the level's share at that take-profit level of a netting entry (comment ``tvb:<id>/tp<n>``).
    """

    SIGNAL = "signal"
    PARTIAL = "partial"
    SL = "sl"
    TP = "tp"
    STOP_OUT = "stop_out"
    MANUAL = "manual"
    OTHER_STRATEGY = "other_strategy"
    MAX_HOLD = "max_hold"
    FLAT_TIME = "flat_time"
    EXPIRED_PENDING = "expired_pending"
    TP1 = "tp1"
    TP2 = "tp2"
    TP3 = "tp3"


#: Exit reasons of trades the strategy's own signal did not close: they become events (server/ledger/events.py).
EVENT_REASONS = frozenset(
    {
        ExitReason.SL,
        ExitReason.TP,
        ExitReason.STOP_OUT,
        ExitReason.MANUAL,
        ExitReason.OTHER_STRATEGY,
        ExitReason.MAX_HOLD,
        ExitReason.FLAT_TIME,
        ExitReason.EXPIRED_PENDING,
        ExitReason.TP1,
        ExitReason.TP2,
        ExitReason.TP3,
    }
)
#: Take-profit level closes the agent makes on netting accounts (agent/targets.py: ``tvb:<id>/tp<n>``).
_LEVEL_COMMENT = re.compile(r"tvb:\d{1,18}/tp([1-3])")
#: The exit reasons of take-profit levels, by level.
TP_LEVEL_REASONS = {1: ExitReason.TP1, 2: ExitReason.TP2, 3: ExitReason.TP3}
_RULE_COMMENTS = {comment: ExitReason(rule) for rule, comment in EXIT_COMMENTS.items()}


_SERVER_REASONS = {DEAL_REASON_SL: ExitReason.SL, DEAL_REASON_TP: ExitReason.TP, DEAL_REASON_SO: ExitReason.STOP_OUT}


def comment_signal_id(comment: str) -> int | None:
    """The signal id a ``tvb:<id>`` order comment names (``None`` for any other comment)."""
    found = _COMMENT.match(comment.strip())
    return int(found.group(1)) if found else None


@dataclass(frozen=True)
class Owners:
    """What the database knows for attribution: ``strategies`` magic number -> strategy id, ``signals``
    signal id -> the strategy id it belongs to (for the signal ids the deals' comments name)."""

    strategies: dict[int, int] = field(default_factory=dict)
    signals: dict[int, int] = field(default_factory=dict)

    def strategy_of(self, magic: int | None) -> int | None:
        """The strategy whose magic number this is (``None``: manual / other EA)."""
        return None if magic is None else self.strategies.get(magic)

    def signal_of(self, magic: int, comment: str) -> int | None:
        """The signal a deal or order of ``magic`` with ``comment`` belongs to, or ``None``."""
        signal_id = comment_signal_id(comment)
        strategy = self.strategy_of(magic)
        if signal_id is None or strategy is None or self.signals.get(signal_id) != strategy:
            return None
        return signal_id


def exit_reason(part: Exit, owners: Owners) -> ExitReason:
    """Why ``part`` of a share closed: the server's own reason for SL/TP/stop-out, the owner's signal (whole
    or partial), or whoever else's deal netted against it."""
    if part.cause is Cause.ACCOUNT:
        return _SERVER_REASONS[part.deal.reason]
    if part.cause is Cause.OWN:
        if owners.strategy_of(part.magic) is None:
            return ExitReason.MANUAL
        rule = _RULE_COMMENTS.get(part.deal.comment.strip())
        if rule is not None:
            return rule
        level = _LEVEL_COMMENT.fullmatch(part.deal.comment.strip())
        if level is not None:
            return TP_LEVEL_REASONS[int(level.group(1))]
        return ExitReason.PARTIAL if part.remaining else ExitReason.SIGNAL
    if owners.strategy_of(part.deal.magic) is not None:
        return ExitReason.OTHER_STRATEGY
    return ExitReason.MANUAL
