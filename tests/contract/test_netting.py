"""The share model (contract/netting.py) against an independent model of MT5's netting account.

The reference account below follows mt5-api §5.5: one position per symbol, volume-weighted average price on
additions, the average kept on reductions, one INOUT deal for a reversal (same position id, new average = the
deal's price), OUT profit computed against the average price and rounded to cents, SL/TP/stop-out closing the
whole position with the position's magic number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from hypothesis import example, given, settings
from hypothesis import strategies as st

from contract.deals import (
    DEAL_ENTRY_IN,
    DEAL_ENTRY_INOUT,
    DEAL_ENTRY_OUT,
    DEAL_REASON_CLIENT,
    DEAL_REASON_EXPERT,
    DEAL_REASON_SL,
    DEAL_REASON_SO,
    DEAL_REASON_TP,
    DEAL_TYPE_BUY,
    DEAL_TYPE_SELL,
    Deal,
)
from contract.netting import BEFORE_HISTORY, Cause, Exit, ShareBook, split_position

VALUE = 100_000.0  # EURUSD on a USD account: 1.0 price move on 1 lot = 100,000 USD
STRATEGIES = (11, 12, 13)
MANUAL, OTHER_EA = 0, 99


@dataclass
class NettingAccount:
    """MT5's netting bookkeeping for one symbol (the reference the share model is checked against)."""

    volume: float = 0.0
    price: float = 0.0
    position_id: int = 0
    magic: int = 0
    ticket: int = 0
    deals: list[Deal] = field(default_factory=list)

    def trade(
        self, magic: int, side: int, lots: float, price: float, reason: int = DEAL_REASON_EXPERT,
        commission_per_lot: float = -3.5, swap: float = 0.0,
    ) -> Deal:
        self.ticket += 1
        lots = round(lots, 2)
        if self.volume == 0 or (self.volume > 0) == (side > 0):
            entry, profit = DEAL_ENTRY_IN, 0.0
            if self.volume == 0:
                self.position_id, self.magic, self.price = self.ticket, magic, price
            else:
                self.price = (self.price * abs(self.volume) + price * lots) / (abs(self.volume) + lots)
            self.volume = round(self.volume + side * lots, 8)
            swap = 0.0
        else:
            closed = min(lots, abs(self.volume))
            held_side = 1 if self.volume > 0 else -1
            profit = round(held_side * (price - self.price) * closed * VALUE, 2)
            reverses = lots > abs(self.volume) + 1e-9
            entry = DEAL_ENTRY_INOUT if reverses else DEAL_ENTRY_OUT
            self.volume = round(self.volume + side * lots, 8)
            if reverses:
                self.price, self.magic = price, magic
            elif self.volume == 0:
                self.price = 0.0
        deal = Deal(
            ticket=self.ticket, order=self.ticket, time=1_700_000_000 + self.ticket, type=DEAL_TYPE_BUY if side > 0
            else DEAL_TYPE_SELL, entry=entry, magic=magic, position_id=self.position_id, reason=reason,
            volume=lots, price=price, profit=profit, commission=round(commission_per_lot * lots, 2), swap=swap,
            symbol="EURUSD",
        )
        self.deals.append(deal)
        return deal

    def close_all(self, reason: int, price: float, swap: float = 0.0) -> Deal:
        """The trade server closes the whole position (SL/TP/stop-out), with the position's magic number."""
        side = -1 if self.volume > 0 else 1
        return self.trade(self.magic, side, abs(self.volume), price, reason=reason, swap=swap)


def units(x: float) -> int:
    return round(x * 100)


# -- worked examples -------------------------------------------------------------------------------------------


