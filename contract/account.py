"""Account snapshots and open positions, as an agent reports them.

A snapshot is versioned by :attr:`AccountSnapshot.as_of_finish`: the agent numbers the jobs it finishes
(:attr:`contract.jobs.JobResult.finish_seq`) and reads the counter before it reads the terminal, so the snapshot
reflects exactly the jobs numbered up to it. The server turns that into the ``as_of_signal`` a reader waits on
(server/reflected.py): jobs finish out of signal order (a signal held for approval, several accounts), so "the
newest signal finished" would claim signals it does not reflect. ``boot_id`` + ``seq`` order snapshots of one agent
process, so a late, older post never replaces a newer one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class PositionState(BaseModel):
    """One open position, with MT5's ``TradePosition`` field names.

    ``type`` is ``buy`` for POSITION_TYPE_BUY (a long) and ``sell`` for POSITION_TYPE_SELL; ``volume`` in
    lots; prices in the symbol's quote; ``sl``/``tp`` 0.0 when unset; ``profit`` the floating P&L in the
    account currency; ``identifier`` the position id that its deals carry (``DEAL_POSITION_ID``).
    On a netting account a position shared by several owners is reported as one row per owner's share
    (``position_volume`` set; see :mod:`contract.netting`).
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    ticket: int = Field(ge=0, lt=2**63, description="The position ticket.")
    symbol: str = Field(min_length=1, max_length=64, description="The broker's symbol name.")
    type: Literal["buy", "sell"] = Field(description="`buy` (a long) or `sell` (a short).")
    volume: float = Field(ge=0, description="Volume in lots.")
    price_open: float = Field(default=0.0, description="Open price, in the symbol's quote.")
    sl: float = Field(default=0.0, description="Stop loss price (0.0: none).")
    tp: float = Field(default=0.0, description="Take profit price (0.0: none).")
    magic: int = Field(default=0, ge=0, lt=2**64, description="Magic number (0: a manual trade).")
    profit: float = Field(default=0.0, description="Floating P&L, in the account currency.")
    comment: str = Field(default="", max_length=64, description="The order comment (`tvb:<signal id>` for ours).")
    identifier: int = Field(default=0, ge=0, lt=2**63, description="Position id that its deals carry.")
    position_volume: float | None = Field(
        default=None,
        ge=0,
        description=(
            "On a netting account, the whole position's lots when this row is one owner's share of it: `volume`, "
            "`price_open` and `profit` are then the share's (its lots, its average entry price, its part of the "
            "floating P&L) and `magic` its owner's. `null`: the row is the whole position."
        ),
    )


class PendingOrderState(BaseModel):
    """One pending order, with MT5's ``TradeOrder`` field names.

    ``type`` names ORDER_TYPE_BUY_LIMIT (2) .. ORDER_TYPE_SELL_STOP_LIMIT (7) in lower case without the prefix;
    ``volume`` is the volume still to fill (``volume_current``) in lots; ``price_open`` the trigger price and
    ``sl``/``tp`` (0.0 when unset) in the symbol's quote.
    """

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    ticket: int = Field(ge=0, lt=2**63, description="The order ticket.")
    symbol: str = Field(min_length=1, max_length=64, description="The broker's symbol name.")
    type: Literal["buy_limit", "sell_limit", "buy_stop", "sell_stop", "buy_stop_limit", "sell_stop_limit"] = Field(
        description="The pending order type."
    )
    volume: float = Field(ge=0, description="Volume still to fill, in lots.")
    price_open: float = Field(default=0.0, description="Trigger price, in the symbol's quote.")
    sl: float = Field(default=0.0, description="Stop loss price (0.0: none).")
    tp: float = Field(default=0.0, description="Take profit price (0.0: none).")
    magic: int = Field(default=0, ge=0, lt=2**64, description="Magic number (0: a manual order).")
    comment: str = Field(default="", max_length=64, description="The order comment.")


class AccountSnapshot(BaseModel):
    """An agent's account figures, posted after trades and every few seconds.

    Money is in ``currency`` (the account currency). ``realized_pnl_today`` is the profit + swap + commission
    + fee of today's closing deals of tvbridge strategies' magic numbers; ``pnl_by_magic`` splits it by magic
    number (keys are the magic number as a string); ``day_start_balance`` the balance before today's realised
    P&L. ``balance is None`` marks a health-only post from an agent without a terminal.
    ``as_of_finish`` is the agent id's finish counter (:attr:`~contract.jobs.JobResult.finish_seq`) read before the
    terminal was: the snapshot reflects every job numbered up to it, and none above. ``as_of_signal`` is the newest
    signal whose job this agent process finished before reading the terminal; since jobs do not finish in signal
    order (approval, several accounts, retries) the server derives what a snapshot reflects from ``as_of_finish``
    (server/reflected.py), and uses ``as_of_signal`` only for an agent that does not send ``as_of_finish``.
    ``pending_orders``: the account's pending orders (``None``: this agent does not report them); a strategy
    holding any cannot be deleted.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    boot_id: str = Field(default="", max_length=64)
    seq: int = Field(default=0, ge=0, lt=2**63)
    taken_at: AwareDatetime | None = None
    as_of_signal: int | None = Field(default=None, ge=0, lt=2**63)
    as_of_finish: int | None = Field(default=None, ge=0, lt=2**63)
    login: int | None = Field(default=None, ge=0, lt=2**63)
    server: str | None = Field(default=None, max_length=128)
    currency: str | None = Field(default=None, max_length=16)
    margin_mode: Literal["netting", "hedging"] | None = None
    balance: float | None = None
    equity: float | None = None
    margin_free: float = 0.0
    day_start_balance: float = 0.0
    realized_pnl_today: float = 0.0
    pnl_by_magic: dict[str, float] = Field(default_factory=dict)
    positions: list[PositionState] = Field(default_factory=list)
    pending_orders: list[PendingOrderState] | None = None
    terminal_connected: bool | None = None
    trade_allowed: bool | None = None
    broker: str | None = Field(default=None, max_length=64)
    version: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=2000)
