"""Attribution: strategy by magic number, signal by comment (only the same strategy's), reasons of exits."""

from __future__ import annotations

import pytest

from contract.deals import DEAL_ENTRY_OUT, DEAL_REASON_CLIENT, DEAL_REASON_EXPERT, DEAL_REASON_SO, Deal
from contract.netting import Cause, Exit
from server.ledger.attribution import ExitReason, Owners, comment_signal_id, exit_reason

A, B = 27_700_001, 27_700_002
OWNERS = Owners(strategies={A: 1, B: 2}, signals={18: 1, 19: 2})


@pytest.mark.parametrize(
    ("comment", "signal"),
    [("tvb:18", 18), ("tvb:18 partial", 18), ("tvb:181", 181), ("[sl 1.09500]", None), ("tvb:", None),
     ("xtvb:18", None), ("", None)],
)
def test_the_signal_id_is_read_from_the_order_comment(comment: str, signal: int | None) -> None:
    assert comment_signal_id(comment) == signal


def test_a_signal_is_only_credited_to_the_strategy_it_belongs_to() -> None:
    assert OWNERS.signal_of(A, "tvb:18") == 18
    assert OWNERS.signal_of(B, "tvb:18") is None  # B's magic number with A's signal: not B's signal
    assert OWNERS.signal_of(0, "tvb:18") is None  # a manual deal copying the comment names nothing
    assert OWNERS.signal_of(A, "tvb:999") is None  # no such signal
    assert OWNERS.strategy_of(0) is None and OWNERS.strategy_of(777) is None and OWNERS.strategy_of(A) == 1


def _exit(owner: int, cause: Cause, closer: int, reason: int, remaining: float = 0.0) -> Exit:
    deal = Deal(ticket=9, time=9, type=1, entry=DEAL_ENTRY_OUT, magic=closer, position_id=1, reason=reason,
                volume=1.0, price=1.1, symbol="EURUSD")
    return Exit(magic=owner, position_id=1, symbol="EURUSD", side=1, volume=1.0, entry_price=1.1, exit_price=1.1,
                opened=None, deal=deal, cause=cause, remaining=remaining, profit=0.0, commission=0.0, swap=0.0,
                fee=0.0)


def test_exit_reasons() -> None:
    assert exit_reason(_exit(A, Cause.OWN, A, DEAL_REASON_EXPERT), OWNERS) is ExitReason.SIGNAL
    assert exit_reason(_exit(A, Cause.OWN, A, DEAL_REASON_EXPERT, remaining=0.5), OWNERS) is ExitReason.PARTIAL
    assert exit_reason(_exit(A, Cause.ACCOUNT, A, DEAL_REASON_SO), OWNERS) is ExitReason.STOP_OUT
    assert exit_reason(_exit(A, Cause.FOREIGN, 0, DEAL_REASON_CLIENT), OWNERS) is ExitReason.MANUAL
    assert exit_reason(_exit(A, Cause.FOREIGN, 777, DEAL_REASON_EXPERT), OWNERS) is ExitReason.MANUAL  # other EA
    assert exit_reason(_exit(A, Cause.FOREIGN, B, DEAL_REASON_EXPERT), OWNERS) is ExitReason.OTHER_STRATEGY
    assert exit_reason(_exit(0, Cause.OWN, 0, DEAL_REASON_CLIENT), OWNERS) is ExitReason.MANUAL