def test_two_strategies_keep_their_own_entry_prices_and_the_sum_is_mt5s() -> None:
    acct = NettingAccount()
    book = ShareBook()
    exits: list[Exit] = []
    for deal in (
        acct.trade(11, +1, 1.0, 1.1000),  # A buys 1.0
        acct.trade(12, +1, 0.5, 1.1030),  # B buys 0.5: position 1.5 at 1.1010
        acct.trade(11, -1, 1.0, 1.1050),  # A closes its 1.0: MT5 books (1.1050-1.1010)*1.0 = 400
    ):
        exits += book.apply(deal)
    assert acct.deals[2].profit == 400.0
    (a,) = exits
    assert (a.magic, a.cause, a.volume, a.entry_price, a.remaining) == (11, Cause.OWN, 1.0, 1.1000, 0.0)
    assert a.profit == 500.0  # A's own entry -> exit: (1.1050 - 1.1000) * 1.0 lot * 100,000
    assert a.commission == -7.0  # its entry's 3.50 and its exit's 3.50
    split = split_position(acct.deals, STRATEGIES)
    assert split is not None and split.volume == 0.5 and split.strategies == {12: split.strategies[12]}
    assert math.isclose(split.strategies[12].price, 1.1030)
    (b,) = book.apply(acct.trade(12, -1, 0.5, 1.1040))  # MT5: (1.1040 - 1.1010) * 0.5 = 150
    assert acct.deals[-1].profit == 150.0
    assert b.profit == 50.0  # B's own: (1.1040 - 1.1030) * 0.5 lot
    assert a.profit + b.profit == 400.0 + 150.0  # the account's realised P&L, exactly
    assert book.positions == {}


def test_stop_loss_closes_every_share_at_its_own_entry() -> None:
    acct = NettingAccount()
    book = ShareBook()
    for deal in (acct.trade(11, +1, 1.0, 1.1000), acct.trade(12, +1, 0.5, 1.1030), acct.trade(MANUAL, +1, 0.5, 1.1010,
                 reason=DEAL_REASON_CLIENT)):
        assert book.apply(deal) == []
    sl = acct.close_all(DEAL_REASON_SL, 1.0990, swap=-4.0)
    exits = {e.magic: e for e in book.apply(sl)}
    assert {m: (e.cause, e.volume) for m, e in exits.items()} == {
        11: (Cause.ACCOUNT, 1.0), 12: (Cause.ACCOUNT, 0.5), MANUAL: (Cause.ACCOUNT, 0.5)
    }
    assert exits[11].profit == -100.0 and exits[12].profit == -200.0 and exits[MANUAL].profit == -100.0
    assert sum(units(e.profit) for e in exits.values()) == units(sl.profit)
    assert exits[11].swap == -2.0 and exits[12].swap == -1.0 and exits[MANUAL].swap == -1.0  # pro rata by lots


def test_a_manual_close_takes_the_manual_share_first_then_the_others_pro_rata() -> None:
    acct = NettingAccount()
    book = ShareBook()
    book.apply(acct.trade(11, +1, 1.0, 1.1000))
    book.apply(acct.trade(12, +1, 0.5, 1.1000))
    book.apply(acct.trade(MANUAL, +1, 0.3, 1.1000, reason=DEAL_REASON_CLIENT))
    exits = book.apply(acct.trade(MANUAL, -1, 0.6, 1.1010, reason=DEAL_REASON_CLIENT))
    assert [(e.magic, e.cause, e.volume, e.remaining) for e in exits] == [
        (MANUAL, Cause.OWN, 0.3, 0.0), (11, Cause.FOREIGN, 0.2, 0.8), (12, Cause.FOREIGN, 0.1, 0.4)
    ]


def test_a_reversal_closes_every_share_and_opens_the_new_side_for_the_dealer() -> None:
    acct = NettingAccount()
    book = ShareBook()
    book.apply(acct.trade(11, +1, 1.0, 1.1000))
    book.apply(acct.trade(12, +1, 0.5, 1.1000))
    flip = acct.trade(12, -1, 2.0, 1.0990)  # B allowed to net: closes its 0.5, A's 1.0, opens 0.5 short
    assert flip.entry == DEAL_ENTRY_INOUT
    exits = book.apply(flip)
    assert [(e.magic, e.cause, e.volume) for e in exits] == [(12, Cause.OWN, 0.5), (11, Cause.FOREIGN, 1.0)]
    assert [e.commission for e in exits] == [-1.75 - 1.75, -3.5 - 3.5]  # held entry + its lots of the 7.00
    split = split_position(acct.deals, STRATEGIES)
    assert split is not None and split.volume == -0.5 and set(split.strategies) == {12}
    assert split.strategies[12].volume == -0.5 and split.strategies[12].price == 1.0990


def test_volume_closed_before_the_history_is_booked_to_its_own_owner() -> None:
    book = ShareBook()
    book.apply(Deal(ticket=2, time=2, type=DEAL_TYPE_BUY, magic=11, position_id=1, reason=DEAL_REASON_EXPERT,
                    volume=1.0, price=1.1, symbol="EURUSD"))
    exits = book.apply(Deal(ticket=3, time=3, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=11, position_id=1,
                            reason=DEAL_REASON_EXPERT, volume=1.5, price=1.2, profit=12_000.0, symbol="EURUSD"))
    assert [(e.magic, e.volume) for e in exits] == [(11, 1.0), (BEFORE_HISTORY, 0.5)]
    assert sum(units(e.profit) for e in exits) == units(12_000.0)
    assert book.positions == {}
    # a close of a position never seen open at all (deals arriving out of order, or older than the history)
    (unseen,) = book.apply(Deal(ticket=5, time=5, type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_OUT, magic=12, position_id=4,
                                reason=DEAL_REASON_EXPERT, volume=0.3, price=1.2, profit=-30.0, symbol="EURUSD"))
    assert (unseen.magic, unseen.side, unseen.volume, unseen.profit) == (BEFORE_HISTORY, -1, 0.3, -30.0)
    assert book.positions == {}


def test_on_hedging_every_position_is_its_openers_and_profit_is_mt5s() -> None:
    book = ShareBook()
    opened = [
        Deal(ticket=1, order=1, time=1, type=DEAL_TYPE_BUY, magic=11, position_id=1, reason=DEAL_REASON_EXPERT,
             volume=1.0, price=1.1000, symbol="EURUSD"),
        Deal(ticket=2, order=2, time=2, type=DEAL_TYPE_SELL, magic=12, position_id=2, reason=DEAL_REASON_EXPERT,
             volume=0.5, price=1.1005, symbol="EURUSD"),
    ]
    for deal in opened:
        book.apply(deal)
    closes = [
        Deal(ticket=3, order=3, time=3, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=11, position_id=1,
             reason=DEAL_REASON_EXPERT, volume=0.4, price=1.1013, profit=52.0, symbol="EURUSD"),
        Deal(ticket=4, order=4, time=4, type=DEAL_TYPE_BUY, entry=DEAL_ENTRY_OUT, magic=12, position_id=2,
             reason=DEAL_REASON_TP, volume=0.5, price=1.0995, profit=50.0, symbol="EURUSD"),
        Deal(ticket=5, order=5, time=5, type=DEAL_TYPE_SELL, entry=DEAL_ENTRY_OUT, magic=0, position_id=1,
             reason=DEAL_REASON_CLIENT, volume=0.6, price=1.0990, profit=-60.0, symbol="EURUSD"),
    ]
    exits = [e for deal in closes for e in book.apply(deal)]
    assert [(e.magic, e.cause, e.volume, e.profit, e.remaining) for e in exits] == [
        (11, Cause.OWN, 0.4, 52.0, 0.6), (12, Cause.ACCOUNT, 0.5, 50.0, 0.0), (11, Cause.FOREIGN, 0.6, -60.0, 0.0)
    ]


# -- properties ------------------------------------------------------------------------------------------------

OWNERS = (*STRATEGIES, MANUAL, OTHER_EA)
steps = st.lists(
    st.tuples(
        st.sampled_from(["buy", "sell", "buy", "sell", "sl", "tp", "so"]),
        st.sampled_from(OWNERS),
        st.integers(min_value=1, max_value=300),  # lots in 0.01
        st.integers(min_value=-500, max_value=500),  # price offset in points from 1.10000
        st.integers(min_value=-300, max_value=0),  # swap in cents on closing deals
    ),
    min_size=1,
    max_size=40,
)


def _run(actions: list[tuple[str, int, int, int, int]]) -> None:
    acct = NettingAccount()
    book = ShareBook()
    money = {"profit": 0, "commission": 0, "swap": 0}
    realised = {"profit": 0, "commission": 0, "swap": 0}
    for kind, owner, cents, points, swap_cents in actions:
        price = round(1.1 + points * 1e-5, 5)
        if kind in ("sl", "tp", "so"):
            if acct.volume == 0:
                continue
            reason = {"sl": DEAL_REASON_SL, "tp": DEAL_REASON_TP, "so": DEAL_REASON_SO}[kind]
            deal = acct.close_all(reason, price, swap=swap_cents / 100)
        else:
            reason = DEAL_REASON_CLIENT if owner == MANUAL else DEAL_REASON_EXPERT
            closing = acct.volume != 0 and (acct.volume > 0) != (kind == "buy")
            deal = acct.trade(owner, 1 if kind == "buy" else -1, cents / 100, price, reason=reason,
                              swap=swap_cents / 100 if closing else 0.0)
        pos = book.positions.get(deal.position_id)
        before = {m: s.volume for m, s in pos.shares.items()} if pos else {}
        own_before = abs(before.get(deal.magic, 0.0))
        exits = book.apply(deal)
        for key in money:
            money[key] += units(getattr(deal, key))
            realised[key] += sum(units(getattr(e, key)) for e in exits)
        pos = book.positions.get(deal.position_id)
        after = {m: s.volume for m, s in pos.shares.items()} if pos else {}
        # shares always sum to the account's net position, and share its sign
        assert math.isclose(sum(after.values()), acct.volume, abs_tol=1e-7)
        assert all(v == 0 or (v > 0) == (acct.volume > 0) for v in after.values())
        for magic in set(before) | set(after):
            was, now = before.get(magic, 0.0), after.get(magic, 0.0)
            if math.isclose(was, now, abs_tol=1e-12):
                continue
            if magic != deal.magic:
                # touched only by its own deals, or by a close beyond the dealer's own share / by the server
                assert deal.entry != DEAL_ENTRY_IN
                assert deal.reason in (DEAL_REASON_SL, DEAL_REASON_TP, DEAL_REASON_SO) or deal.volume > own_before
                assert abs(now) < abs(was) and (now == 0 or (now > 0) == (was > 0))
            if was and now and (was > 0) != (now > 0):
                assert deal.entry == DEAL_ENTRY_INOUT and magic == deal.magic  # only a reversal flips a share
        carry = sum(p.carry for p in book.positions.values())
        assert realised["profit"] + carry == money["profit"]  # every cent of MT5's profit is somewhere
        if acct.volume == 0:
            assert carry == 0 and realised["profit"] == money["profit"]
            assert realised["commission"] == money["commission"] and realised["swap"] == money["swap"]
    held = sum(s.commission for p in book.positions.values() for s in p.shares.values())
    assert realised["commission"] + held == money["commission"]


@settings(max_examples=300, deadline=None)
@given(steps)
def test_shares_follow_the_rules_and_every_cent_is_accounted_for(actions: list[tuple[str, int, int, int, int]]) -> None:
    _run(actions)


@settings(max_examples=200, deadline=None)
@given(steps)
@example(  # a close whose own MT5 profit (171.00) is small next to its entry adjustment (707.94): the value read
    # off it (1e-5 relative error from the cent rounding) would move the adjustment by 3 cents
    [("buy", 11, 1, 0, 0), ("buy", 11, 1, 0, 0), ("buy", 11, 1, 0, 0), ("buy", 11, 1, -1, 0), ("buy", 11, 28, 0, 0),
     ("buy", 11, 102, 258, 0), ("buy", 11, 168, 96, 0), ("buy", 11, 298, 0, 0), ("buy", 12, 299, -342, 0),
     ("sell", 12, 257, 0, 0)]
)
def test_own_entry_profit_matches_the_hand_formula_when_value_is_known(
    actions: list[tuple[str, int, int, int, int]],
) -> None:
    """With a precise value read off MT5 (a large first close), every later part's profit is its owner's own
    entry -> exit P&L to within 2 cents: MT5 rounds the deal's profit to the cent, the pro rata split and the
    entry adjustment each round once more; a position's last deal also settles those roundings."""
    acct = NettingAccount()
    book = ShareBook()
    book.apply(acct.trade(11, +1, 1.0, 1.1000))
    book.apply(acct.trade(11, -1, 1.0, 1.1100))  # 1,000 USD: value = 100,000 read precisely
    for kind, owner, cents, points, _ in actions:
        if kind not in ("buy", "sell"):
            continue
        price = round(1.1 + points * 1e-5, 5)
        deal = acct.trade(owner, 1 if kind == "buy" else -1, cents / 100, price)
        last = acct.volume == 0 or deal.entry == DEAL_ENTRY_INOUT
        for e in book.apply(deal):
            if e.magic == BEFORE_HISTORY or last:
                continue
            expected = e.side * (e.exit_price - e.entry_price) * e.volume * VALUE
            assert abs(e.profit - expected) <= 0.02 + 1e-9
